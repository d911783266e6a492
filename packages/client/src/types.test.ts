// What the types promise, checked twice: `npm run typecheck` compiles this file (each line
// marked to expect an error must really be one, or tsc fails), and the tests below run the same
// shapes through the generated validators and the real error classes.
import { describe, expect, it } from "vitest";
import { validators, type InspectParams } from "./gen/index.js";
import { StuiRemoteError, isRemoteError, isStuiError } from "./errors.js";

// inspect: exactly one of handle and expression (the schema's oneOf of required lists).
const byHandle: InspectParams = { sessionId: "s-1", handle: "h1" };
const byExpression: InspectParams = { sessionId: "s-1", expression: "3 @ 4", limit: 10 };
// @ts-expect-error neither handle nor expression
const neither: InspectParams = { sessionId: "s-1" };
// @ts-expect-error both handle and expression
const both: InspectParams = { sessionId: "s-1", handle: "h1", expression: "3 @ 4" };

/** An error's kind narrows its data: no cast anywhere. */
function describeError(e: unknown): string {
  if (isStuiError(e, "EREMOTE") && e.kind === "evaluationError") return `evaluation: ${e.data.exceptionClass}`;
  if (isRemoteError(e) && e.kind === "syntaxError") return `syntax: line ${e.data.line}`;
  if (isRemoteError(e, "classNotFound")) return `class: ${e.data.className}`;
  if (isStuiError(e, "EREMOTE")) {
    // @ts-expect-error without checking the kind, data is any kind's
    return String(e.data.exceptionClass);
  }
  return "other";
}

describe("types that say what the schema says", () => {
  it("inspect params: the validator agrees with the type (one of handle and expression, not none, not both)", () => {
    expect(validators.InspectParams(byHandle)).toBe(true);
    expect(validators.InspectParams(byExpression)).toBe(true);
    expect(validators.InspectParams(neither)).toBe(false);
    expect(validators.InspectParams(both)).toBe(false);
  });

  it("an error reply's kind narrows its data", () => {
    const evaluation = new StuiRemoteError("evaluationError", -32010, "evaluate: ZeroDivide", { kind: "evaluationError", exceptionClass: "ZeroDivide", messageText: "", description: "ZeroDivide", frames: [] });
    const syntax = new StuiRemoteError("syntaxError", -32009, "evaluate: ']' expected", { kind: "syntaxError", description: "']' expected", line: 2, column: 4, position: 9 });
    const missing = new StuiRemoteError("classNotFound", -32003, "no class", { kind: "classNotFound", className: "Pointt" });
    expect([evaluation, syntax, missing, new Error("x")].map(describeError)).toEqual(["evaluation: ZeroDivide", "syntax: line 2", "class: Pointt", "other"]);
  });
});
