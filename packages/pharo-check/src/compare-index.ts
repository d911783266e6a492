/**
 * How two Pharo indexes differ: behaviors only in one of them, and per behavior its superclass,
 * package, variables, selectors and deprecated selectors. Used to compare a rebuilt index with
 * another one (scripts/build-index.ts --compare).
 */

import type { IndexEntry, PharoSymbols } from "./pharo-index.js";

const LIST_FIELDS = ["instVars", "classVars", "classInstVars", "sharedPools", "instanceSelectors", "classSelectors", "deprecatedInstanceSelectors", "deprecatedClassSelectors", "extendedBy", "traits"] as const;
const SCALAR_FIELDS = ["superclass", "package", "tag", "layout", "traitComposition", "classTraitComposition", "definedOutsideThisRepository"] as const;

/** Lines describing every difference from `older` to `newer` (empty when they agree). */
export function compareIndexes(older: PharoSymbols, newer: PharoSymbols, detailLimit = 20): string[] {
  const lines: string[] = [];
  const diff = (kind: "classes" | "traits"): void => {
    const a = older[kind];
    const b = newer[kind];
    const onlyA = Object.keys(a).filter((n) => !Object.hasOwn(b, n)).sort();
    const onlyB = Object.keys(b).filter((n) => !Object.hasOwn(a, n)).sort();
    if (onlyA.length) lines.push(`${kind} only in the other index (${onlyA.length}): ${onlyA.slice(0, detailLimit).join(", ")}${onlyA.length > detailLimit ? ", …" : ""}`);
    if (onlyB.length) lines.push(`${kind} only in the new index (${onlyB.length}): ${onlyB.slice(0, detailLimit).join(", ")}${onlyB.length > detailLimit ? ", …" : ""}`);
    const byField = new Map<string, string[]>();
    for (const name of Object.keys(a).filter((n) => Object.hasOwn(b, n)).sort()) {
      for (const d of entryDifferences(a[name]!, b[name]!)) {
        const list = byField.get(d.field) ?? [];
        list.push(`${name}${d.detail}`);
        byField.set(d.field, list);
      }
    }
    for (const [field, items] of [...byField].sort()) {
      lines.push(`${kind}: ${field} differs for ${items.length}: ${items.slice(0, detailLimit).join("; ")}${items.length > detailLimit ? "; …" : ""}`);
    }
  };
  diff("classes");
  diff("traits");
  const globalsA = JSON.stringify(Object.entries(older.globals ?? {}).sort());
  const globalsB = JSON.stringify(Object.entries(newer.globals ?? {}).sort());
  if (globalsA !== globalsB) lines.push(`globals differ: ${globalsA} vs ${globalsB}`);
  return lines;
}

function entryDifferences(a: IndexEntry, b: IndexEntry): { field: string; detail: string }[] {
  const out: { field: string; detail: string }[] = [];
  for (const f of SCALAR_FIELDS) {
    const va = (a as unknown as Record<string, unknown>)[f];
    const vb = (b as unknown as Record<string, unknown>)[f];
    if ((va ?? null) !== (vb ?? null)) out.push({ field: f, detail: ` (${JSON.stringify(va ?? null)} -> ${JSON.stringify(vb ?? null)})` });
  }
  for (const f of LIST_FIELDS) {
    const sa = new Set(((a as unknown as Record<string, string[] | undefined>)[f]) ?? []);
    const sb = new Set(((b as unknown as Record<string, string[] | undefined>)[f]) ?? []);
    const removed = [...sa].filter((x) => !sb.has(x));
    const added = [...sb].filter((x) => !sa.has(x));
    if (removed.length || added.length) {
      out.push({ field: f, detail: ` (${[...removed.map((x) => `-${x}`), ...added.map((x) => `+${x}`)].slice(0, 6).join(" ")}${removed.length + added.length > 6 ? " …" : ""})` });
    }
  }
  return out;
}
