import type { ErrorDataByKind, ErrorKind, ValidationProblem } from "./gen/index.js";

/**
 * The stable codes of {@link StuiError}. Match on these, never on messages.
 *
 * - `ETIMEOUT`    no reply in time, after every retry the call was allowed; the server was reachable.
 * - `ECONNECTION` the server cannot be reached, the endpoint is unusable, or the connection was lost
 *                 while a call that is not safe to re-send was in flight (it may or may not have run);
 *                 also when the security handshake failed (the server refused this client's key, the
 *                 server key is wrong, one side does not use CURVE) or this client's keys are unusable:
 *                 then it is a {@link StuiAuthenticationError} (see isAuthenticationError).
 * - `EPROTOCOL`   the server's reply is not valid STUI protocol (bad JSON, bad envelope, wrong id,
 *                 a result that does not match the command's result schema, an oversized reply).
 * - `EVALIDATION` our own params (or method name) are invalid; nothing was sent. Carries `problems`.
 * - `ETOOLARGE`   the request is bigger than MAX_MESSAGE_BYTES; nothing was sent.
 * - `EREMOTE`     the server answered a protocol error: carries `kind`, `rpcCode` and `data`.
 * - `EVERSION`    the client and server share no protocol version, or the call needs a newer version than
 *                 the one negotiated (nothing was sent). Carries both sides' versions.
 * - `ECLOSED`     the client was closed before the call finished (or the call was made after).
 * - `EABORTED`    the caller's AbortSignal fired.
 */
export type StuiErrorCode =
  | "ETIMEOUT"
  | "ECONNECTION"
  | "EPROTOCOL"
  | "EVALIDATION"
  | "ETOOLARGE"
  | "EREMOTE"
  | "EVERSION"
  | "ECLOSED"
  | "EABORTED";

/** Every code, for exhaustive checks. */
export const STUI_ERROR_CODES: readonly StuiErrorCode[] = [
  "ETIMEOUT",
  "ECONNECTION",
  "EPROTOCOL",
  "EVALIDATION",
  "ETOOLARGE",
  "EREMOTE",
  "EVERSION",
  "ECLOSED",
  "EABORTED",
];

/** Where an error happened, when it belongs to one call. */
export interface StuiErrorContext {
  method?: string;
  requestId?: string;
  endpoint?: string;
  cause?: unknown;
}

/**
 * The one error family of the STUI client. `code` is stable (see {@link StuiErrorCode});
 * subclasses carry the details of `EREMOTE`, `EVALIDATION` and `EVERSION`.
 *
 * Codes: ETIMEOUT, ECONNECTION, EPROTOCOL, EVALIDATION, ETOOLARGE, EREMOTE, EVERSION, ECLOSED, EABORTED.
 */
export class StuiError extends Error {
  readonly code: StuiErrorCode;
  /** The command of the call that failed, when there was one. */
  readonly method: string | undefined;
  /** The request id of the call that failed, when one was assigned. */
  readonly requestId: string | undefined;
  /** The endpoint the client talks to. */
  readonly endpoint: string | undefined;

  constructor(code: StuiErrorCode, message: string, context: StuiErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = "StuiError";
    this.code = code;
    this.method = context.method;
    this.requestId = context.requestId;
    this.endpoint = context.endpoint;
  }
}

/**
 * The server answered an error reply. `kind` names the protocol error kind and decides the
 * shape of `data` (see ErrorDataByKind); `rpcCode` is the JSON-RPC error code.
 */
export class StuiRemoteError<K extends ErrorKind = ErrorKind> extends StuiError {
  declare readonly code: "EREMOTE";
  readonly kind: K;
  readonly rpcCode: number;
  readonly data: ErrorDataByKind[K];

  constructor(kind: K, rpcCode: number, message: string, data: ErrorDataByKind[K], context: StuiErrorContext = {}) {
    super("EREMOTE", message, context);
    this.name = "StuiRemoteError";
    this.kind = kind;
    this.rpcCode = rpcCode;
    this.data = data;
  }
}

/** Our own params did not match the command's params schema; nothing was sent. */
export class StuiValidationError extends StuiError {
  declare readonly code: "EVALIDATION";
  readonly problems: readonly ValidationProblem[];

  constructor(message: string, problems: readonly ValidationProblem[], context: StuiErrorContext = {}) {
    super("EVALIDATION", message, context);
    this.name = "StuiValidationError";
    this.problems = problems;
  }
}

/**
 * A protocol version problem, found before anything was sent or from the server's answer: the
 * client and server share no protocol version (both sides are listed), or a command (or a value)
 * needs a newer version than the one negotiated with this server (`requiredVersion` says which).
 */
export class StuiVersionError extends StuiError {
  declare readonly code: "EVERSION";
  /** Every version this client speaks. */
  readonly clientVersions: readonly string[];
  /** The versions the server said it supports (or the one it chose that we do not speak). */
  readonly serverVersions: readonly string[];
  /** The version that introduced the command the call needs, when that is the problem. */
  readonly requiredVersion: string | undefined;

  constructor(clientVersions: readonly string[], serverVersions: readonly string[], context: StuiErrorContext = {}, requirement?: { requiredVersion: string; message: string }) {
    super(
      "EVERSION",
      requirement?.message ?? `no common protocol version: client speaks [${clientVersions.join(", ")}], server [${serverVersions.join(", ")}]`,
      context,
    );
    this.name = "StuiVersionError";
    this.clientVersions = clientVersions;
    this.serverVersions = serverVersions;
    this.requiredVersion = requirement?.requiredVersion;
  }
}

/** Why a {@link StuiAuthenticationError} happened. */
export type AuthenticationFailure =
  /** The server refused this client's key (its ZAP handler said no): authorize it on the server. */
  | "refused"
  /** The CURVE handshake failed otherwise: a wrong server key, CURVE on one side only. */
  | "handshake"
  /** This client's own keys cannot be used (a file too open, malformed, not creatable). */
  | "keys";

/**
 * ECONNECTION because of authentication, not because no server is there: a server answered the
 * connection but would not let this client in, or this client's keys cannot be used. `reason`
 * says which; the message says what to check. Neither holds a secret key.
 */
export class StuiAuthenticationError extends StuiError {
  declare readonly code: "ECONNECTION";
  readonly reason: AuthenticationFailure;

  constructor(reason: AuthenticationFailure, message: string, context: StuiErrorContext = {}) {
    super("ECONNECTION", message, context);
    this.name = "StuiAuthenticationError";
    this.reason = reason;
  }
}

/**
 * An error reply of any kind, as a union with one member per error kind of the schema (ErrorKind
 * and ErrorDataByKind are generated from it): checking `kind` narrows `data`,
 * `if (e.kind === "evaluationError") e.data.exceptionClass`, with no cast.
 */
export type AnyRemoteError<K extends ErrorKind = ErrorKind> = K extends ErrorKind ? StuiRemoteError<K> : never;

/** The error class each code comes as. */
export interface StuiErrorByCode {
  ETIMEOUT: StuiError;
  ECONNECTION: StuiError;
  EPROTOCOL: StuiError;
  EVALIDATION: StuiValidationError;
  ETOOLARGE: StuiError;
  EREMOTE: AnyRemoteError;
  EVERSION: StuiVersionError;
  ECLOSED: StuiError;
  EABORTED: StuiError;
}

/**
 * True when `e` is a {@link StuiError}, and when `code` is given, one with that code.
 *
 * ```ts
 * if (isStuiError(e, "EREMOTE")) console.log(e.kind, e.data);
 * ```
 */
export function isStuiError<C extends StuiErrorCode = StuiErrorCode>(e: unknown, code?: C): e is StuiErrorByCode[C] {
  return e instanceof StuiError && (code === undefined || e.code === code);
}

/**
 * True when `e` is an error reply from the server, and when `kind` is given, one of that kind;
 * narrows `data` to the kind's shape.
 *
 * ```ts
 * if (isRemoteError(e, "syntaxError")) console.log(e.data.line, e.data.column);
 * ```
 */
export function isRemoteError<K extends ErrorKind = ErrorKind>(e: unknown, kind?: K): e is AnyRemoteError<K> {
  return e instanceof StuiRemoteError && (kind === undefined || e.kind === kind);
}

/**
 * True when `e` is an ECONNECTION that authentication caused (a refused key, a failed CURVE
 * handshake, unusable keys of this client), not a missing server.
 */
export function isAuthenticationError(e: unknown): e is StuiAuthenticationError {
  return e instanceof StuiAuthenticationError;
}
