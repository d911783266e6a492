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
// blocking, and checked again (fstat) to be that same regular file.

import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";

export interface ReadPolicy {
  /** Real folders whose files the script may bundle. */
  allowed: readonly string[];
  /** Real folders never read, even inside an allowed one. */
  denied: readonly string[];
}

const SYSTEM_DENIED = ["/proc", "/dev", "/sys"];

const within = (file: string, dir: string): boolean => file === dir || file.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);

const realOr = (p: string): string => {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
};

/** The policy for one script: its folder, the node_modules above it, the host's runtime; never the STUI home. */
export function readPolicy(script: string, options: { home: string; runtime: readonly string[] }): ReadPolicy {
  const folder = path.dirname(realOr(script));
  const allowed = [folder];
  for (let dir = folder; ; dir = path.dirname(dir)) {
    allowed.push(path.join(dir, "node_modules"));
    if (path.dirname(dir) === dir) break;
  }
  allowed.push(...options.runtime.map(realOr));
  return { allowed: [...new Set(allowed)], denied: [...SYSTEM_DENIED, realOr(options.home)] };
}

export class ReadRefused extends Error {
  override readonly name = "ReadRefused";
}

/** Refuses (throws ReadRefused) unless `file` is a regular file the policy allows; answers its real path. */
export function checkReadable(file: string, policy: ReadPolicy): string {
  let real: string;
  try {
    real = realpathSync(file);
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
    return readFileSync(fd);
  } finally {
    closeSync(fd);
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
