/**
 * @stui/client — drive a live Pharo image over ZeroMQ.
 *
 * `connect()` answers a {@link StuiClient}: the typed API generated from the protocol schema
 * (`client.ping()`, `client.evaluate({...})`, `client.classes.list({...})`, …) over a lock-step
 * (REQ) or pipelined (DEALER) connection, plus `openSession()` for version-negotiated sessions.
 * Every failure is a {@link StuiError} with a stable `code`. The generated protocol (types,
 * validators, command table) is exported separately as `@stui/client/protocol`.
 */
export {
  connect,
  SUPPORTED_VERSIONS,
  DEFAULT_ENDPOINT,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_RETRIES,
  type ConnectOptions,
  type SessionOptions,
  type StuiClient,
  type StuiSession,
} from "./client.js";
export {
  StuiError,
  StuiRemoteError,
  StuiValidationError,
  StuiVersionError,
  STUI_ERROR_CODES,
  isStuiError,
  isRemoteError,
  type StuiErrorCode,
  type StuiErrorByCode,
  type StuiErrorContext,
} from "./errors.js";
export type { ChannelStats } from "./channel.js";
export { PROTOCOL_VERSION, MAX_MESSAGE_BYTES, type CallOptions, type StuiApi, type ErrorKind, type ErrorDataByKind } from "./gen/index.js";
