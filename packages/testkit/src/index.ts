/**
 * @stui/testkit: a reference STUI server in TypeScript for tests. The protocol tier is real
 * (envelope, limits, versions, sessions, ping, reply cache, schema-checked replies); there is no
 * Smalltalk image behind it, so the Smalltalk tier is whatever the test's handlers script.
 */
export {
  IMPLEMENTATION,
  startTestServer,
  type CallRecord,
  type ContractViolation,
  type HandlerFailure,
  type RequestContext,
  type TestHandlers,
  type TestServer,
  type TestServerOptions,
  type TestServerStats,
} from "./test-server.js";
export { ProtocolError, isProtocolError, type ErrorDetails } from "./protocol-error.js";
export { HISTORY_LIMIT, SessionStore, TestSession, timestamp, type SessionStoreOptions } from "./sessions.js";
export { ReplyCache } from "./reply-cache.js";
export { check, compareVersions, exceedsJsonDepth, negotiateVersion, toProblems, validatorFor } from "./wire.js";
export { freePort, uniqueAddress } from "./addresses.js";
export { isLoopbackEndpoint, type Authentication, type SecurityStats } from "./server-security.js";
export { temporaryStuiHome, type TemporaryStuiHome } from "./stui-home.js";
