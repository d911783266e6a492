// Where a project keeps its plugins: STUI_PLUGIN_PATH (folders separated by the
// platform's path delimiter), else package.json "stui": { "plugins": "<folder>" } in
// the nearest package.json, else ./stui-plugins.

import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

export interface PluginFolders {
  folders: string[];
  source: "STUI_PLUGIN_PATH" | "package.json" | "default";
}

export function resolvePluginFolders(cwd: string, env: NodeJS.ProcessEnv = process.env): PluginFolders {
  if (env.STUI_PLUGIN_PATH) {
    return { folders: env.STUI_PLUGIN_PATH.split(path.delimiter).filter(Boolean).map((f) => path.resolve(cwd, f)), source: "STUI_PLUGIN_PATH" };
  }
  // Bounded walk up to the filesystem root.
  let dir = path.resolve(cwd);
  for (let i = 0; i < 64; i++) {
    const pkg = path.join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        const json = JSON.parse(readFileSync(pkg, "utf8")) as { stui?: { plugins?: unknown } };
        if (typeof json.stui?.plugins === "string") return { folders: [path.resolve(dir, json.stui.plugins)], source: "package.json" };
      } catch {
        // An unreadable package.json configures nothing.
      }
      break;
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return { folders: [path.resolve(cwd, "stui-plugins")], source: "default" };
}

const SCRIPT = /\.(ts|mts|js|mjs)$/;
const NOT_PLUGIN = /(\.d\.ts|\.test\.(ts|mts|js|mjs))$/;

/** Plugin files in a folder: *.ts / *.mts / *.js / *.mjs, and sub-folders with an index file. */
export function listPluginFiles(folder: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(folder).sort();
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const name of entries) {
    const full = path.join(folder, name);
    let stat;
    try {
      stat = statSync(full);
    } catch {
      continue;
    }
    if (stat.isFile() && SCRIPT.test(name) && !NOT_PLUGIN.test(name)) files.push(full);
    else if (stat.isDirectory() && name !== "node_modules") {
      const index = ["index.ts", "index.mts", "index.js", "index.mjs"].map((i) => path.join(full, i)).find((i) => existsSync(i));
      if (index) files.push(index);
    }
  }
  return files;
}
