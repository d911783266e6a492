// `stui list`: each plugin file's declaration, read from its source (plugin-declaration.ts).
// No plugin code runs and no sandbox starts.

import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { PluginDeclaration } from "./permissions.js";
import { readDeclaration } from "./plugin-declaration.js";
import { listPluginFiles } from "./plugin-dir.js";

export interface DescribeResult {
  file: string;
  plugin?: PluginDeclaration;
  /** Why the file is not a plugin stui can run, in full. */
  error?: string;
  /** Where in the file the problem is (1-based), when the parser or reader knows. */
  line?: number;
  column?: number;
  /** That line of the file, for showing. */
  sourceLine?: string;
}

export function describePluginFile(file: string): DescribeResult {
  let source: string;
  try {
    // listPluginFiles keeps regular files only; a file swapped for a FIFO since is refused, not read.
    if (!statSync(file).isFile()) return { file, error: "not a regular file" };
    source = readFileSync(file, "utf8");
  } catch (error) {
    return { file, error: `cannot be read: ${(error as Error).message}` };
  }
  const declaration = readDeclaration(source, file);
  switch (declaration.kind) {
    case "plugin":
      return { file, plugin: declaration.plugin };
    case "script":
      return { file, error: "not a plugin (no default export)" };
    case "unreadable": {
      const { line, column } = declaration;
      const sourceLine = line !== undefined ? source.split("\n")[line - 1] : undefined;
      return { file, error: declaration.error, ...(line !== undefined ? { line, column } : {}), ...(sourceLine !== undefined ? { sourceLine } : {}) };
    }
  }
}

/** The name `stui run <name>` finds a plugin file by: its declared name, else its file name. */
export function stemOf(file: string): string {
  const base = path.basename(file).replace(/\.(ts|mts|js|mjs)$/, "");
  return base === "index" ? path.basename(path.dirname(file)) : base;
}

/** One warning per name that more than one plugin declares (`stui run <name>` could not tell them apart). */
export function duplicateNames(results: readonly DescribeResult[], shown: (file: string) => string): string[] {
  const byName = new Map<string, string[]>();
  for (const r of results) {
    if (!r.plugin) continue;
    byName.set(r.plugin.name, [...(byName.get(r.plugin.name) ?? []), r.file]);
  }
  return [...byName]
    .filter(([, files]) => files.length > 1)
    .map(([name, files]) => `${files.length} plugins are named "${name}" (${files.map(shown).join(", ")}): \`stui run ${name}\` refuses to guess; rename all but one`);
}

/** The error of a file that is not a plugin, as `file:line:column: message` and the line it points at. */
export function formatUnreadable(r: DescribeResult, shown: string): string {
  const where = r.line !== undefined ? `${shown}:${r.line}:${r.column ?? 1}` : shown;
  const lines = [`${where}: ${r.error ?? "unknown problem"}`];
  if (r.sourceLine !== undefined) lines.push(`    ${r.sourceLine}`, `    ${" ".repeat(Math.max(0, (r.column ?? 1) - 1))}^`);
  return lines.join("\n");
}

/**
 * `stui run <name>`: the plugin file in the folders whose declared name, or file name (hello.ts,
 * hello/index.ts), is `name`. Several → all of them (the caller refuses to guess).
 */
export function findPlugins(name: string, folders: readonly string[]): string[] {
  const found: string[] = [];
  for (const folder of folders) {
    for (const file of listPluginFiles(folder)) {
      if (stemOf(file) === name || describePluginFile(file).plugin?.name === name) found.push(file);
    }
  }
  return [...new Set(found)];
}
