/**
 * Shaping: how a server turns a reply built for the newest version into one valid under an older
 * version of the same major, computed from the two schemas (never written per field).
 *
 * - A result or error data: wherever the older schema has a closed object
 *   (`additionalProperties: false`), members it does not know are left out; nested objects and
 *   array items are shaped the same way. Types identical in both versions need no plan.
 * - An error kind the older version lacks, or that the command could not answer in the older
 *   version, is answered as `internalError` whose detail names the kind and its message
 *   (`internalError` exists in every version and every command may answer it).
 *
 * Everything else a newer reply could carry that an older client rejects (a new enum value, a new
 * oneOf branch, a looser bound) cannot be shaped: the checker calls such changes breaking.
 */
import equal from "fast-deep-equal";
import { type ProtocolSchema, type SchemaNode } from "./schema.js";
import { ANNOTATIONS, effective } from "./compat/nodes.js";

/** How to shape one value: keep only `keep` members (a closed older object), then shape members / items. */
export interface ShapePlan {
  keep?: string[];
  properties?: Record<string, ShapePlan>;
  items?: ShapePlan;
}

/** The error kind an older client gets instead of one its version lacks. */
export const FALLBACK_ERROR_KIND = "internalError";

function strip(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strip);
  if (node && typeof node === "object") {
    return Object.fromEntries(Object.entries(node).filter(([k]) => !ANNOTATIONS.has(k) && k !== "default").map(([k, v]) => [k, strip(v)]));
  }
  return node;
}

/** Fully expanded (every `$ref` inlined), annotations dropped: for "are these the same type". */
function expanded(defs: Record<string, SchemaNode>, node: SchemaNode): unknown {
  const e = effective(defs, node);
  const walk = (n: unknown): unknown => {
    if (Array.isArray(n)) return n.map(walk);
    if (n && typeof n === "object") {
      const o = n as SchemaNode;
      if (o.$ref) return walk(effective(defs, o));
      return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, walk(v)]));
    }
    return n;
  };
  return strip(walk(e));
}

/** The plan that shapes a value valid under `newer` into one valid under `older`; undefined when none is needed. */
export function shapePlan(olderDefs: Record<string, SchemaNode>, older: SchemaNode, newerDefs: Record<string, SchemaNode>, newer: SchemaNode): ShapePlan | undefined {
  if (equal(expanded(olderDefs, older), expanded(newerDefs, newer))) return undefined;
  const a = effective(olderDefs, older);
  const b = effective(newerDefs, newer);
  const plan: ShapePlan = {};
  if (a.properties || b.properties || a.additionalProperties === false) {
    const known = Object.keys(a.properties ?? {});
    const newMembers = Object.keys(b.properties ?? {}).some((p) => !known.includes(p)) || b.additionalProperties !== false;
    if (a.additionalProperties === false && newMembers) plan.keep = known;
    for (const [name, prop] of Object.entries(a.properties ?? {})) {
      const next = b.properties?.[name];
      if (!next) continue;
      const sub = shapePlan(olderDefs, prop, newerDefs, next);
      if (sub) (plan.properties ??= {})[name] = sub;
    }
  }
  if (a.items && b.items && typeof a.items === "object" && typeof b.items === "object") {
    const sub = shapePlan(olderDefs, a.items, newerDefs, b.items);
    if (sub) plan.items = sub;
  }
  return Object.keys(plan).length ? plan : undefined;
}

/** Applies a plan to a JSON value (a fresh value; the input is not changed). */
export function applyShape(value: unknown, plan: ShapePlan | undefined): unknown {
  if (!plan) return value;
  if (Array.isArray(value)) return plan.items ? value.map((v) => applyShape(v, plan.items)) : value;
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (plan.keep && !plan.keep.includes(k)) continue;
    out[k] = applyShape(v, plan.properties?.[k]);
  }
  return out;
}

export interface VersionShapes {
  /** By `$defs` name of a result or error data type of the older version. */
  types: Record<string, ShapePlan>;
}

/** Every plan a server needs to answer `older` while built from `newer`. */
export function versionShapes(older: ProtocolSchema, newer: ProtocolSchema): VersionShapes {
  const types: Record<string, ShapePlan> = {};
  const pairs: [string, string][] = [];
  for (const oc of older.commands) {
    const nc = newer.commands.find((c) => c.method === oc.method);
    if (nc) pairs.push([oc.resultType, nc.resultType]);
  }
  for (const oe of older.errors) {
    const ne = newer.errors.find((e) => e.kind === oe.kind);
    if (ne) pairs.push([oe.dataType, ne.dataType]);
  }
  for (const [o, n] of pairs) {
    const plan = shapePlan(older.defs, { $ref: `#/$defs/${o}` }, newer.defs, { $ref: `#/$defs/${n}` });
    if (plan) types[o] = plan;
  }
  return { types };
}
