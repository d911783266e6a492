/**
 * Runs every target over one protocol schema and writes or checks the result.
 * Each target owns a folder (or a single file): anything in it that the
 * generator would not write is an orphan.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { type ProtocolSchema } from "./schema.js";
import { type HeaderFacts } from "./header.js";
import { typescriptFiles } from "./targets/typescript.js";
import { validatorFiles } from "./targets/validators.js";
import { pharoFiles } from "./targets/pharo.js";
import { docsFile } from "./targets/docs.js";

export const GENERATOR_NAME = "stui-codegen";

/** Where each target writes, relative to the repository root. */
export const LAYOUT = {
  typescript: "packages/client/src/gen",
  pharo: "pharo/src/STUI-Protocol",
  docs: "docs/protocol.md",
} as const;

export interface GeneratedOutput {
  /** Folders (relative to the root) the generator owns entirely. */
  ownedDirs: string[];
  /** Every file to write, by path relative to the root, with `/` separators. */
  files: Map<string, string>;
}

export function generatorVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

export function headerFacts(schema: ProtocolSchema, version = generatorVersion()): HeaderFacts {
  return { generator: GENERATOR_NAME, generatorVersion: version, schemaFile: schema.file, schemaSha256: schema.sha256 };
}

/** Everything the generator would write for this schema. Pure: no file is touched. */
export function generate(schema: ProtocolSchema, facts: HeaderFacts = headerFacts(schema)): GeneratedOutput {
  const files = new Map<string, string>();
  const add = (dir: string, entries: Map<string, string>) => {
    for (const [name, content] of entries) files.set(`${dir}/${name}`, content);
  };
  add(LAYOUT.typescript, typescriptFiles(schema, facts));
  add(LAYOUT.typescript, validatorFiles(schema, facts));
  add(LAYOUT.pharo, pharoFiles(schema, facts));
  files.set(LAYOUT.docs, docsFile(schema, facts));
  return { ownedDirs: [LAYOUT.typescript, LAYOUT.pharo], files: new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1))) };
}

function listFiles(root: string, dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(root, p).split(sep).join("/"));
    }
  };
  walk(abs);
  return out.sort();
}

export type DriftStatus = "changed" | "missing" | "orphaned";

export interface Drift {
  path: string;
  status: DriftStatus;
}

/** How the files on disk differ from what the generator would write. Empty when up to date. */
export function check(root: string, output: GeneratedOutput): Drift[] {
  const drift: Drift[] = [];
  for (const [path, content] of output.files) {
    const abs = join(root, path);
    if (!existsSync(abs)) drift.push({ path, status: "missing" });
    else if (readFileSync(abs, "utf8") !== content) drift.push({ path, status: "changed" });
  }
  for (const dir of output.ownedDirs) {
    for (const path of listFiles(root, dir)) {
      if (!output.files.has(path)) drift.push({ path, status: "orphaned" });
    }
  }
  return drift.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Writes what changed and removes orphans. Answers what it did. */
export function write(root: string, output: GeneratedOutput): Drift[] {
  const drift = check(root, output);
  for (const d of drift) {
    const abs = join(root, d.path);
    if (d.status === "orphaned") {
      rmSync(abs);
    } else {
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, output.files.get(d.path)!);
    }
  }
  return drift;
}
