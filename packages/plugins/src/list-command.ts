// `stui list`: the plugins of the project's plugin folder, read statically (no plugin code runs).

import path from "node:path";
import { UsageError, pad, parse, type CliIo } from "./cli-args.js";
import { EXIT } from "./exit-codes.js";
import { resolvePluginFolders, listPluginFiles } from "./plugin-dir.js";
import { describePluginFile, duplicateNames, formatUnreadable } from "./plugin-list.js";
import { printable } from "./terminal-text.js";

export const LIST_USAGE = `Usage: stui list [--json]

Lists the plugins in the project's plugin folder: STUI_PLUGIN_PATH, else the folder
named by package.json "stui": { "plugins": "<folder>" }, else ./stui-plugins.
Declarations are read from each file's source (export default definePlugin({ name,
description, permissions }) with literal values); no plugin code runs. \`stui run\`
grants from that same declaration and refuses a plugin that claims another at run time.
Name and description are one line of plain text (a control character is refused).
A file that is not a plugin stui can run is listed with its problem in full
(file:line:column); two plugins with the same name are warned about on stderr.

Options:
  --json       one JSON object on stdout:
                 { "folders": [<absolute folder>…],
                   "source": "STUI_PLUGIN_PATH" | "package.json" | "default",
                   "plugins": [ { "file", "name", "description", "permissions": [<class>…] }
                              | { "file", "error", "line"?, "column"? } … ],
                   "warnings": [<text>…] }
  -h, --help   this help

`;

export async function listCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    io.out(LIST_USAGE);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const { folders, source } = resolvePluginFolders(process.cwd());
  const results = folders.flatMap((f) => listPluginFiles(f)).map((f) => describePluginFile(f));
  // File names, source lines and errors are shown as text, never obeyed by the terminal (declarations with control characters are refused).
  const shown = (file: string): string => printable(path.relative(process.cwd(), file) || file);
  const warnings = duplicateNames(results, shown);
  if (values.json) {
    const plugins = results.map((r) =>
      r.plugin ? { file: r.file, ...r.plugin } : { file: r.file, error: r.error, ...(r.line !== undefined ? { line: r.line, column: r.column } : {}) },
    );
    io.out(JSON.stringify({ folders, source, plugins, warnings }, null, 2));
    for (const w of warnings) io.err(`stui: warning: ${printable(w)}`);
    return EXIT.ok;
  }
  io.out(`Plugin folder${folders.length === 1 ? "" : "s"} (from ${source}): ${folders.map((f) => printable(path.relative(process.cwd(), f) || ".")).join(", ")}`);
  const plugins = results.filter((r) => r.plugin);
  const broken = results.filter((r) => !r.plugin);
  if (plugins.length === 0) io.out("No plugins found.");
  else {
    const nameWidth = Math.max(4, ...plugins.map((r) => r.plugin!.name.length)) + 2;
    const permWidth = Math.max(11, ...plugins.map((r) => r.plugin!.permissions.join(",").length)) + 2;
    io.out(`${pad("NAME", nameWidth)}${pad("PERMISSIONS", permWidth)}DESCRIPTION`);
    for (const { plugin } of plugins) io.out(`${pad(printable(plugin!.name), nameWidth)}${pad(plugin!.permissions.join(",") || "(none)", permWidth)}${printable(plugin!.description)}`);
  }
  if (broken.length > 0) {
    io.out(`\n${broken.length === 1 ? "1 file is" : `${broken.length} files are`} not ${broken.length === 1 ? "a plugin" : "plugins"} stui can run:`);
    for (const r of broken) io.out(printable(formatUnreadable(r, shown(r.file)), { lines: true }).replace(/^/gm, "  "));
  }
  for (const w of warnings) io.err(`stui: warning: ${printable(w)}`);
  return EXIT.ok;
}
