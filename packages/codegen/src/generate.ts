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
import { versionValidatorsDir } from "./targets/versions.js";
import { type ProtocolHistory, newestSchema, servedVersions } from "./releases.js";
import { SinceIndex } from "./since.js";

export const GENERATOR_NAME = "stui-codegen";

/** Where each target writes, relative to the repository root. */
export const LAYOUT = {
  typescript: "packages/client/src/gen",
  pharo: "pharo/src/STUI-Protocol",
  docs: "docs/protocol.md",
  /** One typed client per released version older than the newest, generated as it was released (for the version-matrix tests). */
  clientFixtures: "test/fixtures/clients",
} as const;

export interface GeneratedOutput {
  /** Folders (relative to the root) the generator owns entirely. */
  ownedDirs: string[];
  /** Every file to write, by path relative to the root, with `/` separators. */
  files: Map<string, string>;
}

/** What one generation run works from. */
export interface GenerationInput {
  /** The schema the typed API, the Pharo handler and the docs come from. */
  newest: ProtocolSchema;
  /** Every version served, oldest first (the newest included). */
  served: ProtocolSchema[];
  /** The versions of the newest major, oldest first. */
  major: ProtocolSchema[];
  /** Released versions of the newest major (older than the newest) to generate a fixture client for. */
  fixtures: ProtocolSchema[];
}

export function inputFromSchema(schema: ProtocolSchema): GenerationInput {
  return { newest: schema, served: [schema], major: [schema], fixtures: [] };
}

export function inputFromHistory(history: ProtocolHistory): GenerationInput {
  const newest = newestSchema(history);
  const major = history.majors.at(-1)!;
  return {
    newest,
    served: servedVersions(history),
    major: major.versions,
    fixtures: major.releases.filter((r) => r.version !== newest.version),
  };
}

export function generatorVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

export function headerFacts(schema: ProtocolSchema, version = generatorVersion()): HeaderFacts {
  return { generator: GENERATOR_NAME, generatorVersion: version, schemaFile: schema.file, schemaSha256: schema.sha256 };
}

/** The TypeScript files of one client: typed API, tables and validators for `input.newest`, and each older version's validators. */
function clientFiles(input: GenerationInput, generatorVersionText: string | undefined, facts: HeaderFacts): Map<string, string> {
  const files = new Map<string, string>();
  const since = new SinceIndex(input.major);
  for (const [name, content] of typescriptFiles(input.newest, facts, since, input.served)) files.set(name, content);
  for (const [name, content] of validatorFiles(input.newest, facts)) files.set(name, content);
  for (const older of input.served) {
    if (older === input.newest) continue;
    const olderFacts = headerFacts(older, generatorVersionText ?? facts.generatorVersion);
    for (const [name, content] of validatorFiles(older, olderFacts)) files.set(`${versionValidatorsDir(older.version)}/${name}`, content);
  }
  return files;
}

/** Everything the generator would write. Pure: no file is touched. */
export function generate(source: ProtocolSchema | GenerationInput, facts?: HeaderFacts): GeneratedOutput {
  const input = "newest" in source ? source : inputFromSchema(source);
  const f = facts ?? headerFacts(input.newest);
  const files = new Map<string, string>();
  const add = (dir: string, entries: Map<string, string>) => {
    for (const [name, content] of entries) files.set(`${dir}/${name}`, content);
  };
  add(LAYOUT.typescript, clientFiles(input, f.generatorVersion, f));
  add(LAYOUT.pharo, pharoFiles(input.newest, f, input.served, new SinceIndex(input.major), (s) => headerFacts(s, f.generatorVersion)));
  files.set(LAYOUT.docs, docsFile(input.newest, f, new SinceIndex(input.major)));
  for (const released of input.fixtures) {
    const upTo = input.major.filter((s) => s === released || input.major.indexOf(s) < input.major.indexOf(released));
    const fixture: GenerationInput = { newest: released, served: upTo, major: upTo, fixtures: [] };
    add(`${LAYOUT.clientFixtures}/${released.version}`, clientFiles(fixture, f.generatorVersion, headerFacts(released, f.generatorVersion)));
  }
  const ownedDirs: string[] = [LAYOUT.typescript, LAYOUT.pharo];
  if (input.fixtures.length > 0) ownedDirs.push(LAYOUT.clientFixtures);
  return { ownedDirs, files: new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1))) };
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
