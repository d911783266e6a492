/**
 * The Pharo 12 API index (the shape of pharo-symbols.json; see index/README.md). The checker
 * reads the copy committed in this package (index/pharo12-symbols.json.gz, rebuilt with
 * scripts/build-index.ts); another can be given with --index. Plain or gzipped JSON.
 * Loaded once per path and cached for the life of the process.
 */

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

/** The committed index, relative to this package's folder. */
export const DEFAULT_INDEX_PATH = "index/pharo12-symbols.json.gz";

/** The committed index, as an absolute path. */
export function defaultIndexFile(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", DEFAULT_INDEX_PATH);
}

export interface IndexEntry {
  superclass: string | null;
  package: string;
  instVars: string[];
  classVars: string[];
  instanceSelectors: string[];
  classSelectors: string[];
  tag?: string;
  classInstVars?: string[];
  sharedPools?: string[];
  traitComposition?: string;
  classTraitComposition?: string;
  traits?: string[];
  layout?: unknown;
  extendedBy?: string[];
  deprecatedInstanceSelectors?: string[];
  deprecatedClassSelectors?: string[];
  definedOutsideThisRepository?: boolean;
}

export interface PharoSymbols {
  source: { repository: string; ref: string; commit: string };
  classes: Record<string, IndexEntry>;
  traits: Record<string, IndexEntry>;
  globals: Record<string, string | null>;
}

/** An index entry with Sets for fast membership tests. */
export interface IndexedBehavior {
  name: string;
  isTrait: boolean;
  entry: IndexEntry;
  instanceSelectors: Set<string>;
  classSelectors: Set<string>;
  deprecatedInstance: Set<string>;
  deprecatedClass: Set<string>;
}

export class PharoIndex {
  readonly behaviors = new Map<string, IndexedBehavior>();
  /** selector -> true when every Pharo implementor marks it deprecated. */
  private readonly implementors = new Map<string, { total: number; deprecated: number }>();

  constructor(
    readonly path: string,
    readonly data: PharoSymbols,
  ) {
    const add = (name: string, entry: IndexEntry, isTrait: boolean): void => {
      const b: IndexedBehavior = {
        name,
        isTrait,
        entry,
        instanceSelectors: new Set(entry.instanceSelectors),
        classSelectors: new Set(entry.classSelectors),
        deprecatedInstance: new Set(entry.deprecatedInstanceSelectors ?? []),
        deprecatedClass: new Set(entry.deprecatedClassSelectors ?? []),
      };
      this.behaviors.set(name, b);
      for (const s of entry.instanceSelectors) this.countImplementor(s, b.deprecatedInstance.has(s));
      for (const s of entry.classSelectors) this.countImplementor(s, b.deprecatedClass.has(s));
    };
    for (const [name, entry] of Object.entries(data.classes)) add(name, entry, false);
    for (const [name, entry] of Object.entries(data.traits)) add(name, entry, true);
  }

  private countImplementor(selector: string, deprecated: boolean): void {
    let c = this.implementors.get(selector);
    if (!c) this.implementors.set(selector, (c = { total: 0, deprecated: 0 }));
    c.total++;
    if (deprecated) c.deprecated++;
  }

  isClass(name: string): boolean {
    return Object.hasOwn(this.data.classes, name);
  }
  isTrait(name: string): boolean {
    return Object.hasOwn(this.data.traits, name);
  }
  isGlobal(name: string): boolean {
    return Object.hasOwn(this.data.globals, name);
  }
  /** Class of a non-class global's value (`Smalltalk` -> `SmalltalkImage`), when known. */
  globalClass(name: string): string | null {
    return Object.hasOwn(this.data.globals, name) ? (this.data.globals[name] ?? null) : null;
  }

  /** Some Pharo class or trait implements `selector` (either side). */
  hasSelector(selector: string): boolean {
    return this.implementors.has(selector);
  }
  /** Every Pharo implementor of `selector` is deprecated. */
  allImplementorsDeprecated(selector: string): boolean {
    const c = this.implementors.get(selector);
    return !!c && c.total > 0 && c.total === c.deprecated;
  }
}

const cache = new Map<string, PharoIndex>();

/** Loads (once) the index at `path`. Throws if the file is missing or malformed. */
export function loadPharoIndex(path: string): PharoIndex {
  let index = cache.get(path);
  if (!index) {
    const raw = readFileSync(path);
    const data = JSON.parse((path.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8")) as PharoSymbols;
    if (!data || typeof data.classes !== "object" || typeof data.traits !== "object") {
      throw new Error(`${path}: not a pharo-symbols.json index (no "classes"/"traits")`);
    }
    data.globals ??= {};
    index = new PharoIndex(path, data);
    cache.set(path, index);
  }
  return index;
}
