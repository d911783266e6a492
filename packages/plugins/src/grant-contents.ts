// What a granted folder holds, checked before anything runs (red team findings 11 and 15). The
// namespaces cannot help with two kinds of entry inside a grant:
//
//   - unix sockets (a STUI server's ipc:// endpoint, docker.sock, an ssh agent): bound into the
//     sandbox with their folder, they lead to the program behind them, past every check. Refused at
//     every level (at "full" the seccomp filter also refuses socket(AF_UNIX) without --allow-net).
//   - symlinks that lead out of every grant: below "full" the sandbox sees the host's filesystem
//     and Node's permission model checks the path it is given, not where it leads, so a write (or
//     read) through such a link lands outside the grant. Refused below "full"; at "full" a link
//     resolves inside the sandbox's own filesystem, where only the grants exist.
//
// The walk uses lstat (never follows a link) and looks at MAX_ENTRIES entries at most over all
// grants. A grant too big to check is refused, unless the OS layer refuses both what the walk is
// for: at "full" (a link resolves inside the sandbox) with a seccomp filter that refuses unix
// sockets (no --allow-net; red team 2, finding 5: with --allow-net the filter lets socket(AF_UNIX)
// through for the proxy, and a socket past the cap was reached).
//
// And what a path check cannot see (red team 3, finding 2): a hard link, or a bind mount, that
// makes a file or folder of stui's own code, or of the STUI home, also appear inside a grant.
// Every folder's (device, inode) is compared with those of stui's code folders and of the home;
// a file with more than one name is refused in a write grant (writing it changes it under every
// name), and in a read grant when it is one of the home's files.
// It sees the folder as it is at the start: a socket or link made later, by another process, is
// not seen (the README says so). An entry that vanishes while it is walked (a folder being
// emptied, /proc's fd entries) is skipped; one that cannot be read is refused by name, never a
// crash (red team 2, finding 7).

import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { fileIds } from "./bundle-guard.js";
import { GrantError } from "./fs-grants.js";
import { hostCode } from "./host-code.js";
import type { IsolationLevel, PathGrant } from "./isolation.js";
import { seccompFilter } from "./seccomp.js";

export const MAX_ENTRIES = 10_000;

const inside = (child: string, parent: string): boolean => child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);

const gone = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === "ENOENT";

/** The GrantError for an entry the walk cannot look at (EACCES, ELOOP, EIO …). */
function unreadable(flag: Flag, grant: PathGrant, entry: string, error: unknown): GrantError {
  const e = error as NodeJS.ErrnoException;
  return new GrantError(`${flag} ${grant.given}: cannot check ${entry} (${e.code ?? e.message}); stui must see every entry of a grant for socketsand links that lead out. Grant a folder you can read`);
}

/** Where a link leads on the host: its target's real path, or (dangling) the real path of the nearest folder that exists, plus the rest. */
function whereItLeads(link: string): string {
  let p = path.resolve(path.dirname(link), readlinkSync(link));
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync(p), ...rest);
    } catch {
      if (path.dirname(p) === p) return path.join(p, ...rest);
      rest.unshift(path.basename(p));
      p = path.dirname(p);
    }
  }
}

type Flag = "--allow-fs-read" | "--allow-fs-write";

/** Whether the OS layer alone keeps a script from a unix socket in a grant: "full", a seccomp filter for this machine, and no --allow-net (whose proxy needs socket(AF_UNIX)). */
export function osRefusesUnixSockets(level: IsolationLevel, netGranted: boolean): boolean {
  return level === "full" && !netGranted && seccompFilter() !== undefined;
}

/** Why a grant over the cap cannot be left unchecked at this level, for the error. */
function whyEveryEntry(level: IsolationLevel, netGranted: boolean): string {
  if (level !== "full") return `At isolation level "${level}" stui must check every entry for symlinks that lead out of the grants and for unix sockets; grant a smaller folder, or use full isolation (bubblewrap)`;
  if (netGranted) return "With --allow-net the sandbox can open unix sockets (the network proxy is one), so stui must check every entry for a unix socket; grant a smaller folder, or run without --allow-net";
  return `There is no seccomp filter for ${process.arch} to refuse unix sockets, so stui must check every entry for one; grant a smaller folder`;
}

const idOf = (st: { dev: number; ino: number }): string => `${st.dev}:${st.ino}`;

/** What a grant may not hold under another name: the folders of stui's code (for writing) and of the home, and the home's files. */
interface Guarded {
  /** "dev:ino" of a folder → what it is, and whether a read grant may hold it. */
  folders: Map<string, { what: string; readable: boolean }>;
  homeFiles: Set<string>;
}

function guardedFor(home: string | undefined): Guarded {
  const folders = new Map<string, { what: string; readable: boolean }>();
  let code: { path: string; what: string }[] = [];
  try {
    code = hostCode();
  } catch {
    // Host code that cannot be found: write grants are refused already (fs-grants.ts).
  }
  for (const c of code) {
    try {
      const st = statSync(c.path);
      if (st.isDirectory()) folders.set(idOf(st), { what: c.what, readable: true });
    } catch {
      // gone: nothing to guard
    }
  }
  let homeFiles = new Set<string>();
  if (home !== undefined) {
    try {
      folders.set(idOf(statSync(home)), { what: "the STUI home (keys, history, bundle cache)", readable: false });
      homeFiles = fileIds(home);
    } catch {
      // no home yet
    }
  }
  return { folders, homeFiles };
}

/**
 * Throws a GrantError naming the first socket, link leading out, or other name of stui's code or
 * the STUI home (`home`) found in the grants (or saying the grants are too big to check).
 */
export function checkGrantContents(read: readonly PathGrant[], write: readonly PathGrant[], level: IsolationLevel, netGranted: boolean, home?: string): void {
  const capIsSafe = osRefusesUnixSockets(level, netGranted);
  const guarded = guardedFor(home);
  const paths = (grants: readonly PathGrant[]): string[] => grants.flatMap((g) => [g.real, g.given]);
  // A link in a read grant may lead into any grant; a link in a write grant only into a write grant.
  const within = { "--allow-fs-read": [...paths(read), ...paths(write)], "--allow-fs-write": paths(write) };
  let seen = 0;
  const visit = (flag: Flag, grant: PathGrant, entry: string): void => {
    if (++seen > MAX_ENTRIES) {
      if (capIsSafe) return;
      throw new GrantError(`${flag} ${grant.given}: too many entries to check (over ${MAX_ENTRIES} in all grants). ${whyEveryEntry(level, netGranted)}`);
    }
    let stat;
    try {
      stat = lstatSync(entry);
    } catch (error) {
      if (gone(error)) return; // deleted meanwhile: nothing left to reach
      throw unreadable(flag, grant, entry, error);
    }
    if (stat.isSocket()) {
      throw new GrantError(`${flag} ${grant.given}: ${entry} is a unix socket; a script could reach the program listening on it (a server's ipc:// endpoint, docker.sock, an ssh agent) past every check. Grant a folder without sockets`);
    }
    if (stat.isSymbolicLink()) {
      if (level === "full") return;
      let target: string;
      try {
        target = whereItLeads(entry);
      } catch (error) {
        if (gone(error)) return;
        throw unreadable(flag, grant, entry, error);
      }
      if (within[flag].some((g) => inside(target, g))) return;
      throw new GrantError(`${flag} ${grant.given}: ${entry} is a symlink to ${target}, outside ${flag === "--allow-fs-write" ? "every write grant" : "every grant"}. At isolation level "${level}" a script would ${flag === "--allow-fs-write" ? "write" : "read"} through it (Node's permission model follows symlinks); remove the link, grant a folder without it, or use full isolation (bubblewrap)`);
    }
    if (stat.isFile() && stat.nlink > 1) {
      if (flag === "--allow-fs-write") {
        throw new GrantError(`${flag} ${grant.given}: ${entry} has ${stat.nlink} names (a hard link); writing it would change the file under its other names too, which may lie outside the grant (stui's own code, say). Grant a folder without hard links, or copy the file`);
      }
      if (guarded.homeFiles.has(idOf(stat))) throw new GrantError(`${flag} ${grant.given}: ${entry} is a hard link to a file of the STUI home, which a script may never read`);
    }
    if (!stat.isDirectory()) return;
    const other = guarded.folders.get(idOf(stat));
    if (other && (flag === "--allow-fs-write" || !other.readable)) {
      throw new GrantError(`${flag} ${grant.given}: ${entry} is ${other.what} under another name (a bind mount); a script may never ${flag === "--allow-fs-write" ? "write" : "read"} it. Grant a folder that does not hold it`);
    }
    let names: string[];
    try {
      names = readdirSync(entry);
    } catch {
      return; // unreadable by the user: unreadable by the script too
    }
    for (const name of names) {
      if (seen > MAX_ENTRIES && capIsSafe) return;
      visit(flag, grant, path.join(entry, name));
    }
  };
  for (const grant of read) visit("--allow-fs-read", grant, grant.real);
  for (const grant of write) visit("--allow-fs-write", grant, grant.real);
}
