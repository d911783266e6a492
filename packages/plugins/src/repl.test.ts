import { describe, expect, it } from "vitest";
import { formatError, isComplete, parseMethodRef } from "./repl.js";

describe("isComplete: when an entry can be sent", () => {
  it.each([
    ["3 + 4", true],
    ["#(1 2 3) collect: [:x |", false],
    ["#(1 2 3) collect: [:x | x * 2]", true],
    ["'an open string", false],
    ["'it''s closed'", true],
    ["'it''s", false],
    ['"an open comment', false],
    ['"a comment with ( inside" 1', true],
    ["$( printString", true],
    ["{ 1. 2", false],
    ["'[' size", true],
  ])("%j → %s", (source, complete) => expect(isComplete(source)).toBe(complete));
});

describe("parseMethodRef", () => {
  it("reads instance and class side references", () => {
    expect(parseMethodRef("Point>>x")).toEqual({ className: "Point", selector: "x", side: "instance" });
    expect(parseMethodRef("Point class >> #x:y:")).toEqual({ className: "Point", selector: "x:y:", side: "class" });
    expect(parseMethodRef("not a ref")).toBeUndefined();
  });
});

describe("formatError", () => {
  it("points at the line and column of a syntax error", () => {
    const text = formatError(
      { code: "EREMOTE", kind: "syntaxError", message: "Syntax error", data: { kind: "syntaxError", description: "']' expected", line: 2, column: 5, position: 9 } },
      "1 + 2.\nfoo [ bar",
    );
    expect(text).toBe(["Syntax error at line 2, column 5: ']' expected", "  foo [ bar", "      ^"].join("\n"));
  });

  it("names the exception and the DoIt line of an evaluation error", () => {
    const text = formatError({
      code: "EREMOTE",
      kind: "evaluationError",
      message: "ZeroDivide",
      data: { kind: "evaluationError", exceptionClass: "ZeroDivide", messageText: "", description: "ZeroDivide", frames: [{ index: 0, method: "UndefinedObject>>DoIt", receiverClass: "UndefinedObject", printString: "UndefinedObject>>DoIt", line: 3 }] },
    });
    expect(text.split("\n")[0]).toBe("ZeroDivide: ZeroDivide (line 3)");
  });
});
