// What the bundler may read. esbuild runs in the unrestricted host and inlines whatever a
// script imports (`import env from "/proc/self/environ" with { type: "text" }`), so every file
// it loads passes through here first, after realpath:
//
//   allowed: the script's folder (real path) and everything under it, the node_modules folders
//            Node's resolution would search from it, and the host's own sandbox runtime;
//   refused: anything else (absolute paths, symlinks pointing out of the folder), the STUI home
//            wherever it is, /proc, /dev, /sys, and anything that is not a regular file (a FIFO
//            would hang the build; it is refused before it is opened).
//
// The file is then read through a descriptor opened without following symlinks and without
// blocking, and checked again (fstat) to be that same regular file. O_NOFOLLOW covers only the
// last component, so after the open the descriptor's own path (Linux: /proc/self/fd/N) must be
// the path that was checked: a folder on the way swapped for a symlink between the check and
// the open is caught there (red team finding 16, the race). A path guard cannot see hard links:
// a file that is a hard link to one of the STUI home's files is refused by (device, inode), and
// any other regular file with more than one link outside node_modules (where pnpm links on
// purpose) is refused too, since its other name may be anywhere.

import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readdirSync, readlinkSync, realpathSync, type Stats } from "node:fs";
import path from "node:path";

export interface ReadPolicy {
  /** Real folders whose files the script may bundle. */
  allowed: readonly string[];
  /** Real folders never read, even inside an allowed one. */
  denied: readonly string[];
  /** "dev:ino" of every regular file in the STUI home: no hard link to them is read, whatever its path. */
  deniedFiles: ReadonlySet<string>;
  /**
   * Real folders whose files may be bundled as data (text, bytes, JSON): the script's read grants.
   * Elsewhere only code is bundled from the script's folder (red team finding 17).
   */
  data: readonly string[];
}

/** How many entries of the STUI home are looked at for deniedFiles (keys, history, cache: a few hundred at most in use). */
const HOME_SCAN_LIMIT = 20_000;

/** "dev:ino" of the regular files under `dir` (no symlink followed), up to HOME_SCAN_LIMIT entries. */
export function fileIds(dir: string): Set<string> {
  const ids = new Set<string>();
  const pending = [dir];
  let seen = 0;
  while (pending.length > 0 && seen < HOME_SCAN_LIMIT) {
    const current = pending.pop()!;
    let names: string[];
    try {
      names = readdirSync(current);
    } catch {
      continue;
    }
    for (const name of names) {
      if (++seen > HOME_SCAN_LIMIT) break;
      const p = path.join(current, name);
      try {
        const st = lstatSync(p);
        if (st.isDirectory()) pending.push(p);
        else if (st.isFile()) ids.add(`${st.dev}:${st.ino}`);
      } catch {
        // gone meanwhile
      }
    }
  }
  return ids;
}

const SYSTEM_DENIED = ["/proc", "/dev", "/sys"];

const within = (file: string, dir: string): boolean => file === dir || file.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);

const realOr = (p: string): string => {
  try {
    return realpathSync.native(p);
  } catch {
    return path.resolve(p);
  }
};

/** The policy for one script: its folder, the node_modules above it, the host's runtime; never the STUI home. */
export function readPolicy(script: string, options: { home: string; runtime: readonly string[]; data?: readonly string[] | undefined }): ReadPolicy {
  const folder = path.dirname(realOr(script));
  const allowed = [folder];
  for (let dir = folder; ; dir = path.dirname(dir)) {
    allowed.push(path.join(dir, "node_modules"));
    if (path.dirname(dir) === dir) break;
  }
  allowed.push(...options.runtime.map(realOr));
  const home = realOr(options.home);
  return { allowed: [...new Set(allowed)], denied: [...SYSTEM_DENIED, home], deniedFiles: fileIds(home), data: [...(options.data ?? []), ...options.runtime].map(realOr) };
}

export class ReadRefused extends Error {
  override readonly name = "ReadRefused";
}

/** Refuses (throws ReadRefused) unless `file` is a regular file the policy allows; answers its real path. */
export function checkReadable(file: string, policy: ReadPolicy): string {
  let real: string;
  try {
    real = realpathSync.native(file);
  } catch (error) {
    throw new ReadRefused(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const shown = real === file ? file : `${file} (really ${real})`;
  const denied = policy.denied.find((d) => within(real, d));
  if (denied) throw new ReadRefused(`a stui script may not bundle ${shown}: nothing under ${denied} is readable by scripts`);
  if (!policy.allowed.some((a) => within(real, a))) {
    throw new ReadRefused(`a stui script may not bundle ${shown}: only files in the script's own folder and its node_modules are bundled (symlinks out of the folder and absolute paths are refused)`);
  }
  if (!lstatSync(real).isFile()) throw new ReadRefused(`a stui script may not bundle ${shown}: not a regular file`);
  return real;
}

/** Read a file the policy allows: no symlink followed at open, no blocking open, the same regular file after opening. */
export function readAllowed(file: string, policy: ReadPolicy): Buffer {
  const real = checkReadable(file, policy);
  const before = lstatSync(real);
  const fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const after = fstatSync(fd);
    if (!after.isFile() || after.ino !== before.ino || after.dev !== before.dev) throw new ReadRefused(`${file} changed while it was being read`);
    checkOpened(fd, real, after, policy, file);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Data (a file imported with { type: "text" } or "bytes", JSON, .txt) is bundled only from the
 * read grants and from node_modules: at bundle time the script reads no more than it could at
 * run time (red team finding 17: a script saved in ~ inlined ~/.netrc). Code (.ts, .js, …) of the
 * script's folder is bundled as before: it is the script.
 */
export function checkData(real: string, policy: ReadPolicy, file: string = real): void {
  if (real.split(path.sep).includes("node_modules") || policy.data.some((d) => within(real, d))) return;
  throw new ReadRefused(
    `a stui script may bundle ${file} as data (with { type: "text" } or "bytes", JSON, .txt) only from a folder granted with --allow-fs-read (or node_modules): run again with --allow-fs-read=${path.dirname(file)}, or read it at run time under that grant`,
  );
}

/**
 * After the open: the descriptor is the file that was checked (its path, on Linux, is still
 * `real`), it is no hard link to a file of the STUI home, and it has no other name unless it is
 * in node_modules.
 */
export function checkOpened(fd: number, real: string, stat: Stats, policy: ReadPolicy, file: string = real): void {
  if (process.platform === "linux") {
    let opened: string | undefined;
    try {
      opened = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      opened = undefined; // no /proc here (some containers): the path checks before the open are all there is
    }
    if (opened !== undefined && opened !== real) throw new ReadRefused(`${file} changed while it was being read: a folder on its path was replaced (it opened ${opened})`);
  }
  if (policy.deniedFiles.has(`${stat.dev}:${stat.ino}`)) throw new ReadRefused(`a stui script may not bundle ${file}: it is a hard link to a file of the STUI home`);
  if (stat.nlink > 1 && !real.split(path.sep).includes("node_modules")) {
    throw new ReadRefused(`a stui script may not bundle ${file}: it has ${stat.nlink} names (hard links), and the others may be anywhere; copy the file instead of linking it`);
  }
}

/**
 * Files esbuild reads while resolving, before any loader runs (package.json, tsconfig.json,
 * jsconfig.json in the script's folder and its parents). A FIFO there would hang the bundler
 * itself; refuse it up front with a clear message. (Anything deeper is bounded by the build's
 * time limit.)
 */
export function checkResolverFiles(script: string): void {
  for (let dir = path.dirname(realOr(script)); ; dir = path.dirname(dir)) {
    for (const name of ["package.json", "tsconfig.json", "jsconfig.json"]) {
      const file = path.join(dir, name);
      let stat;
      try {
        stat = lstatSync(file);
      } catch {
        continue;
      }
      if (!stat.isFile() && !stat.isSymbolicLink()) throw new ReadRefused(`${file} is not a regular file: stui will not bundle next to it`);
      if (stat.isSymbolicLink()) {
        try {
          if (!lstatSync(realpathSync(file)).isFile()) throw new ReadRefused(`${file} does not point to a regular file: stui will not bundle next to it`);
        } catch (error) {
          if (error instanceof ReadRefused) throw error;
        }
      }
    }
    if (path.dirname(dir) === dir) return;
  }
}
