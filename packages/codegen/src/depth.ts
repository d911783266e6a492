/**
 * How deep a message a protocol version accepts can nest: what the checker needs to judge
 * `x-stui-limits.maxJsonDepth`. The depth limit is enforced by the JSON parser, before a request's
 * version is known, so it applies to every version a server serves (docs/protocol-evolution.md);
 * a limit is only safe while no request some served version accepts nests deeper than it.
 *
 * Depth counts arrays and objects nested in each other, as the parsers do: `1` and `"x"` are 0
 * deep, `{}` and `[]` 1, `{"a":[1]}` 2. A request is an object, so its params sit one level down.
 */
import { type ProtocolSchema, type SchemaNode, refName } from "./schema.js";

type Defs = Record<string, SchemaNode>;

/** Depth of a JSON value (for `const`, `enum` and examples). Iterative: the value may be deep. */
export function depthOfValue(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== "object") continue;
    max = Math.max(max, depth + 1);
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
  }
  return max;
}

/**
 * An upper bound on the depth of any value `node` accepts: `Infinity` when nothing bounds it (no
 * `type`, an open object or array, a recursive `$ref`). Never smaller than the truth; it may be
 * larger (`not`, `if`, patterns are ignored), which only makes the checker stricter.
 */
export function deepestValue(node: SchemaNode | boolean | undefined, defs: Defs, seen: readonly string[] = []): number {
  if (node === undefined || node === true) return Infinity;
  if (node === false) return 0;
  // Every keyword of a node applies at once, so each one that bounds the depth bounds the node.
  const bounds: number[] = [];
  if (node.$ref !== undefined) {
    const name = refName(node.$ref);
    bounds.push(seen.includes(name) ? Infinity : deepestValue(defs[name], defs, [...seen, name]));
  }
  if ("const" in node) bounds.push(depthOfValue(node.const));
  if (Array.isArray(node.enum)) bounds.push(Math.max(0, ...node.enum.map(depthOfValue)));
  for (const k of ["oneOf", "anyOf"] as const) {
    const branches = node[k];
    if (Array.isArray(branches)) bounds.push(Math.max(0, ...branches.map((b) => deepestValue(b, defs, seen))));
  }
  if (Array.isArray(node.allOf)) bounds.push(...(node.allOf as SchemaNode[]).map((b) => deepestValue(b, defs, seen)));
  if (node.type !== undefined) bounds.push(byType(node, defs, seen));
  return bounds.length === 0 ? Infinity : Math.min(...bounds);
}

function byType(node: SchemaNode, defs: Defs, seen: readonly string[]): number {
  const types = Array.isArray(node.type) ? node.type : [node.type!];
  let deepest = 0;
  for (const t of types) {
    if (t === "object") {
      const members = Object.values(node.properties ?? {}).map((p) => deepestValue(p, defs, seen));
      if (node.additionalProperties !== false) members.push(deepestValue(node.additionalProperties ?? true, defs, seen));
      const patterns = node["patternProperties"] as Record<string, SchemaNode> | undefined;
      for (const p of Object.values(patterns ?? {})) members.push(deepestValue(p, defs, seen));
      deepest = Math.max(deepest, 1 + Math.max(0, ...members));
    } else if (t === "array") {
      const prefix = (node["prefixItems"] as SchemaNode[] | undefined) ?? [];
      const items = node.maxItems === 0 ? 0 : deepestValue(node.items ?? true, defs, seen);
      deepest = Math.max(deepest, 1 + Math.max(items, ...prefix.map((p) => deepestValue(p, defs, seen))));
    }
  }
  return deepest;
}

/**
 * How deep the deepest request a version accepts nests: the request object around the deepest
 * params of any of its commands. (The envelope alone accepts any params object; the params
 * schema of the method bounds it.)
 */
export function deepestRequest(schema: ProtocolSchema): number {
  const params = schema.commands.map((c) => deepestValue(schema.defs[c.paramsType], schema.defs));
  return 1 + Math.max(0, ...params);
}
