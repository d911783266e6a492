// `stui list`: each plugin file's declaration, read from its source (plugin-declaration.ts).
// No plugin code runs and no sandbox starts.

import { statSync, readFileSync } from "node:fs";
import type { PluginDeclaration } from "./permissions.js";
import { readDeclaration } from "./plugin-declaration.js";

export interface DescribeResult {
  file: string;
  plugin?: PluginDeclaration;
  error?: string;
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
    case "unreadable":
      return { file, error: declaration.error };
  }
}
