// --allow-fs-read / --allow-fs-write folders, resolved before anything runs: through realpath
// (a symlink grants what it points to, and the sandbox mounts that), existing, and never
// overlapping the STUI home (keys, history, bundle cache): a grant that contains the home, or
// lies inside it, is refused, so no script can read the keys or poison the cache. A write grant
// over stui's own code (host-code.ts) is refused too: the next stui command would run it unsandboxed.
// So is a grant in or over the kernel's own file systems, /proc, /sys and /dev (red team 2, finding
// 8: a read grant of /proc, mounted over the sandbox's own, showed every host process's command
// line), as Deno asks --allow-all for them: the sandbox has a /proc and a /dev of its own.

import { realpathSync, statSync } from "node:fs";
import path from "node:path";
import { HostCodeUnknown, hostCodeOverlap } from "./host-code.js";
import type { PathGrant } from "./isolation.js";

export class GrantError extends Error {
  override readonly name = "GrantError";
}

const inside = (child: string, parent: string): boolean => child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);

/** The STUI home's real path (or its absolute path when it does not exist yet). */
export function realHome(home: string): string {
  try {
    return realpathSync(home);
  } catch {
    return path.resolve(home);
  }
}

/** Never granted, in them or over them: the host's processes, kernel and devices. */
const KERNEL_DIRS: Record<string, string> = {
  "/proc": "every process's command line, open files and memory maps",
  "/sys": "the kernel's and the devices' state and settings",
  "/dev": "the devices (disks, terminals, memory)",
};

export function resolveGrants(flag: "--allow-fs-read" | "--allow-fs-write", dirs: readonly string[], home: string): PathGrant[] {
  const homeReal = realHome(home);
  const homeGiven = path.resolve(home);
  return dirs.map((dir) => {
    // path.resolve("") is the current folder: `--allow-fs-write=$OUT` with OUT unset must not grant it (red team finding 20).
    if (dir.trim() === "") throw new GrantError(`${flag} needs a folder, and its value is empty (an unset variable, as in ${flag}=$OUT?); to grant the current folder, say ${flag}=.`);
    const given = path.resolve(dir);
    let real: string;
    try {
      real = realpathSync(given);
      statSync(real);
    } catch {
      throw new GrantError(`${flag} ${dir}: no such file or folder (create it first: mkdir -p ${dir})`);
    }
    for (const h of new Set([homeReal, homeGiven])) {
      if (inside(real, h) || inside(h, real) || inside(given, h) || inside(h, given)) {
        throw new GrantError(`${flag} ${dir}: ${real === given ? "" : `(${real}) `}overlaps the STUI home ${h} (keys, history, bundle cache), which a script may never ${flag === "--allow-fs-read" ? "read" : "write"}; grant a folder that neither contains it nor lies in it`);
      }
    }
    for (const [kernel, holds] of Object.entries(KERNEL_DIRS)) {
      if ([real, given].some((p) => inside(p, kernel) || inside(kernel, p))) {
        throw new GrantError(`${flag} ${dir}: ${real === given ? "" : `(${real}) `}${inside(kernel, real) && real !== kernel ? "contains" : "is in"} ${kernel}, which holds ${holds} of the host; stui never grants it (the sandbox has its own /proc and /dev). Copy what the script needs into a folder and grant that`);
      }
    }
    let code: ReturnType<typeof hostCodeOverlap>;
    try {
      code = flag === "--allow-fs-write" ? hostCodeOverlap([real, given]) : undefined;
    } catch (error) {
      if (error instanceof HostCodeUnknown) throw new GrantError(`${flag} ${dir}: ${error.message}`);
      throw error;
    }
    if (code) {
      throw new GrantError(
        `${flag} ${dir}: ${real === given ? "" : `(${real}) `}${inside(code.path, real) ? "contains" : "lies in"} ${code.path}, ${code.what}; a script may never write stui's own code (the next stui command would run it unsandboxed, with all your rights). Grant a dedicated output folder instead, e.g. --allow-fs-write=./out`,
      );
    }
    if (real.includes(",") || given.includes(",")) throw new GrantError(`${flag} ${dir}: a granted path cannot contain a comma (Node's permission flags cannot express it)`);
    return { real, given };
  });
}
