import { describe, expect, it } from "vitest";
import { compareVersions, exceedsJsonDepth, negotiateVersion, toProblems } from "./wire.js";
import { ReplyCache } from "./reply-cache.js";
import { timestamp } from "./sessions.js";

describe("versions", () => {
  it("compares MAJOR.MINOR numerically", () => {
    expect(["1.10", "1.2", "2.0", "0.9"].sort(compareVersions)).toEqual(["0.9", "1.2", "1.10", "2.0"]);
  });
  it("negotiates the highest version in both lists, or none", () => {
    expect(negotiateVersion(["1.0", "1.1", "2.0"], ["1.0", "1.1"])).toBe("1.1");
    expect(negotiateVersion(["1.0"], ["1.0", "1.1"])).toBe("1.0");
    expect(negotiateVersion(["2.0"], ["1.0"])).toBeUndefined();
  });
});

describe("toProblems", () => {
  it("points at a member that is not allowed, escaped as a JSON Pointer token, as the Pharo validators do", () => {
    expect(toProblems([{ instancePath: "/params", schemaPath: "#/additionalProperties", keyword: "additionalProperties", params: { additionalProperty: "a/b~c" }, message: "must NOT have additional properties" }]))
      .toEqual([{ path: "/params/a~1b~0c", message: "must NOT have additional properties" }]);
  });

  it("lists the allowed values of an enum, and keeps ajv's pointer and message otherwise", () => {
    expect(toProblems([
      { instancePath: "/side", schemaPath: "#/enum", keyword: "enum", params: { allowedValues: ["instance", "class"] }, message: "must be equal to one of the allowed values" },
      { instancePath: "/code", schemaPath: "#/type", keyword: "type", params: { type: "string" }, message: "must be string" },
    ])).toEqual([
      { path: "/side", message: "must be equal to one of the allowed values: instance, class" },
      { path: "/code", message: "must be string" },
    ]);
  });
});

describe("ReplyCache", () => {
  it("evicts the least recently used entry", async () => {
    const cache = new ReplyCache(2);
    cache.set("a", Promise.resolve("A"));
    cache.set("b", Promise.resolve("B"));
    expect(await cache.get("a")).toBe("A");
    cache.set("c", Promise.resolve("C"));
    expect(cache.get("b")).toBeUndefined();
    expect(await cache.get("a")).toBe("A");
    expect(cache.size).toBe(2);
  });
  it("refuses a negative size", () => {
    expect(() => new ReplyCache(-1)).toThrow(RangeError);
  });
});

describe("timestamp", () => {
  it("prints ISO 8601 with a +00:00 offset, as Pharo does", () => {
    expect(timestamp(Date.UTC(2026, 10, 28, 9, 30))).toBe("2026-11-28T09:30:00.000+00:00");
  });
});

describe("exceedsJsonDepth", () => {
  it("counts arrays and objects nested in each other, not brackets inside strings", () => {
    expect(exceedsJsonDepth("[[1]]", 2)).toBe(false);
    expect(exceedsJsonDepth("[[[1]]]", 2)).toBe(true);
    expect(exceedsJsonDepth('{"a":{"b":{}}}', 2)).toBe(true);
    expect(exceedsJsonDepth('[{"a":1},{"b":2}]', 2)).toBe(false);
    expect(exceedsJsonDepth('["[[[[", "\\", "\"[[["]', 1)).toBe(false);
    expect(exceedsJsonDepth("[".repeat(100000), 64)).toBe(true);
  });
});
