import { describe, expect, it } from "vitest";
import type { CascadeNode, ExpressionNode, LiteralArrayNode, LiteralNode, SendNode, StatementNode } from "./ast.js";
import { Lexer, SmalltalkSyntaxError, type Token } from "./lexer.js";
import { parseExpression, parseMethod } from "./parser.js";

function tokens(source: string): Token[] {
  const lex = new Lexer(source);
  const out: Token[] = [];
  for (let t = lex.next(); t.kind !== "eof"; t = lex.next()) out.push(t);
  return out;
}

function only(source: string): StatementNode {
  const m = parseExpression(source);
  expect(m.statements).toHaveLength(1);
  return m.statements[0] as StatementNode;
}

/** Renders an expression with explicit parentheses around every send, to test precedence. */
function show(n: ExpressionNode | StatementNode): string {
  switch (n.kind) {
    case "variable":
      return n.name;
    case "literal":
      return n.type === "symbol" ? `#${n.value}` : n.type === "string" ? `'${n.value}'` : n.type === "char" ? `$${n.value}` : n.value;
    case "literalArray":
      return `#(${n.elements.map(show).join(" ")})`;
    case "byteArray":
      return `#[${n.bytes.join(" ")}]`;
    case "send": {
      if (n.args.length === 0) return `(${show(n.receiver)} ${n.selector})`;
      if (!n.selector.includes(":")) return `(${show(n.receiver)} ${n.selector} ${show(n.args[0] as ExpressionNode)})`;
      const parts = n.selector.split(":").filter(Boolean);
      return `(${show(n.receiver)} ${parts.map((p, i) => `${p}: ${show(n.args[i] as ExpressionNode)}`).join(" ")})`;
    }
    case "cascadeReceiver":
      return "<r>";
    case "cascade":
      return `[${show(n.receiver)}; ${n.messages.map(show).join("; ")}]`;
    case "assignment":
      return `${n.variable.name} := ${show(n.value)}`;
    case "return":
      return `^ ${show(n.value)}`;
    case "block":
      return `[${n.args.map((a) => `:${a.name}`).join(" ")}|${n.temps.map((t) => t.name).join(" ")}| ${n.statements.map(show).join(". ")}]`;
    case "dynamicArray":
      return `{${n.elements.map(show).join(". ")}}`;
  }
}

describe("lexer", () => {
  it("scans every literal form", () => {
    const ts = tokens(`'it''s' #foo #at:put: #+ #'hello world' ##deep $a $' $  12 3.14 1e10 2r1010 16rFF 1.5s2 3s 2e-3 1_000`);
    expect(ts.map((t) => [t.kind, t.value])).toEqual([
      ["string", "it's"],
      ["symbol", "foo"],
      ["symbol", "at:put:"],
      ["symbol", "+"],
      ["symbol", "hello world"],
      ["symbol", "deep"],
      ["char", "a"],
      ["char", "'"],
      ["char", " "],
      ["number", "12"],
      ["number", "3.14"],
      ["number", "1e10"],
      ["number", "2r1010"],
      ["number", "16rFF"],
      ["number", "1.5s2"],
      ["number", "3s"],
      ["number", "2e-3"],
      ["number", "1_000"],
    ]);
    const kinds = ts.filter((t) => t.kind === "number").map((t) => t.numberKind);
    expect(kinds).toEqual(["integer", "float", "integer", "integer", "integer", "scaled", "scaled", "fraction", "integer"]);
  });

  it("knows when an integer is too large for a SmallInteger", () => {
    const [small, large] = tokens("1152921504606846975 1152921504606846976");
    const [negLarge] = tokens("-1152921504606846977");
    expect(negLarge?.value).toBe("-1152921504606846977");
    expect(tokens("1e100")[0]?.large).toBe(true);
    expect(tokens("1e3")[0]?.large).toBe(false);
    expect(small?.large).toBe(false);
    expect(large?.large).toBe(true);
    expect(negLarge?.large).toBe(true);
  });

  it("reads `-` before a digit as a sign only where an expression cannot have ended", () => {
    expect(tokens("3-4").map((t) => t.value)).toEqual(["3", "-", "4"]);
    expect(tokens("x -1").map((t) => t.value)).toEqual(["x", "-", "1"]);
    expect(tokens("x at: -1").map((t) => t.value)).toEqual(["x", "at:", "-1"]);
    expect(tokens("3 - -4").map((t) => t.value)).toEqual(["3", "-", "-4"]);
    expect(tokens("3@-4").map((t) => t.value)).toEqual(["3", "@", "-4"]);
    expect(tokens("a->b").map((t) => t.value)).toEqual(["a", "->", "b"]);
  });

  it("skips comments and distinguishes := from keywords", () => {
    expect(tokens(`"a comment ] ' " a:=b. c: "x" d`).map((t) => [t.kind, t.value])).toEqual([
      ["ident", "a"],
      ["assign", ":="],
      ["ident", "b"],
      ["period", "."],
      ["keyword", "c:"],
      ["ident", "d"],
    ]);
  });

  it("reports unterminated strings and comments at their start", () => {
    expect(() => tokens(`x := 'abc`)).toThrow(expect.objectContaining({ offset: 5, message: "unterminated string" }));
    expect(() => tokens(`x "abc`)).toThrow(expect.objectContaining({ offset: 2, message: "unterminated comment" }));
  });
});

describe("parser", () => {
  it("gives unary precedence over binary over keyword", () => {
    expect(show(only("a foo: b bar + c baz qux: d - e"))).toBe("(a foo: ((b bar) + (c baz)) qux: (d - e))");
    expect(show(only("1 + 2 * 3"))).toBe("((1 + 2) * 3)");
    expect(show(only("x := y := 3 factorial"))).toBe("x := y := (3 factorial)");
    expect(show(only("(a at: 1) at: 2 put: (b ifTrue: [ 3 ])"))).toBe("((a at: 1) at: 2 put: (b ifTrue: [|| 3]))");
    expect(show(only("^ a max: b"))).toBe("^ (a max: b)");
  });

  it("sends cascade messages to the receiver of the first message", () => {
    const c = only("Transcript show: 'a'; cr; show: 3 printString") as CascadeNode;
    expect(c.kind).toBe("cascade");
    expect(show(c.receiver)).toBe("Transcript");
    expect(c.messages.map(show)).toEqual(["(<r> show: 'a')", "(<r> cr)", "(<r> show: (3 printString))"]);

    const d = only("OrderedCollection new add: 1; add: 2; yourself") as CascadeNode;
    expect(show(d.receiver)).toBe("(OrderedCollection new)");
    expect(d.messages.map((m) => m.selector)).toEqual(["add:", "add:", "yourself"]);

    const e = only("a b c; d") as CascadeNode;
    expect(show(e.receiver)).toBe("(a b)");
    expect(e.messages.map(show)).toEqual(["(<r> c)", "(<r> d)"]);
  });

  it("rejects a cascade without a message", () => {
    expect(() => parseExpression("x; foo")).toThrow(SmalltalkSyntaxError);
  });

  it("parses blocks with arguments and temporaries", () => {
    expect(show(only("[:a :b | | t | t := a + b. t]"))).toBe("[:a :b|t| t := (a + b). t]");
    expect(show(only("[:a || t | t]"))).toBe("[:a|t| t]");
    expect(show(only("[ : a | a ]"))).toBe("[:a|| a]");
    expect(show(only("[]"))).toBe("[|| ]");
    expect(show(only("[:x ]"))).toBe("[:x|| ]");
  });

  it("reads literal arrays as literals, never as variables or sends", () => {
    const arr = only("#(1 -2 $a 'str' #sym sym foo: at:put: #(nested) (again) true false nil #[1 2] + #+)") as LiteralArrayNode;
    expect(arr.kind).toBe("literalArray");
    expect(show(arr)).toBe("#(1 -2 $a 'str' #sym #sym #foo: #at:put: #(#nested) #(#again) true false nil #[1 2] #+ #+)");
    const ffi = only("self ffiCall: #(void* zmq_ctx_new())") as SendNode;
    expect(ffi.selector).toBe("ffiCall:");
    expect(show(ffi.args[0] as ExpressionNode)).toBe("#(#void #* #zmq_ctx_new #())");
  });

  it("parses byte arrays, dynamic arrays, scaled numbers and thisContext", () => {
    expect(show(only("#[1 2 255]"))).toBe("#[1 2 255]");
    expect(() => parseExpression("#[1 256]")).toThrow(/0..255/);
    expect(show(only("#[16rEF 16rBB 2r1]"))).toBe("#[239 187 1]");
    expect(() => parseExpression("#[16r100]")).toThrow(/0..255/);
    expect(() => parseExpression("#[1.5]")).toThrow(/0..255/);
    expect(show(only("#( int x; int y. ^ )"))).toBe("#(#int #x #; #int #y #. #^)");
    expect(show(only("{ 1. a foo. }"))).toBe("{1. (a foo)}");
    const scaled = only("1.5s2") as LiteralNode;
    expect([scaled.type, scaled.numberKind]).toEqual(["number", "scaled"]);
    expect(show(only("thisContext sender"))).toBe("(thisContext sender)");
  });

  it("parses method patterns, temporaries and pragmas", () => {
    const m = parseMethod("at: i put: v\n<primitive: 61 error: ec>\n| a b |\n<stuiPragma>\n^ a");
    expect(m.selector).toBe("at:put:");
    expect(m.args.map((a) => a.name)).toEqual(["i", "v"]);
    expect(m.temps.map((t) => t.name)).toEqual(["ec", "a", "b"]);
    expect(m.pragmas.map((p) => p.selector)).toEqual(["primitive:error:", "stuiPragma"]);
    expect(parseMethod("+ other ^ self").selector).toBe("+");
    expect(parseMethod("foo <ffiCall: #(void foo())> ").pragmas[0]?.selector).toBe("ffiCall:");
  });

  it("allows empty statements and a trailing period", () => {
    expect(parseExpression("a foo. . b bar.").statements).toHaveLength(2);
    expect(parseExpression("").statements).toHaveLength(0);
  });

  it("reports syntax errors with the offset of the offending token", () => {
    const cases: [string, number, RegExp][] = [
      ["a := 3 + .", 9, /expression expected/],
      ["a foo ]", 6, /'\.' or 'end of method' expected/],
      ["(a foo", 6, /'\)' expected/],
      ["[:a a]", 4, /'\|' expected/],
      ["#(1 2", 0, /literal array/],
      ["a foo: ", 7, /expression expected/],
    ];
    for (const [source, offset, message] of cases) {
      let error: unknown;
      try {
        parseExpression(source);
      } catch (e) {
        error = e;
      }
      expect(error, source).toBeInstanceOf(SmalltalkSyntaxError);
      expect((error as SmalltalkSyntaxError).offset, source).toBe(offset);
      expect((error as SmalltalkSyntaxError).message, source).toMatch(message);
    }
  });

  it("keeps offsets into the original text when parsing a slice", () => {
    const text = "xxxx ^ self foo";
    const lex = new Lexer(text, 5);
    expect(lex.next().start).toBe(5);
    const m = parseExpression("  ^ 3 printString");
    const ret = m.statements[0];
    expect(ret?.kind === "return" && ret.value.kind === "send" ? ret.value.selectorStart : -1).toBe(6);
  });
});
