// `stui check`: type-check scripts as `stui run` sees them (check.ts).

import { existsSync } from "node:fs";
import { UsageError, parse, type CliIo } from "./cli-args.js";
import { EXIT } from "./exit-codes.js";

export const CHECK_USAGE = `Usage: stui check <script.ts>… [--json]

Type-checks scripts the way \`stui run\` sees them, like \`deno check\`: strict TypeScript,
ES modules with top-level await, the global \`stui\` object and \`@stui/plugins\` declared
(as this host provides them, whether or not the project installed the package), Node's
types. No tsconfig.json is read. Nothing runs; nothing is written.
\`stui run --check\` does the same before running.

Options:
  --json       one JSON object: { "ok", "files": [<path>…], "diagnostics": [ { "file"?, "line"?,
               "column"?, "code", "message" } … ] }
  -h, --help   this help

Exit codes: 0 no type errors, 1 type errors, 2 usage error.
`;

export async function checkCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    io.out(CHECK_USAGE);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError("missing the script(s) to check");
  for (const p of positionals) if (!existsSync(p)) throw new UsageError(`no such script: ${p}`);
  const { checkScripts, checkSummary } = await import("./check.js");
  const result = await checkScripts(positionals);
  const ok = result.diagnostics.length === 0;
  if (values.json) io.out(JSON.stringify({ ok, files: result.files, diagnostics: result.diagnostics }));
  else if (!ok) io.out(result.text.trimEnd());
  io.err(checkSummary(result));
  return ok ? EXIT.ok : EXIT.scriptError;
}
