/**
 * The small part of STON that Tonel headers use: maps with symbol keys, strings,
 * symbols, numbers, lists, true/false/nil. Values remember where they start.
 */

import { SmalltalkSyntaxError } from "./lexer.js";

export type StonValue =
  | { type: "string"; value: string; start: number }
  | { type: "symbol"; value: string; start: number }
  | { type: "number"; value: number; start: number }
  | { type: "boolean"; value: boolean; start: number }
  | { type: "nil"; start: number }
  | { type: "list"; items: StonValue[]; start: number }
  | { type: "map"; entries: Map<string, StonValue>; start: number };

export type StonMap = Extract<StonValue, { type: "map" }>;

export class StonReader {
  constructor(
    readonly text: string,
    public pos: number,
  ) {}

  private skip(): void {
    for (;;) {
      const c = this.text[this.pos];
      if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f") this.pos++;
      else if (c === '"') {
        const close = this.text.indexOf('"', this.pos + 1);
        if (close < 0) throw new SmalltalkSyntaxError("unterminated comment", this.pos);
        this.pos = close + 1;
      } else return;
    }
  }

  private expectChar(c: string, what: string): void {
    this.skip();
    if (this.text[this.pos] !== c) throw new SmalltalkSyntaxError(`'${c}' expected ${what}`, this.pos);
    this.pos++;
  }

  map(): StonMap {
    this.skip();
    const start = this.pos;
    this.expectChar("{", "to open a STON map");
    const entries = new Map<string, StonValue>();
    this.skip();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return { type: "map", entries, start };
    }
    for (;;) {
      const key = this.value();
      if (key.type !== "symbol" && key.type !== "string") throw new SmalltalkSyntaxError("STON map key must be a symbol or string", key.start);
      this.expectChar(":", "after a STON map key");
      entries.set(key.value, this.value());
      this.skip();
      const c = this.text[this.pos];
      if (c === ",") {
        this.pos++;
        continue;
      }
      if (c === "}") {
        this.pos++;
        return { type: "map", entries, start };
      }
      throw new SmalltalkSyntaxError("',' or '}' expected in STON map", this.pos);
    }
  }

  value(): StonValue {
    this.skip();
    const start = this.pos;
    const c = this.text[this.pos];
    if (c === "{") return this.map();
    if (c === "[") {
      this.pos++;
      const items: StonValue[] = [];
      this.skip();
      if (this.text[this.pos] === "]") {
        this.pos++;
        return { type: "list", items, start };
      }
      for (;;) {
        items.push(this.value());
        this.skip();
        const d = this.text[this.pos];
        if (d === ",") {
          this.pos++;
          continue;
        }
        if (d === "]") {
          this.pos++;
          return { type: "list", items, start };
        }
        throw new SmalltalkSyntaxError("',' or ']' expected in STON list", this.pos);
      }
    }
    if (c === "'" || c === '"') return { type: "string", value: this.string(c), start };
    if (c === "#") {
      this.pos++;
      if (this.text[this.pos] === "'") return { type: "symbol", value: this.string("'"), start };
      const m = /^[A-Za-z0-9_:.]+/.exec(this.text.slice(this.pos, this.pos + 512));
      if (!m) throw new SmalltalkSyntaxError("symbol expected after #", start);
      this.pos += m[0].length;
      return { type: "symbol", value: m[0], start };
    }
    const m = /^(true|false|nil|-?\d+(\.\d+)?)/.exec(this.text.slice(this.pos, this.pos + 64));
    if (m) {
      this.pos += m[0].length;
      if (m[0] === "nil") return { type: "nil", start };
      if (m[0] === "true" || m[0] === "false") return { type: "boolean", value: m[0] === "true", start };
      return { type: "number", value: Number(m[0]), start };
    }
    throw new SmalltalkSyntaxError("STON value expected", start);
  }

  /** STON strings escape with backslashes; Tonel also doubles the quote, which we accept too. */
  private string(quote: string): string {
    const start = this.pos;
    this.pos++;
    let out = "";
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) throw new SmalltalkSyntaxError("unterminated string", start);
      if (c === "\\") {
        const e = this.text[this.pos + 1];
        const map: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", "'": "'", '"': '"', "\\": "\\", "/": "/" };
        if (e === "u") {
          out += String.fromCharCode(parseInt(this.text.slice(this.pos + 2, this.pos + 6), 16));
          this.pos += 6;
        } else {
          out += map[e ?? ""] ?? e ?? "";
          this.pos += 2;
        }
        continue;
      }
      if (c === quote) {
        if (this.text[this.pos + 1] === quote) {
          out += quote;
          this.pos += 2;
          continue;
        }
        this.pos++;
        return out;
      }
      out += c;
      this.pos++;
    }
  }
}

/** A string or symbol value, as a string. */
export function stonString(v: StonValue | undefined): string | undefined {
  return v && (v.type === "string" || v.type === "symbol") ? v.value : undefined;
}

/** A list of strings/symbols; a single string is accepted as a one-element list. Slots `'#x => Slot'` become `x`. */
export function stonNames(v: StonValue | undefined): string[] {
  if (!v) return [];
  if (v.type === "string" || v.type === "symbol") return v.value.split(/\s+/).filter(Boolean);
  if (v.type !== "list") return [];
  const names: string[] = [];
  for (const item of v.items) {
    const s = stonString(item);
    if (s === undefined) continue;
    const m = /^#?([A-Za-z_][A-Za-z0-9_]*)/.exec(s.trim());
    if (m?.[1]) names.push(m[1]);
  }
  return names;
}
