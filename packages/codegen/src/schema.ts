/**
 * Reading a STUI protocol schema: the commands, error kinds and named types
 * every generator target works from. Nothing here writes files.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

/** A JSON Schema node, as far as the generators look into it. */
export interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  description?: string;
  title?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  enum?: unknown[];
  const?: unknown;
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  default?: unknown;
  examples?: unknown[];
  "x-stui-permission"?: Permission;
  "x-stui-idempotent"?: boolean;
  [keyword: string]: unknown;
}

export type Permission = "read" | "eval" | "write" | "system";

export interface CommandExample {
  request: { jsonrpc: "2.0"; id: string | number; stui: string; method: string; params?: Record<string, unknown> };
  response: Record<string, unknown>;
}

/** One command of the protocol, with the names every target uses for it. */
export interface Command {
  /** The JSON-RPC method name, e.g. `session.create`. */
  method: string;
  /** `SessionCreate`: for class and method names. */
  pascal: string;
  /** `sessionCreate`. */
  camel: string;
  description: string;
  permission: Permission;
  idempotent: boolean;
  /** Name of the params type in `$defs`. */
  paramsType: string;
  /** Name of the result type in `$defs`. */
  resultType: string;
  errors: string[];
  examples: CommandExample[];
  /** Params properties that change the permission class when present. */
  paramPermissions: Record<string, Permission>;
  /** Params properties that make a call unsafe to retry when present. */
  paramNotIdempotent: string[];
  /** Top-level params defaults from the schema (after resolving `$ref`). */
  defaults: Record<string, unknown>;
  /** JSON Pointer of the command inside the schema file. */
  pointer: string;
}

export interface ErrorKind {
  kind: string;
  code: number;
  description: string;
  /** Name of the data type in `$defs`. */
  dataType: string;
  pointer: string;
}

export interface ProtocolSchema {
  /** Path of the schema file relative to the repository root, with `/`. */
  file: string;
  /** The schema text's SHA-256, hex. */
  sha256: string;
  version: string;
  title: string;
  description: string;
  maxMessageBytes: number;
  /**
   * How many arrays and objects a message may nest in each other (deeper is a parseError), or
   * undefined when the schema states no limit (releases before 1.1). The parser applies the
   * newest schema's limit to every version a server serves (docs/protocol-evolution.md).
   */
  maxJsonDepth: number | undefined;
  permissions: Record<Permission, string>;
  defs: Record<string, SchemaNode>;
  commands: Command[];
  errors: ErrorKind[];
  envelopeErrors: string[];
  /** The parsed schema, untouched. */
  raw: Record<string, unknown>;
}

export class SchemaError extends Error {
  override name = "SchemaError";
}

const DEF_PREFIX = "#/$defs/";

/** `#/$defs/Foo` → `Foo`; throws on any other kind of reference. */
export function refName(ref: string): string {
  if (!ref.startsWith(DEF_PREFIX)) throw new SchemaError(`only local $defs references are supported, got ${ref}`);
  return ref.slice(DEF_PREFIX.length);
}

/** `session.create` → `SessionCreate`. */
export function pascalCase(method: string): string {
  return method
    .split(/[._-]/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join("");
}

export function camelCase(method: string): string {
  const p = pascalCase(method);
  return p[0]!.toLowerCase() + p.slice(1);
}

export function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Follows `$ref`s (and a `$ref` with sibling annotations) to the schema they name. */
export function resolve(defs: Record<string, SchemaNode>, node: SchemaNode): SchemaNode {
  let current = node;
  const seen = new Set<string>();
  while (current.$ref) {
    const name = refName(current.$ref);
    if (seen.has(name)) throw new SchemaError(`circular $ref through ${name}`);
    seen.add(name);
    const target = defs[name];
    if (!target) throw new SchemaError(`$ref to missing $defs/${name}`);
    current = target;
  }
  return current;
}

/** The default of a property: its own, or that of the type it refers to. */
function defaultOf(defs: Record<string, SchemaNode>, node: SchemaNode): unknown {
  if (node.default !== undefined) return node.default;
  if (node.$ref) return resolve(defs, node).default;
  return undefined;
}

function expectObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SchemaError(`${where} must be an object`);
  }
  return value as Record<string, unknown>;
}

const PERMISSIONS: readonly Permission[] = ["read", "eval", "write", "system"];

/** Error kinds every protocol must define, because generated code answers them. */
export const REQUIRED_ERROR_KINDS = ["invalidParams", "unknownMethod", "internalError"] as const;

function expectPermission(value: unknown, where: string): Permission {
  if (!PERMISSIONS.includes(value as Permission)) {
    throw new SchemaError(`${where} must be one of ${PERMISSIONS.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as Permission;
}

/** Parses and checks a protocol schema's STUI keywords. `file` is the repo-relative path. */
export function parseProtocolSchema(text: string, file: string): ProtocolSchema {
  let raw: Record<string, unknown>;
  try {
    raw = expectObject(JSON.parse(text), file);
  } catch (e) {
    if (e instanceof SchemaError) throw e;
    throw new SchemaError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  const defs = expectObject(raw.$defs, `${file}: $defs`) as Record<string, SchemaNode>;
  const version = raw["x-stui-version"];
  if (typeof version !== "string" || !/^\d+\.\d+$/.test(version)) {
    throw new SchemaError(`${file}: x-stui-version must be "MAJOR.MINOR"`);
  }
  const limits = expectObject(raw["x-stui-limits"], `${file}: x-stui-limits`);
  const maxMessageBytes = limits.maxMessageBytes;
  if (typeof maxMessageBytes !== "number" || !Number.isInteger(maxMessageBytes) || maxMessageBytes <= 0) {
    throw new SchemaError(`${file}: x-stui-limits.maxMessageBytes must be a positive integer`);
  }
  const maxJsonDepth = limits.maxJsonDepth;
  if (maxJsonDepth !== undefined && (typeof maxJsonDepth !== "number" || !Number.isInteger(maxJsonDepth) || maxJsonDepth <= 0)) {
    throw new SchemaError(`${file}: x-stui-limits.maxJsonDepth must be a positive integer`);
  }
  const permissionsRaw = expectObject(raw["x-stui-permissions"], `${file}: x-stui-permissions`);
  const permissions = {} as Record<Permission, string>;
  for (const p of PERMISSIONS) {
    const d = permissionsRaw[p];
    if (typeof d !== "string") throw new SchemaError(`${file}: x-stui-permissions.${p} must describe the permission`);
    permissions[p] = d;
  }

  const permissionDef = defs.Permission;
  if (!permissionDef || JSON.stringify(permissionDef.enum) !== JSON.stringify(PERMISSIONS)) {
    throw new SchemaError(`${file}: $defs/Permission must be an enum of exactly ${PERMISSIONS.join(", ")}, matching x-stui-permissions`);
  }

  const errors: ErrorKind[] = [];
  for (const [kind, value] of Object.entries(expectObject(raw["x-stui-errors"], `${file}: x-stui-errors`))) {
    const e = expectObject(value, `x-stui-errors.${kind}`);
    if (typeof e.code !== "number" || !Number.isInteger(e.code)) throw new SchemaError(`x-stui-errors.${kind}.code must be an integer`);
    if (typeof e.description !== "string") throw new SchemaError(`x-stui-errors.${kind}.description must be a string`);
    const data = expectObject(e.data, `x-stui-errors.${kind}.data`);
    const dataType = refName(String(data.$ref));
    if (!defs[dataType]) throw new SchemaError(`x-stui-errors.${kind}.data refers to missing $defs/${dataType}`);
    errors.push({ kind, code: e.code, description: e.description, dataType, pointer: `#/x-stui-errors/${kind}` });
  }
  const kinds = new Set(errors.map((e) => e.kind));
  // Generated code answers these itself (an unknown method, params that fail their schema, and
  // internalError for an error kind an older version lacks).
  for (const required of REQUIRED_ERROR_KINDS) {
    if (!kinds.has(required)) throw new SchemaError(`${file}: x-stui-errors must define ${required}, which generated dispatch code answers`);
  }
  // Shaping answers an error kind an older version lacks as internalError with a detail text.
  const internal = resolve(defs, defs[errors.find((e) => e.kind === "internalError")!.dataType]!);
  if (internal.properties?.detail?.type !== "string" || !(internal.required ?? []).includes("detail")) {
    throw new SchemaError(`${file}: internalError's data must have a required string member detail, which shaping answers`);
  }
  const codes = new Set(errors.map((e) => e.code));
  if (codes.size !== errors.length) throw new SchemaError(`${file}: two error kinds share a code`);

  const envelopeErrors = (raw["x-stui-envelope-errors"] ?? []) as string[];
  for (const k of envelopeErrors) if (!kinds.has(k)) throw new SchemaError(`x-stui-envelope-errors names unknown kind ${k}`);

  const commands: Command[] = [];
  for (const [method, value] of Object.entries(expectObject(raw["x-stui-commands"], `${file}: x-stui-commands`))) {
    const where = `x-stui-commands.${method}`;
    const c = expectObject(value, where);
    if (typeof c.description !== "string" || !c.description) throw new SchemaError(`${where}.description is required`);
    if (typeof c["x-stui-idempotent"] !== "boolean") throw new SchemaError(`${where}.x-stui-idempotent must be a boolean`);
    const paramsType = refName(String(expectObject(c.params, `${where}.params`).$ref));
    const resultType = refName(String(expectObject(c.result, `${where}.result`).$ref));
    for (const t of [paramsType, resultType]) if (!defs[t]) throw new SchemaError(`${where} refers to missing $defs/${t}`);
    const commandErrors = (c["x-stui-errors"] ?? []) as string[];
    for (const k of commandErrors) if (!kinds.has(k)) throw new SchemaError(`${where}.x-stui-errors names unknown kind ${k}`);
    const examples = (c.examples ?? []) as CommandExample[];
    if (examples.length === 0) throw new SchemaError(`${where} needs at least one example`);

    const params = resolve(defs, defs[paramsType]!);
    const paramPermissions: Record<string, Permission> = {};
    const paramNotIdempotent: string[] = [];
    const defaults: Record<string, unknown> = {};
    for (const [name, prop] of Object.entries(params.properties ?? {})) {
      if (prop["x-stui-permission"] !== undefined) {
        paramPermissions[name] = expectPermission(prop["x-stui-permission"], `${where} params.${name}.x-stui-permission`);
      }
      if (prop["x-stui-idempotent"] === false) paramNotIdempotent.push(name);
      const d = defaultOf(defs, prop);
      if (d !== undefined) defaults[name] = d;
    }
    commands.push({
      method,
      pascal: pascalCase(method),
      camel: camelCase(method),
      description: c.description,
      permission: expectPermission(c["x-stui-permission"], `${where}.x-stui-permission`),
      idempotent: c["x-stui-idempotent"],
      paramsType,
      resultType,
      errors: commandErrors,
      examples,
      paramPermissions,
      paramNotIdempotent,
      defaults,
      pointer: `#/x-stui-commands/${method.replace(/~/g, "~0").replace(/\//g, "~1")}`,
    });
  }
  const pascals = new Set(commands.map((c) => c.pascal));
  if (pascals.size !== commands.length) throw new SchemaError(`${file}: two commands map to the same generated name`);

  return {
    file,
    sha256: sha256(text),
    version,
    title: String(raw.title ?? "STUI protocol"),
    description: String(raw.description ?? ""),
    maxMessageBytes,
    maxJsonDepth,
    permissions,
    defs,
    commands,
    errors,
    envelopeErrors,
    raw,
  };
}

/**
 * The nesting limit of the schema code is generated from: the parser of every server built from
 * it applies this one limit to every version it serves, so it must be stated.
 */
export function parserDepthLimit(schema: ProtocolSchema): number {
  if (schema.maxJsonDepth === undefined) {
    throw new SchemaError(`${schema.file}: x-stui-limits.maxJsonDepth is required in the schema code is generated from (the parser applies it to every version served)`);
  }
  return schema.maxJsonDepth;
}

export function loadProtocolSchema(absolutePath: string, repoRelativePath: string): ProtocolSchema {
  return parseProtocolSchema(readFileSync(absolutePath, "utf8"), repoRelativePath);
}

/** The names of the `$defs` a node refers to, directly or through its children. */
export function directRefs(node: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const n of node) directRefs(n, into);
  } else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string") into.add(refName(v));
      else if (k !== "examples" && k !== "default" && k !== "const" && k !== "enum") directRefs(v, into);
    }
  }
  return into;
}

/** `$defs` names ordered so that each comes after the ones it refers to (then by name). */
export function defsInDependencyOrder(defs: Record<string, SchemaNode>): string[] {
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string) => {
    const s = state.get(name);
    if (s === "done") return;
    if (s === "visiting") throw new SchemaError(`recursive $defs are not supported (${name})`);
    state.set(name, "visiting");
    for (const dep of [...directRefs(defs[name])].sort()) {
      if (!defs[dep]) throw new SchemaError(`$defs/${name} refers to missing $defs/${dep}`);
      visit(dep);
    }
    state.set(name, "done");
    order.push(name);
  };
  for (const name of Object.keys(defs).sort()) visit(name);
  return order;
}

/** The error kind name → its generated class-ish name: `sessionNotFound` → `SessionNotFoundError`, `parseError` → `ParseError`. */
export function errorTypeName(kind: string): string {
  const p = pascalCase(kind);
  return p.endsWith("Error") ? p : `${p}Error`;
}
