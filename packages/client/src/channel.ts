import type * as zmq from "zeromq";
import type { DecodedReply, EncodedRequest } from "./codec.js";
import { StuiError } from "./errors.js";
import type { HandshakeFailure } from "./security.js";

/**
 * A channel moves encoded requests to one endpoint and brings back their decoded replies. The
 * two kinds differ in the messaging pattern: lock-step (REQ, one request at a time, Lazy Pirate
 * reconnects) and pipelined (DEALER, many requests in flight, correlated by id).
 */
export interface Channel {
  readonly endpoint: string;
  readonly stats: ChannelStats;
  /** Sends the request and answers its reply envelope; retries as `exchange` allows. */
  exchange(x: Exchange): Promise<DecodedReply>;
  /** Closes every socket; pending exchanges reject with ECLOSED. */
  close(): void;
}

/** One request to exchange, and how hard to try. */
export interface Exchange {
  request: EncodedRequest;
  /** `isRetrySafe(method, params)`: may be re-sent even when the connection was lost mid-flight. */
  retrySafe: boolean;
  /** How long to wait for each attempt's reply. */
  timeoutMs: number;
  /** How many times to re-send (with the same id) after a timeout. */
  retries: number;
  signal?: AbortSignal | undefined;
}

/** Counters for tests, benchmarks and diagnostics. */
export interface ChannelStats {
  /** Requests put on the wire, re-sends included. */
  sent: number;
  /** Re-sends after a timeout (same request id). */
  resent: number;
  /** Attempts that timed out. */
  timeouts: number;
  /** Sockets opened after the first (lock-step) or reconnects observed (pipelined). */
  reconnects: number;
  /** Replies that matched no pending call (late answers to calls that already gave up). */
  staleReplies: number;
}

export function newStats(): ChannelStats {
  return { sent: 0, resent: 0, timeouts: 0, reconnects: 0, staleReplies: 0 };
}

/**
 * Watches a socket's connection events: whether a peer is connected now, how many disconnects
 * happened so far (a call compares the count before and after to learn whether the connection
 * dropped while its request was in flight), and the last failed security handshake since the
 * last one that succeeded (a server never answers a peer that failed it).
 */
export class PeerWatch {
  connected = false;
  connects = 0;
  disconnects = 0;
  handshakeFailure: HandshakeFailure | undefined;
  /** Failed handshakes since the last one that succeeded. */
  failedInARow = 0;

  /** `onHandshakeFailure` hears each failed handshake as it happens, with failedInARow. */
  constructor(socket: zmq.Socket, onHandshakeFailure?: (failure: HandshakeFailure, inARow: number) => void) {
    // The observer is closed together with its socket. Closing it first would leave zeromq.js's
    // event-emitter loop with a rejected receive (ENOTSOCK) that nobody can catch.
    socket.events.on("connect", () => {
      this.connected = true;
      this.connects++;
    });
    socket.events.on("disconnect", () => {
      this.connected = false;
      this.disconnects++;
    });
    const failed = (failure: HandshakeFailure): void => {
      this.handshakeFailure = failure;
      this.failedInARow++;
      onHandshakeFailure?.(failure, this.failedInARow);
    };
    socket.events.on("handshake", () => {
      this.handshakeFailure = undefined;
      this.failedInARow = 0;
    });
    socket.events.on("handshake:error:auth", (e) => failed({ kind: "auth", status: e.error.status }));
    socket.events.on("handshake:error:protocol", (e) => failed({ kind: "protocol", code: e.error.code }));
    socket.events.on("handshake:error:other", (e) => failed({ kind: "other", message: e.error.code || e.error.message }));
  }
}

/** Validates an endpoint string before ZeroMQ sees it (ZeroMQ's own message is terse). */
export function checkEndpoint(endpoint: string): void {
  if (!/^(tcp|ipc|inproc):\/\/.+/.test(endpoint)) {
    throw new StuiError("ECONNECTION", `unusable endpoint ${JSON.stringify(endpoint)}: expected tcp://host:port, ipc://path or inproc://name`, { endpoint });
  }
}

/** Runs `fn` when the signal aborts; answers a function that stops listening. */
export function onAbort(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (!signal) return noop;
  signal.addEventListener("abort", fn, { once: true });
  return () => signal.removeEventListener("abort", fn);
}

function noop(): void {}

export function abortedError(x: Exchange, endpoint: string): StuiError {
  return new StuiError("EABORTED", `${x.request.method} aborted`, { method: x.request.method, requestId: x.request.id, endpoint, cause: x.signal?.reason });
}

export function closedError(x: Exchange | undefined, endpoint: string): StuiError {
  return new StuiError("ECLOSED", x ? `${x.request.method}: client closed` : "client closed", { method: x?.request.method, requestId: x?.request.id, endpoint });
}
