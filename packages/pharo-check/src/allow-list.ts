/**
 * Deliberate dynamic sends and classes from outside the index, listed with a reason:
 *
 *   [ { "selector": "zmqCall:", "reason": "sent through perform: from generated code" },
 *     { "class": "SpPresenter", "reason": "Spec2 is loaded in the stock image but not in the index" } ]
 *
 * An entry without a non-empty reason is an error.
 */

import { existsSync, readFileSync } from "node:fs";

export interface AllowList {
  path: string | undefined;
  selectors: Map<string, string>;
  classes: Map<string, string>;
  /** Problems with the file itself: 1-based line, message. */
  errors: { line: number; message: string }[];
}

export function emptyAllowList(): AllowList {
  return { path: undefined, selectors: new Map(), classes: new Map(), errors: [] };
}

export function loadAllowList(path: string): AllowList {
  const list = emptyAllowList();
  if (!existsSync(path)) return list;
  list.path = path;
  const text = readFileSync(path, "utf8");
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    list.errors.push({ line: 1, message: `not valid JSON: ${(e as Error).message}` });
    return list;
  }
  const entries = Array.isArray(data) ? data : (data as { allow?: unknown })?.allow;
  if (!Array.isArray(entries)) {
    list.errors.push({ line: 1, message: 'expected a JSON array of { "selector" | "class", "reason" } entries' });
    return list;
  }
  // Point errors at the line where the n-th entry object starts, when it can be found.
  const objectLines: number[] = [];
  {
    let depth = 0;
    let line = 1;
    let inString = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === "\n") line++;
      if (inString) {
        if (c === "\\") i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === "[" || c === "{") {
        depth++;
        if (c === "{" && depth === (Array.isArray(data) ? 2 : 3)) objectLines.push(line);
      } else if (c === "]" || c === "}") depth--;
    }
  }
  entries.forEach((entry: unknown, i: number) => {
    const line = objectLines[i] ?? 1;
    const e = entry as { selector?: unknown; class?: unknown; reason?: unknown };
    const what = typeof e?.selector === "string" ? `selector #${e.selector}` : typeof e?.class === "string" ? `class ${e.class}` : undefined;
    if (!e || typeof e !== "object" || !what) {
      list.errors.push({ line, message: `entry ${i + 1} must name a "selector" or a "class"` });
      return;
    }
    if (typeof e.reason !== "string" || e.reason.trim() === "") {
      list.errors.push({ line, message: `entry ${i + 1} (${what}) has no reason` });
      return;
    }
    if (typeof e.selector === "string") list.selectors.set(e.selector, e.reason);
    if (typeof e.class === "string") list.classes.set(e.class, e.reason);
  });
  return list;
}
