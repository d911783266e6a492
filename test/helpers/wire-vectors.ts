import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ERROR_KINDS,
  MAX_JSON_DEPTH,
  MAX_MESSAGE_BYTES,
  PERMISSIONS,
  SERVED_VERSIONS,
  VERSIONS,
  validators,
  type ErrorKind,
  type Permission,
  type RequestId,
} from "@stui/client/protocol";

/** protocol/vectors/wire-vectors.json, relative to the repository root. */
export const WIRE_VECTORS_FILE = "protocol/vectors/wire-vectors.json";

/** One case of the wire vectors file (see its $comment). */
export interface WireVector {
  name: string;
  /** The request: text (well-formed Unicode, sent as UTF-8) or base64 (any bytes). */
  request: { text: string } | { base64: string };
  /** Pad the request with spaces to this many bytes. */
  padTo?: number;
  /** The protocol version the request names, or null when it names none or cannot be read. */
  stui: string | null;
  /** The server's permission classes, when not all four. */
  permissions?: Permission[];
  expect: {
    reply: "result" | "error";
    /** The reply's id: null when the request's id could not be read. */
    id: RequestId | null;
    /** The error kind, for an error reply. */
    error?: ErrorKind;
    /** For ping: the echo the result must carry. */
    echo?: string;
  };
}

export interface WireVectorsFile {
  protocol: string;
  cases: WireVector[];
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** The vectors file's text. */
export function wireVectorsText(root = repoRoot): string {
  return readFileSync(join(root, WIRE_VECTORS_FILE), "utf8");
}

/** The vectors, parsed (not yet checked: see vectorProblems). */
export function loadWireVectors(root = repoRoot): WireVectorsFile {
  return JSON.parse(wireVectorsText(root)) as WireVectorsFile;
}

/** The exact bytes a case sends. */
export function requestBytes(vector: WireVector): Buffer {
  const bytes = "text" in vector.request ? Buffer.from(vector.request.text, "utf8") : Buffer.from(vector.request.base64, "base64");
  if (vector.padTo === undefined) return bytes;
  if (bytes.length > vector.padTo) throw new RangeError(`${vector.name}: ${bytes.length} bytes do not fit in padTo ${vector.padTo}`);
  const padded = Buffer.alloc(vector.padTo, 0x20);
  bytes.copy(padded);
  return padded;
}

/** Everything malformed about a case itself (not about the answer it expects). */
export function vectorProblems(vector: WireVector): string[] {
  const problems: string[] = [];
  const keys = Object.keys(vector).filter((k) => !["name", "request", "padTo", "stui", "permissions", "expect"].includes(k));
  if (keys.length > 0) problems.push(`unknown members ${keys.join(", ")}`);
  if (typeof vector.name !== "string" || vector.name.length === 0) problems.push("a name is needed");
  const request = vector.request as Record<string, unknown>;
  if (!request || Object.keys(request).length !== 1 || !(typeof request["text"] === "string" || typeof request["base64"] === "string")) {
    problems.push("request must be { text } or { base64 }");
  } else if (typeof request["text"] === "string" && !(request["text"] as string & { isWellFormed(): boolean }).isWellFormed()) {
    problems.push("request.text must be well-formed Unicode (a lone surrogate would be sent as U+FFFD): use base64, or a \\u escape inside the JSON");
  }
  if (vector.padTo !== undefined && !(Number.isInteger(vector.padTo) && vector.padTo > 0)) problems.push("padTo must be a positive integer");
  if (!(vector.stui === null || typeof vector.stui === "string")) problems.push("stui must be a string or null");
  if (vector.permissions !== undefined && !(Array.isArray(vector.permissions) && vector.permissions.every((p) => Object.hasOwn(PERMISSIONS, p)))) {
    problems.push("permissions must list permission classes");
  }
  const expect = vector.expect;
  if (!expect || !["result", "error"].includes(expect.reply)) problems.push("expect.reply must be result or error");
  else {
    if (!(expect.id === null || typeof expect.id === "string" || Number.isInteger(expect.id))) problems.push("expect.id must be a RequestId or null");
    if (expect.reply === "error" && !(expect.error !== undefined && Object.hasOwn(ERROR_KINDS, expect.error))) problems.push("expect.error must be an error kind");
    if (expect.reply === "result" && expect.error !== undefined) problems.push("a result expects no error kind");
    if (expect.echo !== undefined && (typeof expect.echo !== "string" || expect.reply !== "result")) problems.push("expect.echo is a string, for a result");
  }
  return problems;
}

/** How deep arrays and objects nest in a parsed JSON value (an iterative walk: the value may be deep). */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== "object") continue;
    max = Math.max(max, depth + 1);
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
  }
  return max;
}

/** What a request is, judged only by TextDecoder, JSON.parse and the generated ajv validators. */
export type Judgement =
  | { stage: "envelope"; error: ErrorKind; id: RequestId | null; stui: string | null }
  | { stage: "command"; method: string; id: RequestId; stui: string; params: Record<string, unknown> };

/**
 * Judges a request the way the schema says a server must, in the order the schema states (size,
 * UTF-8 and JSON and depth, envelope, version, then in the version the request names: method,
 * params, permission), with nothing but the platform's TextDecoder and JSON.parse and the ajv
 * validators and tables generated from each version's schema (VERSIONS) — none of a server's code.
 * The depth limit and the envelope are judged before the version is known, as servers do: the
 * newest schema's, which every served version shares. "command" means the command itself decides
 * the reply (a result, or one of the error kinds the command may answer in that version).
 */
export function judge(bytes: Buffer, permissions: ReadonlySet<Permission>, supported: readonly string[] = SERVED_VERSIONS): Judgement {
  const envelopeError = (error: ErrorKind, id: RequestId | null = null, stui: string | null = null): Judgement => ({ stage: "envelope", error, id, stui });
  if (bytes.length > MAX_MESSAGE_BYTES) return envelopeError("messageTooLarge");
  let message: unknown;
  try {
    message = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return envelopeError("parseError");
  }
  if (depthOf(message) > MAX_JSON_DEPTH) return envelopeError("parseError");
  const object = message !== null && typeof message === "object" && !Array.isArray(message) ? (message as Record<string, unknown>) : undefined;
  const stui = typeof object?.["stui"] === "string" ? (object["stui"] as string) : null;
  if (!validators.Request(message)) {
    return envelopeError("invalidRequest", object && validators.RequestId(object["id"]) ? (object["id"] as RequestId) : null, stui);
  }
  const { id, method } = message;
  const version = supported.includes(message.stui) ? VERSIONS[message.stui] : undefined;
  if (!version) return envelopeError("unsupportedVersion", id, message.stui);
  const command = Object.hasOwn(version.commands, method) ? version.commands[method]! : undefined;
  if (!command) return envelopeError("unknownMethod", id, message.stui);
  const params = (message.params ?? {}) as Record<string, unknown>;
  if (!version.validators[command.paramsType]!(params)) return envelopeError("invalidParams", id, message.stui);
  const full = { ...command.defaults, ...params };
  const needed = [command.permission, ...Object.entries(command.paramPermissions).filter(([name]) => full[name] !== undefined).map(([, p]) => p)];
  if (needed.some((p) => !permissions.has(p))) return envelopeError("permissionDenied", id, message.stui);
  return { stage: "command", method, id, stui: message.stui, params };
}

/** The permission set a case's server runs with. */
export function permissionsOf(vector: WireVector): ReadonlySet<Permission> {
  return new Set(vector.permissions ?? (Object.keys(PERMISSIONS) as Permission[]));
}
