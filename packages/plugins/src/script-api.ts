// What a script sees: the `stui` object (global in plain scripts, the argument of a
// plugin's run), plugin definitions and the errors calls reject with. Types only,
// plus the small pure helpers both sides share (the host-side index.ts and the
// sandbox-side runtime.ts export the same names).

import type {
  CallOptions,
  CommandName,
  ErrorDataByKind,
  ErrorKind,
  EvaluateParams,
  HandlesReleaseResult,
  EvaluateResult,
  InspectParams,
  InspectResult,
  ParamsOf,
  Permission,
  ResultOf,
  SessionRestoreResult,
  StuiApi,
} from "@stui/client/protocol";

/** The typed API plus a generic `call`, both checked against the run's grants by the host. */
export interface ScriptClient extends StuiApi {
  /** Send any protocol command by name. */
  call<M extends CommandName>(method: M, params: ParamsOf<M>, options?: CallOptions): Promise<ResultOf<M>>;
}

/** Params without the session the script's session fills in (each member of a union on its own). */
export type WithoutSession<T> = T extends unknown ? Omit<T, "sessionId"> : never;

/** Evaluate options without the fields the session fills in. */
export type SessionEvaluateOptions = Omit<EvaluateParams, "code" | "sessionId">;

/**
 * The script's session: a Pharo workspace whose variables persist between
 * evaluations. It is opened on first use (which needs the `read` permission, like
 * `session.create`) and closed by the host when the script ends, however it ends.
 */
export interface ScriptSession {
  /** Open the session if it is not open yet and answer its id. */
  id(): Promise<string>;
  /**
   * Evaluate Smalltalk in this session (needs `eval`). `callOptions`: `timeoutMs` for the host's
   * wait, `signal` to abort (the call rejects with EABORTED at once; the host abandons it).
   */
  evaluate(code: string, options?: SessionEvaluateOptions, callOptions?: CallOptions): Promise<EvaluateResult>;
  /** Inspect a handle (needs `read`) or an expression (needs `read` and `eval`): exactly one of them. */
  inspect(params: WithoutSession<InspectParams>, options?: CallOptions): Promise<InspectResult>;
  /** The session's variables, history and handles (needs `read`). */
  restore(): Promise<SessionRestoreResult>;
  /** Release object handles this session holds (from evaluate's keepHandle or inspect), so the image may collect them (needs `read`). */
  release(handles: readonly string[]): Promise<HandlesReleaseResult>;
  /** Close the session now (the host does it anyway at the end). */
  close(): Promise<void>;
}

/** The `stui` object a script works with. */
export interface StuiScript {
  /** One typed method per protocol command (api.ping(), api.classes.list(), …). */
  readonly client: ScriptClient;
  /** A session opened on first use and closed by the host at the end. */
  readonly session: ScriptSession;
  /** The arguments after `--` on the `stui run` command line. */
  readonly args: readonly string[];
  /** The permission classes this run holds right now (granted by flags, or approved). */
  readonly permissions: {
    /** Whether a call needing `permission` would go through without asking. */
    has(permission: Permission): Promise<boolean>;
  };
}

/** What a plugin module default-exports (through definePlugin). */
export interface PluginDefinition {
  /** Short name, shown by `stui list`. */
  name: string;
  /** One line saying what the plugin does. */
  description: string;
  /** Every permission class the plugin needs. Calls needing any other are refused. */
  permissions: readonly Permission[];
  /** The plugin's work. The host closes the session when it settles. */
  run(stui: StuiScript): Promise<void> | void;
}

const PLUGIN_BRAND = Symbol.for("stui.plugin");

/** A checked plugin definition, marked so the host can recognise it. */
export type Plugin = PluginDefinition & { readonly [PLUGIN_BRAND]: true };

/** Declare a plugin: `export default definePlugin({ name, description, permissions, run })`. */
export function definePlugin(definition: PluginDefinition): Plugin {
  if (typeof definition.name !== "string" || definition.name.length === 0) throw new TypeError("definePlugin: name must be a non-empty string");
  if (typeof definition.description !== "string") throw new TypeError("definePlugin: description must be a string");
  if (!Array.isArray(definition.permissions)) throw new TypeError("definePlugin: permissions must be an array of permission classes");
  if (typeof definition.run !== "function") throw new TypeError("definePlugin: run must be a function");
  return Object.freeze({ ...definition, permissions: Object.freeze([...definition.permissions]), [PLUGIN_BRAND]: true as const });
}

/** True for a value made by definePlugin. */
export function isPlugin(value: unknown): value is Plugin {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[PLUGIN_BRAND] === true;
}

/**
 * Error codes a call can reject with (the same as @stui/client's; script-api.test.ts checks):
 * ETIMEOUT (no reply in time), ECONNECTION (server unreachable), EPROTOCOL (bad reply),
 * EVALIDATION (params rejected before sending), ETOOLARGE (request over the size limit, not
 * sent), EREMOTE (the server, or the host's permission check, answered an error: see `kind`
 * and `data`), EVERSION (no common protocol version), ECLOSED (connection closed), EABORTED
 * (the call was aborted).
 */
export type StuiErrorCode = "ETIMEOUT" | "ECONNECTION" | "EPROTOCOL" | "EVALIDATION" | "ETOOLARGE" | "EREMOTE" | "EVERSION" | "ECLOSED" | "EABORTED";

export const STUI_ERROR_CODES: readonly StuiErrorCode[] = ["ETIMEOUT", "ECONNECTION", "EPROTOCOL", "EVALIDATION", "ETOOLARGE", "EREMOTE", "EVERSION", "ECLOSED", "EABORTED"];

export function isStuiErrorCode(code: unknown): code is StuiErrorCode {
  return typeof code === "string" && (STUI_ERROR_CODES as readonly string[]).includes(code);
}

/**
 * A failed call. Permission refusals by the host are `EREMOTE` errors of kind
 * `permissionDenied`, exactly as a server's own refusal would be.
 */
export class StuiError extends Error {
  override readonly name = "StuiError";
  readonly code: StuiErrorCode;
  /** The protocol error kind for EREMOTE (e.g. `syntaxError`, `permissionDenied`): one of the schema's. */
  readonly kind: ErrorKind | undefined;
  /** The protocol error data for EREMOTE. */
  readonly data: unknown;
  constructor(code: StuiErrorCode, message: string, kind?: ErrorKind, data?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.kind = kind;
    this.data = data;
  }
}

/**
 * True when `error` is a StuiError (from the host, or any of @stui/client's StuiError
 * subclasses: StuiRemoteError, …), optionally with that code.
 */
export function isStuiError(error: unknown, code: "EREMOTE"): error is RemoteError;
export function isStuiError(error: unknown, code?: StuiErrorCode): error is StuiError;
export function isStuiError(error: unknown, code?: StuiErrorCode): error is StuiError {
  if (!(error instanceof Error) || !/^Stui\w*Error$/.test(error.name)) return false;
  const c = (error as { code?: unknown }).code;
  return isStuiErrorCode(c) && (code === undefined || c === code);
}

/**
 * A StuiError the server answered (EREMOTE): one member per error kind of the schema, each with
 * that kind's `data` (ErrorKind and ErrorDataByKind are generated), so checking `kind` narrows
 * `data`: `if (e.kind === "evaluationError") e.data.exceptionClass`.
 */
export type RemoteError<K extends ErrorKind = ErrorKind> = K extends ErrorKind ? StuiError & { readonly code: "EREMOTE"; readonly kind: K; readonly data: ErrorDataByKind[K] } : never;

/**
 * True when `error` is an error reply (EREMOTE), and when `kind` is given, one of that kind; narrows
 * `data` to the kind's shape. The host's own refusals are `permissionDenied` replies too.
 *
 * ```ts
 * try { await stui.session.evaluate("1/0"); }
 * catch (e) { if (isRemoteError(e, "evaluationError")) console.log(e.data.exceptionClass); }
 * ```
 */
export function isRemoteError<K extends ErrorKind = ErrorKind>(error: unknown, kind?: K): error is RemoteError<K> {
  return isStuiError(error, "EREMOTE") && typeof error.kind === "string" && (kind === undefined || error.kind === kind);
}
