import { describe, expect, it } from "vitest";
import { deepestValue, depthOfValue } from "./depth.js";
import type { SchemaNode } from "./schema.js";

const defs: Record<string, SchemaNode> = {
  Leaf: { type: "string" },
  Pair: { type: "object", properties: { a: { $ref: "#/$defs/Leaf" }, b: { type: "array", items: { type: "integer" } } }, additionalProperties: false },
  Tree: { type: "object", properties: { children: { type: "array", items: { $ref: "#/$defs/Tree" } } }, additionalProperties: false },
};
const deepest = (node: SchemaNode | boolean) => deepestValue(node, defs);

describe("depthOfValue", () => {
  it("counts arrays and objects nested in each other", () => {
    expect([1, "x", null, {}, [], { a: [1] }, [[[]]], { a: 1, b: { c: {} } }].map(depthOfValue)).toEqual([0, 0, 0, 1, 1, 2, 3, 3]);
  });
});

describe("deepestValue", () => {
  it("bounds closed objects and typed arrays, following $ref", () => {
    expect(deepest({ type: "integer" })).toBe(0);
    expect(deepest({ $ref: "#/$defs/Pair" })).toBe(2);
    expect(deepest({ type: "array", items: { $ref: "#/$defs/Pair" } })).toBe(3);
    expect(deepest({ type: ["string", "object"], properties: { x: { type: "array", items: { type: "number" } } }, additionalProperties: false })).toBe(2);
  });

  it("answers Infinity when nothing bounds the depth: no type, open objects, untyped items, recursion", () => {
    expect(deepest(true)).toBe(Infinity);
    expect(deepest({ description: "anything" })).toBe(Infinity);
    expect(deepest({ type: "object" })).toBe(Infinity);
    expect(deepest({ type: "array" })).toBe(Infinity);
    expect(deepest({ $ref: "#/$defs/Tree" })).toBe(Infinity);
  });

  it("takes const and enum values as they are, the deepest oneOf/anyOf branch, and every allOf member as a bound", () => {
    expect(deepest({ const: { a: [1] } })).toBe(2);
    expect(deepest({ enum: ["x", [[1]]] })).toBe(2);
    expect(deepest({ oneOf: [{ type: "string" }, { $ref: "#/$defs/Pair" }] })).toBe(2);
    // Required-only branches (inspect's handle or expression) do not loosen the object they sit in.
    expect(deepest({ type: "object", properties: { h: { type: "string" } }, oneOf: [{ required: ["h"] }], additionalProperties: false })).toBe(1);
    expect(deepest({ allOf: [{ type: "object" }, { $ref: "#/$defs/Pair" }] })).toBe(2);
  });
});
