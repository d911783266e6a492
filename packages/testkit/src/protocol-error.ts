import { ERROR_KINDS, type ErrorDataByKind, type ErrorKind } from "@stui/client/protocol";

/** The data of an error kind without its `kind` member (the kind is given separately). */
export type ErrorDetails<K extends ErrorKind> = Omit<ErrorDataByKind[K], "kind">;

/**
 * A protocol error a handler throws to answer an error reply of one kind.
 *
 * `code` is the stable string code (the error kind, e.g. `"sessionNotFound"`), `rpcCode` the
 * JSON-RPC number the protocol lists for it (ERROR_KINDS), `data` the kind's details as they go
 * on the wire. The test server checks `data` against the schema like any other reply.
 *
 * Codes: every key of ERROR_KINDS — parseError, invalidRequest, unknownMethod, invalidParams,
 * internalError, unsupportedVersion, sessionNotFound, handleNotFound, classNotFound,
 * selectorNotFound, syntaxError, evaluationError, timeout, debugSessionNotFound,
 * permissionDenied, messageTooLarge.
 *
 * @example
 *   throw new ProtocolError("classNotFound", { className: "Pointt" });
 */
export class ProtocolError<K extends ErrorKind = ErrorKind> extends Error {
  override readonly name = "ProtocolError";
  readonly code: K;
  readonly rpcCode: number;
  readonly data: ErrorDataByKind[K];

  constructor(kind: K, details: ErrorDetails<K>, message?: string) {
    super(message ?? defaultMessage(kind, details as Record<string, unknown>));
    this.code = kind;
    this.rpcCode = ERROR_KINDS[kind].code;
    this.data = { kind, ...details } as ErrorDataByKind[K];
  }

  /** The JSON-RPC error object this error becomes on the wire. */
  toErrorObject(): { code: number; message: string; data: ErrorDataByKind[K] } {
    return { code: this.rpcCode, message: this.message, data: this.data };
  }
}

/** True when `error` is a ProtocolError (of `kind`, when given). */
export function isProtocolError<K extends ErrorKind>(error: unknown, kind?: K): error is ProtocolError<K> {
  return error instanceof ProtocolError && (kind === undefined || error.code === kind);
}

function defaultMessage(kind: ErrorKind, details: Record<string, unknown>): string {
  const label = ERROR_KINDS[kind].description.replace(/\.$/, "");
  const detail = ["detail", "sessionId", "handle", "className", "debugId", "method", "description"]
    .map((key) => details[key])
    .find((value): value is string => typeof value === "string");
  return detail === undefined ? label : `${label}: ${detail}`;
}
