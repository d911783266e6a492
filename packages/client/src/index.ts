/**
 * @stui/client — drive a live Pharo image over ZeroMQ.
 *
 * `connect()` answers a {@link StuiClient}: the typed API generated from the protocol schema
 * (`client.ping()`, `client.evaluate({...})`, `client.classes.list({...})`, …) over a lock-step
 * (REQ) or pipelined (DEALER) connection, plus `openSession()` for version-negotiated sessions.
 * Every failure is a {@link StuiError} with a stable `code`. The generated protocol (types,
 * validators, command table) is exported separately as `@stui/client/protocol`.
 *
 * Retries and request ids. Every call gets a request id (`<random prefix>-<counter>`). When an
 * attempt gets no reply within `timeoutMs`, the call is re-sent — up to `retries` times — with the
 * SAME id, never a new one: the server keeps a reply cache keyed by request id, so a request it
 * already ran (or is still running) is answered from the cache instead of running twice. That is
 * what makes re-sending a non-idempotent call such as `evaluate` safe while the server process
 * lives. Calls `isRetrySafe(method, params)` calls safe are re-sent whatever happened to the
 * connection; unsafe ones are re-sent only if no disconnect was seen while they were in flight —
 * otherwise they fail with ECONNECTION ("it may or may not have run"), because a server that died
 * took its reply cache with it. In lock-step mode a timed-out REQ socket is replaced by a fresh one
 * (ZeroMQ's Lazy Pirate pattern); in pipelined mode the DEALER reconnects by itself.
 */
export {
  connect,
  connectWith,
  SUPPORTED_VERSIONS,
  DEFAULT_ENDPOINT,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_RETRIES,
  type ConnectOptions,
  type SessionOptions,
  type StuiClient,
  type StuiClientControls,
  type GeneratedProtocol,
  type StuiSession,
} from "./client.js";
export {
  StuiError,
  StuiAuthenticationError,
  StuiRemoteError,
  StuiValidationError,
  StuiVersionError,
  STUI_ERROR_CODES,
  isStuiError,
  isRemoteError,
  isAuthenticationError,
  type AuthenticationFailure,
  type AnyRemoteError,
  type StuiErrorCode,
  type StuiErrorByCode,
  type StuiErrorContext,
} from "./errors.js";
export type { ChannelStats } from "./channel.js";
export type { CurveKeys } from "./security.js";
export { PROTOCOL_VERSION, MAX_MESSAGE_BYTES, CLIENT_VERSIONS, COMMAND_SINCE, type CallOptions, type StuiApi, type ErrorKind, type ErrorDataByKind } from "./gen/index.js";
