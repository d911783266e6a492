import * as generated from "./gen/index.js";
import {
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
  type VersionInfo,
} from "./gen/index.js";
import { checkEndpoint, type Channel, type ChannelStats } from "./channel.js";
import { checkResult, decodeReply, encodeRequest, RequestIds, toRemoteError } from "./codec.js";
import { StuiError, StuiValidationError, StuiVersionError, isRemoteError, isStuiError } from "./errors.js";
import { LockstepChannel } from "./lockstep-channel.js";
import { PipelinedChannel } from "./pipelined-channel.js";
import { resolveSecurity, type CurveKeys } from "./security.js";

/**
 * Every protocol version this client speaks, best first: every minor of its major (generated
 * CLIENT_VERSIONS). Sent in session.create.
 */
export const SUPPORTED_VERSIONS: readonly string[] = Object.freeze([...generated.CLIENT_VERSIONS]);

/**
 * What the client runtime needs from generated protocol code: `@stui/client/protocol` itself, or a
 * client generated from an older release (test/fixtures/clients/<X.Y>, for the version matrix).
 */
export interface GeneratedProtocol<Api> {
  /** Every version the generated client speaks, newest first. */
  readonly CLIENT_VERSIONS: readonly string[];
  readonly VERSIONS: Readonly<Record<string, VersionInfo>>;
  /** The first version of the major with each command. */
  readonly COMMAND_SINCE: Readonly<Record<string, string>>;
  /** Builds the typed API on a transport. */
  createApi(transport: never): Api;
}

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
export interface StuiClient extends StuiApi, StuiClientControls {}

/** What a client has besides the typed API: the connection's own controls. */
export interface StuiClientControls {
  readonly endpoint: string;
  readonly mode: "lockstep" | "pipelined";
  /**
   * The protocol version requests carry now: the client's newest until openSession() negotiates
   * or the server refuses it at the envelope (then the best version both speak).
   */
  readonly protocolVersion: string;
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
export function attemptTimeout(method: CommandName, params: object, callTimeoutMs: number | undefined, clientTimeoutMs: number | undefined, info: VersionInfo = generated.VERSIONS[generated.NEWEST_VERSION]!): number {
  if (callTimeoutMs !== undefined) return callTimeoutMs;
  if (clientTimeoutMs !== undefined) return clientTimeoutMs;
  const serverLimit = (params as { timeoutMs?: unknown }).timeoutMs ?? info.commands[method]?.defaults["timeoutMs"];
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
  return connectWith(generated, options);
}

/** Whether re-sending this call after a timeout is safe, as one protocol version says. */
function retrySafe(info: VersionInfo, method: string, params: object): boolean {
  const command = info.commands[method]!;
  if (!command.idempotent) return false;
  return !command.paramNotIdempotent.some((name) => (params as Record<string, unknown>)[name] !== undefined);
}

/** The highest version in both lists (each `MAJOR.MINOR`), or undefined. */
function bestCommon(ours: readonly string[], theirs: readonly string[]): string | undefined {
  const rank = (v: string) => v.split(".").map(Number) as [number, number];
  return ours.filter((v) => theirs.includes(v)).sort((a, b) => rank(b)[0] - rank(a)[0] || rank(b)[1] - rank(a)[1])[0];
}

/**
 * {@link connect} with the generated protocol code given explicitly: `connectWith(generated, …)`
 * is `connect(…)`. The version-matrix tests pass a client generated from an older release.
 *
 * Versions. Requests carry the client's current version: its newest until the server says
 * otherwise. `openSession()` negotiates (the server answers the best version both speak) and every
 * later request carries that version. A request the server refuses at the envelope with
 * unsupportedVersion (it ran nothing) is re-sent once in the best version both speak, which the
 * client keeps from then on. A call to a command the current version lacks, or with params only a
 * later version accepts (a new enum value, a new member), fails with EVERSION naming the version
 * that introduced it, without sending anything.
 */
export async function connectWith<Api>(protocol: GeneratedProtocol<Api>, options: ConnectOptions = {}): Promise<Api & StuiClientControls> {
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

  const clientVersions = protocol.CLIENT_VERSIONS;
  let version = clientVersions[0]!;
  const tables = () => protocol.VERSIONS[version]!;
  const decode = (bytes: Uint8Array | string, at?: string) => decodeReply(bytes, at, tables());
  checkEndpoint(endpoint);
  const security = resolveSecurity(endpoint, options.curve, options.home);
  const channel: Channel = mode === "lockstep" ? new LockstepChannel(endpoint, decode, security) : new PipelinedChannel(endpoint, onProtocolError, decode, security);
  const ids = new RequestIds();
  let closed = false;

  /** Fails without sending when the current version lacks the command (EVERSION) or it is unknown (EVALIDATION). */
  function requireCommand(method: string, info: VersionInfo): void {
    if (info.commands[method]) return;
    const since = Object.prototype.hasOwnProperty.call(protocol.COMMAND_SINCE, method) ? protocol.COMMAND_SINCE[method] : undefined;
    if (since === undefined) return; // encodeRequest answers EVALIDATION for an unknown method
    throw new StuiVersionError(clientVersions, [version], { method, endpoint }, {
      requiredVersion: since,
      message: `${method} needs protocol ${since}, and this connection speaks ${version} (the best version this server and client share); nothing was sent`,
    });
  }

  /**
   * Params the current version rejects but a later version of this client accepts use something
   * that version introduced (e.g. a new enum value): EVERSION naming it, without sending.
   */
  function requireParams(method: string, params: unknown, info: VersionInfo): void {
    const command = info.commands[method];
    if (!command || info.validators[command.paramsType]!(params ?? {})) return;
    const rank = (v: string) => v.split(".").map(Number) as [number, number];
    const later = clientVersions
      .filter((v) => rank(v)[0] === rank(version)[0] && rank(v)[1] > rank(version)[1])
      .sort((a, b) => rank(a)[1] - rank(b)[1])
      .find((v) => {
        const command = protocol.VERSIONS[v]!.commands[method];
        return command !== undefined && protocol.VERSIONS[v]!.validators[command.paramsType]!(params ?? {});
      });
    if (later === undefined) return; // invalid in every version: encodeRequest answers EVALIDATION
    throw new StuiVersionError(clientVersions, [version], { method, endpoint }, {
      requiredVersion: later,
      message: `${method}: these params need protocol ${later}, and this connection speaks ${version} (the best version this server and client share); nothing was sent`,
    });
  }

  async function call<M extends CommandName>(method: M, params: ParamsOf<M>, callOptions?: CallOptions, renegotiated = false): Promise<ResultOf<M>> {
    if (closed) throw new StuiError("ECLOSED", `${method}: client closed`, { method, endpoint });
    const info = tables();
    requireCommand(method, info);
    let request: ReturnType<typeof encodeRequest>;
    try {
      request = encodeRequest(method, params, ids.next(), validate, info);
    } catch (e) {
      // Invalid in this version: EVERSION if a later version accepts the params, else the EVALIDATION.
      if (validate && isStuiError(e, "EVALIDATION")) requireParams(method, params, info);
      throw e;
    }
    callOptions?.onRequestId?.(request.id);
    const p = (params ?? {}) as object;
    const timeoutMs = attemptTimeout(request.method, p, callOptions?.timeoutMs, explicitTimeout, info);
    if (!(timeoutMs > 0)) {
      throw new StuiValidationError(`timeoutMs must be positive, not ${timeoutMs}`, [{ path: "/timeoutMs", message: "must be > 0" }], { method });
    }
    const reply = await channel.exchange({
      request,
      retrySafe: retrySafe(info, request.method, p),
      timeoutMs,
      retries,
      signal: callOptions?.signal,
    });
    if (!reply.ok) {
      const error = toRemoteError(reply.error, request.method, request.id, endpoint);
      if (isRemoteError(error, "unsupportedVersion") && error.data.requested.length === 1 && error.data.requested[0] === request.version) {
        // Refused at the envelope (nothing ran): speak the best version we share, or give up.
        const best = bestCommon(clientVersions, error.data.supported);
        if (best === undefined || renegotiated || best === request.version) {
          throw new StuiVersionError(clientVersions, error.data.supported, { method, requestId: request.id, endpoint, cause: error });
        }
        version = best;
        return call(method, params, callOptions, true);
      }
      throw error;
    }
    if (validate) checkResult(request.method, reply.result, request.id, endpoint, info);
    return reply.result as ResultOf<M>;
  }

  const api = protocol.createApi({ call } as never);

  async function openSession(sessionOptions: SessionOptions = {}): Promise<StuiSession> {
    let created: ResultOf<"session.create">;
    try {
      created = await call("session.create", {
        clientName: sessionOptions.clientName ?? defaultClientName,
        protocolVersions: [...clientVersions],
        ...(sessionOptions.debug !== undefined ? { debug: sessionOptions.debug } : {}),
        ...(sessionOptions.idleTimeoutMs !== undefined ? { idleTimeoutMs: sessionOptions.idleTimeoutMs } : {}),
      });
    } catch (e) {
      if (isRemoteError(e, "unsupportedVersion")) {
        throw new StuiVersionError(clientVersions, e.data.supported, { method: "session.create", requestId: e.requestId, endpoint, cause: e });
      }
      throw e;
    }
    if (!clientVersions.includes(created.protocolVersion)) {
      // The server chose a version we never offered. Its session is useless to us: close it. A
      // failure to close does not hide the version error; it rides along as the error's cause.
      let closeError: unknown;
      await call("session.close", { sessionId: created.sessionId }).catch((e: unknown) => {
        closeError = e;
      });
      throw new StuiVersionError(clientVersions, [created.protocolVersion], { method: "session.create", endpoint, cause: closeError });
    }
    version = created.protocolVersion;
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

  const controls: StuiClientControls = {
    endpoint,
    mode,
    get protocolVersion() {
      return version;
    },
    publicKey: security.curve?.publicKey,
    stats: channel.stats,
    call,
    openSession,
    async close(): Promise<void> {
      closed = true;
      channel.close();
    },
  };
  // Property descriptors, not Object.assign: protocolVersion must stay a live getter.
  return Object.defineProperties(api as Api & object, Object.getOwnPropertyDescriptors(controls)) as Api & StuiClientControls;
}
