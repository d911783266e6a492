import { describe, expect, it } from "vitest";
import { STUI_ERROR_CODES as CLIENT_CODES, StuiError as ClientError } from "@stui/client";
import { deserializeError, serializeError } from "./ipc.js";
import { STUI_ERROR_CODES, StuiError, isRemoteError, isStuiError, type ScriptSession } from "./script-api.js";

describe("a script's error codes", () => {
  it("are exactly @stui/client's, so every client error reaches the script with its code", () => {
    expect([...STUI_ERROR_CODES].sort()).toEqual([...CLIENT_CODES].sort());
    for (const code of CLIENT_CODES) {
      const crossed = deserializeError(serializeError(new ClientError(code, `a ${code} failure`)));
      expect(isStuiError(crossed, code), code).toBe(true);
      expect(crossed.message).toBe(`a ${code} failure`);
    }
  });
});

// Types a script sees, checked by `npm run typecheck` (each line marked to expect an error must
// be one) and run below with real values.
function scriptDescribes(e: unknown): string {
  if (isStuiError(e, "EREMOTE") && e.kind === "evaluationError") return e.data.exceptionClass;
  if (isRemoteError(e, "syntaxError")) return `line ${e.data.line}`;
  return "other";
}
function inspectShapes(session: ScriptSession): void {
  void session.inspect({ handle: "h1" });
  void session.inspect({ expression: "3 @ 4" });
  // @ts-expect-error neither handle nor expression
  void session.inspect({});
  // @ts-expect-error both
  void session.inspect({ handle: "h1", expression: "3 @ 4" });
}

describe("a script's error types", () => {
  it("kind narrows data, for host errors as for the server's", () => {
    expect(typeof inspectShapes).toBe("function");
    const evaluation = new StuiError("EREMOTE", "evaluate: ZeroDivide", "evaluationError", { kind: "evaluationError", exceptionClass: "ZeroDivide", messageText: "", description: "", frames: [] });
    const syntax = new StuiError("EREMOTE", "x", "syntaxError", { kind: "syntaxError", description: "d", line: 3, column: 1, position: 1 });
    expect([evaluation, syntax, new StuiError("ETIMEOUT", "late")].map(scriptDescribes)).toEqual(["ZeroDivide", "line 3", "other"]);
  });
});
