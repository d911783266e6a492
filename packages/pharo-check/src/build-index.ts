/**
 * Builds the Pharo 12 index (the shape of pharo-symbols.json, see pharo-index.ts) from a checkout
 * of pharo-project/pharo's Tonel sources (`src/`), with this package's own Tonel reader: every
 * class, trait and extension file, the definition's fields and every method header, and which
 * methods send `self deprecated:…`. scripts/build-index.ts is the command line around it.
 */

import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { ExpressionNode, MethodNode, StatementNode } from "./ast.js";
import type { IndexEntry, PharoSymbols } from "./pharo-index.js";
import { stonNames, stonString, type StonValue } from "./ston.js";
import { readTonel, type TonelFile } from "./tonel.js";
import { parseTraitComposition } from "./trait-composition.js";

export interface IndexSource {
  repository: string;
  ref: string;
  commit: string;
}

/**
 * The common system globals that are not classes, with the class of their value where the
 * bootstrap makes it clear. Nothing in the Tonel files declares them: this list was read by hand
 * from the Pharo 12 sources (as for the first index), and is the only hand-written part.
 */
export const PHARO_GLOBALS: Readonly<Record<string, string | null>> = {
  ActiveWorld: "WorldMorph",
  Display: null,
  Processor: "ProcessorScheduler",
  Sensor: null,
  Smalltalk: "SmalltalkImage",
  SourceFiles: "SourceFileArray",
  Transcript: "ThreadSafeTranscript",
  Undeclared: "UndeclaredRegistry",
  World: "WorldMorph",
};

export interface BuiltIndex extends PharoSymbols {
  notCovered: { classesReferencedButNotDefinedHere: string[] };
  counts: Record<string, number>;
}

export interface BuildResult {
  index: BuiltIndex;
  /** Tonel files read, and what could not be read in them (file: message). */
  files: number;
  problems: string[];
}

/** Every `*.class.st`, `*.trait.st` and `*.extension.st` under `dir`, sorted. */
function tonelFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.(class|trait|extension)\.st$/.test(entry.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Whether a method body sends `self deprecated:…` (any selector starting with deprecated:). */
export function sendsDeprecated(ast: MethodNode | undefined): boolean {
  if (!ast) return false;
  const visit = (node: ExpressionNode | StatementNode): boolean => {
    switch (node.kind) {
      case "send":
        if (node.receiver.kind === "variable" && node.receiver.name === "self" && node.selector.startsWith("deprecated:")) return true;
        return visit(node.receiver) || node.args.some(visit);
      case "cascade":
        if (node.receiver.kind === "variable" && node.receiver.name === "self" && node.messages.some((m) => m.selector.startsWith("deprecated:"))) return true;
        return visit(node.receiver) || node.messages.some((m) => m.args.some(visit));
      case "assignment":
        return visit(node.value);
      case "return":
        return visit(node.value);
      case "block":
        return node.statements.some(visit);
      case "dynamicArray":
        return node.elements.some(visit);
      default:
        return false;
    }
  };
  return ast.statements.some(visit);
}

interface Building {
  entry: IndexEntry;
  isTrait: boolean;
  defined: boolean;
  instance: Set<string>;
  classSide: Set<string>;
  deprecatedInstance: Set<string>;
  deprecatedClass: Set<string>;
  extendedBy: Set<string>;
}

const sorted = (values: Iterable<string>): string[] => [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/** Reads the Tonel tree at `srcDir` (pharo-project/pharo's `src/`) into an index. */
export function buildIndex(srcDir: string, source: IndexSource): BuildResult {
  const behaviors = new Map<string, Building>();
  const problems: string[] = [];
  const packages = new Set<string>();
  let methodCount = 0;

  const building = (name: string, isTrait: boolean): Building => {
    let b = behaviors.get(name);
    if (!b) {
      b = {
        entry: { superclass: null, package: "", instVars: [], classVars: [], instanceSelectors: [], classSelectors: [] },
        isTrait,
        defined: false,
        instance: new Set(),
        classSide: new Set(),
        deprecatedInstance: new Set(),
        deprecatedClass: new Set(),
        extendedBy: new Set(),
      };
      behaviors.set(name, b);
    }
    return b;
  };

  const files = tonelFiles(srcDir);
  const parsed: TonelFile[] = [];
  for (const path of files) {
    const file = readTonel(path, readFileSync(path, "utf8"));
    for (const e of file.errors) problems.push(`${path.slice(srcDir.length + 1)}:${file.lines.position(e.offset).line}: ${e.message}`);
    parsed.push(file);
  }

  // Definitions first, so extensions know whether their target is a trait.
  for (const file of parsed) {
    const def = file.definition;
    if (!def || (def.type !== "Class" && def.type !== "Trait")) continue;
    const f = def.fields;
    const name = stonString(f.get("name"));
    if (!name) {
      problems.push(`${file.path}: a definition without a name`);
      continue;
    }
    const b = building(name, def.type === "Trait");
    b.isTrait = def.type === "Trait";
    b.defined = true;
    const folderPackage = basename(dirname(file.path));
    const superclass = def.type === "Trait" ? null : (stonString(f.get("superclass")) ?? null);
    const entry: IndexEntry = {
      superclass: superclass === "nil" ? null : superclass,
      package: stonString(f.get("package")) ?? stonString(f.get("category")) ?? folderPackage,
      instVars: stonNames(f.get("instVars") ?? f.get("slots")),
      classVars: stonNames(f.get("classVars")),
      instanceSelectors: [],
      classSelectors: [],
    };
    packages.add(entry.package);
    const tag = stonString(f.get("tag"));
    if (tag) entry.tag = tag;
    const classInstVars = stonNames(f.get("classInstVars") ?? f.get("classSlots"));
    if (classInstVars.length > 0) entry.classInstVars = classInstVars;
    const pools = stonNames(f.get("pools"));
    if (pools.length > 0) entry.sharedPools = pools;
    const traits = stonString(f.get("traits"));
    const classTraits = stonString(f.get("classTraits"));
    if (traits) entry.traitComposition = traits;
    if (classTraits) entry.classTraitComposition = classTraits;
    const used = sorted(new Set(parseTraitComposition(traits).map((t) => t.name)));
    if (used.length > 0) entry.traits = used;
    const layout = f.get("type") as StonValue | undefined;
    if (layout) entry.layout = stonString(layout) ?? undefined;
    b.entry = entry;
  }

  for (const file of parsed) {
    const def = file.definition;
    if (!def || def.type === "Package") continue;
    const isExtension = def.type === "Extension";
    const extendingPackage = basename(dirname(file.path));
    for (const m of file.methods) {
      methodCount++;
      const target = isExtension ? m.className : (stonString(def.fields.get("name")) ?? m.className);
      const b = building(target, behaviors.get(target)?.isTrait ?? false);
      (m.classSide ? b.classSide : b.instance).add(m.selector);
      if (sendsDeprecated(m.ast)) (m.classSide ? b.deprecatedClass : b.deprecatedInstance).add(m.selector);
      if (isExtension) b.extendedBy.add(extendingPackage);
    }
  }

  const classes: Record<string, IndexEntry> = {};
  const traits: Record<string, IndexEntry> = {};
  const referenced = new Set<string>();
  let instanceEntries = 0;
  let classEntries = 0;
  const distinct = new Set<string>();
  for (const name of sorted(behaviors.keys())) {
    const b = behaviors.get(name)!;
    const entry: IndexEntry = { ...b.entry, instanceSelectors: sorted(b.instance), classSelectors: sorted(b.classSide) };
    if (!b.defined) {
      entry.package = null as unknown as string; // only extended here: its package is elsewhere
      entry.definedOutsideThisRepository = true;
      referenced.add(name);
    }
    if (b.extendedBy.size > 0) entry.extendedBy = sorted(b.extendedBy);
    if (b.deprecatedInstance.size > 0) entry.deprecatedInstanceSelectors = sorted(b.deprecatedInstance);
    if (b.deprecatedClass.size > 0) entry.deprecatedClassSelectors = sorted(b.deprecatedClass);
    instanceEntries += entry.instanceSelectors.length;
    classEntries += entry.classSelectors.length;
    for (const s of entry.instanceSelectors) distinct.add(s);
    for (const s of entry.classSelectors) distinct.add(s);
    (b.isTrait ? traits : classes)[name] = sortKeys(entry);
  }
  for (const b of behaviors.values()) {
    const e = b.entry;
    if (e.superclass && !behaviors.get(e.superclass)?.defined) referenced.add(e.superclass);
    for (const t of e.traits ?? []) if (!behaviors.get(t)?.defined) referenced.add(t);
  }

  const index: BuiltIndex = {
    source: { ...source },
    classes,
    traits,
    globals: { ...PHARO_GLOBALS },
    notCovered: { classesReferencedButNotDefinedHere: sorted(referenced) },
    counts: {
      classes: Object.keys(classes).length,
      classesDefinedHere: Object.values(classes).filter((e) => !e.definedOutsideThisRepository).length,
      traits: Object.keys(traits).length,
      packages: packages.size,
      methodDefinitions: methodCount,
      instanceSelectorEntries: instanceEntries,
      classSelectorEntries: classEntries,
      distinctSelectors: distinct.size,
    },
  };
  return { index: sortKeys(index), files: files.length, problems };
}

/** The object with its keys in sorted order (arrays keep their order), for a stable file. */
function sortKeys<T>(value: T): T {
  if (Array.isArray(value) || value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of sorted(Object.keys(value as object))) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortKeys(v);
  }
  return out as T;
}
