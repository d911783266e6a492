import {
  COMMANDS,
  PROTOCOL_VERSION,
  createApi,
  isRetrySafe,
  type CallOptions,
  type CommandName,
  type EvaluateParams,
  type EvaluateResult,
  type ParamsOf,
  type ResultOf,
  type ServerIdentity,
  type SessionCloseResult,
  type SessionRestoreResult,
  type StuiApi,
  type Transport,
} from "./gen/index.js";
import { checkEndpoint, type Channel, type ChannelStats } from "./channel.js";
import { checkResult, encodeRequest, RequestIds, toRemoteError } from "./codec.js";
import { StuiError, StuiValidationError, StuiVersionError, isRemoteError } from "./errors.js";
import { LockstepChannel } from "./lockstep-channel.js";
import { PipelinedChannel } from "./pipelined-channel.js";
import { resolveSecurity, type CurveKeys } from "./security.js";

/** Every protocol version this client speaks, best first. Sent in session.create. */
export const SUPPORTED_VERSIONS: readonly string[] = Object.freeze([PROTOCOL_VERSION]);

/** Where `connect()` goes when neither the option nor STUI_ENDPOINT says. */
export const DEFAULT_ENDPOINT = "tcp://127.0.0.1:5555";
/** How long each attempt waits for its reply unless told otherwise. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** How many times a call is re-sent after a timeout unless told otherwise. */
export const DEFAULT_RETRIES = 2;
/** Extra time a call waits beyond the server-side time limit it asked for (evaluate, debug). */
const SERVER_LIMIT_GRACE_MS = 1_000;

export interface ConnectOptions {
  /** `tcp://host:port` or `ipc://path`. Default: `process.env.STUI_ENDPOINT`, else tcp://127.0.0.1:5555. */
  endpoint?: string;
  /**
   * How long each attempt waits for its reply, in ms (default 10 000). When this is not given,
   * evaluate and debug wait at least their own server-side `timeoutMs` (default 30 000) plus 1 s,
   * so a long evaluation is not mistaken for a lost reply.
   */
  timeoutMs?: number;
  /** How many times a call is re-sent (same request id) after a timeout (default 2). */
  retries?: number;
  /**
   * `lockstep` (default): one REQ socket, one request at a time, Lazy Pirate reconnects; works
   * with REP and ROUTER servers. `pipelined`: one DEALER socket, many requests in flight; needs
   * a ROUTER server.
   */
  mode?: "lockstep" | "pipelined";
  /** Validate params before sending and results on arrival (default true). Envelopes are always checked. */
  validate?: boolean;
  /** The name openSession() gives the server unless told otherwise (default "stui-client"). */
  clientName?: string;
  /**
   * Called with replies that belong to no call and cannot be explained as a late answer (a
   * broken message whose id cannot be read, an error reply with a null id; pipelined mode only —
   * in lock-step mode every reply belongs to the call in flight). Default: process.emitWarning.
   */
  onProtocolError?: (error: StuiError) => void;
  /**
   * CURVE authentication. Default: this machine's client key pair from the STUI home, and the
   * server key `known_servers` lists for the endpoint, else this machine's own server key (all
   * created on first use). An object gives the keys; `false` connects without authentication,
   * which only a server started with authentication "none" (loopback only) answers. A server
   * that refuses the key never answers: calls fail with ECONNECTION saying why.
   */
  curve?: CurveKeys | false;
  /** The STUI home the keys are found in (default: STUI_HOME, else ~/.stui). */
  home?: string;
}

export interface SessionOptions {
  clientName?: string;
  /** Keep failed evaluations suspended for the debug command. */
  debug?: boolean;
  idleTimeoutMs?: number;
}

/** A session opened with {@link StuiClient.openSession}: evaluations share its workspace. */
export interface StuiSession {
  readonly id: string;
  /** The version both sides agreed on. */
  readonly protocolVersion: string;
  readonly server: ServerIdentity;
  readonly capabilities: readonly string[];
  readonly idleTimeoutMs: number;
  /** Evaluates Smalltalk code in this session's workspace. Not retry-safe: see LockstepChannel. */
  evaluate(code: string, params?: Omit<EvaluateParams, "code" | "sessionId">, options?: CallOptions): Promise<EvaluateResult>;
  /** Fetches the session's variables, history and handles (and refreshes its idle timer). */
  restore(options?: CallOptions): Promise<SessionRestoreResult>;
  /** Closes the session on the server. */
  close(options?: CallOptions): Promise<SessionCloseResult>;
}

/** The typed API of every protocol command, plus the connection's own controls. */
export interface StuiClient extends StuiApi {
  readonly endpoint: string;
  readonly mode: "lockstep" | "pipelined";
  /** This client's CURVE public key (what a server must authorize), or undefined without authentication. */
  readonly publicKey: string | undefined;
  /** Counters: requests sent, re-sent, timeouts, reconnects, stale replies. */
  readonly stats: Readonly<ChannelStats>;
  /** Calls one command by name (what every typed method does). */
  call<M extends CommandName>(method: M, params: ParamsOf<M>, options?: CallOptions): Promise<ResultOf<M>>;
  /** Opens a session, negotiating the protocol version (EVERSION when there is none in common). */
  openSession(options?: SessionOptions): Promise<StuiSession>;
  /** Closes every socket; calls still pending reject with ECLOSED. Later calls reject with ECLOSED. */
  close(): Promise<void>;
}

/**
 * How long one attempt of a call waits: the call's own timeoutMs, else the client's, else the
 * default — stretched, for commands whose params carry a server-side time limit (evaluate,
 * debug), to that limit (given or the schema's default) plus a second.
 */
export function attemptTimeout(method: CommandName, params: object, callTimeoutMs: number | undefined, clientTimeoutMs: number | undefined): number {
  if (callTimeoutMs !== undefined) return callTimeoutMs;
  if (clientTimeoutMs !== undefined) return clientTimeoutMs;
  const serverLimit = (params as { timeoutMs?: unknown }).timeoutMs ?? COMMANDS[method].defaults["timeoutMs"];
  return typeof serverLimit === "number" ? Math.max(DEFAULT_TIMEOUT_MS, serverLimit + SERVER_LIMIT_GRACE_MS) : DEFAULT_TIMEOUT_MS;
}

/**
 * Connects to a STUI server. ZeroMQ connects lazily: this resolves once the socket is set up,
 * even if no server listens yet; the first call then waits (and retries) for one, and fails with
 * ECONNECTION if none can be reached.
 *
 * ```ts
 * const client = await connect({ endpoint: "tcp://127.0.0.1:5555" });
 * try {
 *   const { status } = await client.ping();
 *   const session = await client.openSession({ clientName: "report" });
 *   const { value } = await session.evaluate("3 + 4");
 * } finally {
 *   await client.close();
 * }
 * ```
 */
export async function connect(options: ConnectOptions = {}): Promise<StuiClient> {
  const endpoint = options.endpoint ?? process.env["STUI_ENDPOINT"] ?? DEFAULT_ENDPOINT;
  const mode = options.mode ?? "lockstep";
  if (mode !== "lockstep" && mode !== "pipelined") {
    throw new StuiValidationError(`unknown mode ${JSON.stringify(mode)}`, [{ path: "/mode", message: "must be lockstep or pipelined" }]);
  }
  const retries = options.retries ?? DEFAULT_RETRIES;
  if (!Number.isInteger(retries) || retries < 0) {
    throw new StuiValidationError(`retries must be a non-negative integer, not ${retries}`, [{ path: "/retries", message: "must be a non-negative integer" }]);
  }
  const explicitTimeout = options.timeoutMs;
  if (explicitTimeout !== undefined && !(explicitTimeout > 0)) {
    throw new StuiValidationError(`timeoutMs must be positive, not ${explicitTimeout}`, [{ path: "/timeoutMs", message: "must be > 0" }]);
  }
  const validate = options.validate ?? true;
  const defaultClientName = options.clientName ?? "stui-client";
  const onProtocolError = options.onProtocolError ?? ((e: StuiError) => process.emitWarning(e));

  checkEndpoint(endpoint);
  const security = resolveSecurity(endpoint, options.curve, options.home);
  const channel: Channel = mode === "lockstep" ? new LockstepChannel(endpoint, security) : new PipelinedChannel(endpoint, onProtocolError, security);
  const ids = new RequestIds();
  let closed = false;

  async function call<M extends CommandName>(method: M, params: ParamsOf<M>, callOptions?: CallOptions): Promise<ResultOf<M>> {
    if (closed) throw new StuiError("ECLOSED", `${method}: client closed`, { method, endpoint });
    const request = encodeRequest(method, params, ids.next(), validate);
    const p = (params ?? {}) as object;
    const timeoutMs = attemptTimeout(request.method, p, callOptions?.timeoutMs, explicitTimeout);
    if (!(timeoutMs > 0)) {
      throw new StuiValidationError(`timeoutMs must be positive, not ${timeoutMs}`, [{ path: "/timeoutMs", message: "must be > 0" }], { method });
    }
    const reply = await channel.exchange({
      request,
      retrySafe: isRetrySafe(request.method, p),
      timeoutMs,
      retries,
      signal: callOptions?.signal,
    });
    if (!reply.ok) throw toRemoteError(reply.error, request.method, request.id, endpoint);
    if (validate) checkResult(request.method, reply.result, request.id, endpoint);
    return reply.result as ResultOf<M>;
  }

  const transport: Transport = { call };
  const api = createApi(transport);

  async function openSession(sessionOptions: SessionOptions = {}): Promise<StuiSession> {
    let created: ResultOf<"session.create">;
    try {
      created = await call("session.create", {
        clientName: sessionOptions.clientName ?? defaultClientName,
        protocolVersions: [...SUPPORTED_VERSIONS],
        ...(sessionOptions.debug !== undefined ? { debug: sessionOptions.debug } : {}),
        ...(sessionOptions.idleTimeoutMs !== undefined ? { idleTimeoutMs: sessionOptions.idleTimeoutMs } : {}),
      });
    } catch (e) {
      if (isRemoteError(e, "unsupportedVersion")) {
        throw new StuiVersionError(SUPPORTED_VERSIONS, e.data.supported, { method: "session.create", requestId: e.requestId, endpoint, cause: e });
      }
      throw e;
    }
    if (!SUPPORTED_VERSIONS.includes(created.protocolVersion)) {
      // The server chose a version we never offered. Its session is useless to us: close it. A
      // failure to close does not hide the version error; it rides along as the error's cause.
      let closeError: unknown;
      await call("session.close", { sessionId: created.sessionId }).catch((e: unknown) => {
        closeError = e;
      });
      throw new StuiVersionError(SUPPORTED_VERSIONS, [created.protocolVersion], { method: "session.create", endpoint, cause: closeError });
    }
    const sessionId = created.sessionId;
    return {
      id: sessionId,
      protocolVersion: created.protocolVersion,
      server: created.server,
      capabilities: created.capabilities,
      idleTimeoutMs: created.idleTimeoutMs,
      evaluate: (code, params, options) => call("evaluate", { ...params, code, sessionId }, options),
      restore: (options) => call("session.restore", { sessionId }, options),
      close: (options) => call("session.close", { sessionId }, options),
    };
  }

  return Object.assign(api, {
    endpoint,
    mode,
    publicKey: security.curve?.publicKey,
    stats: channel.stats,
    call,
    openSession,
    async close(): Promise<void> {
      closed = true;
      channel.close();
    },
  });
}
