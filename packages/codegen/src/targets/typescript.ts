/**
 * The TypeScript target: TypeBox types, the command table, the typed client
 * surface and the server-side handler interface, under packages/client/src/gen/.
 */
import { type ProtocolSchema, type Command, defsInDependencyOrder, errorTypeName } from "../schema.js";
import type { HeaderFacts } from "../header.js";
import { header } from "../header.js";
import { typeboxExpression } from "./typebox.js";
import { type SinceIndex } from "../since.js";
import { versionsFile } from "./versions.js";

/**
 * Re-indents generated code two spaces a level. A line that opens brackets
 * (however many: `Type.Object({`) indents what follows by one level, which
 * lasts until those brackets are closed again.
 */
export function indentByBrackets(code: string): string {
  /** Per indentation level, how many of the brackets that opened it are still open. */
  const levels: number[] = [];
  const close = (stack: number[]) => {
    if (stack.length === 0) return;
    stack[stack.length - 1]!--;
    if (stack[stack.length - 1] === 0) stack.pop();
  };
  const out: string[] = [];
  for (const raw of code.split("\n")) {
    const line = raw.trim();
    if (line === "") {
      out.push("");
      continue;
    }
    // Leading closers pull the line back out of every level they touch, even one they only
    // partly close (`}, { options });` lines up with the `Type.Object({` that opened it).
    const leading = levels.slice();
    let partlyClosedTop = false;
    for (let i = 0; i < (/^[)\]}]+/.exec(line)?.[0].length ?? 0) && leading.length > 0; i++) {
      const before = leading.length;
      close(leading);
      partlyClosedTop = leading.length === before;
    }
    // A doc comment's continuation lines (` * …`, ` */`) keep the space that aligns their stars.
    out.push("  ".repeat(leading.length - (partlyClosedTop ? 1 : 0)) + (line.startsWith("*") ? " " : "") + line);
    let opened = 0;
    let inString: string | null = null;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (inString) {
        if (ch === "\\") i++;
        else if (ch === inString) inString = null;
      } else if (ch === '"' || ch === "'" || ch === "`") inString = ch;
      else if (ch === "/" && line[i + 1] === "/") break;
      else if ("([{".includes(ch)) opened++;
      else if (")]}".includes(ch)) {
        if (opened > 0) opened--;
        else close(levels);
      }
    }
    if (opened > 0) levels.push(opened);
  }
  return out.join("\n");
}

function docComment(lines: (string | undefined)[]): string {
  const body = lines.filter((l): l is string => l !== undefined).flatMap((l) => l.split("\n"));
  return `/**\n${body.map((l) => ` * ${l.replace(/\*\//g, "*\\/")}`.trimEnd()).join("\n")}\n */\n`;
}

function seeSchema(schema: ProtocolSchema, pointer: string): string {
  return `@see ${schema.file}${pointer}`;
}

/**
 * The members of an object's `oneOf` when every branch only requires one of its properties
 * (`oneOf: [{ required: ["handle"] }, { required: ["expression"] }]`): exactly one of them must
 * be present. Undefined for any other shape.
 */
export function exactlyOneOf(node: ProtocolSchema["defs"][string]): string[] | undefined {
  const branches = node.oneOf;
  if (node.type !== "object" || !branches || branches.length < 2) return undefined;
  const names = branches.map((b) => (Object.keys(b).length === 1 && Array.isArray(b.required) && b.required.length === 1 ? b.required[0] : undefined));
  return names.every((n): n is string => typeof n === "string" && n in (node.properties ?? {})) ? names : undefined;
}

/** The static type of a def: TypeBox's, narrowed by an exactly-one-of the TypeBox object cannot say. */
function staticType(name: string, node: ProtocolSchema["defs"][string]): string {
  const one = exactlyOneOf(node);
  return one ? `Static<typeof ${name}> & ExactlyOneOf<Static<typeof ${name}>, ${one.map((n) => JSON.stringify(n)).join(" | ")}>` : `Static<typeof ${name}>`;
}

const EXACTLY_ONE_OF = `${docComment([
  "Exactly one of the keys K of T is present (a schema's `oneOf` of single `required` lists): each",
  "branch makes its key required and the others absent, so `{ handle }` and `{ expression }` type-check",
  "and `{}` or `{ handle, expression }` do not.",
])}export type ExactlyOneOf<T, K extends keyof T> = { [P in K]: { [Q in P]-?: Exclude<T[Q], undefined> } & { [Q in Exclude<K, P>]?: never } }[K];
`;

function typesFile(schema: ProtocolSchema, facts: HeaderFacts, since: SinceIndex): string {
  const parts: string[] = [header(facts, "line"), `import { Type, type Static } from "@sinclair/typebox";\n`];
  if (Object.values(schema.defs).some((node) => exactlyOneOf(node))) parts.push(EXACTLY_ONE_OF);
  for (const name of defsInDependencyOrder(schema.defs)) {
    const node = schema.defs[name]!;
    const expr = typeboxExpression(node, `#/$defs/${name}`, (pointer) => since.pointer(pointer));
    parts.push(
      docComment([node.description ?? name, "", seeSchema(schema, `#/$defs/${name}`)]) +
        indentByBrackets(`export const ${name} = ${expr};`) +
        `\nexport type ${name} = ${staticType(name, node)};\n`,
    );
  }
  return parts.join("\n");
}

function commandsFile(schema: ProtocolSchema, facts: HeaderFacts, since: SinceIndex): string {
  const typeNames = [...new Set(schema.commands.flatMap((c) => [c.paramsType, c.resultType]).concat(schema.errors.map((e) => e.dataType)))].sort();
  const out: string[] = [header(facts, "line")];
  out.push(`import type { ${[...typeNames, "Permission"].sort().join(", ")} } from "./types.js";\n`);
  out.push(docComment([`The protocol version this code was generated from.`, seeSchema(schema, "#/x-stui-version")]) + `export const PROTOCOL_VERSION = ${JSON.stringify(schema.version)};\n`);
  out.push(docComment([`Largest message, in bytes, a server accepts.`, seeSchema(schema, "#/x-stui-limits/maxMessageBytes")]) + `export const MAX_MESSAGE_BYTES = ${schema.maxMessageBytes};\n`);
  // A release before 1.1 states no depth limit; its generated client has no MAX_JSON_DEPTH.
  if (schema.maxJsonDepth !== undefined) {
    out.push(docComment([`How many arrays and objects a message may nest in each other; deeper is a parseError. The parser applies it to every protocol version a server serves.`, seeSchema(schema, "#/x-stui-limits/maxJsonDepth")]) + `export const MAX_JSON_DEPTH = ${schema.maxJsonDepth};\n`);
  }
  out.push(docComment([`The permission classes and what each allows.`, seeSchema(schema, "#/x-stui-permissions")]) +
    `export const PERMISSIONS = ${JSON.stringify(schema.permissions, null, 2)} as const satisfies Record<Permission, string>;\n`);

  out.push(docComment([`Every error kind with its JSON-RPC code and description.`, seeSchema(schema, "#/x-stui-errors")]) +
    indentByBrackets(`export const ERROR_KINDS = {\n${schema.errors
      .map((e) => `${JSON.stringify(e.kind)}: { code: ${e.code}, description: ${JSON.stringify(e.description)}, dataType: ${JSON.stringify(e.dataType)} },`)
      .join("\n")}\n} as const;`) + `\n\nexport type ErrorKind = keyof typeof ERROR_KINDS;\n`);
  out.push(docComment([`The data shape of each error kind.`]) +
    indentByBrackets(`export interface ErrorDataByKind {\n${schema.errors.map((e) => `${JSON.stringify(e.kind)}: ${e.dataType};`).join("\n")}\n}`) + "\n");
  out.push(docComment([`Error kinds a server answers for any request, whatever the command.`, seeSchema(schema, "#/x-stui-envelope-errors")]) +
    `export const ENVELOPE_ERRORS: readonly ErrorKind[] = ${JSON.stringify(schema.envelopeErrors)};\n`);

  out.push(docComment([`Params and result type of every command, by method name.`]) +
    indentByBrackets(`export interface CommandMap {\n${schema.commands
      .map((c) => `${docComment([c.description, `@since ${since.command(c.method)}`, seeSchema(schema, c.pointer)]).trimEnd()}\n${JSON.stringify(c.method)}: { params: ${c.paramsType}; result: ${c.resultType} };`)
      .join("\n")}\n}`) + `\n\nexport type CommandName = keyof CommandMap;\nexport type ParamsOf<M extends CommandName> = CommandMap[M]["params"];\nexport type ResultOf<M extends CommandName> = CommandMap[M]["result"];\n`);

  out.push(`/** What the schema says about one command. */
export interface CommandInfo {
  method: CommandName;
  description: string;
  /** The permission class the command needs. */
  permission: Permission;
  /** Whether re-sending it after a timeout is safe. */
  idempotent: boolean;
  /** Params properties that, when present, need another permission class. */
  paramPermissions: Readonly<Record<string, Permission>>;
  /** Params properties that, when present, make the call unsafe to retry. */
  paramNotIdempotent: readonly string[];
  /** Top-level params defaults a server applies. */
  defaults: Readonly<Record<string, unknown>>;
  /** Names of the params and result types (keys of the generated validators). */
  paramsType: string;
  resultType: string;
  /** Command-specific error kinds (envelope errors come on top). */
  errors: readonly ErrorKind[];
}
`);
  out.push(docComment([`Every command of the protocol, in schema order.`, seeSchema(schema, "#/x-stui-commands")]) +
    indentByBrackets(`export const COMMANDS: { readonly [M in CommandName]: CommandInfo } = {\n${schema.commands
      .map((c) => `${JSON.stringify(c.method)}: ${JSON.stringify({
        method: c.method,
        description: c.description,
        permission: c.permission,
        idempotent: c.idempotent,
        paramPermissions: c.paramPermissions,
        paramNotIdempotent: c.paramNotIdempotent,
        defaults: c.defaults,
        paramsType: c.paramsType,
        resultType: c.resultType,
        errors: c.errors,
      }, null, 2)},`)
      .join("\n")}\n};`) + "\n");
  out.push(`/** Every command name, in schema order. */
export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

/** True when \`method\` is a command of this protocol version. */
export function isCommandName(method: string): method is CommandName {
  return Object.prototype.hasOwnProperty.call(COMMANDS, method);
}

/**
 * The permission classes one call needs: the command's own, plus any that a
 * params property present in this call adds (e.g. inspect with an expression
 * needs eval too).
 */
export function permissionsFor(method: CommandName, params: object | undefined): Permission[] {
  const info = COMMANDS[method];
  const needed = new Set<Permission>([info.permission]);
  for (const [name, permission] of Object.entries(info.paramPermissions)) {
    if (params && (params as Record<string, unknown>)[name] !== undefined) needed.add(permission);
  }
  return [...needed];
}

/** Whether re-sending this call after a timeout is safe. */
export function isRetrySafe(method: CommandName, params: object | undefined): boolean {
  const info = COMMANDS[method];
  if (!info.idempotent) return false;
  return !info.paramNotIdempotent.some((name) => params && (params as Record<string, unknown>)[name] !== undefined);
}

/** The params with the schema's defaults filled in where absent (a new object). */
export function withDefaults<M extends CommandName>(method: M, params: ParamsOf<M> | undefined): ParamsOf<M> {
  return { ...COMMANDS[method].defaults, ...(params ?? {}) } as ParamsOf<M>;
}
`);
  out.push(`/** The generated names of the error kinds' Pharo classes / TypeScript types. */
export const ERROR_TYPE_NAMES: { readonly [K in ErrorKind]: string } = ${JSON.stringify(Object.fromEntries(schema.errors.map((e) => [e.kind, errorTypeName(e.kind)])), null, 2)};
`);
  return out.join("\n");
}

function hasRequiredParams(schema: ProtocolSchema, c: Command): boolean {
  const params = schema.defs[c.paramsType]!;
  // oneOf / anyOf of required members: some member is required, so params are.
  return (params.required ?? []).length > 0 || (params.oneOf ?? params.anyOf ?? []).some((b) => (b.required ?? []).length > 0);
}

/** Groups dotted method names into namespaces: `session.create` → api.session.create. */
function namespaces(commands: Command[]): Map<string | null, Command[]> {
  const groups = new Map<string | null, Command[]>();
  for (const c of commands) {
    const dot = c.method.indexOf(".");
    const ns = dot < 0 ? null : c.method.slice(0, dot);
    if (c.method.indexOf(".", dot + 1) >= 0) throw new Error(`method ${c.method}: only one level of namespace is supported`);
    groups.set(ns, [...(groups.get(ns) ?? []), c]);
  }
  return groups;
}

function leafName(c: Command): string {
  const dot = c.method.indexOf(".");
  return dot < 0 ? c.method : c.method.slice(dot + 1);
}

function clientFile(schema: ProtocolSchema, facts: HeaderFacts, since: SinceIndex): string {
  const typeNames = [...new Set(schema.commands.flatMap((c) => [c.paramsType, c.resultType]))].sort();
  const sig = (c: Command) => {
    const optional = hasRequiredParams(schema, c) ? "" : "?";
    return `${docComment([c.description, "", `Permission: ${c.permission}. Safe to retry: ${c.idempotent ? "yes" : "no"}.`, `Errors: ${c.errors.length ? c.errors.join(", ") : "none beyond the envelope's"}.`, `@since ${since.command(c.method)}`, seeSchema(schema, c.pointer)]).trimEnd()}\n${JSON.stringify(leafName(c))}(params${optional}: ${c.paramsType}, options?: CallOptions): Promise<${c.resultType}>;`;
  };
  const groups = namespaces(schema.commands);
  const iface: string[] = [];
  const impl: string[] = [];
  const call = (c: Command) => `(params, options) => transport.call(${JSON.stringify(c.method)}, params ?? {}, options)`;
  // A command whose name is also a namespace (`evaluate` and `evaluate.cancel`) is callable and holds the others.
  const callable = new Map((groups.get(null) ?? []).filter((c) => groups.has(c.method)).map((c) => [c.method, c]));
  for (const [ns, cmds] of groups) {
    if (ns === null) {
      for (const c of cmds) {
        if (callable.has(c.method)) continue;
        iface.push(sig(c));
        impl.push(`${JSON.stringify(leafName(c))}: ${call(c)},`);
      }
    } else {
      const self = callable.get(ns);
      const members = cmds.map((c) => `${JSON.stringify(leafName(c))}: ${call(c)},`).join("\n");
      if (self) {
        // Object.assign gives its arguments no contextual type: every function states its own.
        const typed = (c: Command) => `(params${hasRequiredParams(schema, c) ? "" : "?"}: ${c.paramsType}, options?: CallOptions) => transport.call(${JSON.stringify(c.method)}, params ?? {}, options)`;
        const selfSig = sig(self).replace(`${JSON.stringify(ns)}(params`, "(params");
        iface.push(`/** \`${ns}\` itself, and the \`${ns}.*\` commands. */\n${JSON.stringify(ns)}: {\n${selfSig}\n${cmds.map(sig).join("\n")}\n};`);
        impl.push(`${JSON.stringify(ns)}: Object.assign(${typed(self)}, {\n${cmds.map((c) => `${JSON.stringify(leafName(c))}: ${typed(c)},`).join("\n")}\n}),`);
      } else {
        iface.push(`/** The \`${ns}.*\` commands. */\n${JSON.stringify(ns)}: {\n${cmds.map(sig).join("\n")}\n};`);
        impl.push(`${JSON.stringify(ns)}: {\n${members}\n},`);
      }
    }
  }
  return [
    header(facts, "line"),
    `import type { ${typeNames.join(", ")} } from "./types.js";`,
    `import type { CommandName, ParamsOf, ResultOf } from "./commands.js";\n`,
    `/** Per-call options a transport understands. */
export interface CallOptions {
  /** Give up after this long (the transport's default when absent). */
  timeoutMs?: number;
  /** Abort the call. */
  signal?: AbortSignal;
  /**
   * Told the request's id each time the call is put on the wire under a new id (a call re-sent
   * in another protocol version gets a new one), e.g. to stop it with evaluate.cancel.
   */
  onRequestId?: (requestId: string) => void;
}

/** What the typed API needs from a transport: send one command, answer its result or throw. */
export interface Transport {
  call<M extends CommandName>(method: M, params: ParamsOf<M>, options?: CallOptions): Promise<ResultOf<M>>;
}
`,
    docComment([`One typed method per protocol command, grouped by the method name's namespace.`, seeSchema(schema, "#/x-stui-commands")]) +
      indentByBrackets(`export interface StuiApi {\n${iface.join("\n")}\n}`),
    "",
    docComment([`Builds the typed API on a transport.`]) +
      indentByBrackets(`export function createApi(transport: Transport): StuiApi {\nreturn {\n${impl.join("\n")}\n};\n}`),
    "",
  ].join("\n");
}

function serverFile(schema: ProtocolSchema, facts: HeaderFacts): string {
  const typeNames = [...new Set(schema.commands.flatMap((c) => [c.paramsType, c.resultType]))].sort();
  const members = schema.commands.map(
    (c) =>
      `${docComment([c.description, "", `Params arrive validated, with the schema's defaults filled in. Throw a protocol error for the kinds: ${c.errors.length ? c.errors.join(", ") : "(none specific)"}.`, seeSchema(schema, c.pointer)]).trimEnd()}\n${JSON.stringify(c.method)}(params: ${c.paramsType}, context: Context): ${c.resultType} | Promise<${c.resultType}>;`,
  );
  return [
    header(facts, "line"),
    `import type { ${typeNames.join(", ")} } from "./types.js";\n`,
    docComment([
      `The server side of the protocol: one handler per command, by method name.`,
      `A server implements this interface; envelope parsing, validation and error`,
      `replies stay in the server that calls it. \`Context\` is the server's own per-request context.`,
      seeSchema(schema, "#/x-stui-commands"),
    ]) + indentByBrackets(`export interface StuiHandlers<Context = unknown> {\n${members.join("\n")}\n}`),
    "",
  ].join("\n");
}

/**
 * How a validator's problems become the protocol's ValidationProblems. The
 * Pharo target writes the same pointers and messages, so a client sees the
 * same answer from either server.
 */
function problemsFile(schema: ProtocolSchema, facts: HeaderFacts): string {
  return [
    header(facts, "line"),
    `import type { ValidationProblem } from "./types.js";`,
    `import type { ValidationError } from "./validators.js";\n`,
    docComment([
      "A JSON Pointer reference token: `~` and `/` escaped.",
    ]) + `export function pointerToken(name: string): string {\n  return name.replace(/~/g, "~0").replace(/\\//g, "~1");\n}\n`,
    docComment([
      "A validator's errors as the protocol's ValidationProblems, at most `limit` of them.",
      "A member that is not allowed is reported at its own pointer (`/params/bogus`), the",
      "value it points to being the offending one; enum problems list the allowed values.",
      seeSchema(schema, "#/$defs/ValidationProblem"),
    ]) +
      indentByBrackets(`export function toValidationProblems(errors: readonly ValidationError[] | null | undefined, limit = 50): ValidationProblem[] {
const problems: ValidationProblem[] = [];
for (const error of errors ?? []) {
if (problems.length >= limit) break;
const extra = error.params["additionalProperty"];
if (error.keyword === "additionalProperties" && typeof extra === "string") {
problems.push({ path: \`\${error.instancePath}/\${pointerToken(extra)}\`, message: "must NOT have additional properties" });
} else if (error.keyword === "enum" && Array.isArray(error.params["allowedValues"])) {
problems.push({ path: error.instancePath, message: \`must be equal to one of the allowed values: \${error.params["allowedValues"].map(String).join(", ")}\` });
} else {
problems.push({ path: error.instancePath, message: error.message ?? error.keyword });
}
}
if (problems.length === 0 && errors && errors.length > 0) problems.push({ path: "", message: "invalid" });
return problems;
}`),
    "",
  ].join("\n");
}

function indexFile(facts: HeaderFacts): string {
  return [
    header(facts, "line"),
    `export * from "./types.js";`,
    `export * from "./commands.js";`,
    `export * from "./client.js";`,
    `export * from "./server.js";`,
    `export * from "./problems.js";`,
    `export * from "./versions.js";`,
    `export * as validators from "./validators.js";`,
    "",
  ].join("\n");
}

/** Files of the TypeScript target, by path relative to `outDir`. */
export function typescriptFiles(schema: ProtocolSchema, facts: HeaderFacts, since: SinceIndex, served: readonly ProtocolSchema[] = [schema]): Map<string, string> {
  return new Map([
    ["types.ts", typesFile(schema, facts, since)],
    ["commands.ts", commandsFile(schema, facts, since)],
    ["client.ts", clientFile(schema, facts, since)],
    ["versions.ts", versionsFile({ newest: schema, served, since }, facts, indentByBrackets)],
    ["server.ts", serverFile(schema, facts)],
    ["problems.ts", problemsFile(schema, facts)],
    ["index.ts", indexFile(facts)],
  ]);
}
