/**
 * A recursive-descent parser for Pharo method source: patterns, temporaries,
 * pragmas, statements, cascades, blocks and every literal form. Precedence is
 * unary > binary > keyword. It stops at the first syntax error, which it
 * throws as a SmalltalkSyntaxError carrying the file offset.
 */

import type {
  BlockNode,
  ByteArrayNode,
  Declaration,
  ExpressionNode,
  LiteralArrayNode,
  LiteralElement,
  LiteralNode,
  MethodNode,
  PragmaNode,
  SendNode,
  StatementNode,
  VariableNode,
} from "./ast.js";
import { Lexer, SmalltalkSyntaxError, type Token, type TokenKind } from "./lexer.js";

export interface MethodPattern {
  selector: string;
  args: Declaration[];
}

/** Parses a message pattern (`foo`, `+ other`, `at: i put: v`) that must fill [start, end). */
export function parsePattern(text: string, start = 0, end = text.length): MethodPattern {
  const p = new Parser(new Lexer(text, start, end));
  const pattern = p.pattern();
  p.expect("eof", "end of message pattern expected");
  return pattern;
}

/** Parses a method body (temporaries, pragmas, statements) found in [start, end) of `text`. */
export function parseMethodBody(text: string, pattern: MethodPattern, start = 0, end = text.length): MethodNode {
  const p = new Parser(new Lexer(text, start, end));
  return p.body(pattern, start, end);
}

/** Parses a complete method: pattern followed by body. */
export function parseMethod(text: string): MethodNode {
  const p = new Parser(new Lexer(text));
  const pattern = p.pattern();
  return p.body(pattern, 0, text.length);
}

/** Parses a sequence of statements (a "doit"). */
export function parseExpression(text: string): MethodNode {
  return parseMethodBody(text, { selector: "DoIt", args: [] });
}

const TERMINATOR_NAMES: Partial<Record<TokenKind, string>> = { eof: "end of method", rbracket: "]", rbrace: "}" };

class Parser {
  constructor(private readonly lex: Lexer) {}

  private peek(): Token {
    return this.lex.peek();
  }
  private next(): Token {
    return this.lex.next();
  }
  private fail(message: string, offset = this.peek().start): never {
    throw new SmalltalkSyntaxError(message, offset);
  }
  expect(kind: TokenKind, message: string): Token {
    const t = this.peek();
    if (t.kind !== kind) this.fail(message, t.start);
    return this.next();
  }
  private isBinary(value: string): boolean {
    const t = this.peek();
    return t.kind === "binary" && t.value === value;
  }

  pattern(): MethodPattern {
    const t = this.peek();
    if (t.kind === "ident") {
      this.next();
      return { selector: t.value, args: [] };
    }
    if (t.kind === "binary") {
      this.next();
      const arg = this.expect("ident", "argument name expected after binary selector");
      return { selector: t.value, args: [decl(arg)] };
    }
    if (t.kind === "keyword") {
      let selector = "";
      const args: Declaration[] = [];
      while (this.peek().kind === "keyword") {
        selector += this.next().value;
        args.push(decl(this.expect("ident", "argument name expected after keyword")));
      }
      return { selector, args };
    }
    return this.fail("message pattern expected");
  }

  body(pattern: MethodPattern, start: number, end: number): MethodNode {
    const temps: Declaration[] = [];
    const pragmas: PragmaNode[] = [];
    for (;;) {
      if (this.isBinary("<")) pragmas.push(this.pragma(temps));
      else if (this.isBinary("|") || this.isBinary("||")) temps.push(...this.temporaries());
      else break;
    }
    const statements = this.statements("eof");
    return { selector: pattern.selector, args: pattern.args, temps, pragmas, statements, start, end };
  }

  private pragma(temps: Declaration[]): PragmaNode {
    const open = this.next();
    const args: PragmaNode["args"] = [];
    let selector = "";
    const t = this.peek();
    if (t.kind === "ident") {
      selector = this.next().value;
    } else if (t.kind === "keyword") {
      while (this.peek().kind === "keyword") {
        const kw = this.next();
        selector += kw.value;
        const a = this.peek();
        if (a.kind === "ident" && !["true", "false", "nil"].includes(a.value)) {
          // `<primitive: 60 error: ec>` declares `ec` as a temporary.
          this.next();
          const v: VariableNode = { kind: "variable", name: a.value, start: a.start, end: a.end };
          args.push(v);
          if (selector.endsWith("error:")) temps.push(decl(a));
        } else {
          args.push(this.literal("literal expected as pragma argument"));
        }
      }
    } else {
      this.fail("pragma selector expected");
    }
    const close = this.peek();
    if (!(close.kind === "binary" && close.value === ">")) this.fail("'>' expected to close the pragma");
    this.next();
    return { selector, args, start: open.start, end: close.end };
  }

  /** `| a b |` (also the empty `||`). */
  private temporaries(): Declaration[] {
    if (this.isBinary("||")) {
      this.next();
      return [];
    }
    this.next();
    const temps: Declaration[] = [];
    while (this.peek().kind === "ident") temps.push(decl(this.next()));
    if (!this.isBinary("|")) this.fail("'|' expected to close the temporaries");
    this.next();
    return temps;
  }

  private statements(terminator: TokenKind): StatementNode[] {
    const statements: StatementNode[] = [];
    for (;;) {
      while (this.peek().kind === "period") this.next();
      const t = this.peek();
      if (t.kind === terminator) break;
      if (t.kind === "caret") {
        this.next();
        const value = this.expression();
        statements.push({ kind: "return", value, start: t.start, end: value.end });
      } else {
        statements.push(this.expression());
      }
      const after = this.peek();
      if (after.kind === "period") continue;
      if (after.kind === terminator) break;
      this.fail(`'.' or '${TERMINATOR_NAMES[terminator] ?? terminator}' expected`, after.start);
    }
    return statements;
  }

  private expression(): ExpressionNode {
    const t = this.peek();
    if (t.kind === "ident") {
      this.next();
      const variable: VariableNode = { kind: "variable", name: t.value, start: t.start, end: t.end };
      if (this.peek().kind === "assign") {
        this.next();
        const value = this.expression();
        return { kind: "assignment", variable, value, start: t.start, end: value.end };
      }
      return this.cascade(variable);
    }
    return this.cascade(this.primary());
  }

  private cascade(primary: ExpressionNode): ExpressionNode {
    const first = this.keywordMessage(this.binaryMessages(this.unaryMessages(primary)));
    if (this.peek().kind !== "semicolon") return first;
    if (first.kind !== "send") return this.fail("cascade must follow a message send");
    const placeholder = { kind: "cascadeReceiver" as const, start: first.receiver.start, end: first.receiver.end };
    const messages: SendNode[] = [{ ...first, receiver: placeholder }];
    let end = first.end;
    while (this.peek().kind === "semicolon") {
      this.next();
      const m = this.keywordMessage(this.binaryMessages(this.unaryMessages(placeholder)));
      if (m.kind !== "send" || m === (placeholder as unknown)) this.fail("message expected after ';'");
      messages.push(m as SendNode);
      end = m.end;
    }
    return { kind: "cascade", receiver: first.receiver, messages, start: first.start, end };
  }

  private unaryMessages(receiver: ExpressionNode): ExpressionNode {
    let r = receiver;
    while (this.peek().kind === "ident") {
      const t = this.next();
      r = { kind: "send", receiver: r, selector: t.value, args: [], selectorStart: t.start, start: r.start, end: t.end };
    }
    return r;
  }

  private binaryMessages(receiver: ExpressionNode): ExpressionNode {
    let r = receiver;
    while (this.peek().kind === "binary") {
      const op = this.next();
      const arg = this.unaryMessages(this.primary());
      r = { kind: "send", receiver: r, selector: op.value, args: [arg], selectorStart: op.start, start: r.start, end: arg.end };
    }
    return r;
  }

  private keywordMessage(receiver: ExpressionNode): ExpressionNode {
    if (this.peek().kind !== "keyword") return receiver;
    const selectorStart = this.peek().start;
    let selector = "";
    const args: ExpressionNode[] = [];
    while (this.peek().kind === "keyword") {
      selector += this.next().value;
      args.push(this.binaryMessages(this.unaryMessages(this.primary())));
    }
    const last = args[args.length - 1];
    return { kind: "send", receiver, selector, args, selectorStart, start: receiver.start, end: last ? last.end : selectorStart };
  }

  private primary(): ExpressionNode {
    const t = this.peek();
    switch (t.kind) {
      case "ident":
        this.next();
        return { kind: "variable", name: t.value, start: t.start, end: t.end };
      case "number":
      case "string":
      case "symbol":
      case "char":
      case "litArrayStart":
      case "byteArrayStart":
        return this.literal("literal expected");
      case "lbracket":
        return this.block();
      case "lparen": {
        this.next();
        const e = this.expression();
        this.expect("rparen", "')' expected");
        return e;
      }
      case "lbrace": {
        this.next();
        const elements = this.statements("rbrace");
        const close = this.expect("rbrace", "'}' expected");
        return { kind: "dynamicArray", elements, start: t.start, end: close.end };
      }
      case "eof":
        return this.fail("expression expected before end of method");
      default:
        return this.fail(`expression expected, found '${t.value}'`);
    }
  }

  private literal(message: string): LiteralElement {
    const t = this.peek();
    switch (t.kind) {
      case "number":
      case "string":
      case "symbol":
      case "char":
        this.next();
        return literalNode(t);
      case "ident":
        if (t.value === "true" || t.value === "false" || t.value === "nil") {
          this.next();
          return { kind: "literal", type: t.value, value: t.value, start: t.start, end: t.end };
        }
        return this.fail(message);
      case "litArrayStart":
        this.next();
        return this.literalArray(t.start);
      case "byteArrayStart":
        this.next();
        return this.byteArray(t.start);
      default:
        return this.fail(message);
    }
  }

  /** Contents of `#( ... )` after the opening token: bare words are symbols, not variables or sends. */
  private literalArray(start: number): LiteralArrayNode {
    const elements: LiteralElement[] = [];
    for (;;) {
      const t = this.lex.nextLiteral();
      switch (t.kind) {
        case "rparen":
          return { kind: "literalArray", elements, start, end: t.end };
        case "lparen":
        case "litArrayStart":
          elements.push(this.literalArray(t.start));
          break;
        case "byteArrayStart":
        case "lbracket":
          elements.push(this.byteArray(t.start));
          break;
        case "ident":
          if (t.value === "true" || t.value === "false" || t.value === "nil") {
            elements.push({ kind: "literal", type: t.value, value: t.value, start: t.start, end: t.end });
          } else {
            elements.push({ kind: "literal", type: "symbol", value: t.value, start: t.start, end: t.end });
          }
          break;
        case "keyword":
        case "multiKeyword":
        case "binary":
        // Pharo's RBParser>>parseLiteralArrayObject turns special tokens into symbols (with a
        // warning): UFFI structures write their fields as #( int x; int y ).
        case "semicolon":
        case "period":
        case "caret":
        case "assign":
        case "colon":
          elements.push({ kind: "literal", type: "symbol", value: t.value, start: t.start, end: t.end });
          break;
        case "number":
        case "string":
        case "symbol":
        case "char":
          elements.push(literalNode(t));
          break;
        case "eof":
          return this.fail("')' expected to close the literal array", start);
        default:
          return this.fail(`unexpected '${t.value}' in literal array`, t.start);
      }
    }
  }

  private byteArray(start: number): ByteArrayNode {
    const bytes: number[] = [];
    for (;;) {
      const t = this.lex.nextLiteral();
      if (t.kind === "rbracket") return { kind: "byteArray", bytes, start, end: t.end };
      if (t.kind === "eof") return this.fail("']' expected to close the byte array", start);
      // Any integer literal: 255, 16rFF, 2r1010 (Pharo's parser takes the literal's value).
      const v = t.kind === "number" && t.numberKind === "integer" && t.integer !== undefined ? Number(t.integer) : NaN;
      if (!(Number.isInteger(v) && v >= 0 && v <= 255)) this.fail("byte array elements must be integers 0..255", t.start);
      bytes.push(v);
    }
  }

  private block(): BlockNode {
    const open = this.next();
    const args: Declaration[] = [];
    let temps: Declaration[] = [];
    if (this.peek().kind === "colon") {
      while (this.peek().kind === "colon") {
        this.next();
        args.push(decl(this.expect("ident", "block argument name expected after ':'")));
      }
      if (this.isBinary("||")) {
        // `[:a || t | ...]`: the argument bar directly followed by temporaries.
        this.next();
        while (this.peek().kind === "ident") temps.push(decl(this.next()));
        if (!this.isBinary("|")) this.fail("'|' expected to close the temporaries");
        this.next();
      } else if (this.isBinary("|")) {
        this.next();
      } else if (this.peek().kind !== "rbracket") {
        this.fail("'|' expected after block arguments");
      }
    }
    if (this.isBinary("|") || this.isBinary("||")) temps = temps.concat(this.temporaries());
    const statements = this.statements("rbracket");
    const close = this.expect("rbracket", "']' expected to close the block");
    return { kind: "block", args, temps, statements, start: open.start, end: close.end };
  }
}

function decl(t: Token): Declaration {
  return { name: t.value, start: t.start, end: t.end };
}

function literalNode(t: Token): LiteralNode {
  const type = t.kind === "number" ? "number" : t.kind === "string" ? "string" : t.kind === "symbol" ? "symbol" : "char";
  const node: LiteralNode = { kind: "literal", type, value: t.value, start: t.start, end: t.end };
  if (t.numberKind) node.numberKind = t.numberKind;
  if (t.large !== undefined) node.large = t.large;
  if (t.negative !== undefined) node.negative = t.negative;
  return node;
}
