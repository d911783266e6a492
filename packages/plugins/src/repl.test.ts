import { describe, expect, it } from "vitest";
import type { StuiApi } from "@stui/client/protocol";
import { completerFor, isComplete, parseMethodRef } from "./repl.js";
import { formatError } from "./smalltalk-format.js";

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

describe("completerFor: Tab through code.complete", () => {
  const complete = (api: unknown, line: string, pending = "") =>
    new Promise<[string[], string]>((resolve) => completerFor(api as StuiApi, "s-1", () => pending)(line, (_e, r) => resolve(r)));

  it("asks for the whole entry so far, the cursor at its end (in code points), and offers the texts for the prefix", async () => {
    const asked: unknown[] = [];
    const api = { code: { complete: async (p: unknown) => (asked.push(p), { prefix: "pri", start: 4, total: 1, completions: [{ text: "printString", kind: "selector" }] }) } };
    expect(await complete(api, "é pri", "x := 1.")).toEqual([["printString"], "pri"]);
    expect(asked).toEqual([{ sessionId: "s-1", source: "x := 1.\né pri", position: 13, limit: 200 }]);
  });

  it("offers nothing for a :command, or when the server cannot complete (an older protocol: EVERSION)", async () => {
    let calls = 0;
    const api = { code: { complete: async () => (calls++, Promise.reject(Object.assign(new Error("needs protocol 1.2"), { code: "EVERSION" }))) } };
    expect(await complete(api, ":insp")).toEqual([[], ":insp"]);
    expect(calls).toBe(0);
    expect(await complete(api, "Tra")).toEqual([[], "Tra"]);
    expect(calls).toBe(1);
  });
});
