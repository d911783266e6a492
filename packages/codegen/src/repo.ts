/** Finding the repository root (the protocol versions in it: releases.ts). */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** The nearest folder at or above `from` whose package.json declares workspaces. */
export function findRepoRoot(from: string = process.cwd()): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { workspaces?: unknown }).workspaces) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no repository root (a package.json with "workspaces") at or above ${from}`);
    dir = up;
  }
}
