/**
 * Protocol v1 as committed: its examples validate with the generated
 * validators, mutated copies do not, and the generated files on disk are
 * exactly what the generator writes today.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validators, COMMANDS } from "@stui/client/protocol";
import { check, generate, headerFacts, inputFromHistory } from "./generate.js";
import { readHistory } from "./releases.js";
import { findRepoRoot } from "./repo.js";
import { parseProtocolSchema, resolve, type SchemaNode } from "./schema.js";

const root = findRepoRoot();
const file = "protocol/v1/stui.schema.json";
const text = readFileSync(join(root, file), "utf8");
const schema = parseProtocolSchema(text, file);
type Validator = ((data: unknown) => boolean) & { errors?: unknown };
const v = validators as unknown as Record<string, Validator>;

describe("protocol v1 examples", () => {
  for (const c of schema.commands) {
    c.examples.forEach((ex, i) => {
      it(`${c.method} example ${i + 1} is a valid request and response`, () => {
        expect(v.Request!(ex.request), JSON.stringify(v.Request!.errors)).toBe(true);
        expect(ex.request.method).toBe(c.method);
        expect(v[c.paramsType]!(ex.request.params ?? {}), JSON.stringify(v[c.paramsType]!.errors)).toBe(true);
        expect(v.Response!(ex.response), JSON.stringify(v.Response!.errors)).toBe(true);
        const r = ex.response as { result?: unknown; error?: { code: number; data: { kind: string } } };
        if (r.result !== undefined) {
          expect(v[c.resultType]!(r.result), JSON.stringify(v[c.resultType]!.errors)).toBe(true);
        } else {
          const kind = r.error!.data.kind;
          expect([...c.errors, ...schema.envelopeErrors]).toContain(kind);
          expect(r.error!.code).toBe(schema.errors.find((e) => e.kind === kind)!.code);
        }
      });
    });
  }

  for (const [name, def] of Object.entries(schema.defs)) {
    it(`every example of $defs/${name} validates`, () => {
      expect(def.examples?.length ?? 0, `${name} has examples`).toBeGreaterThan(0);
      for (const ex of def.examples ?? []) expect(v[name]!(ex), JSON.stringify(v[name]!.errors)).toBe(true);
    });
  }
});

/** A value of the wrong JSON type for a schema. */
function wrongType(node: SchemaNode): unknown {
  const types = Array.isArray(node.type) ? node.type : [node.type];
  if (node.enum || node.const !== undefined || types.includes("string")) return types.includes("integer") ? { not: "a string" } : 12345;
  if (types.includes("integer") || types.includes("number")) return "not a number";
  if (types.includes("boolean")) return "not a boolean";
  if (types.includes("array")) return "not an array";
  return "not an object";
}

describe("protocol v1 validators reject mutated examples", () => {
  for (const c of schema.commands) {
    const params = resolve(schema.defs, schema.defs[c.paramsType]!);
    const example = (c.examples[0]!.request.params ?? {}) as Record<string, unknown>;

    for (const field of params.required ?? []) {
      it(`${c.method} without required ${field}`, () => {
        const mutated = { ...example };
        delete mutated[field];
        expect(v[c.paramsType]!(mutated)).toBe(false);
      });
    }
    for (const [field, prop] of Object.entries(params.properties ?? {})) {
      const node = resolve(schema.defs, prop);
      it(`${c.method} with ${field} of the wrong type`, () => {
        expect(v[c.paramsType]!({ ...example, [field]: wrongType(node) })).toBe(false);
      });
      if (node.enum) {
        it(`${c.method} with an unknown ${field} value`, () => {
          expect(v[c.paramsType]!({ ...example, [field]: "no-such-value" })).toBe(false);
        });
      }
    }
    it(`${c.method} with an unknown field`, () => {
      expect(v[c.paramsType]!({ ...example, surprise: true })).toBe(false);
    });
  }

  it("envelope without stui, with a wrong jsonrpc, or with a float id", () => {
    const good = { jsonrpc: "2.0", id: 1, stui: "1.0", method: "ping", params: {} };
    expect(v.Request!(good)).toBe(true);
    const { stui: _, ...noVersion } = good;
    expect(v.Request!(noVersion)).toBe(false);
    expect(v.Request!({ ...good, jsonrpc: "1.0" })).toBe(false);
    expect(v.Request!({ ...good, id: 1.5 })).toBe(false);
  });
});

describe("generated files", () => {
  it("on disk are exactly what the generator writes now (npm run generate:check)", () => {
    expect(check(root, generate(inputFromHistory(readHistory(root)), headerFacts(schema)))).toEqual([]);
  });

  it("go stale when any word of a description changes", () => {
    const edited = text.replace("Liveness check", "Aliveness check");
    expect(edited).not.toBe(text);
    const history = readHistory(root);
    const major = history.majors[0]!;
    const editedSchema = parseProtocolSchema(edited, file);
    const withEdit = { majors: [{ ...major, working: editedSchema, versions: major.versions.map((s) => (s === major.working ? editedSchema : s)) }] };
    const drift = check(root, generate(inputFromHistory(withEdit), headerFacts(editedSchema)));
    expect(drift.length).toBeGreaterThan(0);
    expect(drift.every((d) => d.status === "changed")).toBe(true);
  });

  it("give the Pharo package one abstract handler per command", () => {
    const handler = readFileSync(join(root, "pharo/src/STUI-Protocol/STUIProtocolHandler.class.st"), "utf8");
    const abstract = [...handler.matchAll(/^STUIProtocolHandler >> (handle\w+): params \[[^\]]*?\^ self subclassResponsibility\n\]/gms)].map((m) => m[1]);
    expect([...abstract].sort()).toEqual(schema.commands.map((c) => `handle${c.pascal}`).sort());
    expect(Object.keys(COMMANDS)).toEqual(schema.commands.map((c) => c.method));
  });
});
