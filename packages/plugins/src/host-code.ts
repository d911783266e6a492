// The code `stui` itself runs, unsandboxed, every time it starts: a write grant over any of it
// would let a sandboxed script plant code that the next `stui` command runs with all the
// person's rights (red team finding 10: `--allow-fs-write=.` from the repository root, the
// README's own example then, let a script append to bin/stui.js). Such a grant is refused like
// one over the STUI home. What counts as the host's code, all through realpath:
//   - the @stui/plugins package folder, and the packages it loads (@stui/client, esbuild and its
//     platform binary, @babel/parser, typescript, zeromq), wherever they resolve;
//   - every node_modules folder holding any of them (npm installs the rest there);
//   - Node itself (process.execPath), and the global node_modules next to it (npm and npx,
//     which launch stui in the README's commands);
//   - the .git folder of a repository holding any of them (hooks, config: git runs them), and the
//     common .git folder of a worktree.
// A package is found by its folder, the way Node finds it before it reads the package's
// `exports` (red team 2, finding 2: `require.resolve("@stui/client")` followed the `default`
// export to a dist/ that the repository does not have, threw, and the package the host runs —
// through the `stui-source` condition — was silently left writable). A package stui needs that
// cannot be found at all is not skipped: write grants are refused until it is (fail closed).

import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface HostCode {
  /** A folder or file of the host's code (real path). */
  path: string;
  /** What it is, for messages. */
  what: string;
}

/** The packages the host loads at run time (their folders are host code wherever they are installed). */
const LOADED = ["@stui/client", "esbuild", "@babel/parser", "typescript", "zeromq"];
/** Those stui runs without (a dependency of a dependency that may be missing): skipped when not found. */
const OPTIONAL = new Set(["zeromq"]);

/** Write grants cannot be checked: a package stui loads was not found (its folder could be anywhere). */
export class HostCodeUnknown extends Error {
  override readonly name = "HostCodeUnknown";
}

const real = (p: string): string | undefined => {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
};

/** The folder of the package `file` belongs to (nearest package.json above it). */
function packageFolder(file: string): string | undefined {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The .git folders of the repository holding `p` (a worktree's own and its common one), if any. */
function gitFolders(p: string): string[] {
  for (let dir = p; ; dir = path.dirname(dir)) {
    const dotGit = path.join(dir, ".git");
    try {
      if (statSync(dotGit).isDirectory()) return [dotGit];
      // A worktree or submodule: ".git" is a file naming the real folder; a worktree's hooks and config are in the common one.
      const gitdir = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, "utf8"))?.[1]?.trim();
      if (!gitdir) return [];
      const own = path.resolve(dir, gitdir);
      const commondir = path.join(own, "commondir");
      return existsSync(commondir) ? [own, path.resolve(own, readFileSync(commondir, "utf8").trim())] : [own];
    } catch {
      // No .git here: look further up.
    }
    if (path.dirname(dir) === dir) return [];
  }
}

/**
 * The folder of package `name` as seen from `from`: the first `node_modules/<name>` with a
 * package.json on Node's lookup path (what Node does before reading `exports`, so whatever
 * condition picks the file — `stui-source`, `import`, `default` — it lies in this folder); else
 * the folder of the file `import.meta.resolve` gives with this process's own conditions.
 */
export function packageFolderOf(name: string, from: string = import.meta.url): string | undefined {
  const require = createRequire(from);
  for (const dir of require.resolve.paths(name) ?? []) {
    const folder = path.join(dir, name);
    if (existsSync(path.join(folder, "package.json"))) return folder;
  }
  if (from !== import.meta.url) return undefined; // import.meta.resolve resolves from this module only
  try {
    return packageFolder(fileURLToPath(import.meta.resolve(name)));
  } catch {
    return undefined;
  }
}

/** The global node_modules of this Node (npm and npx live there): <prefix>/lib/node_modules, or <prefix>/node_modules on Windows. */
function globalModules(): string {
  const bin = path.dirname(process.execPath);
  return process.platform === "win32" ? path.join(bin, "node_modules") : path.join(path.dirname(bin), "lib", "node_modules");
}

/** The folders of `names` (see packageFolderOf), and those not found that are not optional. */
export function locatePackages(names: readonly string[], from: string = import.meta.url): { folders: Map<string, string>; missing: string[] } {
  const folders = new Map<string, string>();
  const missing: string[] = [];
  for (const name of names) {
    const folder = packageFolderOf(name, from);
    if (folder) folders.set(name, folder);
    else if (!OPTIONAL.has(name)) missing.push(name);
  }
  return { folders, missing };
}

let cached: HostCode[] | undefined;
let missing: string[] = [];

/** The host's own code, as real paths (computed once per process). */
export function hostCode(): HostCode[] {
  if (cached) return cached;
  const found = new Map<string, string>();
  const add = (p: string | undefined, what: string): void => {
    const r = p === undefined ? undefined : real(p);
    if (r !== undefined && !found.has(r)) found.set(r, what);
  };
  const self = packageFolder(fileURLToPath(import.meta.url));
  add(self, "the @stui/plugins package (stui itself)");
  if (self) add(path.join(self, "node_modules"), "the node_modules of @stui/plugins");
  const loaded = locatePackages(LOADED);
  for (const [name, folder] of loaded.folders) add(folder, `the ${name} package, which stui loads`);
  missing = loaded.missing;
  add(process.execPath, "Node itself");
  add(globalModules(), "the global node_modules (npm and npx, which start stui)");
  // The node_modules folders holding these (esbuild's platform binary, @esbuild/<platform>, and
  // every other dependency are in them), and the repository around them.
  for (const p of [...found.keys()]) {
    for (let dir = p; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
      if (path.basename(dir) === "node_modules") add(dir, "a node_modules folder stui loads code from");
    }
    for (const g of gitFolders(p)) add(g, "the .git folder of the repository holding stui (git runs its hooks)");
  }
  cached = [...found].map(([p, what]) => ({ path: p, what }));
  return cached;
}

const inside = (child: string, parent: string): boolean => child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);

/**
 * The host code a write grant of `dirs` (real and given paths) would cover or lie in, if any;
 * throws HostCodeUnknown when a package stui loads cannot be found (nothing can be said then).
 */
export function hostCodeOverlap(dirs: readonly string[]): HostCode | undefined {
  const code = hostCode();
  if (missing.length > 0) throw new HostCodeUnknown(`stui cannot find the folder of ${missing.join(", ")}, which it loads, so it cannot tell whether a write grant covers its own code: write grants are refused (reinstall stui)`);
  return code.find((c) => dirs.some((d) => inside(c.path, d) || inside(d, c.path)));
}
