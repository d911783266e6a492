// A refusal by the sandbox's own layers (Node's permission model inside the child), turned into
// a STUI permission denial: exit 3, naming what was refused and the flag that would allow it.
//
// The child reports the error, so this is what the script says, not what the host saw. It is
// believed only when it is true as far as the host can tell: a write refused on a path outside
// every write grant, a read outside every read grant, a process started without a run grant.
// A script can therefore make its run end with 3 only by claiming a refusal that the grants
// really imply; never 4 or 124, which stay the host's own observations.

import path from "node:path";
import { hostCodeOverlap } from "./host-code.js";

/** Whether `dir` holds or lies in stui's own code (yes when that cannot be told: a write grant of it would be refused). */
function holdsHostCode(dir: string): boolean {
  try {
    return hostCodeOverlap([dir]) !== undefined;
  } catch {
    return true;
  }
}
import type { SerializedError } from "./ipc.js";
import { INSIDE, type PathGrant } from "./isolation.js";
import type { RunLayout } from "./os-grants.js";
import { inSandboxWorkDir } from "./sandbox-process.js";

/** What the sandbox refused, in the vocabulary of `stui run`'s flags. */
export interface AccessDenial {
  /** The flag's name without --allow-: fs-read, fs-write, run, net. */
  grant: "fs-read" | "fs-write" | "run" | "net";
  /** The path refused (fs-read, fs-write). */
  resource?: string;
  message: string;
}

const within = (p: string, dir: string): boolean => p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
const covered = (p: string, grants: readonly PathGrant[]): boolean => grants.some((g) => within(p, g.real) || within(p, g.given));

/** The denial a script's uncaught error stands for, when the grants bear it out; undefined otherwise. */
export interface Granted {
  read: readonly PathGrant[];
  write: readonly PathGrant[];
  run: RunLayout | undefined;
  cwd: string | undefined;
  /** Destinations (host:port) the host's network proxy refused in this run. */
  netDenied?: ReadonlySet<string>;
  /** Whether --allow-net was given: without it, every outgoing connection is refused. */
  netGranted?: boolean;
}

export function accessDenial(error: SerializedError, grants: Granted): AccessDenial | undefined {
  // fetch reports a refused connection as "fetch failed", the refusal being its cause.
  const e = error.code === "ERR_ACCESS_DENIED" ? error : error.cause?.code === "ERR_ACCESS_DENIED" ? error.cause : undefined;
  if (!e?.access) return undefined;
  const { permission, resource } = e.access;
  // A relative path is relative to the child's working folder: the person's current folder when
  // a grant covers it, else the sandbox's empty one.
  const file = resource === "" ? undefined : path.isAbsolute(resource) ? path.normalize(resource) : path.resolve(grants.cwd ?? INSIDE.work, resource);
  switch (permission) {
    case "FileSystemWrite":
      if (!file || covered(file, grants.write)) return undefined;
      if (inSandboxWorkDir(file)) {
        // Where `.` holds stui's own code (a project with stui in node_modules), it cannot be granted: say what can.
        const fix = holdsHostCode(process.cwd()) ? `pass an absolute path under a granted folder (e.g. --allow-fs-write=out -- "$PWD/out/${path.basename(file)}"): the current folder holds stui's own code, which is never granted for writing` : "run again with --allow-fs-write=. (or write under a granted folder)";
        return { grant: "fs-write", resource: file, message: `permission denied: writing ${path.basename(file)} (a relative path): the script works in an empty folder of the sandbox because the current folder is not granted; ${fix}` };
      }
      return { grant: "fs-write", resource: file, message: `permission denied: writing ${file} needs a write grant: run again with --allow-fs-write=${path.dirname(file)}` };
    case "FileSystemRead":
      if (!file || covered(file, grants.read) || covered(file, grants.write)) return undefined;
      if (inSandboxWorkDir(file)) return { grant: "fs-read", resource: file, message: `permission denied: reading ${path.basename(file)} (a relative path): the script works in an empty folder of the sandbox because the current folder is not granted; run again with --allow-fs-read=. (or read under a granted folder)` };
      return { grant: "fs-read", resource: file, message: `permission denied: reading ${file} needs a read grant: run again with --allow-fs-read=${path.dirname(file)}` };
    case "ChildProcess": {
      if (!grants.run) return { grant: "run", ...(resource ? { resource } : {}), message: `permission denied: starting a process${resource ? ` (${resource})` : ""} needs a run grant: run again with --allow-run=${resource ? path.basename(resource) : "<command>"}` };
      // Run is granted: a refusal names a command outside the list (the runtime says which).
      const command = path.basename(resource);
      if (!resource || grants.run.all || grants.run.commands.some((c) => c.name === resource || c.name === command)) return undefined;
      return { grant: "run", resource, message: `permission denied: ${resource} is not among the granted commands (${grants.run.commands.map((c) => c.name).join(", ")}): run again with --allow-run=${[...grants.run.commands.map((c) => c.name), resource].join(",")}` };
    }
    case "Net":
      // Without --allow-net no connection is granted, so a refusal is what the grants imply;
      // with it, only what the host's own proxy refused (the host saw it).
      if (grants.netGranted === false) return { grant: "net", resource, message: `permission denied: ${e.message}` };
      if (!grants.netDenied?.has(resource)) return undefined;
      return { grant: "net", resource, message: e.message };
    default:
      return undefined;
  }
}
