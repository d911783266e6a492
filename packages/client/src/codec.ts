import { randomBytes } from "node:crypto";
import {
  NEWEST_VERSION,
  VERSIONS,
  toValidationProblems,
  type CommandName,
  type ErrorKind,
  type ErrorObject,
  type ValidationProblem,
  type VersionInfo,
} from "./gen/index.js";
import type { Validator } from "./gen/validators.js";
import { StuiError, StuiRemoteError, StuiValidationError } from "./errors.js";

/**
 * Turning calls into wire messages and wire messages back into results, with the generated
 * validators on both sides. Pure functions: no sockets here.
 *
 *   call(method, params) ──encodeRequest──▶ JSON text ──▶ socket
 *   socket ──▶ bytes ──decodeReply──▶ { id, result | error } ──checkResult / toRemoteError──▶ caller
 *
 * Each function works in one protocol version (`info`, from the generated VERSIONS table): the
 * version's validators, error codes and size limit. The default is the newest version.
 */

type AnyValidator = Validator<unknown>;

/** The newest version's tables: what code generated here speaks by default. */
export const NEWEST: VersionInfo = VERSIONS[NEWEST_VERSION]!;

function validatorFor(info: VersionInfo, typeName: string): AnyValidator {
  const v = info.validators[typeName];
  if (!v) throw new Error(`no generated validator named ${typeName} in protocol ${info.version}`);
  return v;
}

/** ajv's errors as the protocol's ValidationProblem list (the generated rule both servers follow). */
export const toProblems = toValidationProblems;

/**
 * Makes request ids: a per-client random prefix and a counter, e.g. `c7f3a2d1-17`. The server's
 * reply cache is keyed by id, so ids must not repeat within a client's lifetime — the counter
 * never wraps in practice (2^53) and the prefix keeps two clients apart.
 */
export class RequestIds {
  readonly prefix: string;
  #next = 1;
  constructor(prefix: string = randomBytes(4).toString("hex")) {
    this.prefix = prefix;
  }
  next(): string {
    return `${this.prefix}-${this.#next++}`;
  }
}

/** One request ready for the wire. */
export interface EncodedRequest {
  id: string;
  method: CommandName;
  /** The whole envelope as JSON text. */
  text: string;
  /** The protocol version the request speaks (its `stui`). */
  version: string;
}

/**
 * Validates params against the command's params schema (unless `validate` is false), builds the
 * JSON-RPC envelope and refuses anything larger than MAX_MESSAGE_BYTES. Throws EVALIDATION or
 * ETOOLARGE; nothing is sent in either case.
 */
export function encodeRequest(method: string, params: unknown, id: string, validate = true, info: VersionInfo = NEWEST): EncodedRequest {
  const command = Object.prototype.hasOwnProperty.call(info.commands, method) ? info.commands[method] : undefined;
  if (!command) {
    throw new StuiValidationError(`unknown method ${JSON.stringify(method)}`, [{ path: "", message: `not a command of protocol ${info.version}` }], { method });
  }
  const p = params ?? {};
  if (validate) {
    const v = validatorFor(info, command.paramsType);
    if (!v(p)) {
      const problems = toProblems(v.errors);
      throw new StuiValidationError(
        `invalid params for ${method}: ${problems.map((x) => `${x.path || "/"} ${x.message}`).join("; ")}`,
        problems,
        { method },
      );
    }
  } else if (typeof p !== "object" || Array.isArray(p)) {
    throw new StuiValidationError(`invalid params for ${method}: must be an object`, [{ path: "", message: "must be object" }], { method });
  }
  const text = JSON.stringify({ jsonrpc: "2.0", id, stui: info.version, method, params: p });
  // Cheap bound first: a UTF-8 byte count is at most 3 bytes per UTF-16 unit.
  if (text.length * 3 > info.maxMessageBytes) {
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > info.maxMessageBytes) {
      throw new StuiError("ETOOLARGE", `request of ${bytes} bytes is larger than the protocol's limit of ${info.maxMessageBytes} bytes`, { method, requestId: id });
    }
  }
  return { id, method: method as CommandName, text, version: info.version };
}

/** Reads one reply envelope (decodeReply in one protocol version). */
export type ReplyDecoder = (bytes: Uint8Array | string, endpoint?: string) => DecodedReply;

/** A reply whose envelope is valid; the result is not yet checked against the command. */
export type DecodedReply =
  | { id: string | number | null; ok: true; result: Record<string, unknown> }
  | { id: string | number | null; ok: false; error: ErrorObject };

/**
 * Parses and validates one reply envelope (SuccessResponse or ErrorResponse, including the error
 * data's shape and that error.code is the code of data.kind). Throws EPROTOCOL with what is wrong.
 * When the id can still be read from a broken reply it is put on the error's `requestId`.
 */
export function decodeReply(bytes: Uint8Array | string, endpoint?: string, info: VersionInfo = NEWEST): DecodedReply {
  const size = typeof bytes === "string" ? Buffer.byteLength(bytes) : bytes.byteLength;
  if (size > info.maxMessageBytes) {
    throw new StuiError("EPROTOCOL", `reply of ${size} bytes is larger than the protocol's limit of ${info.maxMessageBytes} bytes`, { endpoint });
  }
  const successResponse = validatorFor(info, "SuccessResponse");
  const errorResponse = validatorFor(info, "ErrorResponse");
  let msg: unknown;
  try {
    msg = JSON.parse(
      typeof bytes === "string" ? bytes : Buffer.isBuffer(bytes) ? bytes.toString("utf8") : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"),
    );
  } catch (cause) {
    throw new StuiError("EPROTOCOL", `reply is not JSON: ${(cause as Error).message}`, { endpoint, cause });
  }
  const rawId = typeof msg === "object" && msg !== null ? (msg as { id?: unknown }).id : undefined;
  const requestId = typeof rawId === "string" ? rawId : typeof rawId === "number" ? String(rawId) : undefined;
  if (typeof msg === "object" && msg !== null && "result" in msg) {
    if (!successResponse(msg)) {
      throw protocolError("reply is not a valid success response", toProblems(successResponse.errors), requestId, endpoint);
    }
    const ok = msg as { id: string | number; result: Record<string, unknown> };
    return { id: ok.id, ok: true, result: ok.result };
  }
  if (!errorResponse(msg)) {
    throw protocolError("reply is not a valid response", toProblems(errorResponse.errors), requestId, endpoint);
  }
  const failed = msg as { id: string | number | null; error: ErrorObject };
  const expected = info.errors[failed.error.data.kind]?.code;
  if (failed.error.code !== expected) {
    throw protocolError(
      `error reply of kind ${failed.error.data.kind} has code ${failed.error.code}, not ${expected}`,
      [{ path: "/error/code", message: `must be ${expected} for kind ${failed.error.data.kind}` }],
      requestId,
      endpoint,
    );
  }
  return { id: failed.id, ok: false, error: failed.error };
}

function protocolError(what: string, problems: ValidationProblem[], requestId: string | undefined, endpoint: string | undefined): StuiError {
  const detail = problems.slice(0, 5).map((p) => `${p.path || "/"} ${p.message}`).join("; ");
  return new StuiError("EPROTOCOL", `${what}: ${detail}`, { requestId, endpoint });
}

/** Checks a success result against the command's result schema; throws EPROTOCOL. */
export function checkResult(method: CommandName, result: unknown, requestId: string, endpoint?: string, info: VersionInfo = NEWEST): void {
  const resultType = info.commands[method]!.resultType;
  const v = validatorFor(info, resultType);
  if (!v(result)) {
    const problems = toProblems(v.errors);
    throw new StuiError(
      "EPROTOCOL",
      `result of ${method} does not match ${resultType} of protocol ${info.version}: ${problems.slice(0, 5).map((p) => `${p.path || "/"} ${p.message}`).join("; ")}`,
      { method, requestId, endpoint },
    );
  }
}

/** An error reply as the EREMOTE error it stands for. */
export function toRemoteError(error: ErrorObject, method: CommandName, requestId: string, endpoint?: string): StuiRemoteError {
  const kind: ErrorKind = error.data.kind;
  return new StuiRemoteError(kind, error.code, `${method}: ${error.message}`, error.data, { method, requestId, endpoint });
}
