/**
 * Owner-only files, checked the way ssh checks ~/.ssh: a secret key that group or others can read
 * is refused (it may already be known to someone else), and so is a list of trusted keys that
 * group or others can write (anyone could add themselves). Files are written whole, with mode
 * 0600, through a temporary file, so a reader never sees half a key.
 *
 * POSIX only: on Windows the mode bits mean nothing and these checks are skipped (untested there).
 */
import { chmodSync, closeSync, linkSync, lstatSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";

const POSIX = process.platform !== "win32";

/** A key file or the STUI home is missing, malformed or too open. `path` names the file. */
export class StuiKeyError extends Error {
  readonly code = "EKEYS";
  readonly path: string;

  constructor(message: string, filePath: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StuiKeyError";
    this.path = filePath;
  }
}

const octal = (mode: number): string => `0${(mode & 0o777).toString(8).padStart(3, "0")}`;

function statOrThrow(file: string): Stats {
  try {
    return statSync(file);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new StuiKeyError(code === "ENOENT" ? `${file} does not exist` : `cannot read ${file}: ${(cause as Error).message}`, file, { cause });
  }
}

function checkOwner(file: string, stats: Stats): void {
  const uid = process.getuid?.();
  if (POSIX && uid !== undefined && stats.uid !== uid) {
    throw new StuiKeyError(`${file} belongs to user ${stats.uid}, not to you (${uid}): refusing to trust it`, file);
  }
}

/** Refuses a secret key file that is not a regular file of ours, or that group or others may read. */
export function checkSecretFile(file: string): void {
  const stats = statOrThrow(file);
  if (!stats.isFile()) throw new StuiKeyError(`${file} is not a regular file`, file);
  checkOwner(file, stats);
  if (POSIX && (stats.mode & 0o077) !== 0) {
    throw new StuiKeyError(
      `permissions ${octal(stats.mode)} for ${file} are too open: a secret key must be readable by its owner only; ` +
        `it may already be known to others — replace it, or if you are sure it is not: chmod 600 '${file}'`,
      file,
    );
  }
}

/** Refuses a file or folder of trusted keys that is not ours, or that group or others may write. */
export function checkTrustedPath(file: string): void {
  const stats = statOrThrow(file);
  checkOwner(file, stats);
  if (POSIX && (stats.mode & 0o022) !== 0) {
    throw new StuiKeyError(`permissions ${octal(stats.mode)} for ${file} let others change it: refusing to trust it (chmod go-w '${file}')`, file);
  }
}

/**
 * Creates the folder (mode 0700) if it is missing. An existing one must be ours and not writable
 * by others (someone may have put files in it); if group or others may read or enter it, it is
 * closed to 0700.
 */
export function ensurePrivateDir(dir: string): void {
  try {
    lstatSync(dir);
  } catch {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (POSIX) chmodSync(dir, 0o700); // the umask may have taken bits away, never added: make it exact
  }
  const stats = statOrThrow(dir);
  if (!stats.isDirectory()) throw new StuiKeyError(`${dir} is not a folder`, dir);
  checkTrustedPath(dir);
  if (POSIX && (stats.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

function writeTemp(file: string, text: string): string {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(temp, "wx", 0o600);
  try {
    if (POSIX) chmodSync(temp, 0o600);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return temp;
}

/**
 * Writes a new owner-only file unless one is already there. Answers false when it was (another
 * process may have created it at the same moment: its content wins, whole).
 */
export function createPrivateFile(file: string, text: string): boolean {
  const temp = writeTemp(file, text);
  try {
    linkSync(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    unlinkSync(temp);
  }
}

/** Replaces a file with new owner-only content in one step. */
export function replacePrivateFile(file: string, text: string): void {
  const temp = writeTemp(file, text);
  try {
    renameSync(temp, file);
  } catch (error) {
    unlinkSync(temp);
    throw error;
  }
}
