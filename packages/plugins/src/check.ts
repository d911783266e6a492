// `stui check` and `stui run --check`: type-check scripts as `stui run` sees them, like `deno
// check` — without a tsconfig: strict TypeScript, ES modules with top-level await, the global
// `stui` object declared, `@stui/plugins` resolved to this host's own API whether or not the
// script's project installed it, and Node's types (the project's @types/node, else the one this
// package can find). Nothing runs and nothing is written.

import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CompilerOptions } from "typescript";

const loadTypeScript = async () => (await import("typescript")).default;
type TypeScript = Awaited<ReturnType<typeof loadTypeScript>>;

/** The global `stui` declaration every checked script sees. */
const GLOBAL_TYPES = fileURLToPath(new URL("../types/stui-global.d.ts", import.meta.url));
/** A file inside this package, to resolve @stui/plugins and @types/node from. */
const HERE = fileURLToPath(import.meta.url);

export interface CheckDiagnostic {
  file?: string;
  line?: number;
  column?: number;
  code: number;
  message: string;
}

export interface CheckResult {
  files: string[];
  diagnostics: CheckDiagnostic[];
  /** The diagnostics as tsc prints them (file(line,col): error TSnnnn: message), paths relative to `cwd`. */
  text: string;
}

function compilerOptions(ts: TypeScript): CompilerOptions {
  return {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    // Every script is a module (top-level await), imports or not, as it is for `stui run`.
    moduleDetection: ts.ModuleDetectionKind.Force,
    lib: ["lib.es2023.d.ts"],
    allowImportingTsExtensions: true,
    resolveJsonModule: true,
    esModuleInterop: true,
    allowJs: true,
    skipLibCheck: true,
    types: [],
    // In the repository the workspace packages resolve to their sources (as for every tool there).
    ...(HERE.endsWith(".ts") ? { customConditions: ["stui-source"] } : {}),
  };
}

/** @types/node's index, from the scripts' own project if it has one, else from this package. */
function nodeTypes(ts: TypeScript, from: string, options: CompilerOptions): string | undefined {
  for (const containing of [from, HERE]) {
    const resolved = ts.resolveTypeReferenceDirective("node", containing, options, ts.sys).resolvedTypeReferenceDirective?.resolvedFileName;
    if (resolved) return resolved;
  }
  try {
    return createRequire(HERE).resolve("@types/node/index.d.ts");
  } catch {
    return undefined;
  }
}

export async function checkScripts(scripts: readonly string[], cwd: string = process.cwd()): Promise<CheckResult> {
  const ts = await loadTypeScript();
  const files = scripts.map((s) => path.resolve(cwd, s));
  const options = compilerOptions(ts);
  const node = nodeTypes(ts, files[0] ?? path.join(cwd, "x.ts"), options);
  const roots = [...files, GLOBAL_TYPES, ...(node ? [node] : [])];
  const host = ts.createCompilerHost(options);
  // `@stui/plugins` is this host's API, as the bundler resolves it for `stui run`.
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, opts) =>
    literals.map((literal) => ts.resolveModuleName(literal.text, literal.text === "@stui/plugins" ? HERE : containingFile, opts, host, undefined, redirected));
  const program = ts.createProgram({ rootNames: roots, options, host });
  const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.category === ts.DiagnosticCategory.Error);
  const text = ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => cwd, getNewLine: () => "\n" });
  return {
    files,
    text,
    diagnostics: diagnostics.map((d) => {
      const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
      if (!d.file || d.start === undefined) return { code: d.code, message };
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      return { file: d.file.fileName, line: line + 1, column: character + 1, code: d.code, message };
    }),
  };
}

/** One line saying how a check went. */
export function checkSummary(result: CheckResult): string {
  const n = result.diagnostics.length;
  const what = `${result.files.length} file${result.files.length === 1 ? "" : "s"}`;
  return n === 0 ? `stui: check: ${what}, no type errors` : `stui: check: ${n} type error${n === 1 ? "" : "s"} in ${what}`;
}
