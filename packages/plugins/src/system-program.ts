// The programs the host runs to build a sandbox (bwrap, unshare, setpriv) come from the system's
// own folders only, never from PATH: `npx` puts node_modules/.bin first on PATH, so a package or a
// downloaded plugin folder could ship a `bwrap` that the host would run with all the user's rights.
//
// A program is trusted when it lies in one of SYSTEM_DIRS, and it and every folder on its real
// path belong to root (or to the user running stui) and are writable by no one else.

import { lstatSync, realpathSync, statSync } from "node:fs";
import path from "node:path";

/** Where system programs live, in the order looked at. */
export const SYSTEM_DIRS = ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/local/sbin"] as const;

/** Why `file` (absolute) is not safe to run, or undefined when it is. */
export function untrustedBecause(file: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return `${file} does not exist`;
  }
  const me = typeof process.getuid === "function" ? process.getuid() : 0;
  const owners = new Set([0, me]);
  const stat = statSync(real);
  if (!stat.isFile() || (stat.mode & 0o111) === 0) return `${real} is not an executable file`;
  for (let p = real; ; p = path.dirname(p)) {
    const s = lstatSync(p);
    if (!owners.has(s.uid)) return `${p} belongs to uid ${s.uid}`;
    // Writable by group or others (a sticky folder such as /tmp is writable by all: refused too).
    if ((s.mode & 0o022) !== 0) return `${p} is writable by other users`;
    if (path.dirname(p) === p) return undefined;
  }
}

/** The trusted system program `name`, or undefined (with the reason) when there is none. */
export function systemProgram(name: string): { file?: string; why?: string } {
  let why: string | undefined;
  for (const dir of SYSTEM_DIRS) {
    const file = path.join(dir, name);
    try {
      lstatSync(file);
    } catch {
      continue;
    }
    const bad = untrustedBecause(file);
    if (!bad) return { file };
    why ??= `${file} is not trusted: ${bad}`;
  }
  return { why: why ?? `${name} is not installed in ${SYSTEM_DIRS.join(", ")}` };
}
