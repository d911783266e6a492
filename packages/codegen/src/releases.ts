/**
 * The version model on disk (docs/protocol-evolution.md):
 *
 *   protocol/v<N>/stui.schema.json               the working schema of major N (x-stui-version N.M)
 *   protocol/v<N>/releases/<N>.<M>.schema.json   every released version of major N, frozen byte for byte
 *
 * A server built from this repository serves every version found here: each release of every
 * major directory, plus the working schema when its version is not released yet.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type ProtocolSchema, parseProtocolSchema } from "./schema.js";
import { compareSchemas, neededBump, verdict, type Change, type CompatVerdict } from "./compat.js";
import { deepestRequest } from "./depth.js";

export interface MajorHistory {
  /** `v1` */
  dir: string;
  major: number;
  /** The working schema (protocol/v<N>/stui.schema.json). */
  working: ProtocolSchema;
  /** Frozen releases, oldest first. */
  releases: ProtocolSchema[];
  /** Every version this major serves, oldest first: the releases, plus the working schema if unreleased. */
  versions: ProtocolSchema[];
}

export interface ProtocolHistory {
  /** Oldest major first. */
  majors: MajorHistory[];
}

/** `MAJOR.MINOR` as a comparable pair. */
export function parseVersion(v: string): [number, number] {
  const m = /^(\d+)\.(\d+)$/.exec(v);
  if (!m) throw new Error(`not a MAJOR.MINOR version: ${v}`);
  return [Number(m[1]), Number(m[2])];
}

export function compareVersions(a: string, b: string): number {
  const [x, y] = [parseVersion(a), parseVersion(b)];
  return x[0] - y[0] || x[1] - y[1];
}

export const RELEASES_DIR = "releases";
export const releaseFile = (major: number, version: string) => `protocol/v${major}/${RELEASES_DIR}/${version}.schema.json`;
export const workingFile = (major: number) => `protocol/v${major}/stui.schema.json`;

function load(root: string, file: string): ProtocolSchema {
  return parseProtocolSchema(readFileSync(join(root, file), "utf8"), file);
}

/** Major directories under protocol/, oldest first: ["v1", "v2", …]. */
export function majorDirs(root: string): string[] {
  const dir = join(root, "protocol");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => /^v\d+$/.test(d) && existsSync(join(dir, d, "stui.schema.json")))
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

/** Reads every working schema and every frozen release. */
export function readHistory(root: string): ProtocolHistory {
  const majors = majorDirs(root).map((dir): MajorHistory => {
    const major = Number(dir.slice(1));
    const working = load(root, workingFile(major));
    const relDir = join(root, "protocol", dir, RELEASES_DIR);
    const releases = existsSync(relDir)
      ? readdirSync(relDir)
          .filter((f) => f.endsWith(".schema.json"))
          .map((f) => load(root, `protocol/${dir}/${RELEASES_DIR}/${f}`))
          .sort((a, b) => compareVersions(a.version, b.version))
      : [];
    const released = releases.some((r) => r.version === working.version);
    return { dir, major, working, releases, versions: released ? [...releases.slice(0, -1), working].sort((a, b) => compareVersions(a.version, b.version)) : [...releases, working] };
  });
  return { majors };
}

/** Every version served, oldest first, across majors. */
export function servedVersions(history: ProtocolHistory): ProtocolSchema[] {
  return history.majors.flatMap((m) => m.versions);
}

/** The newest working schema: what the typed client, the docs and the Pharo handler are generated from. */
export function newestSchema(history: ProtocolHistory): ProtocolSchema {
  const last = history.majors.at(-1);
  if (!last) throw new Error("no protocol/v<N>/stui.schema.json");
  return last.working;
}

export interface HistoryProblem {
  where: string;
  message: string;
  /** The changes that make it a problem, when it comes from the checker. */
  verdict?: CompatVerdict;
}

/**
 * Everything wrong with the history: a directory whose name disagrees with its versions, a frozen
 * file named for another version, a working schema older than its newest release, a released
 * version edited in place (anything beyond descriptions and examples), and any two versions of a
 * major — every one with every later one, not only neighbours — whose numbers are too close for
 * their changes.
 */
export function historyProblems(history: ProtocolHistory): { problems: HistoryProblem[]; verdicts: CompatVerdict[] } {
  const problems: HistoryProblem[] = [];
  const verdicts: CompatVerdict[] = [];
  for (const m of history.majors) {
    for (const s of [m.working, ...m.releases]) {
      if (parseVersion(s.version)[0] !== m.major) problems.push({ where: s.file, message: `x-stui-version ${s.version} does not belong in directory ${m.dir} (major ${m.major})` });
    }
    for (const r of m.releases) {
      if (!r.file.endsWith(`/${r.version}.schema.json`)) problems.push({ where: r.file, message: `a frozen release must be named after its x-stui-version (${r.version}.schema.json)` });
    }
    const newestRelease = m.releases.at(-1);
    if (newestRelease && compareVersions(m.working.version, newestRelease.version) < 0) {
      problems.push({ where: m.working.file, message: `working version ${m.working.version} is older than the released ${newestRelease.version}` });
    }
    const same = m.releases.find((r) => r.version === m.working.version);
    if (same) {
      const changes = compareSchemas(same, m.working).filter((c) => c.severity !== "info");
      if (changes.length) {
        problems.push({
          where: m.working.file,
          message: `released version ${same.version} was edited in place (${changes.length} change(s) beyond descriptions); give the working schema a new version (${neededBump(changes) === "major" ? "a new major directory" : `${m.major}.${parseVersion(same.version)[1] + 1}`})`,
          verdict: { older: same.version, newer: m.working.version, changes, needed: neededBump(changes), made: "none", ok: false },
        });
      }
    }
    for (let i = 0; i < m.versions.length; i++) {
      for (let j = i + 1; j < m.versions.length; j++) {
        const v = verdict(m.versions[i]!, m.versions[j]!);
        verdicts.push(v);
        if (!v.ok) problems.push({ where: `${m.versions[i]!.file} → ${m.versions[j]!.file}`, message: `${v.older} → ${v.newer} needs a ${v.needed} version bump, makes ${v.made}`, verdict: v });
      }
    }
  }
  problems.push(...depthLimitProblems(history));
  return { problems, verdicts };
}

/**
 * The parser applies the newest schema's maxJsonDepth to every version served (it judges depth
 * before it knows a request's version): no served version may accept a request nested deeper.
 */
function depthLimitProblems(history: ProtocolHistory): HistoryProblem[] {
  const newest = newestSchema(history);
  const limit = newest.maxJsonDepth;
  if (limit === undefined) return [];
  return servedVersions(history).flatMap((s) => {
    const deepest = deepestRequest(s);
    return deepest <= limit ? [] : [{
      where: s.file,
      message: `requests of ${s.version} may nest ${deepest === Infinity ? "without bound" : `${deepest} deep`}, deeper than the parser's limit ${limit} (x-stui-limits.maxJsonDepth of ${newest.file}), which applies to every version served`,
    }];
  });
}

/** The changes of one release against the version before it (for changelogs). */
export function releaseChanges(history: ProtocolHistory, version: string): { previous: string | undefined; changes: Change[] } {
  const all = servedVersions(history);
  const i = all.findIndex((s) => s.version === version);
  if (i < 0) throw new Error(`no protocol version ${version}`);
  const previous = i > 0 && parseVersion(all[i - 1]!.version)[0] === parseVersion(version)[0] ? all[i - 1] : undefined;
  return { previous: previous?.version, changes: previous ? compareSchemas(previous, all[i]!) : [] };
}
