import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import * as zmq from "zeromq";
import {
  COMMAND_NAMES,
  COMMANDS,
  ERROR_KINDS,
  MAX_JSON_DEPTH,
  MAX_MESSAGE_BYTES,
  PERMISSIONS,
  PROTOCOL_VERSION,
  NEWEST_VERSION,
  SERVED_VERSIONS,
  VERSIONS,
  isCommandName,
  validators,
  type CommandName,
  type ErrorKind,
  type Permission,
  type PingResult,
  type Request,
  type RequestId,
  type ServerIdentity,
  type SessionCloseResult,
  type SessionCreateResult,
  type SessionListResult,
  type SessionRestoreResult,
  type EvaluateCancelParams,
  type EvaluateCancelResult,
  type StuiHandlers,
  type ValidationProblem,
} from "@stui/client/protocol";
import { stuiHome } from "@stui/client/keys";
import { ProtocolError } from "./protocol-error.js";
import { ReplyCache } from "./reply-cache.js";
import { RunningRequests, type RunningRequest } from "./running.js";
import { ServerSecurity, type Authentication, type SecurityStats } from "./server-security.js";
import { SessionStore, timestamp, type TestSession } from "./sessions.js";
import { allowedErrorKinds, check, errorReply, exceedsJsonDepth, negotiateVersion, readableId, toProblems } from "./wire.js";
import { checkIn, permissionsIn, shapeError, shapeResult, withDefaultsIn } from "./versions.js";
import { withSecuritySection } from "./security.js";
import type { VersionInfo } from "@stui/client/protocol";

const packageJson = createRequire(import.meta.url)("../package.json") as { version: string };

/** What `implementation` the test server reports in ping and session.create. */
export const IMPLEMENTATION = "typescript-testkit";

/** What every handler gets besides its params. */
export interface RequestContext {
  /** The request's id, as the client sent it. */
  readonly requestId: RequestId;
  readonly method: CommandName;
  /** The server that runs the handler. */
  readonly server: TestServer;
  /** Every session of the server (find, require, list, create). */
  readonly sessions: SessionStore;
  /**
   * The session the params name (`params.sessionId`): already checked to be live and its idle
   * timer refreshed (a dead one was answered with sessionNotFound before the handler ran).
   * Undefined when the params name none.
   */
  readonly session: TestSession | undefined;
  /** The session the params name, or a sessionNotFound ProtocolError when they name none. */
  requireSession(): TestSession;
  /**
   * Aborted when evaluate.cancel stops this request: possible for a request made with a sessionId
   * whose command may answer `cancelled` (evaluate, tests.run). The server then answers
   * `cancelled` at once and drops whatever the handler answers later; a handler that takes time
   * should stop when this fires. Never aborted for other requests.
   */
  readonly signal: AbortSignal;
  /** The server's clock, in milliseconds. */
  now(): number;
}

/** Handlers a test supplies: the Smalltalk side, and optionally overrides of the built-in ones. */
export type TestHandlers = Partial<StuiHandlers<RequestContext>>;

export interface TestServerOptions {
  /** Where to bind; default `tcp://127.0.0.1:*` (a free port). `server.endpoint` is the real one. */
  endpoint?: string;
  /** The Smalltalk behaviour of this test (evaluate, inspect, …); may also override ping and session.*. */
  handlers?: TestHandlers;
  /** The server name in ping and session.create; default `stui-test-server`. */
  name?: string;
  /** Largest request accepted; default MAX_MESSAGE_BYTES from the schema. */
  maxMessageBytes?: number;
  /** How many replies the reply cache keeps by request id; default 1000. */
  replyCacheSize?: number;
  /**
   * Protocol versions the server speaks; default every version this code serves (SERVED_VERSIONS:
   * each release kept in protocol/ and the working version). Each request is answered in the
   * version it names.
   */
  supportedVersions?: string[];
  /**
   * The generated version tables to serve from; default those of @stui/client/protocol. A test of a
   * new major passes tables generated from a scratch protocol/ (every served version, all majors).
   */
  tables?: { VERSIONS: Readonly<Record<string, VersionInfo>>; SERVED_VERSIONS: readonly string[] };
  /** Idle timeout of sessions whose client asks for none; default 600000 (10 minutes). */
  idleTimeoutMs?: number;
  /**
   * The permission classes clients get (as the Pharo server's #permissions option); default all.
   * A call needing another class (in the request's version, generated from the schema) is answered
   * permissionDenied before any handler runs.
   */
  permissions?: Permission[];
  /** How many calls `server.calls` keeps at least (the most recent); default 10000. */
  callLogSize?: number;
  /** The clock, in milliseconds; default Date.now. Tests of session expiry may pass a fake one. */
  now?: () => number;
  /**
   * `"curve"` (default): only clients whose CURVE key is in the STUI home's authorized_keys get
   * through; the server key is the home's. `"none"`: no authentication — loopback endpoints
   * only (anything else is refused), with a warning. See server-security.ts.
   */
  authentication?: Authentication;
  /** The STUI home with the keys (created on first use); default STUI_HOME, else ~/.stui. */
  home?: string;
}

/** One request that reached dispatch (a valid envelope in a supported version, not a cache hit). */
export interface CallRecord {
  method: string;
  requestId: RequestId;
  /** The params as the handler got them (defaults filled in); as sent when they were invalid. */
  params: unknown;
  /** Who answered: the test's handler, the server's own (ping, session.*), or nobody. */
  handler: "test" | "builtIn" | "none";
  outcome: "result" | "error";
  /** The error kind of the reply, when it was an error. */
  errorKind?: ErrorKind;
}

/** A reply a handler got wrong: the server answered internalError instead and kept it here. */
export interface ContractViolation {
  method: string | null;
  requestId: RequestId | null;
  /** The schema (`$defs` name) or rule that was broken. */
  schema: string;
  problems: ValidationProblem[];
  /** What the handler answered or threw. */
  value: unknown;
  /** One line saying all of the above; also the internalError's detail. */
  message: string;
}

/** Something a handler threw that was not a ProtocolError (answered with internalError). */
export interface HandlerFailure {
  method: string;
  requestId: RequestId;
  error: unknown;
}

export interface TestServerStats {
  /** Messages received (each multipart message counts once). */
  messages: number;
  /** Replies sent. */
  replies: number;
  /** Requests answered from the reply cache. */
  cacheHits: number;
  /** Error replies by kind. */
  errors: Partial<Record<ErrorKind, number>>;
}

export interface TestServer {
  /** The endpoint the server is bound to (the real port for `tcp://…:*`). */
  readonly endpoint: string;
  readonly identity: ServerIdentity;
  readonly supportedVersions: readonly string[];
  readonly maxMessageBytes: number;
  readonly sessions: SessionStore;
  /**
   * The requests that reached dispatch, in arrival order: all of them up to `callLogSize`, then at
   * least the last `callLogSize` (a long-running server must not keep every request it served).
   */
  readonly calls: readonly CallRecord[];
  /** The calls of one method. */
  callsOf(method: string): CallRecord[];
  /** Replies handlers got wrong (schema violations); a correct test run has none. */
  readonly violations: readonly ContractViolation[];
  /** Throws an Error listing every contract violation, if there is any. */
  assertNoViolations(): void;
  /** Non-protocol errors handlers threw. */
  readonly handlerFailures: readonly HandlerFailure[];
  readonly stats: Readonly<TestServerStats>;
  /** Messages received so far (stats.messages). */
  readonly requestCount: number;
  /**
   * How clients are authenticated, and how many peers failed the handshake so far (no key, a key
   * not in authorized_keys, the wrong server key, not CURVE, not ZMTP): they got nothing.
   */
  securityStats(): SecurityStats;
  readonly closed: boolean;
  /** Stops serving and closes the socket. Replies still being computed are dropped. */
  close(): Promise<void>;
}

/**
 * Starts a reference STUI server on a ROUTER socket: the protocol tier for real (envelope,
 * limits, versions, sessions, ping, reply cache, schema-checked replies), the Smalltalk tier
 * only as the test's `handlers` script it.
 *
 *   client (REQ/DEALER) ──[identity?, "", json]──▶ ROUTER ─▶ size ▶ UTF-8/JSON ▶ envelope ▶ version
 *                                                   ▲        ▶ reply cache ▶ method ▶ params ▶ handler
 *   client ◀──────────[same prefix frames, json]────┘        ◀ reply checked against the schema
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const server = new ReferenceServer(options);
  const endpoint = options.endpoint ?? "tcp://127.0.0.1:*";
  await server.bind(endpoint, await ServerSecurity.open(options.authentication ?? "curve", endpoint, options.home ?? stuiHome()));
  return server;
}

/** A handler; the built-in ones also get the route (the connection) the request came on. */
type AnyHandler = (params: unknown, context: RequestContext, route?: string) => unknown;

const NEVER_ABORTED = new AbortController().signal;

/** The smallest ZMQ_MAXMSGSIZE the server sets: room for the CURVE handshake's commands. */
const HANDSHAKE_FRAME_BYTES = 4096;

const NO_IMAGE = (method: string): string =>
  `no Smalltalk image behind this test server: supply a handler for '${method}'`;

class ReferenceServer implements TestServer {
  readonly identity: ServerIdentity;
  readonly supportedVersions: readonly string[];
  readonly maxMessageBytes: number;
  readonly sessions: SessionStore;
  readonly calls: CallRecord[] = [];
  readonly violations: ContractViolation[] = [];
  readonly handlerFailures: HandlerFailure[] = [];
  readonly stats: TestServerStats = { messages: 0, replies: 0, cacheHits: 0, errors: {} };
  endpoint = "";
  closed = false;

  private socket!: zmq.Router;
  private security!: ServerSecurity;
  private readonly cache: ReplyCache;
  private readonly handlers: TestHandlers;
  private readonly permissions: ReadonlySet<Permission>;
  private readonly callLogSize: number;
  private readonly now: () => number;
  private readonly versions: Readonly<Record<string, VersionInfo>>;
  private readonly startedAt: number;
  private readonly running: RunningRequests;
  private readonly decoder = new TextDecoder("utf-8", { fatal: true });
  private sendChain: Promise<void> = Promise.resolve();
  private loop: Promise<void> = Promise.resolve();
  private closing = false;

  constructor(options: TestServerOptions) {
    this.identity = { name: options.name ?? "stui-test-server", version: packageJson.version, implementation: IMPLEMENTATION };
    this.versions = options.tables?.VERSIONS ?? VERSIONS;
    this.supportedVersions = [...(options.supportedVersions ?? options.tables?.SERVED_VERSIONS ?? SERVED_VERSIONS)];
    if (this.supportedVersions.length === 0) throw new RangeError("supportedVersions must not be empty");
    this.maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.cache = new ReplyCache(options.replyCacheSize ?? 1000);
    this.handlers = { ...(options.handlers ?? {}) };
    this.permissions = new Set(options.permissions ?? (Object.keys(PERMISSIONS) as Permission[]));
    this.callLogSize = options.callLogSize ?? 10_000;
    if (!Number.isInteger(this.callLogSize) || this.callLogSize < 1) throw new RangeError(`callLogSize must be a positive integer, got ${this.callLogSize}`);
    for (const name of Object.keys(this.handlers)) {
      if (!isCommandName(name)) throw new RangeError(`handlers.${name}: not a command of protocol ${PROTOCOL_VERSION} (known: ${COMMAND_NAMES.join(", ")})`);
    }
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.running = new RunningRequests(this.now);
    this.sessions = new SessionStore({ defaultIdleTimeoutMs: options.idleTimeoutMs ?? 600_000, now: this.now });
  }

  get requestCount(): number {
    return this.stats.messages;
  }

  callsOf(method: string): CallRecord[] {
    return this.calls.filter((call) => call.method === method);
  }

  assertNoViolations(): void {
    if (this.violations.length === 0) return;
    throw new Error(`the test server's handlers broke the protocol ${this.violations.length} time(s):\n` + this.violations.map((v) => `  - ${v.message}`).join("\n"));
  }

  securityStats(): SecurityStats {
    return this.security.stats();
  }

  /** Binds a ROUTER with the security's options (CURVE and ZAP domain, or none), counting failed handshakes. */
  async bind(endpoint: string, security: ServerSecurity): Promise<void> {
    this.security = security;
    let socket: zmq.Router | undefined;
    try {
      // A frame more than twice the limit is dropped with its connection inside libzmq, never read
      // (ZMQ_MAXMSGSIZE), as the Pharo server does; one a little too large still gets messageTooLarge.
      // The CURVE handshake's own commands pass the same check (INITIATE is some 300 bytes), so a
      // tiny test limit never goes below HANDSHAKE_FRAME_BYTES.
      const maxMessageSize = Math.max(2 * this.maxMessageBytes, HANDSHAKE_FRAME_BYTES);
      socket = new zmq.Router({ linger: 0, maxMessageSize, ...security.socketOptions });
      security.watch(socket);
      await socket.bind(endpoint);
    } catch (error) {
      socket?.close();
      await security.close();
      throw error;
    }
    this.socket = socket;
    this.endpoint = this.socket.lastEndpoint ?? endpoint;
    this.loop = this.receiveLoop();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closing = true;
    this.closed = true;
    this.socket.close();
    await this.loop;
    await this.sendChain;
    await this.security.close();
    this.sessions.clear();
    this.cache.clear();
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const frames of this.socket) {
        this.stats.messages++;
        void this.answer(frames);
      }
    } catch (error) {
      // The socket failed under the loop: nothing more will be served; let the test see why.
      if (!this.closing) this.violations.push({ method: null, requestId: null, schema: "server", problems: [], value: error, message: `the receive loop stopped: ${describe(error)}` });
    }
  }

  /**
   * Replies with exactly the frames the request came with before its payload:
   *   REQ:               [identity, "", json]  ─▶ [identity, "", reply]
   *   DEALER:            [identity, json]      ─▶ [identity, reply]
   *   DEALER + "":       [identity, "", json]  ─▶ [identity, "", reply]
   *   via a proxy:       [identity, hop, "", json] ─▶ [identity, hop, "", reply]
   * Anything else is junk: one invalidRequest reply with the prefix up to the first empty frame.
   */
  private async answer(frames: Buffer[]): Promise<void> {
    const [identity, ...rest] = frames;
    if (identity === undefined) return;
    let prefix: Buffer[] = [identity];
    let body = rest;
    if (rest.length > 1) {
      const delimiter = rest.findIndex((frame) => frame.length === 0);
      if (delimiter >= 0 && delimiter < rest.length - 1) {
        prefix = [identity, ...rest.slice(0, delimiter + 1)];
        body = rest.slice(delimiter + 1);
      }
    }
    let reply: string;
    try {
      reply = await this.process(body, prefix.map((frame) => frame.toString("hex")).join("/"));
    } catch (error) {
      // Only a bug in this server gets here; answer anyway, and keep it for the test to see.
      const detail = `test server failure: ${describe(error)}`;
      this.violations.push({ method: null, requestId: null, schema: "server", problems: [], value: error, message: detail });
      reply = JSON.stringify(errorReply(null, "internalError", { detail }));
    }
    this.send([...prefix, reply]);
  }

  private send(frames: (Buffer | string)[]): void {
    if (this.closing) return;
    this.sendChain = this.sendChain.then(async () => {
      if (this.closing) return;
      try {
        await this.socket.send(frames);
        this.stats.replies++;
      } catch (error) {
        if (!this.closing) this.violations.push({ method: null, requestId: null, schema: "send", problems: [], value: error, message: `could not send a reply: ${describe(error)}` });
      }
    });
  }

  /** `route` names the connection the request came on (its routing frames), for the reply cache. */
  private async process(body: Buffer[], route: string): Promise<string> {
    const size = body.reduce((sum, frame) => sum + frame.length, 0);
    if (size > this.maxMessageBytes) {
      return this.envelopeError(null, "messageTooLarge", { limitBytes: this.maxMessageBytes, actualBytes: size },
        `Message too large: ${size} bytes (limit ${this.maxMessageBytes})`);
    }
    if (body.length !== 1) {
      return this.envelopeError(null, "invalidRequest", {
        errors: [{ path: "", message: `expected one payload frame after the routing envelope, got ${body.length} frames` }],
      });
    }
    let text: string;
    try {
      text = this.decoder.decode(body[0]);
    } catch (error) {
      return this.envelopeError(null, "parseError", { detail: `not valid UTF-8: ${describe(error)}` });
    }
    if (exceedsJsonDepth(text, MAX_JSON_DEPTH)) {
      return this.envelopeError(null, "parseError", { detail: `more than ${MAX_JSON_DEPTH} arrays and objects nested in each other` });
    }
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (error) {
      return this.envelopeError(null, "parseError", { detail: error instanceof Error ? error.message : String(error) });
    }
    if (!validators.Request(message)) {
      return this.envelopeError(readableId(message), "invalidRequest", { errors: toProblems(validators.Request.errors) });
    }
    const request: Request = message;
    if (!this.supportedVersions.includes(request.stui)) {
      return this.envelopeError(request.id, "unsupportedVersion", { requested: [request.stui], supported: [...this.supportedVersions] },
        `Unsupported protocol version: ${request.stui}`);
    }
    // A fingerprint of the exact bytes: a retry repeats them; another request reusing the id does not.
    // Small requests (most of them) are their own fingerprint; hashing would cost more than it saves.
    const fingerprint = text.length <= 512 ? text : createHash("sha1").update(body[0]!).digest("base64");
    const cached = this.cache.get(request.id, route, fingerprint);
    if (cached) {
      this.stats.cacheHits++;
      return cached;
    }
    const reply = this.dispatch(request, route);
    this.cache.set(request.id, reply, route, fingerprint);
    return reply;
  }

  private envelopeError(id: RequestId | null, kind: ErrorKind, details: Record<string, unknown>, message?: string): string {
    return this.finish(null, id, errorReply(id, kind, details, message));
  }

  /** Runs one valid request to its reply text, in the version the request names. Never rejects. */
  private async dispatch(request: Request, route: string): Promise<string> {
    const { id, method } = request;
    const version = this.versions[request.stui];
    if (!version) {
      // A version the server was told to accept but this code has no tables for (a test of negotiation).
      return this.finish(null, id, errorReply(id, "internalError", { detail: `this test server has no tables for protocol ${request.stui} (this code serves ${SERVED_VERSIONS.join(", ")})` }));
    }
    const sent = request.params ?? {};
    const record = (handler: CallRecord["handler"], params: unknown, reply: unknown): void => {
      const error = (reply as { error?: { data?: { kind?: ErrorKind } } }).error;
      this.calls.push({
        method, requestId: id, params, handler,
        outcome: error ? "error" : "result",
        ...(error?.data?.kind ? { errorKind: error.data.kind } : {}),
      });
      // Drop the older half in one go once the log holds twice its size: amortised O(1) a call.
      if (this.calls.length >= 2 * this.callLogSize) this.calls.splice(0, this.calls.length - this.callLogSize);
    };

    if (!isCommandName(method) || !version.commands[method]) {
      const reply = errorReply(id, "unknownMethod", { method, known: Object.keys(version.commands) }, `Method not found: ${method}`);
      record("none", sent, reply);
      return this.finish(null, id, reply, version);
    }
    const info = COMMANDS[method];
    const problems = checkIn(version, version.commands[method]!.paramsType, sent);
    if (problems.length > 0) {
      const reply = errorReply(id, "invalidParams", { method, errors: problems }, `Invalid params for ${method}`);
      record("none", sent, reply);
      return this.finish(method, id, reply, version);
    }
    // Defaults and permissions of the request's version, like its validators.
    const params = withDefaultsIn(version, method, sent);
    const denied = permissionsIn(version, method, params).find((permission) => !this.permissions.has(permission));
    if (denied) {
      const reply = errorReply(id, "permissionDenied", { method, permission: denied }, `Permission denied: ${method} needs the ${denied} permission`);
      record("none", params, reply);
      return this.finish(method, id, reply, version);
    }

    const custom = this.handlers[method] as AnyHandler | undefined;
    const builtIn = method === "system.info"
      ? (withSecuritySection(custom as never, () => this.securityStats(), NO_IMAGE(method)) as AnyHandler)
      : BUILT_IN[method];
    const handler = method === "system.info" ? builtIn : custom ?? builtIn;
    let who: CallRecord["handler"] = custom ? "test" : builtIn ? "builtIn" : "none";

    let reply: object;
    let running: RunningRequest | undefined;
    try {
      const session = typeof params["sessionId"] === "string" && info.errors.includes("sessionNotFound")
        ? this.sessions.touch(params["sessionId"])
        : undefined;
      if (session && info.errors.includes("cancelled")) running = this.running.start(session.id, id, route);
      if (!handler) {
        reply = errorReply(id, "internalError", { detail: NO_IMAGE(method) });
      } else {
        const context: RequestContext = {
          requestId: id,
          method,
          server: this,
          sessions: this.sessions,
          session,
          requireSession: () => {
            if (session) return session;
            throw new ProtocolError("sessionNotFound", { sessionId: String(params["sessionId"] ?? "") }, `${method} needs a session`);
          },
          now: this.now,
          signal: running?.signal ?? NEVER_ABORTED,
        };
        const answer = Promise.resolve(handler.call(custom ? this.handlers : this, params, context, route));
        // A stopped request answers cancelled now; what its handler answers later is dropped.
        if (running) answer.catch(() => undefined);
        const result = await (running ? Promise.race([answer, running.stopped]) : answer);
        reply = this.checkedResult(method, id, result, version);
      }
    } catch (error) {
      reply = this.errorFromThrown(method, id, error, version);
    } finally {
      running?.finish();
    }
    // system.info without a test handler: the server's own when it answered (security only), else nobody.
    if (method === "system.info" && !custom && "error" in reply) who = "none";
    record(who, params, reply);
    return this.finish(method, id, reply, version);
  }

  /** A handler's result checked against the newest schema, then shaped for the request's version and checked against it. */
  private checkedResult(method: CommandName, id: RequestId, result: unknown, version: VersionInfo): object {
    const resultType = COMMANDS[method].resultType;
    // Check what goes on the wire: JSON drops undefined members and turns NaN into null.
    let wire: unknown;
    try {
      wire = result === undefined ? undefined : JSON.parse(JSON.stringify(result));
    } catch (error) {
      return this.violation(method, id, "JSON", [{ path: "", message: describe(error) }], result,
        `the handler for '${method}' answered a result that is not JSON: ${describe(error)}`);
    }
    const problems = check(resultType, wire);
    if (problems.length > 0) {
      return this.violation(method, id, resultType, problems, result,
        `the handler for '${method}' answered a result that violates #/$defs/${resultType}: ${formatProblems(problems)}`);
    }
    // The newest version of this code needs no shaping and was just checked.
    if (version === VERSIONS[NEWEST_VERSION]) return { jsonrpc: "2.0", id, result: wire };
    const shaped = shapeResult(version, method, wire);
    const versionType = version.commands[method]!.resultType;
    const shapedProblems = checkIn(version, versionType, shaped);
    if (shapedProblems.length > 0) {
      return this.violation(method, id, versionType, shapedProblems, result,
        `the result of '${method}' shaped for protocol ${version.version} violates its #/$defs/${versionType}: ${formatProblems(shapedProblems)}`);
    }
    return { jsonrpc: "2.0", id, result: shaped };
  }

  private errorFromThrown(method: CommandName, id: RequestId, error: unknown, version: VersionInfo): object {
    if (error instanceof ProtocolError) {
      const kind = error.code as ErrorKind;
      const object = error.toErrorObject();
      let wire: unknown;
      try {
        wire = JSON.parse(JSON.stringify(object));
      } catch (jsonError) {
        return this.violation(method, id, "JSON", [{ path: "", message: describe(jsonError) }], object,
          `the handler for '${method}' threw a ${kind} whose data is not JSON: ${describe(jsonError)}`);
      }
      const problems = check("ErrorObject", wire);
      if (problems.length > 0 || ERROR_KINDS[kind]?.code !== object.code) {
        const all = problems.length > 0 ? problems : [{ path: "/code", message: `must be ${ERROR_KINDS[kind]?.code} for ${kind}` }];
        return this.violation(method, id, "ErrorObject", all, object,
          `the handler for '${method}' threw a ${kind} that violates #/$defs/ErrorObject: ${formatProblems(all)}`);
      }
      if (!allowedErrorKinds(method).has(kind)) {
        const allowed = [...allowedErrorKinds(method)].join(", ");
        return this.violation(method, id, `x-stui-commands/${method}/x-stui-errors`, [{ path: "/data/kind", message: `must be one of ${allowed}` }], object,
          `the handler for '${method}' threw a ${kind}, which ${method} may not answer (it may answer: ${allowed})`);
      }
      return { jsonrpc: "2.0", id, error: shapeError(version, method, wire as Parameters<typeof shapeError>[2]) };
    }
    this.handlerFailures.push({ method, requestId: id, error });
    return errorReply(id, "internalError", { detail: `the handler for '${method}' threw ${describe(error)}` });
  }

  private violation(method: CommandName | null, id: RequestId | null, schema: string, problems: ValidationProblem[], value: unknown, message: string): object {
    this.violations.push({ method, requestId: id, schema, problems, value, message });
    return errorReply(id, "internalError", { detail: `contract violation: ${message}` });
  }

  /** Serializes a reply after a last check of the whole envelope against #/$defs/Response of the request's version. */
  private finish(method: CommandName | null, id: RequestId | null, reply: object, version?: VersionInfo): string {
    let text = JSON.stringify(reply);
    const problems = version ? checkIn(version, "Response", JSON.parse(text)) : check("Response", JSON.parse(text));
    if (problems.length > 0) {
      const fallback = this.violation(method, id, "Response", problems, reply,
        `a reply to '${method ?? "?"}' violates #/$defs/Response: ${formatProblems(problems)}`);
      text = JSON.stringify(fallback);
    }
    const kind = (reply as { error?: { data?: { kind?: ErrorKind } } }).error?.data?.kind;
    if (kind) this.stats.errors[kind] = (this.stats.errors[kind] ?? 0) + 1;
    return text;
  }

  // ── the built-in handlers: the protocol tier, for real ──────────────────────────────────────

  ping(params: { echo?: string }): PingResult {
    return {
      ...(params.echo !== undefined ? { echo: params.echo } : {}),
      status: this.closing ? "stopping" : "running",
      uptimeMs: Math.max(0, Math.floor(this.now() - this.startedAt)),
      server: this.identity,
      protocolVersions: [...this.supportedVersions],
      sessions: this.sessions.size,
    };
  }

  sessionCreate(params: { clientName: string; protocolVersions: string[]; idleTimeoutMs?: number; debug?: boolean }): SessionCreateResult {
    const version = negotiateVersion(params.protocolVersions, this.supportedVersions);
    if (version === undefined) {
      throw new ProtocolError("unsupportedVersion", { requested: [...params.protocolVersions], supported: [...this.supportedVersions] },
        `None of the offered protocol versions is supported: ${params.protocolVersions.join(", ")}`);
    }
    const session = this.sessions.create({
      clientName: params.clientName,
      protocolVersion: version,
      ...(params.idleTimeoutMs !== undefined ? { idleTimeoutMs: params.idleTimeoutMs } : {}),
      debug: params.debug ?? false,
    });
    return {
      sessionId: session.id,
      protocolVersion: version,
      idleTimeoutMs: session.idleTimeoutMs,
      createdAt: timestamp(session.createdAt),
      server: this.identity,
      capabilities: this.capabilities(),
    };
  }

  sessionRestore(params: { sessionId: string }): SessionRestoreResult {
    return this.sessions.touch(params.sessionId).restoreResult();
  }

  sessionClose(params: { sessionId: string }): SessionCloseResult {
    const session = this.sessions.close(params.sessionId);
    return { sessionId: session.id, releasedVariables: session.variables.size, releasedHandles: session.handles.size };
  }

  sessionList(): SessionListResult {
    return { sessions: this.sessions.list().map((session) => session.summary()) };
  }

  /** Stops running requests of the caller's session (the session was checked before this runs). */
  evaluateCancel(params: EvaluateCancelParams, route: string): EvaluateCancelResult {
    return { cancelled: this.running.cancel(params.sessionId, params.requestId, route) };
  }

  /** What the supplied handlers make this server able to do, named as session.create reports it. */
  private capabilities(): string[] {
    const has = (method: CommandName): boolean => this.handlers[method] !== undefined;
    const capabilities: string[] = [];
    if (has("evaluate")) capabilities.push("evaluate");
    if (has("inspect")) capabilities.push("inspect");
    if (has("debug")) capabilities.push("debug");
    if (has("class.browse") || has("classes.list") || has("method.get")) capabilities.push("browse");
    if (has("method.compile")) capabilities.push("compile");
    return capabilities;
  }
}

const BUILT_IN: Partial<Record<CommandName, AnyHandler>> = {
  "ping": function (this: ReferenceServer, params) { return this.ping(params as { echo?: string }); } as AnyHandler,
  "session.create": function (this: ReferenceServer, params) { return this.sessionCreate(params as never); } as AnyHandler,
  "session.restore": function (this: ReferenceServer, params) { return this.sessionRestore(params as never); } as AnyHandler,
  "session.close": function (this: ReferenceServer, params) { return this.sessionClose(params as never); } as AnyHandler,
  "session.list": function (this: ReferenceServer) { return this.sessionList(); } as AnyHandler,
  "evaluate.cancel": function (this: ReferenceServer, params, _context, route) { return this.evaluateCancel(params as never, route ?? ""); } as AnyHandler,
};

function formatProblems(problems: readonly ValidationProblem[]): string {
  return problems.map((p) => `${p.path || "(root)"} ${p.message}`).join("; ");
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
