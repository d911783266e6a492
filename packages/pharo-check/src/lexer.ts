/**
 * A Smalltalk (Pharo) scanner that works on a slice of a larger text, so every
 * token keeps its offset in the original .st file.
 */

export type TokenKind =
  | "ident" // foo, Foo, true, thisContext
  | "keyword" // at:
  | "multiKeyword" // at:put: (only inside literal arrays)
  | "binary" // + -> <= |
  | "number"
  | "string"
  | "symbol"
  | "char"
  | "litArrayStart" // #(
  | "byteArrayStart" // #[
  | "lparen"
  | "rparen"
  | "lbracket"
  | "rbracket"
  | "lbrace"
  | "rbrace"
  | "period"
  | "semicolon"
  | "caret"
  | "assign"
  | "colon"
  | "eof";

export type NumberKind = "integer" | "float" | "scaled" | "fraction";

export interface Token {
  kind: TokenKind;
  /** Decoded value: identifier / selector / string contents / symbol name / the character. */
  value: string;
  start: number;
  end: number;
  numberKind?: NumberKind;
  /** For integers: true when the value does not fit a SmallInteger. */
  large?: boolean;
  /** The value of an integer literal (radix, exponent and sign applied), when it could be computed. */
  integer?: bigint;
  negative?: boolean;
}

export class SmalltalkSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = "SmalltalkSyntaxError";
  }
}

const BINARY_CHARS = new Set("!%&*+,-/<=>?@\\~|");

export function isBinaryChar(c: string | undefined): boolean {
  return c !== undefined && BINARY_CHARS.has(c);
}
export function isLetter(c: string | undefined): boolean {
  return c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_" || c > "\u007f");
}
export function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}
function isIdentChar(c: string | undefined): boolean {
  return isLetter(c) || isDigit(c);
}
function isWhitespace(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f";
}

const SMALL_INTEGER_MAX = 2n ** 60n - 1n;
const SMALL_INTEGER_MIN = -(2n ** 60n);

/** Kinds of tokens after which an expression may have ended (so `-3` is a binary minus). */
const ENDS_EXPRESSION = new Set<TokenKind>([
  "ident",
  "number",
  "string",
  "symbol",
  "char",
  "rparen",
  "rbracket",
  "rbrace",
]);

export class Lexer {
  pos: number;
  private peeked: Token | undefined;
  private lastKind: TokenKind | undefined;

  constructor(
    readonly text: string,
    start = 0,
    readonly end = text.length,
  ) {
    this.pos = start;
  }

  peek(): Token {
    if (!this.peeked) this.peeked = this.scan(false);
    return this.peeked;
  }

  next(): Token {
    const t = this.peek();
    this.peeked = undefined;
    this.lastKind = t.kind;
    return t;
  }

  /** Next token inside a literal array `#( ... )`: bare words are symbols, `-1` is always a number. */
  nextLiteral(): Token {
    if (this.peeked) throw new Error("internal: lookahead pending when entering literal array");
    const t = this.scan(true);
    this.lastKind = t.kind;
    return t;
  }

  private ch(offset = 0): string | undefined {
    const i = this.pos + offset;
    return i < this.end ? this.text[i] : undefined;
  }

  /** Skips blanks and comments. */
  skipBlanks(): void {
    for (;;) {
      const c = this.ch();
      if (isWhitespace(c)) {
        this.pos++;
      } else if (c === '"') {
        const start = this.pos;
        const close = this.text.indexOf('"', this.pos + 1);
        if (close < 0 || close >= this.end) throw new SmalltalkSyntaxError("unterminated comment", start);
        this.pos = close + 1;
      } else {
        return;
      }
    }
  }

  private scan(literal: boolean): Token {
    this.skipBlanks();
    const start = this.pos;
    const c = this.ch();
    const tok = (kind: TokenKind, value: string, len: number): Token => {
      this.pos += len;
      return { kind, value, start, end: this.pos };
    };
    if (c === undefined) return { kind: "eof", value: "", start, end: start };
    if (isLetter(c)) return this.scanIdentifier(literal);
    if (isDigit(c)) return this.scanNumber(start, false);
    if (c === "-" && isDigit(this.ch(1)) && (literal || !this.lastKind || !ENDS_EXPRESSION.has(this.lastKind))) {
      this.pos++;
      return this.scanNumber(start, true);
    }
    switch (c) {
      case "'":
        return { kind: "string", value: this.scanString(), start, end: this.pos };
      case "$": {
        const v = this.ch(1);
        if (v === undefined) throw new SmalltalkSyntaxError("character literal expected after $", start);
        return tok("char", v, 2);
      }
      case "#":
        return this.scanHash(start);
      case "(":
        return tok("lparen", c, 1);
      case ")":
        return tok("rparen", c, 1);
      case "[":
        return tok("lbracket", c, 1);
      case "]":
        return tok("rbracket", c, 1);
      case "{":
        return tok("lbrace", c, 1);
      case "}":
        return tok("rbrace", c, 1);
      case ".":
        return tok("period", c, 1);
      case ";":
        return tok("semicolon", c, 1);
      case "^":
        return tok("caret", c, 1);
      case ":":
        return this.ch(1) === "=" ? tok("assign", ":=", 2) : tok("colon", c, 1);
    }
    if (isBinaryChar(c)) {
      let len = 1;
      // `3@-4` is `3 @ -4`: a trailing `-` before a digit starts a negative literal.
      while (isBinaryChar(this.ch(len)) && !(this.ch(len) === "-" && isDigit(this.ch(len + 1)))) len++;
      return tok("binary", this.text.slice(start, start + len), len);
    }
    throw new SmalltalkSyntaxError(`unexpected character '${c}'`, start);
  }

  private scanIdentifier(literal: boolean): Token {
    const start = this.pos;
    while (isIdentChar(this.ch())) this.pos++;
    if (this.ch() === ":" && this.ch(1) !== "=") {
      this.pos++;
      if (literal) {
        // `#(at:put: foo:)` — a run of keywords is one symbol.
        let save = this.pos;
        while (isLetter(this.ch())) {
          while (isIdentChar(this.ch())) this.pos++;
          if (this.ch() === ":") {
            this.pos++;
            save = this.pos;
          } else {
            this.pos = save;
            break;
          }
        }
        const value = this.text.slice(start, this.pos);
        return { kind: value.indexOf(":") < value.length - 1 ? "multiKeyword" : "keyword", value, start, end: this.pos };
      }
      return { kind: "keyword", value: this.text.slice(start, this.pos), start, end: this.pos };
    }
    return { kind: "ident", value: this.text.slice(start, this.pos), start, end: this.pos };
  }

  private scanDigits(radix: number): string {
    const from = this.pos;
    for (;;) {
      const c = this.ch();
      if (c === undefined) break;
      if (c === "_" && from !== this.pos && isRadixDigit(this.ch(1), radix)) {
        this.pos++;
        continue;
      }
      if (!isRadixDigit(c, radix)) break;
      this.pos++;
    }
    return this.text.slice(from, this.pos).replace(/_/g, "");
  }

  private scanNumber(start: number, negative: boolean): Token {
    let radix = 10;
    let digits = this.scanDigits(10);
    let kind: NumberKind = "integer";
    if (this.ch() === "r" && (isRadixDigit(this.ch(1), Number(digits)) || (this.ch(1) === "-" && isRadixDigit(this.ch(2), Number(digits))))) {
      radix = Number(digits);
      if (radix < 2 || radix > 36) throw new SmalltalkSyntaxError(`invalid radix ${digits}`, start);
      this.pos++;
      if (this.ch() === "-") {
        negative = !negative;
        this.pos++;
      }
      digits = this.scanDigits(radix);
    }
    if (this.ch() === "." && isRadixDigit(this.ch(1), radix)) {
      this.pos++;
      this.scanDigits(radix);
      kind = "float";
    }
    const e = this.ch();
    let exponent = 0;
    if ((e === "e" || e === "d" || e === "q") && (isDigit(this.ch(1)) || (this.ch(1) === "-" && isDigit(this.ch(2))))) {
      this.pos++;
      const negExp = this.ch() === "-";
      if (negExp) this.pos++;
      exponent = Number(this.scanDigits(10)) * (negExp ? -1 : 1);
      if (kind === "integer" && negExp) kind = "fraction";
    }
    if (this.ch() === "s" && !isLetter(this.ch(1))) {
      this.pos++;
      this.scanDigits(10);
      kind = "scaled";
    }
    const token: Token = { kind: "number", value: this.text.slice(start, this.pos), start, end: this.pos, numberKind: kind, negative };
    if (kind === "integer") {
      try {
        let v = 0n;
        for (const d of digits) v = v * BigInt(radix) + BigInt(parseInt(d, 36));
        if (exponent > 0) v *= BigInt(radix) ** BigInt(Math.min(exponent, 4096)); // 1e100 is an Integer
        if (negative) v = -v;
        token.integer = v;
        token.large = v > SMALL_INTEGER_MAX || v < SMALL_INTEGER_MIN;
      } catch {
        token.large = false;
      }
    }
    return token;
  }

  private scanString(): string {
    const start = this.pos;
    this.pos++;
    let value = "";
    for (;;) {
      const close = this.text.indexOf("'", this.pos);
      if (close < 0 || close >= this.end) throw new SmalltalkSyntaxError("unterminated string", start);
      value += this.text.slice(this.pos, close);
      this.pos = close + 1;
      if (this.ch() === "'") {
        value += "'";
        this.pos++;
      } else {
        return value;
      }
    }
  }

  private scanHash(start: number): Token {
    this.pos++;
    while (this.ch() === "#") this.pos++;
    const c = this.ch();
    if (c === "(") {
      this.pos++;
      return { kind: "litArrayStart", value: "#(", start, end: this.pos };
    }
    if (c === "[") {
      this.pos++;
      return { kind: "byteArrayStart", value: "#[", start, end: this.pos };
    }
    if (c === "'") return { kind: "symbol", value: this.scanString(), start, end: this.pos };
    if (isLetter(c)) {
      const from = this.pos;
      while (isIdentChar(this.ch()) || (this.ch() === ":" && this.ch(1) !== "=")) this.pos++;
      return { kind: "symbol", value: this.text.slice(from, this.pos), start, end: this.pos };
    }
    if (isBinaryChar(c)) {
      const from = this.pos;
      while (isBinaryChar(this.ch())) this.pos++;
      return { kind: "symbol", value: this.text.slice(from, this.pos), start, end: this.pos };
    }
    throw new SmalltalkSyntaxError("invalid literal after #", start);
  }
}

function isRadixDigit(c: string | undefined, radix: number): boolean {
  if (c === undefined) return false;
  let v: number;
  if (c >= "0" && c <= "9") v = c.charCodeAt(0) - 48;
  else if (c >= "A" && c <= "Z") v = c.charCodeAt(0) - 55;
  else return false;
  return v < radix;
}
