/**
 * The FFI check: every uFFI call of ours (`self ffiCall: #( int zmq_bind ( void * socket , String endpoint ) )`)
 * against the C prototype of the same function in a header (e.g. /usr/include/zmq.h), and every
 * constant method whose comment says `ZMQ_X from zmq.h` against that header's `#define`.
 *
 * A wrong signature cannot be seen by the selector checks — it is a literal array — and on a real
 * VM it corrupts memory or crashes, so it is worth proving wherever the header is at hand.
 */
import type { LiteralArrayNode, LiteralElement, StatementNode } from "./ast.js";
import type { OurMethod } from "./model.js";

/**
 * A C type reduced to what matters for a call: `pointer`, a named scalar, or one of two kinds
 * of `char *`: `string` (`const char *`, text going in — uFFI's `String` copies it into C
 * memory) and `buffer` (plain `char *`, memory C writes into, such as a Z85 key to fill —
 * it must be a `void *`/ByteArray, since C's writes into a copied String are lost).
 */
export type CTypeClass = "void" | "pointer" | "string" | "buffer" | "int" | "size_t" | "int*" | "other";

export interface CPrototype {
  name: string;
  returns: CTypeClass;
  params: CTypeClass[];
  /** The prototype as written, for messages. */
  text: string;
}

export interface CHeader {
  path: string;
  functions: Map<string, CPrototype>;
  defines: Map<string, number>;
}

/** Classifies a C type as written in a header (`const char *`, `void *`, `size_t`, `int`). */
export function classifyCType(raw: string): CTypeClass {
  const t = raw.replace(/\bconst\b/g, "").replace(/\s+/g, " ").trim();
  if (t === "void") return "void";
  if (/^char\s*\*$/.test(t)) return /\bconst\b/.test(raw) ? "string" : "buffer";
  if (/^int\s*\*$/.test(t)) return "int*";
  if (t.endsWith("*")) return "pointer";
  if (t === "int") return "int";
  if (t === "size_t") return "size_t";
  return "other";
}

/** Reads the function prototypes and integer `#define`s of a C header. */
export function parseCHeader(path: string, text: string): CHeader {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/[^\n]*/g, " ");
  const defines = new Map<string, number>();
  // Decimal and hexadecimal values (zmq.h writes its event masks as 0x0800).
  for (const m of code.matchAll(/^\s*#\s*define\s+(\w+)\s+\(?\s*(-?(?:0[xX][0-9a-fA-F]+|\d+))\s*\)?\s*$/gm)) {
    const text = m[2]!;
    defines.set(m[1]!, /^-?0[xX]/.test(text) ? (text.startsWith("-") ? -1 : 1) * parseInt(text.replace(/^-?0[xX]/, ""), 16) : Number(text));
  }
  const functions = new Map<string, CPrototype>();
  // Declarations only (a prototype ends with `;`), any export macro before the return type.
  const withoutDirectives = code.replace(/^\s*#.*$/gm, " ");
  for (const chunk of withoutDirectives.split(";")) {
    // What follows the last brace is one declaration; keep those of the form `ret name (args)`.
    const decl = chunk.slice(Math.max(chunk.lastIndexOf("{"), chunk.lastIndexOf("}")) + 1).replace(/\s+/g, " ").trim();
    const m = /^(?:[A-Z_]+EXPORT )?([A-Za-z_][\w *]*?[ *])(\w+) ?\(([^()]*)\)$/.exec(decl);
    if (!m) continue;
    const [, ret, name, args] = m as unknown as [string, string, string, string];
    if (/\b(typedef|struct|return)\b/.test(ret)) continue;
    const paramList = args.trim() === "" || args.trim() === "void" ? [] : args.split(",");
    const params = paramList.map((p) => {
      // Drop the parameter name: the last identifier, unless the declaration is just a type.
      const cleaned = p.trim().replace(/\[\s*\d*\s*\]$/, " *");
      const named = /^(.*?[\s*])(\w+)$/.exec(cleaned);
      return classifyCType(named && !/^(int|char|void|size_t|long|short|unsigned)$/.test(named[2]!) ? named[1]! : cleaned);
    });
    functions.set(name, { name, returns: classifyCType(ret), params, text: `${ret.trim()} ${name}(${args.trim()})`.replace(/\s+/g, " ") });
  }
  return { path, functions, defines };
}

/** uFFI type names as our sources write them, by the C type class they must match. */
function classifyUffiType(words: string[]): CTypeClass {
  const stars = words.filter((w) => w === "*").length;
  const base = words.filter((w) => w !== "*" && w !== "const").join(" ");
  if (base === "String" && stars === 0) return "string";
  if (base === "void" && stars === 0) return "void";
  if (base === "int" && stars === 1) return "int*";
  if (stars > 0) return "pointer";
  if (base === "int") return "int";
  if (base === "size_t") return "size_t";
  // uFFI object types passed by reference (ExternalAddress, ByteArray, FFIExternalObject subclasses).
  if (["ExternalAddress", "ByteArray", "FFIExternalObject"].includes(base)) return "pointer";
  return "other";
}

function words(elements: LiteralElement[]): string[] {
  return elements.map((e) => (e.kind === "literal" ? e.value : "?"));
}

export interface FfiSignature {
  name: string;
  returns: CTypeClass;
  params: CTypeClass[];
  /** Offset of the literal array in the .st file. */
  start: number;
}

/**
 * The signature in an `ffiCall:` literal array: `#( ret… name ( type… arg , … ) )`, the argument
 * list being the nested array (uFFI also takes the `#( … )` spelling of it).
 */
export function readFfiSignature(spec: LiteralArrayNode): FfiSignature | undefined {
  const argsAt = spec.elements.findIndex((e) => e.kind === "literalArray");
  if (argsAt < 1) return undefined;
  const head = words(spec.elements.slice(0, argsAt));
  const name = head.at(-1)!;
  const args = spec.elements[argsAt] as LiteralArrayNode;
  const params: CTypeClass[] = [];
  let current: string[] = [];
  for (const w of [...words(args.elements), ","]) {
    if (w === ",") {
      // The last word of each argument is its name.
      if (current.length > 0) params.push(classifyUffiType(current.slice(0, -1)));
      current = [];
    } else current.push(w);
  }
  return { name, returns: classifyUffiType(head.slice(0, -1)), params, start: spec.start };
}

/** The `ffiCall:` literal arrays a method sends, wherever they are. */
function ffiSpecs(statements: StatementNode[]): LiteralArrayNode[] {
  const found: LiteralArrayNode[] = [];
  const visit = (node: unknown): void => {
    if (!node || typeof node !== "object") return;
    const n = node as { kind?: string; selector?: string; args?: unknown[] };
    if (n.kind === "send" && (n.selector === "ffiCall:" || n.selector === "ffiCall:module:") && (n.args?.[0] as { kind?: string })?.kind === "literalArray") {
      found.push(n.args![0] as LiteralArrayNode);
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === "object") visit(value);
    }
  };
  statements.forEach(visit);
  return found;
}

export interface FfiReport {
  (method: OurMethod, offset: number, message: string): void;
}

export interface FfiCheckCounts {
  calls: number;
  constants: number;
}

/** Whether a uFFI argument of one kind may be passed where C declares the other. */
function passes(uffi: CTypeClass, c: CTypeClass): boolean {
  return uffi === c || (c === "buffer" && uffi === "pointer");
}

/** Checks our FFI calls and documented constants against the header. */
export function checkFfi(methods: readonly OurMethod[], header: CHeader, report: FfiReport): FfiCheckCounts {
  const counts: FfiCheckCounts = { calls: 0, constants: 0 };
  for (const method of methods) {
    const ast = method.ast;
    if (!ast) continue;
    for (const spec of ffiSpecs(ast.statements)) {
      const sig = readFfiSignature(spec);
      if (!sig) {
        report(method, spec.start, "an ffiCall: spec needs a return type, a function name and an argument list");
        continue;
      }
      counts.calls++;
      const c = header.functions.get(sig.name);
      if (!c) {
        report(method, spec.start, `${sig.name} is not declared in ${header.path}`);
        continue;
      }
      const mismatch: string[] = [];
      if (sig.returns !== c.returns) mismatch.push(`returns ${sig.returns}, C returns ${c.returns}`);
      if (sig.params.length !== c.params.length) mismatch.push(`takes ${sig.params.length} argument(s), C takes ${c.params.length}`);
      else sig.params.forEach((p, i) => !passes(p, c.params[i]!) && mismatch.push(`argument ${i + 1} is ${p}, C has ${c.params[i]}`));
      if (mismatch.length) report(method, spec.start, `${sig.name}: ${mismatch.join("; ")} (C: ${c.text})`);
    }
    // A constant documented as `ZMQ_X from zmq.h` (then perhaps more words) must answer the header's value.
    const [only] = ast.statements;
    if (ast.statements.length === 1 && only?.kind === "return" && only.value.kind === "literal" && only.value.type === "number") {
      const comment = method.file.text.slice(method.tonel.start, only.start);
      const named = /"([A-Z][A-Z0-9_]+) (?:socket option )?from ([\w.]+\.h)\b/.exec(comment);
      if (!named) continue;
      const [, macro, headerName] = named as unknown as [string, string, string];
      if (!header.path.endsWith(headerName)) continue;
      counts.constants++;
      const expected = header.defines.get(macro);
      const actual = Number(only.value.value) * (only.value.negative && !only.value.value.startsWith("-") ? -1 : 1);
      if (expected === undefined) report(method, only.start, `${macro} is not #defined in ${header.path}`);
      else if (expected !== actual) report(method, only.value.start, `${macro} is ${expected} in ${header.path}, not ${actual}`);
    }
  }
  return counts;
}
