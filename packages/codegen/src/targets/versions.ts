/**
 * The TypeScript version tables (`versions.ts`): every protocol version a client generated here
 * speaks and a server built here serves, each with its own commands, error kinds, validators and
 * the shaping plans that turn a newest-version reply into one valid under that version.
 */
import { type ProtocolSchema } from "../schema.js";
import { type HeaderFacts, header } from "../header.js";
import { versionShapes } from "../shaping.js";
import { type SinceIndex } from "../since.js";

/** `1.0` → `v1_0`, an identifier for the version's validators module. */
export function versionIdent(version: string): string {
  return `v${version.replace(".", "_")}`;
}

/** Where an older version's validators live, relative to the gen folder. */
export function versionValidatorsDir(version: string): string {
  return `v${version}`;
}

export interface VersionsInput {
  newest: ProtocolSchema;
  /** Every version served, oldest first (newest included). */
  served: readonly ProtocolSchema[];
  /** The versions of the newest major, oldest first: what a client generated here speaks. */
  since: SinceIndex;
}

function versionEntry(s: ProtocolSchema, newest: ProtocolSchema): string {
  const commands = Object.fromEntries(
    s.commands.map((c) => [c.method, { paramsType: c.paramsType, resultType: c.resultType, errors: c.errors, permission: c.permission, idempotent: c.idempotent, paramPermissions: c.paramPermissions, paramNotIdempotent: c.paramNotIdempotent, defaults: c.defaults }]),
  );
  const errors = Object.fromEntries(s.errors.map((e) => [e.kind, { code: e.code, dataType: e.dataType }]));
  const shapes = s === newest ? {} : versionShapes(s, newest).types;
  return `${JSON.stringify(s.version)}: {
version: ${JSON.stringify(s.version)},
maxMessageBytes: ${s.maxMessageBytes},
commands: ${JSON.stringify(commands, null, 2)},
errors: ${JSON.stringify(errors, null, 2)},
envelopeErrors: ${JSON.stringify(s.envelopeErrors)},
validators: ${s === newest ? "newestValidators" : versionIdent(s.version)} as unknown as Readonly<Record<string, Validator<unknown>>>,
shapes: ${JSON.stringify(shapes, null, 2)},
},`;
}

export function versionsFile(input: VersionsInput, facts: HeaderFacts, indent: (code: string) => string): string {
  const { newest, served, since } = input;
  const clientVersions = since.all.map((s) => s.version).reverse();
  const older = served.filter((s) => s !== newest);
  const commandSince = Object.fromEntries(newest.commands.map((c) => [c.method, since.command(c.method)]));
  const errorSince = Object.fromEntries(newest.errors.map((e) => [e.kind, since.errorKind(e.kind)]));
  return [
    header(facts, "line"),
    `import * as newestValidators from "./validators.js";`,
    ...older.map((s) => `import * as ${versionIdent(s.version)} from "./${versionValidatorsDir(s.version)}/validators.js";`),
    `import type { Validator } from "./validators.js";`,
    `import type { CommandName, ErrorKind } from "./commands.js";`,
    `import type { Permission } from "./types.js";\n`,
    `/** How a server shapes a newest-version value for an older version: keep only \`keep\` members (where the older object is closed), then shape members and items. */
export interface ShapePlan {
  keep?: readonly string[];
  properties?: Readonly<Record<string, ShapePlan>>;
  items?: ShapePlan;
}

/** One command as one protocol version defines it. */
export interface VersionCommand {
  paramsType: string;
  resultType: string;
  errors: readonly string[];
  permission: Permission;
  idempotent: boolean;
  paramPermissions: Readonly<Record<string, Permission>>;
  paramNotIdempotent: readonly string[];
  defaults: Readonly<Record<string, unknown>>;
}

/** Everything one protocol version defines that code acts on. */
export interface VersionInfo {
  version: string;
  maxMessageBytes: number;
  commands: Readonly<Record<string, VersionCommand>>;
  errors: Readonly<Record<string, { code: number; dataType: string }>>;
  envelopeErrors: readonly string[];
  /** That version's validators, by \`$defs\` name. */
  validators: Readonly<Record<string, Validator<unknown>>>;
  /** Shaping plans by that version's result / error data type name (empty for the newest). */
  shapes: Readonly<Record<string, ShapePlan>>;
}
`,
    `/**
 * Every protocol version this client speaks, newest first: every minor of major ${newest.version.split(".")[0]}.
 * @see docs/protocol-evolution.md
 */
export const CLIENT_VERSIONS: readonly string[] = ${JSON.stringify(clientVersions)};

/** Every protocol version a server built from this code serves, oldest first (every major kept in protocol/). */
export const SERVED_VERSIONS: readonly string[] = ${JSON.stringify(served.map((s) => s.version))};

/** The protocol version the typed API is generated from. */
export const NEWEST_VERSION = ${JSON.stringify(newest.version)};

/** The first version of this major with each command. */
export const COMMAND_SINCE: { readonly [M in CommandName]: string } = ${JSON.stringify(commandSince, null, 2)};

/** The first version of this major with each error kind. */
export const ERROR_KIND_SINCE: { readonly [K in ErrorKind]: string } = ${JSON.stringify(errorSince, null, 2)};

/** The error kind an older client gets instead of one its version (or that command in its version) lacks. */
export const FALLBACK_ERROR_KIND = "internalError";
`,
    indent(`/** Every served version's tables, by version. */\nexport const VERSIONS: Readonly<Record<string, VersionInfo>> = {\n${served.map((s) => versionEntry(s, newest)).join("\n")}\n};`),
    "",
    `/** Applies a shaping plan to a JSON value (a fresh value; the input is not changed). */
export function applyShape(value: unknown, plan: ShapePlan | undefined): unknown {
  if (!plan) return value;
  if (Array.isArray(value)) return plan.items ? value.map((v) => applyShape(v, plan.items)) : value;
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (plan.keep && !plan.keep.includes(k)) continue;
    out[k] = applyShape(v, plan.properties?.[k]);
  }
  return out;
}
`,
  ].join("\n");
}
