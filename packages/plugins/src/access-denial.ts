// A refusal by the sandbox's own layers (Node's permission model inside the child), turned into
// a STUI permission denial: exit 3, naming what was refused and the flag that would allow it.
//
// The child reports the error, so this is what the script says, not what the host saw. It is
// believed only when it is true as far as the host can tell: a write refused on a path outside
// every write grant, a read outside every read grant, a process started without a run grant.
// A script can therefore make its run end with 3 only by claiming a refusal that the grants
// really imply; never 4 or 124, which stay the host's own observations.

import path from "node:path";
import type { SerializedError } from "./ipc.js";
import { INSIDE, type PathGrant } from "./isolation.js";
import { inSandboxWorkDir } from "./sandbox-process.js";

/** What the sandbox refused, in the vocabulary of `stui run`'s flags. */
export interface AccessDenial {
  /** The flag's name without --allow-: fs-read, fs-write, run. */
  grant: "fs-read" | "fs-write" | "run";
  /** The path refused (fs-read, fs-write). */
  resource?: string;
  message: string;
}

const within = (p: string, dir: string): boolean => p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
const covered = (p: string, grants: readonly PathGrant[]): boolean => grants.some((g) => within(p, g.real) || within(p, g.given));

/** The denial a script's uncaught error stands for, when the grants bear it out; undefined otherwise. */
export function accessDenial(e: SerializedError, grants: { read: readonly PathGrant[]; write: readonly PathGrant[]; run: boolean; cwd: string | undefined }): AccessDenial | undefined {
  if (e.code !== "ERR_ACCESS_DENIED" || !e.access) return undefined;
  const { permission, resource } = e.access;
  // A relative path is relative to the child's working folder: the person's current folder when
  // a grant covers it, else the sandbox's empty one.
  const file = resource === "" ? undefined : path.isAbsolute(resource) ? path.normalize(resource) : path.resolve(grants.cwd ?? INSIDE.work, resource);
  switch (permission) {
    case "FileSystemWrite":
      if (!file || covered(file, grants.write)) return undefined;
      if (inSandboxWorkDir(file)) return { grant: "fs-write", resource: file, message: `permission denied: writing ${path.basename(file)} (a relative path): the script works in an empty folder of the sandbox because the current folder is not granted; run again with --allow-fs-write=. (or write under a granted folder)` };
      return { grant: "fs-write", resource: file, message: `permission denied: writing ${file} needs a write grant: run again with --allow-fs-write=${path.dirname(file)}` };
    case "FileSystemRead":
      if (!file || covered(file, grants.read) || covered(file, grants.write)) return undefined;
      if (inSandboxWorkDir(file)) return { grant: "fs-read", resource: file, message: `permission denied: reading ${path.basename(file)} (a relative path): the script works in an empty folder of the sandbox because the current folder is not granted; run again with --allow-fs-read=. (or read under a granted folder)` };
      return { grant: "fs-read", resource: file, message: `permission denied: reading ${file} needs a read grant: run again with --allow-fs-read=${path.dirname(file)}` };
    case "ChildProcess":
      if (grants.run) return undefined;
      return { grant: "run", message: "permission denied: starting a process needs a run grant: run again with --allow-run=<command>" };
    default:
      return undefined;
  }
}
