/**
 * Our own code (classes, traits and extension methods read from Tonel files)
 * joined with the Pharo 12 index into one class world that can answer
 * "who understands this selector" and "which variables are visible here".
 */

import type { MethodNode } from "./ast.js";
import type { PharoIndex } from "./pharo-index.js";
import { stonNames, stonString, type StonValue } from "./ston.js";
import type { TonelFile, TonelMethod } from "./tonel.js";
import { parseTraitComposition, type TraitUse } from "./trait-composition.js";

export type Side = "instance" | "class";

export interface OurMethod {
  selector: string;
  side: Side;
  /** Class or trait the method is installed in. */
  owner: string;
  file: TonelFile;
  tonel: TonelMethod;
  ast: MethodNode | undefined;
  isExtension: boolean;
  /** Body is just `self subclassResponsibility` (optionally returned). */
  isAbstract: boolean;
}

export interface OurBehavior {
  name: string;
  isTrait: boolean;
  superclass: string | null;
  instVars: string[];
  classVars: string[];
  classInstVars: string[];
  pools: string[];
  traits: TraitUse[];
  classTraits: TraitUse[];
  package: string;
  file: TonelFile;
  /** Offset of the definition in its file, and of individual fields when present. */
  start: number;
  fieldStart: Map<string, number>;
  methods: { instance: Map<string, OurMethod>; class: Map<string, OurMethod> };
}

export interface LookupHit {
  found: true;
  /** Where the selector was found (a class or trait name). */
  owner: string;
  /** Side of `owner` the method is on (class-side lookups end on the instance side of Class). */
  side: Side;
  ours: boolean;
  deprecated: boolean;
}
export interface LookupMiss {
  found: false;
  /** The whole chain was known; a miss is a real "does not understand". */
  complete: boolean;
}
export type LookupResult = LookupHit | LookupMiss;

const ROOT_CLASSES = new Set(["Object", "ProtoObject"]);

export function isAbstractBody(ast: MethodNode | undefined): boolean {
  if (!ast || ast.statements.length !== 1) return false;
  let s = ast.statements[0];
  if (s?.kind === "return") s = s.value;
  return (
    s?.kind === "send" &&
    s.selector === "subclassResponsibility" &&
    s.receiver.kind === "variable" &&
    s.receiver.name === "self"
  );
}

export class World {
  readonly behaviors = new Map<string, OurBehavior>();
  /** Extension methods on classes that are not ours, by class name. */
  readonly extensions = new Map<string, { instance: Map<string, OurMethod>; class: Map<string, OurMethod> }>();
  /** Every selector our code implements, on any side. */
  readonly ourSelectors = new Set<string>();
  readonly allMethods: OurMethod[] = [];
  private readonly lookupCache = new Map<string, LookupResult>();
  private readonly dnuCache = new Map<string, boolean>();
  private readonly compositionCache = new Map<string, TraitUse[]>();

  constructor(readonly index: PharoIndex | undefined) {}

  /** Registers the definitions of a file (first pass). */
  addDefinition(file: TonelFile, packageFromFolder: string): void {
    const def = file.definition;
    if (!def || (def.type !== "Class" && def.type !== "Trait")) return;
    const f = def.fields;
    const name = stonString(f.get("name"));
    if (!name) return;
    const superValue = f.get("superclass");
    const superclass = def.type === "Trait" ? null : (stonString(superValue) ?? null);
    const fieldStart = new Map<string, number>();
    for (const [k, v] of f) fieldStart.set(k, (v as StonValue).start);
    const traitSource = stonString(f.get("traits"));
    const classTraitSource = stonString(f.get("classTraits"));
    this.behaviors.set(name, {
      name,
      isTrait: def.type === "Trait",
      superclass: superclass === "nil" ? null : superclass,
      instVars: stonNames(f.get("instVars") ?? f.get("slots")),
      classVars: stonNames(f.get("classVars")),
      classInstVars: stonNames(f.get("classInstVars") ?? f.get("classSlots")),
      pools: stonNames(f.get("pools")),
      traits: parseTraitComposition(traitSource),
      classTraits: parseTraitComposition(classTraitSource ?? traitSource),
      package: stonString(f.get("package")) ?? stonString(f.get("category")) ?? packageFromFolder,
      file,
      start: def.start,
      fieldStart,
      methods: { instance: new Map(), class: new Map() },
    });
  }

  /** Registers the methods of a file (second pass, after every definition is known). */
  addMethods(file: TonelFile): void {
    const isExtensionFile = file.definition?.type === "Extension";
    for (const m of file.methods) {
      const side: Side = m.classSide ? "class" : "instance";
      const method: OurMethod = {
        selector: m.selector,
        side,
        owner: m.className,
        file,
        tonel: m,
        ast: m.ast,
        isExtension: isExtensionFile || (m.category ?? "").startsWith("*"),
        isAbstract: isAbstractBody(m.ast),
      };
      this.allMethods.push(method);
      this.ourSelectors.add(m.selector);
      const ours = this.behaviors.get(m.className);
      if (ours) {
        ours.methods[side].set(m.selector, method);
      } else {
        let ext = this.extensions.get(m.className);
        if (!ext) this.extensions.set(m.className, (ext = { instance: new Map(), class: new Map() }));
        ext[side].set(m.selector, method);
      }
    }
  }

  isOurs(name: string): boolean {
    return this.behaviors.has(name);
  }

  /** A class (not trait) known to us or to the index. */
  isKnownClass(name: string): boolean {
    const b = this.behaviors.get(name);
    if (b) return !b.isTrait;
    return !!this.index?.isClass(name);
  }

  isKnownTrait(name: string): boolean {
    const b = this.behaviors.get(name);
    if (b) return b.isTrait;
    return !!this.index?.isTrait(name);
  }

  superclassOf(name: string): string | null | undefined {
    const ours = this.behaviors.get(name);
    if (ours) return ours.superclass;
    const idx = this.index?.behaviors.get(name);
    if (idx && !idx.isTrait) return idx.entry.superclass;
    return undefined;
  }

  /** The superclass chain starting at `name`; `complete` is false when it leaves known code. */
  chain(name: string): { classes: string[]; complete: boolean } {
    const classes: string[] = [];
    let c: string | null | undefined = name;
    const seen = new Set<string>();
    while (c) {
      if (seen.has(c)) return { classes, complete: false };
      seen.add(c);
      classes.push(c);
      const sup = this.superclassOf(c);
      if (sup === undefined) {
        // Not known at all. Without the index, Object and ProtoObject are still understood as roots.
        return { classes, complete: !this.index && ROOT_CLASSES.has(c) };
      }
      if (sup === null) {
        const ours = this.behaviors.has(c);
        return { classes, complete: ours || c === "ProtoObject" };
      }
      c = sup;
    }
    return { classes, complete: true };
  }

  /** Finds `selector` for an instance (side "instance") or the class itself (side "class") of `name`. */
  lookup(name: string, side: Side, selector: string): LookupResult {
    const key = `${side} ${name} ${selector}`;
    let r = this.lookupCache.get(key);
    if (!r) {
      r = this.lookupUncached(name, side, selector);
      this.lookupCache.set(key, r);
    }
    return r;
  }

  private lookupUncached(name: string, side: Side, selector: string): LookupResult {
    let c: string | null | undefined = name;
    const seen = new Set<string>();
    while (c && !seen.has(c)) {
      seen.add(c);
      const hit = this.lookupLocal(c, side, selector, new Set());
      if (hit) return hit;
      const sup = this.superclassOf(c);
      if (sup === undefined) return { found: false, complete: false };
      if (sup === null) {
        const complete = this.behaviors.has(c) || c === "ProtoObject";
        if (!complete) return { found: false, complete: false };
        // After `ProtoObject class` the metaclass chain continues into Class, ClassDescription, Behavior, Object.
        if (side === "class") return this.lookup("Class", "instance", selector);
        return { found: false, complete: true };
      }
      c = sup;
    }
    return { found: false, complete: false };
  }

  /** `name` itself (with its traits and our extensions) defines `selector` on `side`. */
  definesLocally(name: string, side: Side, selector: string): LookupHit | undefined {
    return this.lookupLocal(name, side, selector, new Set());
  }

  /** Methods defined in `c` itself: its own, our extensions, then its traits. */
  private lookupLocal(c: string, side: Side, selector: string, visiting: Set<string>): LookupHit | undefined {
    if (visiting.has(c)) return undefined;
    visiting.add(c);
    const ours = this.behaviors.get(c);
    if (ours) {
      const m = ours.methods[side].get(selector);
      if (m) return { found: true, owner: c, side, ours: true, deprecated: false };
      return this.lookupTraits(side === "class" ? ours.classTraits : ours.traits, side, selector, visiting);
    }
    const ext = this.extensions.get(c)?.[side].get(selector);
    if (ext) return { found: true, owner: c, side, ours: true, deprecated: false };
    const idx = this.index?.behaviors.get(c);
    if (!idx) return undefined;
    if ((side === "class" ? idx.classSelectors : idx.instanceSelectors).has(selector)) {
      const deprecated = (side === "class" ? idx.deprecatedClass : idx.deprecatedInstance).has(selector);
      return { found: true, owner: c, side, ours: false, deprecated };
    }
    const key = `${side} ${c}`;
    let uses = this.compositionCache.get(key);
    if (!uses) {
      uses = parseTraitComposition(side === "class" ? (idx.entry.classTraitComposition ?? idx.entry.traitComposition) : idx.entry.traitComposition);
      if (uses.length === 0 && idx.entry.traits) {
        for (const t of idx.entry.traits) uses.push({ name: t, excluded: new Set(), aliases: new Map() });
      }
      this.compositionCache.set(key, uses);
    }
    return this.lookupTraits(uses, side, selector, visiting);
  }

  private lookupTraits(uses: TraitUse[], side: Side, selector: string, visiting: Set<string>): LookupHit | undefined {
    for (const u of uses) {
      if (u.excluded.has(selector)) continue;
      const target = u.aliases.get(selector) ?? selector;
      const hit = this.lookupLocal(u.name, side, target, visiting);
      if (hit) return hit;
    }
    return undefined;
  }

  /** Some class between `name` and the root (Object/ProtoObject excluded) overrides doesNotUnderstand:. */
  overridesDoesNotUnderstand(name: string, side: Side): boolean {
    const key = `${side} ${name}`;
    let answer = this.dnuCache.get(key);
    if (answer === undefined) {
      answer = this.chain(name).classes.some((c) => !ROOT_CLASSES.has(c) && !!this.lookupLocal(c, side, "doesNotUnderstand:", new Set()));
      this.dnuCache.set(key, answer);
    }
    return answer;
  }

  /** The variables a method of `name` (on `side`) can see, and whether that list is complete. */
  visibleVariables(name: string, side: Side): { names: Set<string>; complete: boolean } {
    const names = new Set<string>();
    const { classes, complete: chainComplete } = this.chain(name);
    let complete = chainComplete;
    for (const c of classes) {
      const ours = this.behaviors.get(c);
      const idx = this.index?.behaviors.get(c)?.entry;
      if (ours) {
        for (const v of side === "class" ? ours.classInstVars : ours.instVars) names.add(v);
        for (const v of ours.classVars) names.add(v);
        for (const t of ours.traits) this.addTraitVars(t.name, side, names);
        for (const p of ours.pools) complete = this.addPoolVars(p, names) && complete;
      } else if (idx) {
        for (const v of side === "class" ? (idx.classInstVars ?? []) : idx.instVars) names.add(v);
        for (const v of idx.classVars) names.add(v);
        for (const t of idx.traits ?? []) this.addTraitVars(t, side, names);
        for (const p of idx.sharedPools ?? []) this.addPoolVars(p, names);
      }
    }
    if (side === "class") {
      // A class-side method also sees the instance variables of Class and its superclasses.
      const meta = this.visibleVariables("Class", "instance");
      for (const v of meta.names) names.add(v);
      complete = complete && meta.complete;
    }
    return { names, complete };
  }

  private addTraitVars(trait: string, side: Side, names: Set<string>): void {
    const ours = this.behaviors.get(trait);
    if (ours) {
      for (const v of side === "class" ? ours.classInstVars : ours.instVars) names.add(v);
      return;
    }
    const idx = this.index?.behaviors.get(trait)?.entry;
    if (idx) for (const v of side === "class" ? (idx.classInstVars ?? []) : idx.instVars) names.add(v);
  }

  /** Adds a shared pool's class variables; answers false when the pool is unknown. */
  private addPoolVars(pool: string, names: Set<string>): boolean {
    const { classes, complete } = this.chain(pool);
    for (const c of classes) {
      const ours = this.behaviors.get(c);
      const vars = ours ? ours.classVars : (this.index?.behaviors.get(c)?.entry.classVars ?? []);
      for (const v of vars) names.add(v);
    }
    return complete;
  }

  /** Our classes whose superclass is `name`. */
  subclassesOf(name: string): OurBehavior[] {
    const out: OurBehavior[] = [];
    for (const b of this.behaviors.values()) if (b.superclass === name) out.push(b);
    return out;
  }
}
