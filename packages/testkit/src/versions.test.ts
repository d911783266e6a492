import { describe, expect, it } from "vitest";
import { VERSIONS } from "@stui/client/protocol";
import { checkIn, shapeError, shapeResult, versionInfo } from "./versions.js";

/**
 * Shaping with the real generated tables: what a 1.1 handler answers, as a 1.0 client must get it.
 * (1.1 adds no error kind, so the kind mapping is shown with a kind the command lacks in 1.0.)
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

  it("refuses a version this code does not serve", () => {
    expect(() => versionInfo("9.9")).toThrow(/not served by this code \(served: 1\.0, 1\.1\)/);
  });
});
