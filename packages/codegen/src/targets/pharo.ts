/**
 * The Pharo target: the STUI-Protocol package in Tonel v3. It holds the
 * protocol's constants and per-version tables, one Error class per error
 * kind, one validator per version served, and an abstract handler whose
 * dispatch checks a request's params in its version and then calls an abstract
 * `handle<Command>:` method a hand-written subclass implements (the
 * generation-gap pattern: nothing hand-written ever sits in these files).
 */
import { type ProtocolSchema, type SchemaNode, type Command, SchemaError, parserDepthLimit, refName, resolve, errorTypeName, directRefs } from "../schema.js";
import { type HeaderFacts, headerLines } from "../header.js";
import { type SinceIndex } from "../since.js";
import { handlerVersionMethods, protocolVersionMethods, validatorClassName } from "./pharo-versions.js";
import { literal, st } from "./pharo-literals.js";

export const PHARO_PACKAGE = "STUI-Protocol";


/** Text safe inside a Smalltalk "comment". */
function commentText(text: string): string {
  return text.replace(/"/g, "''");
}


interface MethodDef {
  classSide: boolean;
  category: string;
  pattern: string;
  body: string[];
}

interface ClassDef {
  name: string;
  superclass: string;
  instVars?: string[];
  comment: string[];
  methods: MethodDef[];
}

function classFile(cls: ClassDef, facts: HeaderFacts): string {
  const comment = [...headerLines(facts), "", ...cls.comment].map(commentText).join("\n");
  const lines = [`"`, comment, `"`, `Class {`, `\t#name : ${st(cls.name)},`, `\t#superclass : ${st(cls.superclass)},`];
  if (cls.instVars?.length) {
    lines.push(`\t#instVars : [`, cls.instVars.map((v) => `\t\t${st(v)}`).join(",\n"), `\t],`);
  }
  lines.push(`\t#category : ${st(PHARO_PACKAGE)},`, `\t#package : ${st(PHARO_PACKAGE)}`, `}`);
  const sorted = [...cls.methods].sort((a, b) =>
    a.classSide === b.classSide ? a.pattern.localeCompare(b.pattern) : a.classSide ? -1 : 1,
  );
  for (const m of sorted) {
    lines.push(
      "",
      `{ #category : ${st(m.category)} }`,
      `${cls.name}${m.classSide ? " class" : ""} >> ${m.pattern} [`,
      "",
      ...m.body.map((l) => (l === "" ? "" : `\t${l}`)),
      `]`,
    );
  }
  return lines.join("\n") + "\n";
}

function article(word: string): string {
  return /^[AEIOU]/.test(word) ? "an" : "a";
}

/** `sessionId` → `aSessionId`. */
function argName(field: string): string {
  const p = field[0]!.toUpperCase() + field.slice(1);
  return `${article(p)}${p}`;
}

/** `sessionNotFound` → `Session not found`. */
function title(kind: string): string {
  const words = kind.replace(/([A-Z])/g, " $1").trim().toLowerCase();
  return words[0]!.toUpperCase() + words.slice(1);
}

export function errorClassName(kind: string): string {
  return `STUI${errorTypeName(kind)}`;
}

function protocolClass(schema: ProtocolSchema, served: readonly ProtocolSchema[], since: SinceIndex): ClassDef {
  const dict = (pairs: [string, string][]) => [
    `^ Dictionary newFrom: {`,
    ...pairs.map(([k, v], i) => `\t\t${st(k)} -> ${v}${i < pairs.length - 1 ? " ." : ""}`),
    `\t}`,
  ];
  return {
    name: "STUIProtocol",
    superclass: "Object",
    comment: [
      `I am STUIProtocol. I answer the constants of STUI protocol ${schema.version}: its version, the commands with their permission class and retry safety, the error codes and the message limits; and, per protocol version a server serves (versionTables), its commands, params validators, defaults, permissions and the shaping of replies. checkParams:method:version: is the one place a request's params are checked.`,
      "",
      "\tSTUIProtocol version.",
      "\tSTUIProtocol permissionFor: 'evaluate'.",
      "\tSTUIProtocol errorCodeFor: 'sessionNotFound'.",
    ],
    methods: [
      { classSide: true, category: "accessing", pattern: "version", body: [`"The protocol version I was generated from."`, `^ ${st(schema.version)}`] },
      ...protocolVersionMethods(schema, served, since),
      { classSide: true, category: "accessing", pattern: "maxMessageBytes", body: [`^ ${schema.maxMessageBytes}`] },
      { classSide: true, category: "accessing", pattern: "maxJsonDepth", body: [`"How many arrays and objects a message may nest in each other; deeper is a parseError. The reader applies it before it knows a request's version, so to every version served."`, `^ ${parserDepthLimit(schema)}`] },
      {
        classSide: true,
        category: "accessing",
        pattern: "commandNames",
        body: [`"A fresh Array of every command's method name, in schema order."`, `^ {`, ...schema.commands.map((c, i) => `\t${st(c.method)}${i < schema.commands.length - 1 ? " ." : ""}`), `}`],
      },
      { classSide: true, category: "accessing", pattern: "permissions", body: dict(schema.commands.map((c) => [c.method, st(c.permission)])) },
      { classSide: true, category: "accessing", pattern: "idempotence", body: dict(schema.commands.map((c) => [c.method, String(c.idempotent)])) },
      { classSide: true, category: "accessing", pattern: "errorCodes", body: dict(schema.errors.map((e) => [e.kind, String(e.code)])) },
      { classSide: true, category: "accessing", pattern: "permissionFor: methodName", body: [`"The permission class a command needs, or nil for an unknown command."`, `^ self permissions at: methodName ifAbsent: [ nil ]`] },
      {
        classSide: true,
        category: "accessing",
        pattern: "permissionsFor: methodName params: params",
        body: [
          `"The permission classes one call of the newest version needs (see permissionsFor:params:version:)."`,
          `^ self permissionsFor: methodName params: params version: self version`,
        ],
      },
      { classSide: true, category: "accessing", pattern: "isIdempotent: methodName", body: [`"Whether a retry of the command is safe; false for an unknown command."`, `^ self idempotence at: methodName ifAbsent: [ false ]`] },
      { classSide: true, category: "accessing", pattern: "errorCodeFor: kind", body: [`"The JSON-RPC error code of an error kind, or nil."`, `^ self errorCodes at: kind ifAbsent: [ nil ]`] },
    ],
  };
}

function baseErrorClass(): ClassDef {
  return {
    name: "STUIProtocolError",
    superclass: "Error",
    instVars: ["data"],
    comment: [
      "I am STUIProtocolError, the root of the protocol's errors. Each error kind of the schema is one subclass of mine. I carry the kind-specific data and turn myself into a JSON-RPC error object.",
      "",
      "\t(STUISessionNotFoundError sessionId: 's-1') asErrorObject.",
      "\t[ (STUIClassNotFoundError className: 'Foo') signal ] on: STUIProtocolError do: [ :e | e code ].",
    ],
    methods: [
      { classSide: true, category: "accessing", pattern: "kind", body: [`"Instances of me are internal errors; each subclass answers its own kind."`, `^ 'internalError'`] },
      { classSide: true, category: "accessing", pattern: "title", body: [`^ 'Internal error'`] },
      { classSide: true, category: "accessing", pattern: "code", body: [`^ STUIProtocol errorCodeFor: self kind`] },
      { classSide: false, category: "accessing", pattern: "kind", body: [`^ self class kind`] },
      { classSide: false, category: "accessing", pattern: "code", body: [`^ self class code`] },
      { classSide: false, category: "accessing", pattern: "data", body: [`^ data ifNil: [ data := Dictionary new ]`] },
      { classSide: false, category: "accessing", pattern: "dataAt: key put: value", body: [`^ self data at: key put: value`] },
      { classSide: false, category: "accessing", pattern: "messageText", body: [`^ messageText ifNil: [ self class title ]`] },
      { classSide: false, category: "testing", pattern: "isProtocolError", body: [`^ true`] },
      {
        classSide: false,
        category: "public",
        pattern: "asErrorObject",
        body: [
          `"A fresh Dictionary ready for STUIJson: code, message and data (with kind)."`,
          `| payload |`,
          `payload := Dictionary new.`,
          `self data keysAndValuesDo: [ :key :value | payload at: key put: value ].`,
          `payload at: 'kind' put: self kind.`,
          `^ Dictionary new`,
          `\tat: 'code' put: self code;`,
          `\tat: 'message' put: self messageText;`,
          `\tat: 'data' put: payload;`,
          `\tyourself`,
        ],
      },
    ],
  };
}

function errorClasses(schema: ProtocolSchema): ClassDef[] {
  return schema.errors.map((e) => {
    const dataSchema = resolve(schema.defs, schema.defs[e.dataType]!);
    const fields = (dataSchema.required ?? []).filter((f) => f !== "kind");
    const optional = Object.keys(dataSchema.properties ?? {}).filter((f) => f !== "kind" && !fields.includes(f));
    const methods: MethodDef[] = [
      { classSide: true, category: "accessing", pattern: "kind", body: [`^ ${st(e.kind)}`] },
      { classSide: true, category: "accessing", pattern: "title", body: [`^ ${st(title(e.kind))}`] },
    ];
    if (fields.length > 0) {
      methods.push({
        classSide: true,
        category: "instance creation",
        pattern: fields.map((f) => `${f}: ${argName(f)}`).join(" "),
        body: [
          `"An unsignalled instance with the required data of #/$defs/${e.dataType}.${optional.length ? ` Optional: ${optional.join(", ")} (dataAt:put:).` : ""}"`,
          `^ self new`,
          ...fields.map((f) => `\tdataAt: ${st(f)} put: ${argName(f)};`),
          `\tyourself`,
        ],
      });
    }
    return {
      name: errorClassName(e.kind),
      superclass: "STUIProtocolError",
      comment: [`I am the ${e.kind} error (code ${e.code}). ${e.description}`, "", `My data follows #/$defs/${e.dataType}.`],
      methods,
    };
  });
}

/**
 * Writes Smalltalk that appends a problem Dictionary to `problems` for every
 * way `value` (a variable name) fails `node`; `path` is a Smalltalk expression
 * answering the JSON Pointer of the value. `depth` keeps block variables unique.
 */
class ValidationWriter {
  /** `$defs` names that need their own validate method. */
  readonly needed = new Set<string>();

  private problem(path: string, message: string): string {
    return `problems add: (self problemAt: ${path} message: ${st(message)})`;
  }

  check(node: SchemaNode, value: string, path: string, depth: number, where: string): string[] {
    if (node.$ref) {
      const name = refName(node.$ref);
      this.needed.add(name);
      return [`self validate${name}: ${value} at: ${path} into: problems.`];
    }
    const out: string[] = [];
    if (node.const !== undefined) {
      out.push(`${value} = ${literal(node.const)} ifFalse: [ ${this.problem(path, "must be equal to constant")} ].`);
      return out;
    }
    if (node.enum) {
      const items = node.enum.map(literal).join(" ");
      const allowed = node.enum.map((v) => String(v)).join(", ");
      out.push(`(#( ${items} ) includes: ${value}) ifFalse: [ ${this.problem(path, `must be equal to one of the allowed values: ${allowed}`)} ].`);
      return out;
    }
    if (node.oneOf && node.type !== "object") throw new SchemaError(`${where}: oneOf is supported by the Pharo generator only as required-property alternatives of an object`);
    if (node.anyOf && node.type !== "object") throw new SchemaError(`${where}: anyOf is supported by the Pharo generator only as required-property alternatives of an object`);
    const types = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
    if (types.length === 0) throw new SchemaError(`${where}: params schemas need a type for the Pharo generator`);
    const test = (t: string): string => {
      switch (t) {
        case "string": return `${value} isString`;
        // As ajv judges numbers: 5000.0 is an integer, an infinite Float is not a number (STUI-Json, hand-written).
        case "integer": return `(STUIJson isInteger: ${value})`;
        case "number": return `(STUIJson isNumber: ${value})`;
        case "boolean": return `(${value} == true or: [ ${value} == false ])`;
        case "null": return `${value} isNil`;
        case "object": return `${value} isDictionary`;
        case "array": return `${value} isArray`;
        default: throw new SchemaError(`${where}: unknown type ${t}`);
      }
    };
    // Parenthesised: `a or: [ b ] ifFalse: [ … ]` would send or:ifFalse:ifTrue:.
    const typeTest = types.length === 1 ? test(types[0]!) : `(${types.map((t, i) => (i === 0 ? test(t) : `[ ${test(t)} ]`)).join(" or: ")})`;
    const inner: string[] = [];
    const guard = (t: string, lines: string[]) => {
      if (lines.length === 0) return;
      if (types.length === 1) inner.push(...lines);
      else inner.push(`${test(t)} ifTrue: [`, ...lines.map((l) => `\t${l}`), `].`);
    };
    for (const t of types) {
      const lines: string[] = [];
      if (t === "string") {
        if (node.minLength !== undefined) lines.push(`${value} size < ${node.minLength} ifTrue: [ ${this.problem(path, `must NOT have fewer than ${node.minLength} characters`)} ].`);
        if (node.maxLength !== undefined) lines.push(`${value} size > ${node.maxLength} ifTrue: [ ${this.problem(path, `must NOT have more than ${node.maxLength} characters`)} ].`);
      } else if (t === "integer" || t === "number") {
        if (node.minimum !== undefined) lines.push(`${value} < ${node.minimum} ifTrue: [ ${this.problem(path, `must be >= ${node.minimum}`)} ].`);
        if (node.maximum !== undefined) lines.push(`${value} > ${node.maximum} ifTrue: [ ${this.problem(path, `must be <= ${node.maximum}`)} ].`);
      } else if (t === "array") {
        if (node.minItems !== undefined) lines.push(`${value} size < ${node.minItems} ifTrue: [ ${this.problem(path, `must NOT have fewer than ${node.minItems} items`)} ].`);
        if (node.maxItems !== undefined) lines.push(`${value} size > ${node.maxItems} ifTrue: [ ${this.problem(path, `must NOT have more than ${node.maxItems} items`)} ].`);
        if (node.uniqueItems) lines.push(`${value} asSet size = ${value} size ifFalse: [ ${this.problem(path, "must NOT have duplicate items")} ].`);
        if (node.items) {
          const each = `each${depth}`;
          const index = `index${depth}`;
          const itemPath = `${path} , '/' , (${index} - 1) printString`;
          const body = this.check(node.items, each, `(${itemPath})`, depth + 1, `${where}/items`);
          lines.push(`${value} withIndexDo: [ :${each} :${index} |`, ...body.map((l) => `\t${l}`), `\t].`);
        }
      } else if (t === "object") {
        lines.push(...this.objectChecks(node, value, path, depth, where));
      }
      guard(t, lines);
    }
    const expected = types.join(",");
    if (inner.length === 0) {
      out.push(`${typeTest} ifFalse: [ ${this.problem(path, `must be ${expected}`)} ].`);
    } else {
      out.push(`${typeTest}`, `\tifFalse: [ ${this.problem(path, `must be ${expected}`)} ]`, `\tifTrue: [`, ...inner.map((l) => `\t\t${l}`), `\t].`);
    }
    return out;
  }

  private objectChecks(node: SchemaNode, value: string, path: string, depth: number, where: string): string[] {
    const lines: string[] = [];
    const props = node.properties ?? {};
    for (const r of node.required ?? []) {
      lines.push(`(${value} includesKey: ${st(r)}) ifFalse: [ ${this.problem(path, `must have required property '${r}'`)} ].`);
    }
    if (node.additionalProperties === false) {
      const key = `key${depth}`;
      const names = Object.keys(props).map(st).join(" ");
      lines.push(
        `${value} keysDo: [ :${key} |`,
        `\t(#( ${names} ) includes: ${key}) ifFalse: [ ${this.problem(`${path} , '/' , (self pointerToken: ${key})`, "must NOT have additional properties")} ] ].`,
      );
    } else if (node.additionalProperties !== undefined && node.additionalProperties !== true) {
      throw new SchemaError(`${where}: additionalProperties must be a boolean for the Pharo generator`);
    }
    for (const keyword of ["oneOf", "anyOf"] as const) {
      const branches = node[keyword];
      if (!branches) continue;
      const alternatives = branches.map((b, i) => {
        if (Object.keys(b).some((k) => k !== "required") || (b.required ?? []).length !== 1) {
          throw new SchemaError(`${where}/${keyword}/${i}: the Pharo generator supports ${keyword} only as single required properties`);
        }
        return b.required![0]!;
      });
      const [test, words] = keyword === "oneOf" ? ["= 1", "exactly one of"] : [">= 1", "at least one of"];
      lines.push(
        `(#( ${alternatives.map(st).join(" ")} ) count: [ :name${depth} | ${value} includesKey: name${depth} ]) ${test}`,
        `\tifFalse: [ ${this.problem(path, `must have ${words}: ${alternatives.join(", ")}`)} ].`,
      );
    }
    for (const [name, prop] of Object.entries(props)) {
      const v = `${name}${depth}`;
      const body = this.check(prop, v, `(${path} , '/${name}')`, depth + 1, `${where}/properties/${name}`);
      lines.push(`${value} at: ${st(name)} ifPresent: [ :${v} |`, ...body.map((l) => `\t${l}`), `\t].`);
    }
    return lines;
  }
}

/** `$defs` every server needs a public check for, besides the commands' params: the envelope. */
const ENVELOPE_DEFS = ["Request", "RequestId"];

function validatorClass(schema: ProtocolSchema, className = "STUIProtocolValidator"): ClassDef {
  const writer = new ValidationWriter();
  const publicDefs = [...new Set([...ENVELOPE_DEFS.filter((d) => schema.defs[d]), ...schema.commands.map((c) => c.paramsType)])];
  const methods: MethodDef[] = [
    {
      classSide: false,
      category: "private",
      pattern: "pointerToken: aKey",
      body: [`"aKey as a JSON Pointer reference token: ~ and / escaped."`, `^ (aKey asString copyReplaceAll: '~' with: '~0') copyReplaceAll: '/' with: '~1'`],
    },
    {
      classSide: false,
      category: "private",
      pattern: "problemAt: path message: aString",
      body: [`^ Dictionary new`, `\tat: 'path' put: path;`, `\tat: 'message' put: aString;`, `\tyourself`],
    },
  ];
  for (const name of publicDefs) {
    writer.needed.add(name);
    methods.push({
      classSide: false,
      category: "public",
      pattern: `problemsOf${name}: value`,
      body: [
        `"A fresh Array of the ValidationProblems of value against #/$defs/${name}: empty when it is valid."`,
        `| problems |`,
        `problems := OrderedCollection new.`,
        `self validate${name}: value at: '' into: problems.`,
        `^ problems asArray`,
      ],
    });
  }
  // One validate method per $defs type reached from the public ones (new ones appear while writing).
  const written = new Set<string>();
  while ([...writer.needed].some((n) => !written.has(n))) {
    for (const name of [...writer.needed].sort()) {
      if (written.has(name)) continue;
      written.add(name);
      methods.push(validateMethod(schema, name, writer));
    }
  }
  return {
    name: className,
    superclass: "Object",
    comment: [
      `I am ${className}. I check decoded JSON against the types of STUI protocol ${schema.version}: the request envelope and every command's params. I answer ValidationProblems (a path, a JSON Pointer, and a message), never raise, and report a member that is not allowed at its own pointer, as the TypeScript side does.`,
      "",
      "\tSTUIProtocolValidator new problemsOfRequest: (Dictionary new at: 'jsonrpc' put: '2.0'; yourself).",
      "\tSTUIProtocolValidator new problemsOfEvaluateParams: Dictionary new.",
    ],
    methods,
  };
}

function handlerClass(schema: ProtocolSchema): ClassDef {
  const methods: MethodDef[] = [];
  methods.push({
    classSide: true,
    category: "accessing",
    pattern: "commandSelectors",
    body: [
      `"The dispatch table: method name -> the selector of my subclass that handles its checked params."`,
      `^ Dictionary newFrom: {`,
      ...schema.commands.map((c, i) => `\t\t${st(c.method)} -> #handle${c.pascal}:${i < schema.commands.length - 1 ? " ." : ""}`),
      `\t}`,
    ],
  });
  methods.push({
    classSide: false,
    category: "request handling",
    pattern: "dispatch: methodName params: params",
    body: [
      `"Answer the command's result (a Dictionary) in the newest protocol version, or an unsignalled STUIProtocolError for an unknown method or invalid params. Errors a handler signals pass through to the caller."`,
      `^ self dispatch: methodName params: params version: STUIProtocol version`,
    ],
  });
  methods.push(...handlerVersionMethods());
  for (const c of schema.commands) methods.push(...commandMethods(schema, c));
  return {
    name: "STUIProtocolHandler",
    superclass: "Object",
    comment: [
      `I am STUIProtocolHandler, abstract. I know every command of STUI protocol ${schema.version}: dispatch:params:version: checks a request's method and params in the request's version (STUIProtocol checkParams:method:version:, which also fills in the defaults; an error is answered, never raised), then handle:checkedParams: calls the handle<Command>: that my hand-written subclass implements. A server that checked the params itself (STUIServer>>prepare:) calls handle:checkedParams: directly.`,
      "",
      "\thandler := STUIRequestHandler new.",
      "\thandler dispatch: 'ping' params: (Dictionary new at: 'echo' put: 'hi'; yourself).",
    ],
    methods,
  };
}

function validateMethod(schema: ProtocolSchema, name: string, writer: ValidationWriter): MethodDef {
  return {
    classSide: false,
    category: "private",
    pattern: `validate${name}: value at: path into: problems`,
    body: [`"Add to problems every way value fails #/$defs/${name}."`, ...writer.check(schema.defs[name]!, "value", "path", 1, `#/$defs/${name}`)],
  };
}

function commandMethods(schema: ProtocolSchema, c: Command): MethodDef[] {
  const result = resolve(schema.defs, schema.defs[c.resultType]!);
  return [
    {
      classSide: false,
      category: "request handling",
      pattern: `handle${c.pascal}: params`,
      body: [
        `"${commentText(c.description)}`,
        ``,
        `params have passed #/$defs/${c.paramsType} of the request's version, with the defaults filled in. Answer a fresh Dictionary matching #/$defs/${c.resultType} (${(result.required ?? []).join(", ") || "no required fields"}), or signal one of: ${c.errors.map(errorClassName).join(", ") || "(no command-specific errors)"}. Permission: ${c.permission}."`,
        `^ self subclassResponsibility`,
      ],
    },
  ];
}

/** Files of the Pharo target, by path relative to the package folder. */
export function pharoFiles(schema: ProtocolSchema, facts: HeaderFacts, served: readonly ProtocolSchema[], since: SinceIndex, factsOf: (s: ProtocolSchema) => HeaderFacts): Map<string, string> {
  // Every $def a params type uses must be convertible; fail early with the path.
  for (const c of schema.commands) directRefs(schema.defs[c.paramsType]);
  const classes = [protocolClass(schema, served, since), baseErrorClass(), ...errorClasses(schema), validatorClass(schema), handlerClass(schema)];
  const files = new Map<string, string>();
  // Each older version served gets its own validator, generated from its frozen schema.
  for (const older of served.filter((s) => s !== schema)) {
    const cls = validatorClass(older, validatorClassName(older.version, schema.version));
    files.set(`${cls.name}.class.st`, classFile(cls, factsOf(older)));
  }
  // Tonel's package definition has no comment slot; the header is in every class comment.
  files.set("package.st", `Package { #name : ${st(PHARO_PACKAGE)} }\n`);
  for (const cls of classes) files.set(`${cls.name}.class.st`, classFile(cls, facts));
  return files;
}
