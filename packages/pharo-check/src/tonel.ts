/**
 * Tonel v3 reader (the format Pharo 12 writes): an optional `"comment"`, a
 * `Class { ... }` / `Trait { ... }` / `Extension { ... }` / `Package { ... }`
 * STON definition, then method entries `{ #category : 'x' } Foo [class] >> pattern [ body ]`.
 * Method bodies are located with a Smalltalk-aware bracket scan and parsed
 * in place, so every position is an offset into the file.
 */

import type { MethodNode } from "./ast.js";
import { Lexer, SmalltalkSyntaxError } from "./lexer.js";
import { LineMap } from "./line-map.js";
import { parseMethodBody, parsePattern, type MethodPattern } from "./parser.js";
import { StonReader, stonString, type StonMap } from "./ston.js";

export type DefinitionType = "Class" | "Trait" | "Extension" | "Package";

export interface TonelDefinition {
  type: DefinitionType;
  fields: StonMap["entries"];
  /** Offset of the `Class` word. */
  start: number;
}

export interface TonelMethod {
  /** Class named in the header (`Foo` in `Foo class >> bar`). */
  className: string;
  classSide: boolean;
  selector: string;
  category: string | undefined;
  /** Offset of the class name in the method header. */
  start: number;
  /** Parsed method, or undefined when the body has a syntax error. */
  ast: MethodNode | undefined;
}

export interface TonelError {
  offset: number;
  message: string;
}

export interface TonelFile {
  path: string;
  text: string;
  lines: LineMap;
  definition: TonelDefinition | undefined;
  methods: TonelMethod[];
  /** Syntax errors: at most one per method, plus file-level ones. */
  errors: TonelError[];
}

const DEFINITION_TYPES = new Set<string>(["Class", "Trait", "Extension", "Package"]);

export function readTonel(path: string, text: string): TonelFile {
  const file: TonelFile = { path, text, lines: new LineMap(text), definition: undefined, methods: [], errors: [] };
  try {
    readInto(file);
  } catch (e) {
    if (e instanceof SmalltalkSyntaxError) file.errors.push({ offset: e.offset, message: e.message });
    else throw e;
  }
  return file;
}

function skipBlanksAndComments(text: string, pos: number): number {
  const lex = new Lexer(text, pos);
  lex.skipBlanks();
  return lex.pos;
}

function readInto(file: TonelFile): void {
  const { text } = file;
  // The class comment is a "..." comment; a byte-order mark may precede it.
  let pos = skipBlanksAndComments(text, text.charCodeAt(0) === 0xfeff ? 1 : 0);
  const word = /^[A-Za-z]+/.exec(text.slice(pos, pos + 32))?.[0];
  if (!word || !DEFINITION_TYPES.has(word)) {
    throw new SmalltalkSyntaxError("Tonel definition expected (Class, Trait, Extension or Package { ... })", pos);
  }
  const defStart = pos;
  const reader = new StonReader(text, pos + word.length);
  const map = reader.map();
  file.definition = { type: word as DefinitionType, fields: map.entries, start: defStart };
  pos = reader.pos;

  for (;;) {
    pos = skipBlanksAndComments(text, pos);
    if (pos >= text.length) return;
    let category: string | undefined;
    if (text[pos] === "{") {
      const meta = new StonReader(text, pos);
      const m = meta.map();
      category = stonString(m.entries.get("category"));
      pos = skipBlanksAndComments(text, meta.pos);
    }
    pos = readMethod(file, pos, category);
  }
}

/** Reads `Foo [class] >> pattern [ body ]` at `pos`; answers the offset after the closing bracket. */
function readMethod(file: TonelFile, pos: number, category: string | undefined): number {
  const { text } = file;
  const headerStart = pos;
  const open = findHeaderBracket(text, pos);
  const lex = new Lexer(text, pos, open);
  const cls = lex.next();
  if (cls.kind !== "ident") throw new SmalltalkSyntaxError("method definition expected (Class >> selector [ ... ])", cls.start);
  let classSide = false;
  let t = lex.next();
  if (t.kind === "ident" && (t.value === "class" || t.value === "classSide")) {
    classSide = true;
    t = lex.next();
  }
  if (!(t.kind === "binary" && t.value === ">>")) throw new SmalltalkSyntaxError("'>>' expected in method definition", t.start);
  const pattern: MethodPattern = parsePattern(text, lex.peek().start, open);
  const close = findClosingBracket(text, open);
  const method: TonelMethod = { className: cls.value, classSide, selector: pattern.selector, category, start: headerStart, ast: undefined };
  file.methods.push(method);
  try {
    method.ast = parseMethodBody(text, pattern, open + 1, close);
  } catch (e) {
    if (!(e instanceof SmalltalkSyntaxError)) throw e;
    file.errors.push({ offset: e.offset, message: e.message });
  }
  return close + 1;
}

/** The `[` that opens a method body: the first one outside comments/strings after the header. */
function findHeaderBracket(text: string, pos: number): number {
  const lex = new Lexer(text, pos);
  for (;;) {
    const t = lex.next();
    if (t.kind === "lbracket") return t.start;
    if (t.kind === "eof" || t.kind === "lbrace" || t.kind === "rbracket") {
      throw new SmalltalkSyntaxError("'[' expected to open the method body", t.kind === "eof" ? pos : t.start);
    }
  }
}

/**
 * Finds the `]` matching the `[` at `open`, skipping strings ('' escapes), comments,
 * and character literals such as `$]`, `$'`, `$"`.
 */
export function findClosingBracket(text: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < text.length) {
    const c = text[i];
    if (c === "'") {
      const start = i;
      for (i++; ; i++) {
        if (i >= text.length) throw new SmalltalkSyntaxError("unterminated string", start);
        if (text[i] === "'") {
          if (text[i + 1] === "'") i++;
          else break;
        }
      }
    } else if (c === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) throw new SmalltalkSyntaxError("unterminated comment", i);
      i = close;
    } else if (c === "$") {
      i++;
    } else if (c === "[") {
      depth++;
    } else if (c === "]") {
      depth--;
      if (depth === 0) return i;
    }
    i++;
  }
  throw new SmalltalkSyntaxError("']' expected to close the method body", open);
}
