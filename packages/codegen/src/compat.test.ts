import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compareSchemas, verdict } from "./compat.js";
import { parseProtocolSchema } from "./schema.js";

const text = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "../fixtures/mini.schema.json"), "utf8");
const base = () => parseProtocolSchema(text, "old.json");
/** The fixture with an edit applied and a version of our choice. */
function edited(version: string, edit: (s: any) => void) {
  const s = JSON.parse(text);
  s["x-stui-version"] = version;
  edit(s);
  return parseProtocolSchema(JSON.stringify(s), "new.json");
}
const kinds = (changes: { severity: string; where: string }[]) => changes.map((c) => `${c.severity} ${c.where}`);

describe("compareSchemas", () => {
  it("finds nothing between a schema and itself", () => {
    expect(compareSchemas(base(), base())).toEqual([]);
  });

  it("calls a new optional param additive and a new required one breaking", () => {
    const opt = edited("0.2", (s) => (s.$defs.PingParams.properties.loud = { type: "boolean" }));
    expect(kinds(compareSchemas(base(), opt))).toEqual(["additive ping params.loud"]);
    const req = edited("0.2", (s) => {
      s.$defs.PingParams.properties.loud = { type: "boolean" };
      s.$defs.PingParams.required = ["loud"];
    });
    expect(kinds(compareSchemas(base(), req))).toEqual(["breaking ping params.loud"]);
  });

  it("treats enums and bounds by direction: params may widen, results may narrow", () => {
    const narrowerParam = edited("0.2", (s) => (s.$defs.Side.enum = ["left"]));
    expect(compareSchemas(base(), narrowerParam).map((c) => c.severity)).toEqual(["breaking"]);
    const widerParam = edited("0.2", (s) => (s.$defs.ThingLookParams.properties.limit.maximum = 50));
    expect(kinds(compareSchemas(base(), widerParam))).toEqual(["additive thing.look params.limit"]);
    const tighterParam = edited("0.2", (s) => (s.$defs.PingParams.properties.echo.maxLength = 5));
    expect(kinds(compareSchemas(base(), tighterParam))).toEqual(["breaking ping params.echo"]);
  });

  it("calls a removed or retyped result field breaking, a new optional one additive", () => {
    const removed = edited("0.2", (s) => {
      delete s.$defs.ThingLookResult.properties.tags;
      s.$defs.ThingLookResult.required = ["name"];
    });
    expect(kinds(compareSchemas(base(), removed))).toEqual(["breaking thing.look result.tags"]);
    const retyped = edited("0.2", (s) => (s.$defs.ThingLookResult.properties.name = { type: ["string", "null"] }));
    expect(kinds(compareSchemas(base(), retyped))).toEqual(["breaking thing.look result.name"]);
    const added = edited("0.2", (s) => (s.$defs.ThingLookResult.properties.size = { type: "integer" }));
    expect(kinds(compareSchemas(base(), added))).toEqual(["additive thing.look result.size"]);
  });

  it("flags removed commands, changed error codes, tighter permissions and lost retry safety", () => {
    const changed = edited("1.0", (s) => {
      delete s["x-stui-commands"].ping;
      s["x-stui-errors"].thingNotFound.code = -32099;
      s["x-stui-commands"]["thing.look"]["x-stui-permission"] = "system";
      s["x-stui-commands"]["thing.look"]["x-stui-idempotent"] = false;
    });
    const found = compareSchemas(base(), changed);
    expect(found.every((c) => c.severity === "breaking")).toBe(true);
    expect(kinds(found).sort()).toEqual(["breaking error thingNotFound", "breaking ping", "breaking thing.look", "breaking thing.look"]);
  });
});

describe("limits", () => {
  it("calls a smaller message size or nesting depth breaking, and a larger one no change", () => {
    const smaller = edited("0.2", (s) => {
      s["x-stui-limits"].maxMessageBytes = 512;
      s["x-stui-limits"].maxJsonDepth = 4;
    });
    expect(compareSchemas(base(), smaller).map((c) => c.message)).toEqual(["maxMessageBytes shrank from 1024 to 512", "maxJsonDepth shrank from 8 to 4"]);
    const larger = edited("0.2", (s) => (s["x-stui-limits"].maxJsonDepth = 16));
    expect(compareSchemas(base(), larger)).toEqual([]);
  });

  it("refuses a schema without a positive integer maxJsonDepth", () => {
    for (const bad of [undefined, 0, 2.5, "64"]) {
      expect(() => edited("0.2", (s) => (s["x-stui-limits"].maxJsonDepth = bad))).toThrow(/maxJsonDepth must be a positive integer/);
    }
  });
});

describe("verdict", () => {
  it("accepts an additive change with a minor bump and refuses it without one", () => {
    const edit = (s: any) => (s.$defs.PingParams.properties.loud = { type: "boolean" });
    expect(verdict(base(), edited("0.2", edit))).toMatchObject({ needed: "minor", made: "minor", ok: true });
    expect(verdict(base(), edited("0.1", edit))).toMatchObject({ needed: "minor", made: "none", ok: false });
  });

  it("needs a major bump for a breaking change", () => {
    const edit = (s: any) => (s.$defs.Side.enum = ["left"]);
    expect(verdict(base(), edited("0.2", edit))).toMatchObject({ needed: "major", made: "minor", ok: false });
    expect(verdict(base(), edited("1.0", edit))).toMatchObject({ needed: "major", made: "major", ok: true });
  });

  it("refuses a version that goes backwards", () => {
    expect(verdict(base(), edited("0.0", () => {})).ok).toBe(false);
  });
});
