import { describe, expect, it } from "vitest";
import { STUI_ERROR_CODES, StuiError, StuiRemoteError, StuiValidationError, StuiVersionError, isRemoteError, isStuiError } from "./errors.js";

describe("StuiError", () => {
  it("is an Error with a stable code, and the guard checks the code", () => {
    const e = new StuiError("ETIMEOUT", "no reply", { method: "ping", requestId: "ab-1" });
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe("ETIMEOUT");
    expect(e.method).toBe("ping");
    expect(isStuiError(e)).toBe(true);
    expect(isStuiError(e, "ETIMEOUT")).toBe(true);
    expect(isStuiError(e, "ECLOSED")).toBe(false);
    expect(isStuiError(new Error("x"))).toBe(false);
    expect(isStuiError({ code: "ETIMEOUT" })).toBe(false);
  });

  it("narrows remote errors by kind so data is typed", () => {
    const e: unknown = new StuiRemoteError("syntaxError", -32010, "bad", { kind: "syntaxError", description: "']' expected", line: 1, column: 3, position: 3 });
    expect(isStuiError(e, "EREMOTE")).toBe(true);
    expect(isRemoteError(e, "evaluationError")).toBe(false);
    if (!isRemoteError(e, "syntaxError")) throw new Error("guard failed");
    expect(e.data.column).toBe(3);
    expect(e.rpcCode).toBe(-32010);
  });

  it("carries validation problems and both sides of a version mismatch", () => {
    const v = new StuiValidationError("bad", [{ path: "/code", message: "must be string" }]);
    expect(isStuiError(v, "EVALIDATION") && v.problems[0]?.path).toBe("/code");
    const w = new StuiVersionError(["1.0"], ["2.0", "3.1"]);
    expect(w.code).toBe("EVERSION");
    expect(w.message).toContain("1.0");
    expect(w.message).toContain("3.1");
  });

  it("lists every code once", () => {
    expect(new Set(STUI_ERROR_CODES).size).toBe(STUI_ERROR_CODES.length);
    expect([...STUI_ERROR_CODES].sort()).toEqual(["EABORTED", "ECLOSED", "ECONNECTION", "EPROTOCOL", "EREMOTE", "ETIMEOUT", "ETOOLARGE", "EVALIDATION", "EVERSION"]);
  });
});
