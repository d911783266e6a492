/** Finding the repository root and the current protocol schema. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
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

/** Protocol versions present under protocol/, oldest first: ["v1", "v2", …]. */
export function protocolVersions(root: string): string[] {
  const dir = join(root, "protocol");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => /^v\d+$/.test(d) && existsSync(join(dir, d, "stui.schema.json")))
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

/** Repo-relative path of the newest protocol schema. */
export function currentSchemaPath(root: string): string {
  const versions = protocolVersions(root);
  if (versions.length === 0) throw new Error(`no protocol/v<N>/stui.schema.json under ${root}`);
  return `protocol/${versions.at(-1)}/stui.schema.json`;
}
