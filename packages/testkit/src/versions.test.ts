import { describe, expect, it } from "vitest";
import { VERSIONS } from "@stui/client/protocol";
import { checkIn, shapeError, shapeResult, versionInfo } from "./versions.js";

/**
 * Shaping with the real generated tables: what a newest-version handler answers, as a 1.0 or 1.1
 * client must get it.
 */
describe("shaping for an older version", () => {
  const v10 = versionInfo("1.0");

  it("leaves out a result member 1.0 does not know, and the shaped result is valid 1.0", () => {
    const result = { platform: { os: "unix" }, security: { authentication: "none", rejectedPeers: 0 } };
    expect(checkIn(v10, "SystemInfoResult", result).map((p) => p.path)).toEqual(["/security"]);
    const shaped = shapeResult(v10, "system.info", result);
    expect(shaped).toEqual({ platform: { os: "unix" } });
    expect(checkIn(v10, "SystemInfoResult", shaped)).toEqual([]);
    expect(result).toHaveProperty("security"); // the input is not changed
  });

  it("keeps a 1.1 result whole for a 1.1 request", () => {
    const result = { security: { authentication: "curve", rejectedPeers: 2 } };
    expect(shapeResult(versionInfo("1.1"), "system.info", result)).toEqual(result);
  });

  it("answers an error kind the command lacks in that version as internalError naming it", () => {
    const error = { code: VERSIONS["1.1"]!.errors["classNotFound"]!.code, message: "Class not found: Foo", data: { kind: "classNotFound", className: "Foo" } };
    const shaped = shapeError(v10, "ping", error);
    expect(shaped).toEqual({ code: -32603, message: "Class not found: Foo", data: { kind: "internalError", detail: "classNotFound (not an error kind of ping in protocol 1.0): Class not found: Foo" } });
    expect(checkIn(v10, "ErrorObject", shaped)).toEqual([]);
    expect(shapeError(v10, "class.browse", error)).toEqual(error);
  });

  it("leaves evaluate's output (1.2) out for 1.1 and 1.0, and keeps it for 1.2", () => {
    const result = { value: { printString: "42", className: "SmallInteger", truncated: false }, durationMs: 1, output: { text: "hello\n", truncated: false } };
    for (const version of ["1.0", "1.1"]) {
      const shaped = shapeResult(versionInfo(version), "evaluate", result);
      expect(shaped).toEqual({ value: result.value, durationMs: 1 });
      expect(checkIn(versionInfo(version), "EvaluateResult", shaped)).toEqual([]);
    }
    expect(shapeResult(versionInfo("1.2"), "evaluate", result)).toEqual(result);
  });

  it("answers cancelled (new in 1.2) to a 1.1 evaluate as internalError naming it", () => {
    const error = { code: VERSIONS["1.2"]!.errors["cancelled"]!.code, message: "Cancelled after 12 ms", data: { kind: "cancelled", durationMs: 12 } };
    const shaped = shapeError(versionInfo("1.1"), "evaluate", error);
    expect(shaped).toEqual({ code: -32603, message: "Cancelled after 12 ms", data: { kind: "internalError", detail: "cancelled (not an error kind of evaluate in protocol 1.1): Cancelled after 12 ms" } });
    expect(checkIn(versionInfo("1.1"), "ErrorObject", shaped)).toEqual([]);
    expect(shapeError(versionInfo("1.2"), "evaluate", error)).toEqual(error);
  });

  it("refuses a version this code does not serve", () => {
    expect(() => versionInfo("9.9")).toThrow(/not served by this code \(served: 1\.0, 1\.1, 1\.2\)/);
  });
});
