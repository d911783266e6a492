/**
 * Compares two JSON Schema nodes in one direction of flow.
 *
 *   request  (client → server): the newer schema must accept every value the older accepted.
 *   response (server → client): every value the newer server may send, after the server has
 *            shaped it for the older version (members an older *closed* object does not know are
 *            dropped, see ../shaping.ts), must be accepted by the older schema.
 *
 * A keyword the comparer cannot reason about is reported as breaking whenever it changes: the
 * checker never stays silent about a difference it does not understand.
 */
import equal from "fast-deep-equal";
import { type SchemaNode, refName } from "../schema.js";

export type Severity = "breaking" | "needs-minor" | "info";
export type Direction = "request" | "response";

export interface Change {
  severity: Severity;
  /** Where, e.g. `evaluate params.timeoutMs` or `error timeout data`. */
  where: string;
  message: string;
  direction: Direction | "metadata";
}

type Schema = SchemaNode | boolean;
type Defs = Record<string, SchemaNode>;

/** Keywords that only document: a change is `info`. */
export const ANNOTATIONS = new Set(["description", "title", "examples", "$comment", "deprecated", "readOnly", "writeOnly", "$id", "$schema"]);
const LOWER = ["minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains"] as const;
const UPPER = ["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains"] as const;
/** Keywords this comparer reasons about itself. */
const HANDLED = new Set<string>([
  ...ANNOTATIONS, ...LOWER, ...UPPER,
  "$ref", "type", "enum", "const", "default", "multipleOf", "uniqueItems", "pattern", "format",
  "properties", "required", "additionalProperties", "items", "oneOf", "anyOf", "allOf",
  "x-stui-permission", "x-stui-idempotent",
]);
const ALL_TYPES = ["array", "boolean", "integer", "null", "number", "object", "string"];

/** A node with its `$ref` followed and the keywords beside the `$ref` applied on top (2020-12 semantics). */
export function effective(defs: Defs, node: SchemaNode, seen: string[] = []): SchemaNode {
  if (node.$ref === undefined) return node;
  const name = refName(node.$ref);
  if (seen.includes(name)) throw new Error(`circular $ref through ${name}`);
  const target = defs[name];
  if (!target) throw new Error(`$ref to missing $defs/${name}`);
  const base = effective(defs, target, [...seen, name]);
  const { $ref: _ref, ...siblings } = node;
  if (Object.keys(siblings).length === 0) return base;
  const merged: SchemaNode = { ...base };
  const extra: SchemaNode[] = [];
  for (const [k, v] of Object.entries(siblings)) {
    const mine = base[k];
    if (mine === undefined || ANNOTATIONS.has(k) || k === "default") merged[k] = v;
    else if ((LOWER as readonly string[]).includes(k)) merged[k] = Math.max(mine as number, v as number);
    else if ((UPPER as readonly string[]).includes(k)) merged[k] = Math.min(mine as number, v as number);
    else if (!equal(mine, v)) extra.push({ [k]: v });
  }
  if (extra.length) merged.allOf = [...((base.allOf as SchemaNode[] | undefined) ?? []), ...extra];
  return merged;
}

function typesOf(node: SchemaNode): string[] {
  if (node.type === undefined) return ALL_TYPES;
  return Array.isArray(node.type) ? [...node.type].sort() : [node.type];
}

/** Types of `a` that `b` does not cover (integer is covered by number). */
function missingTypes(a: string[], b: string[]): string[] {
  return a.filter((t) => !b.includes(t) && !(t === "integer" && b.includes("number")));
}

const show = (v: unknown) => JSON.stringify(v);

export class NodeComparer {
  readonly changes: Change[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly oldDefs: Defs, private readonly newDefs: Defs) {}

  add(severity: Severity, where: string, message: string, direction: Change["direction"]) {
    this.changes.push({ severity, where, message, direction });
  }

  /** `tighter` = the newer rejects values the older accepted. Breaking for requests; for responses the opposite. */
  private bound(tighter: boolean, where: string, message: string, dir: Direction) {
    const breaks = dir === "request" ? tighter : !tighter;
    this.add(breaks ? "breaking" : "needs-minor", where, message, dir);
  }

  compare(a0: Schema | undefined, b0: Schema | undefined, where: string, dir: Direction) {
    const a: Schema = a0 ?? true;
    const b: Schema = b0 ?? true;
    if (typeof a === "boolean" || typeof b === "boolean") {
      if (equal(a, b)) return;
      if (a === true && b === true) return;
      // `true` accepts anything, `false` nothing: compare as the widest / narrowest schemas.
      if (a === false) return this.bound(false, where, "accepted nothing before", dir);
      if (b === false) return this.bound(true, where, "accepts nothing now", dir);
      if (a === true) return this.bound(true, where, "was unconstrained and is constrained now", dir);
      return this.bound(false, where, "is unconstrained now", dir);
    }
    // A `$defs` type used in many places is compared once per direction (with what stands beside its $ref).
    if (a.$ref || b.$ref) {
      const key = `${dir}|${JSON.stringify(a)}|${JSON.stringify(b)}`;
      if (this.seen.has(key)) return;
      this.seen.add(key);
    }
    const x = effective(this.oldDefs, a);
    const y = effective(this.newDefs, b);
    this.annotations(x, y, where, dir);
    this.stuiKeywords(x, y, where);
    this.types(x, y, where, dir);
    this.values(x, y, where, dir);
    this.bounds(x, y, where, dir);
    this.opaque(x, y, where);
    const tx = typesOf(x);
    const ty = typesOf(y);
    if ((tx.includes("object") || ty.includes("object")) && (x.properties || y.properties || x.required || y.required || x.additionalProperties !== undefined || y.additionalProperties !== undefined)) {
      this.object(x, y, where, dir);
    }
    if (x.items !== undefined || y.items !== undefined) this.compare(x.items as Schema | undefined, y.items as Schema | undefined, `${where}[]`, dir);
    this.combinators(x, y, where, dir);
  }

  private annotations(x: SchemaNode, y: SchemaNode, where: string, dir: Direction) {
    for (const k of ANNOTATIONS) if (!equal(x[k], y[k])) this.add("info", where, `${k} changed`, dir);
    if (!equal(x.default, y.default)) {
      if (dir === "response") this.add("info", where, `default ${show(x.default)} → ${show(y.default)}`, dir);
      else if (x.default !== undefined && y.default !== undefined) {
        this.add("breaking", where, `default changed from ${show(x.default)} to ${show(y.default)}: an older client that leaves it out gets other behaviour (and sizes its wait by the old one)`, dir);
      } else this.add("needs-minor", where, `default ${show(x.default)} → ${show(y.default)}`, dir);
    }
  }

  /** Param-level permission and retry safety (they change generated code and what a grant allows). */
  private stuiKeywords(x: SchemaNode, y: SchemaNode, where: string) {
    const [pa, pb] = [x["x-stui-permission"], y["x-stui-permission"]];
    if (pa !== pb) {
      if (pb === undefined) this.add("needs-minor", where, `no longer needs the ${pa} permission`, "metadata");
      else this.add("breaking", where, `now needs the ${pb} permission${pa ? ` instead of ${pa}` : ""}: granted scripts lose access`, "metadata");
    }
    const [ia, ib] = [x["x-stui-idempotent"] !== false, y["x-stui-idempotent"] !== false];
    if (ia && !ib) this.add("breaking", where, "makes a call unsafe to retry now; older clients retry it", "metadata");
    if (!ia && ib) this.add("needs-minor", where, "no longer makes a call unsafe to retry (generated retry rules change)", "metadata");
  }

  private types(x: SchemaNode, y: SchemaNode, where: string, dir: Direction) {
    const lost = missingTypes(typesOf(x), typesOf(y));
    const gained = missingTypes(typesOf(y), typesOf(x));
    if (lost.length) this.bound(true, where, `no longer allows type ${lost.join(", ")}`, dir);
    if (gained.length) this.bound(false, where, `now also allows type ${gained.join(", ")}`, dir);
  }

  private values(x: SchemaNode, y: SchemaNode, where: string, dir: Direction) {
    if (x.enum || y.enum) {
      if (x.enum && !y.enum) this.bound(false, where, `is no longer limited to ${x.enum.map(show).join(", ")}`, dir);
      else if (!x.enum && y.enum) this.bound(true, where, `is now limited to ${y.enum.map(show).join(", ")}`, dir);
      else {
        const removed = x.enum!.filter((v) => !y.enum!.some((w) => equal(v, w)));
        const added = y.enum!.filter((v) => !x.enum!.some((w) => equal(v, w)));
        if (removed.length) this.bound(true, where, `no longer allows ${removed.map(show).join(", ")}`, dir);
        if (added.length) this.bound(false, where, `now allows ${added.map(show).join(", ")}${dir === "response" ? ", which older clients reject" : ""}`, dir);
      }
    }
    if (!equal(x.const, y.const)) {
      if (x.const === undefined) this.bound(true, where, `is now the constant ${show(y.const)}`, dir);
      else if (y.const === undefined) this.bound(false, where, `is no longer the constant ${show(x.const)}`, dir);
      else this.add("breaking", where, `constant changed from ${show(x.const)} to ${show(y.const)}`, dir);
    }
  }

  private bounds(x: SchemaNode, y: SchemaNode, where: string, dir: Direction) {
    for (const k of [...LOWER, ...UPPER]) {
      const [va, vb] = [x[k] as number | undefined, y[k] as number | undefined];
      if (va === vb) continue;
      const lower = (LOWER as readonly string[]).includes(k);
      const tighter = vb !== undefined && (va === undefined || (lower ? vb > va : vb < va));
      this.bound(tighter, where, `${k} ${va ?? "none"} → ${vb ?? "none"}`, dir);
    }
    const [ma, mb] = [x.multipleOf as number | undefined, y.multipleOf as number | undefined];
    if (ma !== mb) {
      // Every multiple of ma is a multiple of mb exactly when mb divides ma.
      const looser = mb === undefined || (ma !== undefined && Number.isInteger(ma / mb));
      this.bound(!looser, where, `multipleOf ${ma ?? "none"} → ${mb ?? "none"}`, dir);
    }
    if (Boolean(x.uniqueItems) !== Boolean(y.uniqueItems)) this.bound(Boolean(y.uniqueItems), where, `uniqueItems ${Boolean(x.uniqueItems)} → ${Boolean(y.uniqueItems)}`, dir);
    for (const k of ["pattern", "format"] as const) {
      const [va, vb] = [x[k], y[k]];
      if (equal(va, vb)) continue;
      if (va === undefined) this.bound(true, where, `now has ${k} ${show(vb)}`, dir);
      else if (vb === undefined) this.bound(false, where, `no longer has ${k} ${show(va)}`, dir);
      else this.add("breaking", where, `${k} changed from ${show(va)} to ${show(vb)}: each may accept what the other rejects`, dir);
    }
  }

  /** Keywords outside what this comparer reasons about: any change is breaking (not provably safe). */
  private opaque(x: SchemaNode, y: SchemaNode, where: string) {
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      if (HANDLED.has(k) || k.startsWith("x-stui-")) continue;
      if (!equal(x[k], y[k])) this.add("breaking", where, `keyword ${k} changed; the checker cannot prove the change safe`, "metadata");
    }
  }

  private object(x: SchemaNode, y: SchemaNode, where: string, dir: Direction) {
    const pa = x.properties ?? {};
    const pb = y.properties ?? {};
    const ra = new Set(x.required ?? []);
    const rb = new Set(y.required ?? []);
    const apa = x.additionalProperties as Schema | undefined;
    const apb = y.additionalProperties as Schema | undefined;
    const closedA = apa === false;
    const closedB = apb === false;
    for (const name of Object.keys(pa)) {
      const at = `${where}.${name}`;
      if (name in pb) {
        if (ra.has(name) !== rb.has(name)) {
          if (rb.has(name)) this.bound(true, at, "is now required", dir);
          else this.bound(false, at, dir === "response" ? "may now be missing; older clients require it" : "is now optional", dir);
        }
        this.compare(pa[name], pb[name], at, dir);
      } else if (dir === "request") {
        if (closedB) this.add("breaking", at, "was removed; requests that send it are now rejected", dir);
        else this.compare(pa[name], apb ?? true, at, dir);
      } else if (ra.has(name)) this.add("breaking", at, "was removed; older clients require it", dir);
      else this.add("needs-minor", at, "is no longer answered (it was optional)", dir);
    }
    for (const name of Object.keys(pb)) {
      if (name in pa) continue;
      const at = `${where}.${name}`;
      if (dir === "request") {
        if (rb.has(name)) this.add("breaking", at, "is a new required member", dir);
        else if (closedA) this.add("needs-minor", at, "is a new optional member", dir);
        else this.compare(apa ?? true, pb[name], at, dir);
      } else if (closedA) this.add("needs-minor", at, "is a new member; servers leave it out of replies to older versions", dir);
      else {
        this.add("needs-minor", at, "is a new member", dir);
        this.compare(apa ?? true, pb[name], at, dir);
      }
    }
    for (const name of rb) if (!(name in pb) && !ra.has(name)) this.bound(true, `${where}.${name}`, "is now required", dir);
    if (!equal(apa, apb)) {
      if (dir === "request") this.compare(apa ?? true, apb ?? true, `${where}.*`, dir);
      else if (closedA) this.add("needs-minor", `${where}.*`, "extra members are now allowed; servers leave them out of replies to older versions", dir);
      else this.compare(apa ?? true, apb ?? true, `${where}.*`, dir);
    }
  }

  /**
   * oneOf / anyOf / allOf. Branches are paired when they refer to the same `$defs` name or are
   * equal; a paired `$ref` branch is compared in depth, the others count as removed or added.
   */
  private combinators(x: SchemaNode, y: SchemaNode, where: string, dir: Direction) {
    for (const k of ["oneOf", "anyOf", "allOf"] as const) {
      const ba = (x[k] ?? []) as SchemaNode[];
      const bb = (y[k] ?? []) as SchemaNode[];
      if (equal(ba, bb) && !ba.some((n) => n.$ref)) continue;
      const unpaired = [...bb];
      const removed: SchemaNode[] = [];
      for (const branch of ba) {
        const i = unpaired.findIndex((n) => (branch.$ref !== undefined && n.$ref === branch.$ref) || equal(n, branch));
        if (i < 0) {
          removed.push(branch);
          continue;
        }
        const [match] = unpaired.splice(i, 1);
        if (branch.$ref) this.compare(branch, match, `${where}(${refName(branch.$ref)})`, dir);
      }
      const label = (n: SchemaNode) => (n.$ref ? refName(n.$ref) : show(n));
      if (k !== "allOf" && (ba.length === 0) !== (bb.length === 0)) {
        // Introducing a oneOf / anyOf constrains; dropping it altogether frees.
        this.bound(ba.length === 0, where, ba.length === 0 ? `must now match ${k} ${bb.map(label).join(", ")}` : `no longer has to match ${k}`, dir);
        continue;
      }
      const adds = (n: number) => `${n === 1 ? "a new branch" : "new branches"}`;
      if (k === "allOf") {
        // allOf: an added constraint narrows, a removed one widens.
        if (unpaired.length) this.bound(true, where, `allOf gained ${unpaired.map(label).join(", ")}`, dir);
        if (removed.length) this.bound(false, where, `allOf lost ${removed.map(label).join(", ")}`, dir);
        continue;
      }
      if (removed.length) this.bound(true, where, `${k} lost ${removed.map(label).join(", ")}`, dir);
      if (unpaired.length === 0) continue;
      if (dir === "response") {
        this.add("breaking", where, `${k} has ${adds(unpaired.length)} ${unpaired.map(label).join(", ")}; older clients reject such replies and a server cannot shape them`, dir);
      } else if (k === "oneOf" && ba.length > 0) {
        // A request matching an old branch and the new one fails oneOf ("exactly one").
        const overlapping = unpaired.filter((n) => ba.some((old) => !this.disjoint(effective(this.oldDefs, old), effective(this.newDefs, n), x)));
        if (overlapping.length) this.add("breaking", where, `oneOf has a new branch ${overlapping.map(label).join(", ")} that overlaps an older one: requests matching both are now rejected`, dir);
        const safe = unpaired.filter((n) => !overlapping.includes(n));
        if (safe.length) this.add("needs-minor", where, `oneOf accepts ${adds(safe.length)} ${safe.map(label).join(", ")}`, dir);
      } else this.add("needs-minor", where, `${k} accepts ${adds(unpaired.length)} ${unpaired.map(label).join(", ")}`, dir);
    }
  }

  /**
   * True when no value the older schema accepted can match both branches: different types, a
   * common required member with disjoint const/enum values, or a branch that requires a member
   * the older (closed) object never allowed.
   */
  private disjoint(a: SchemaNode, b: SchemaNode, parentOld: SchemaNode): boolean {
    if (a.type !== undefined && b.type !== undefined && missingTypes(typesOf(a), typesOf(b)).length === typesOf(a).length) return true;
    const values = (n: SchemaNode | undefined): unknown[] | undefined => (n?.const !== undefined ? [n.const] : n?.enum);
    for (const name of (a.required ?? []).filter((r) => (b.required ?? []).includes(r))) {
      const va = values(a.properties?.[name] ? effective(this.oldDefs, a.properties[name]!) : undefined);
      const vb = values(b.properties?.[name] ? effective(this.newDefs, b.properties[name]!) : undefined);
      if (va && vb && !va.some((v) => vb.some((w) => equal(v, w)))) return true;
    }
    const known = new Set(Object.keys(parentOld.properties ?? {}));
    if (parentOld.additionalProperties === false && (b.required ?? []).some((r) => !known.has(r))) return true;
    return false;
  }
}
