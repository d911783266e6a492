import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compareSchemas, verdict } from "./compat.js";
import { generate } from "./generate.js";
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
    expect(kinds(compareSchemas(base(), opt))).toEqual(["needs-minor ping params.loud"]);
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
    expect(kinds(compareSchemas(base(), widerParam))).toEqual(["needs-minor thing.look params.limit"]);
    const tighterParam = edited("0.2", (s) => (s.$defs.PingParams.properties.echo.maxLength = 5));
    expect(kinds(compareSchemas(base(), tighterParam))).toEqual(["breaking ping params.echo"]);
  });

  it("calls a removed or retyped result field breaking, a new optional one needs-minor", () => {
    const removed = edited("0.2", (s) => {
      delete s.$defs.ThingLookResult.properties.tags;
      s.$defs.ThingLookResult.required = ["name"];
    });
    expect(kinds(compareSchemas(base(), removed))).toEqual(["breaking thing.look result.tags"]);
    const retyped = edited("0.2", (s) => (s.$defs.ThingLookResult.properties.name = { type: ["string", "null"] }));
    expect(kinds(compareSchemas(base(), retyped))).toEqual(["breaking thing.look result.name"]);
    const added = edited("0.2", (s) => (s.$defs.ThingLookResult.properties.size = { type: "integer" }));
    expect(kinds(compareSchemas(base(), added))).toEqual(["needs-minor thing.look result.size"]);
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
  const messages = (older: ReturnType<typeof base>, newer: ReturnType<typeof base>) => compareSchemas(older, newer).map((c) => `${c.severity} ${c.message}`);

  it("calls any change of the message size breaking", () => {
    const smaller = edited("0.2", (s) => (s["x-stui-limits"].maxMessageBytes = 512));
    expect(messages(base(), smaller)).toEqual(["breaking maxMessageBytes changed from 1024 to 512: older clients send requests up to the old limit"]);
  });

  // The fixture's deepest valid request nests 3 deep: {"params":{"flags":[true]}}.
  it("judges a lower nesting depth by the deepest request the older version accepts", () => {
    const below = edited("0.2", (s) => (s["x-stui-limits"].maxJsonDepth = 2));
    expect(messages(base(), below)).toEqual(["breaking maxJsonDepth changed from 8 to 2: requests of 0.1 may nest 3 deep, and the parser applies the limit to every version served"]);
    const above = edited("0.2", (s) => (s["x-stui-limits"].maxJsonDepth = 3));
    expect(messages(base(), above)).toEqual(["needs-minor maxJsonDepth changed from 8 to 3: no request 0.1 accepts nests deeper than 3; a deeper message, already invalid, is now a parseError in every version served"]);
    const larger = edited("0.2", (s) => (s["x-stui-limits"].maxJsonDepth = 16));
    expect(messages(base(), larger)).toEqual(["needs-minor maxJsonDepth changed from 8 to 16: servers accept deeper messages; clients never check the depth of replies"]);
  });

  it("judges a depth limit stated for the first time the same way, and an open params object as unbounded", () => {
    const without = edited("0.1", (s) => delete s["x-stui-limits"].maxJsonDepth);
    expect(messages(without, base())).toEqual(["needs-minor maxJsonDepth is now stated (8): no request 0.1 accepts nests deeper than 3; a deeper message, already invalid, is now a parseError in every version served"]);
    const open = edited("0.1", (s) => {
      delete s["x-stui-limits"].maxJsonDepth;
      s.$defs.PingParams.additionalProperties = true;
    });
    const openWithLimit = edited("0.2", (s) => (s.$defs.PingParams.additionalProperties = true));
    expect(messages(open, openWithLimit)).toEqual(["breaking maxJsonDepth is now stated (8): requests of 0.1 may nest without bound, and the parser applies the limit to every version served"]);
  });

  it("accepts a schema that states no depth limit, refuses a malformed one, and generates only from one that states it", () => {
    for (const bad of [0, 2.5, "64"]) {
      expect(() => edited("0.2", (s) => (s["x-stui-limits"].maxJsonDepth = bad))).toThrow(/maxJsonDepth must be a positive integer/);
    }
    const without = edited("0.1", (s) => delete s["x-stui-limits"].maxJsonDepth);
    expect(without.maxJsonDepth).toBeUndefined();
    expect(() => generate(without)).toThrow(/maxJsonDepth is required in the schema code is generated from/);
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
