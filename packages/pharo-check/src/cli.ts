/** `stui-pharo-check`: static checks of the STUI Pharo sources (Tonel v3) against the Pharo 12 index. */

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { emptyAllowList, loadAllowList } from "./allow-list.js";
import { checkTree, type CheckResult, type Problem } from "./checker.js";
import { parseCHeader, type CHeader } from "./ffi-check.js";
import { defaultIndexFile, loadPharoIndex, type PharoIndex } from "./pharo-index.js";

export const ALLOW_LIST_NAME = "pharo-check-allow.json";

/** Where Debian's libzmq3-dev puts the header our ZeroMQ binding is checked against. */
export const DEFAULT_C_HEADER = "/usr/include/zmq.h";

const HELP = `Usage: stui-pharo-check [options]

Checks the Tonel v3 sources of the STUI Pharo server without a Pharo VM:
  - parses every method (syntax errors as file:line:column of the .st file);
  - resolves class and global references against our classes and the Pharo 12 index;
  - checks that every sent selector is implemented (by the receiver's class when it is
    known: literals, class references, self/super, X new), and reports deprecated ones;
  - checks that leaf subclasses implement every abstract method of the STUI-Protocol
    (generated) classes they inherit from;
  - checks that every variable a method uses is declared.

Options:
  --root DIR      Tonel folder to check (default: <repo>/pharo/src)
  --index FILE    Pharo 12 index, plain or gzipped JSON (default: the one committed with this
                  checker, packages/pharo-check/index/pharo12-symbols.json.gz; rebuild it with
                  packages/pharo-check/scripts/build-index.ts). A missing index is an error.
  --no-index      Do not read any index; run only the checks that need none (for tests)
  --c-header FILE C header to check every ffiCall: signature and every constant method
                  commented "ZMQ_X from zmq.h" against (repeatable; default: /usr/include/zmq.h
                  when it exists — apt-get install libzmq3-dev; without one that check is skipped)
  --allow FILE    Allow-list (default: ${ALLOW_LIST_NAME} in the parent folder of --root, if present):
                  a JSON array of { "selector": "..." | "class": "...", "reason": "..." };
                  an entry without a reason is an error
  --json          Print one JSON document on stdout; the summary line then goes to stderr
  -h, --help      Show this help

The first line names the index used (path, repository, ref and commit it was built from).
Problems are printed as "path:line:col: kind: message" (path relative to the repo root),
sorted, then the summary line:
  pharo-check: <N> methods, <M> sends, <U> unresolved, <S> syntax errors, <D> deprecated
U counts unknown selectors, unknown classes, undeclared variables, missing handlers,
FFI signatures or constants that disagree with the C header, and allow-list errors; S counts syntax errors, including stores into arguments or into
self/super/thisContext/true/false/nil, which the compiler rejects. Exit status: 0 when U, S and D are all 0; 1 otherwise; 2 on bad usage.`;

/** The folder of the nearest package.json with "workspaces", walking up from `from`. */
export function findRepoRoot(from: string): string | undefined {
  let dir = resolve(from);
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { workspaces?: unknown }).workspaces) return dir;
      } catch {
        // not our package.json; keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function summaryLine(r: Pick<CheckResult, "methods" | "sends" | "unresolved" | "syntaxErrors" | "deprecated">): string {
  return `pharo-check: ${r.methods} methods, ${r.sends} sends, ${r.unresolved} unresolved, ${r.syntaxErrors} syntax errors, ${r.deprecated} deprecated`;
}

export function formatProblem(p: Problem, repoRoot: string): string {
  return `${relative(repoRoot, p.file) || p.file}:${p.line}:${p.column}: ${p.kind}: ${p.message}`;
}

export interface CliIo {
  cwd: string;
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo = (): CliIo => ({
  cwd: process.cwd(),
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
});

/** Runs the CLI; answers the exit code. */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  let values: { root?: string; index?: string; "no-index"?: boolean; allow?: string; "c-header"?: string[]; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        root: { type: "string" },
        index: { type: "string" },
        "no-index": { type: "boolean" },
        allow: { type: "string" },
        "c-header": { type: "string", multiple: true },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: false,
    }));
  } catch (e) {
    io.err(`stui-pharo-check: ${(e as Error).message}`);
    io.err("Try --help.");
    return 2;
  }
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const repoRoot = findRepoRoot(io.cwd) ?? io.cwd;
  const root = values.root ? resolve(io.cwd, values.root) : join(repoRoot, "pharo", "src");
  const notes: string[] = [];

  let index: PharoIndex | undefined;
  if (!values["no-index"]) {
    const indexPath = values.index !== undefined ? resolve(io.cwd, values.index) : defaultIndexFile();
    if (!existsSync(indexPath)) {
      io.err(`stui-pharo-check: index file ${indexPath} does not exist`);
      return 2;
    }
    try {
      index = loadPharoIndex(indexPath);
    } catch (e) {
      io.err(`stui-pharo-check: cannot read the index ${indexPath}: ${(e as Error).message}`);
      return 2;
    }
    const source = index.data.source;
    notes.push(`index: ${relative(repoRoot, indexPath) || indexPath} (${source?.repository ?? "?"} ${source?.ref ?? "?"} @ ${(source?.commit ?? "?").slice(0, 12)})`);
  } else {
    notes.push("--no-index given: the Pharo 12 index is not read");
  }

  const allowPath = values.allow ? resolve(io.cwd, values.allow) : join(dirname(root), ALLOW_LIST_NAME);
  if (values.allow && !existsSync(allowPath)) {
    io.err(`stui-pharo-check: allow-list ${allowPath} does not exist`);
    return 2;
  }
  const allowList = existsSync(allowPath) ? loadAllowList(allowPath) : emptyAllowList();

  const headerPaths = values["c-header"]?.map((h) => resolve(io.cwd, h)) ?? (existsSync(DEFAULT_C_HEADER) ? [DEFAULT_C_HEADER] : []);
  const cHeaders: CHeader[] = [];
  for (const path of headerPaths) {
    if (!existsSync(path)) {
      io.err(`stui-pharo-check: C header ${path} does not exist`);
      return 2;
    }
    cHeaders.push(parseCHeader(path, readFileSync(path, "utf8")));
  }

  const result = checkTree({ root, index, allowList, cHeaders });
  const summary = summaryLine(result);
  const allNotes = [...notes, ...result.notes.map((n) => n.replace(root, relative(repoRoot, root) || root))];

  if (values.json) {
    const doc = {
      root: relative(repoRoot, root) || ".",
      index: index ? relative(repoRoot, index.path) : null,
      allowList: allowList.path ? relative(repoRoot, allowList.path) : null,
      files: result.files,
      methods: result.methods,
      sends: result.sends,
      unresolved: result.unresolved,
      syntaxErrors: result.syntaxErrors,
      deprecated: result.deprecated,
      skippedChecks: result.skipped,
      notes: allNotes,
      problems: result.problems.map((p) => ({ ...p, file: relative(repoRoot, p.file) || p.file })),
    };
    io.out(JSON.stringify(doc, null, 2));
    io.err(summary);
  } else {
    for (const n of allNotes) io.out(`pharo-check: note: ${n}`);
    for (const s of result.skipped) io.out(`pharo-check: skipped: ${s}`);
    for (const p of result.problems) io.out(formatProblem(p, repoRoot));
    io.out(summary);
  }
  return result.unresolved > 0 || result.syntaxErrors > 0 || result.deprecated > 0 ? 1 : 0;
}
