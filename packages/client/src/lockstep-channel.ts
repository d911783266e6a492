import * as zmq from "zeromq";
import { abortedError, checkEndpoint, closedError, newStats, onAbort, PeerWatch, type Channel, type ChannelStats, type Exchange } from "./channel.js";
import { decodeReply, type DecodedReply, type ReplyDecoder } from "./codec.js";
import { StuiError } from "./errors.js";
import { curveSocketOptions, handshakeError, isDefinitive, type ClientSecurity, type HandshakeFailure } from "./security.js";

/**
 * Lock-step: one REQ socket, one request at a time. Works with REP and ROUTER servers.
 *
 *   caller A ─┐            REQ                        server
 *   caller B ─┼─ queue ──▶ send(A) ─────────────────▶ (A)
 *   caller C ─┘            recv   ◀───────────────── reply(A)
 *                          send(B) ─────────────────▶ ...
 *
 * Timeouts follow ZeroMQ's Lazy Pirate pattern: a REQ socket that sent and got no reply is stuck
 * (it may not send again), so on timeout the socket is closed with linger 0 and a new one is
 * opened, then the request is re-sent.
 *
 *   send(id=c1-7) ──▶ ✕ (no reply in timeoutMs)
 *   close socket, open a new one
 *   send(id=c1-7) ──▶ server: reply cache hit or first run ──▶ reply(c1-7)
 *
 * Re-sends always carry the SAME request id, never a new one. The server keeps a reply cache keyed
 * by request id, so a re-sent request it already ran is answered from the cache instead of being
 * run again; this is what makes re-sending a non-idempotent call (evaluate) safe while the
 * server process lives. "Retry only where safe" therefore means:
 *
 * - retry-safe calls (`isRetrySafe(method, params)`) are re-sent after every timeout, up to
 *   `retries` times, whatever happened to the connection;
 * - unsafe calls (evaluate, debug, session.create, inspect with an expression) are re-sent with
 *   the same id up to `retries` times too, but only while the connection held: if a disconnect was
 *   observed while the request was in flight (the server may have died after running it, taking
 *   its reply cache along), the call fails with ECONNECTION instead of risking a second run.
 *
 * After the last attempt the call fails with ETIMEOUT when a server was connected but did not
 * answer, ECONNECTION when none could be reached. When the security handshake failed instead,
 * the call fails with ECONNECTION and a sentence saying what that likely means (security.ts):
 * at once when retrying cannot cure it (the server refused this client's key, one side does not
 * use CURVE, or three handshakes failed in a row, as with a wrong server key), else at the end
 * of the attempt, without re-sending.
 */
export class LockstepChannel implements Channel {
  readonly endpoint: string;
  readonly stats: ChannelStats = newStats();
  readonly #security: ClientSecurity;
  #socket: zmq.Request | undefined;
  #watch: PeerWatch | undefined;
  #queue: Job[] = [];
  #running = false;
  #closed = false;
  /** Why the socket was closed under the attempt in flight (abort, close, a refused handshake), if it was. */
  #interrupted: "aborted" | "closed" | "refused" | undefined;
  #refusal: HandshakeFailure | undefined;
  /** The receive/send timeout last set on the socket (a native option: set only on change). */
  #socketTimeout = -1;

  /**
   * `decode` reads a reply envelope (default: the newest protocol version's decodeReply);
   * `security` says how the socket authenticates (default: without CURVE).
   */
  constructor(endpoint: string, private readonly decode: ReplyDecoder = decodeReply, security: ClientSecurity = { curve: undefined, serverKeySource: "none" }) {
    checkEndpoint(endpoint);
    this.endpoint = endpoint;
    this.#security = security;
    this.#open();
  }

  exchange(x: Exchange): Promise<DecodedReply> {
    if (this.#closed) return Promise.reject(closedError(x, this.endpoint));
    if (x.signal?.aborted) return Promise.reject(abortedError(x, this.endpoint));
    if (!this.#running) return this.#runJob(x);
    return new Promise<DecodedReply>((resolve, reject) => {
      const job: Job = { x, resolve, reject, stopListening: noop };
      job.stopListening = onAbort(x.signal, () => {
        const i = this.#queue.indexOf(job);
        if (i >= 0) this.#queue.splice(i, 1);
        reject(abortedError(x, this.endpoint));
      });
      this.#queue.push(job);
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const job of this.#queue.splice(0)) {
      job.stopListening();
      job.reject(closedError(job.x, this.endpoint));
    }
    if (this.#running) this.#interrupted = "closed";
    this.#discardSocket();
  }

  /** Runs one exchange with the socket to itself, then starts the next queued one. */
  async #runJob(x: Exchange): Promise<DecodedReply> {
    this.#running = true;
    const stopListening = onAbort(x.signal, () => {
      // Closing the socket ends the pending send/receive at once; #run opens a fresh one.
      this.#interrupted = "aborted";
      this.#discardSocket();
    });
    try {
      return await this.#run(x);
    } finally {
      stopListening();
      this.#running = false;
      const next = this.#queue.shift();
      if (next) {
        next.stopListening();
        this.#runJob(next.x).then(next.resolve, next.reject);
      }
    }
  }

  async #run(x: Exchange): Promise<DecodedReply> {
    const { id, method } = x.request;
    const context = { method, requestId: id, endpoint: this.endpoint };
    for (let attempt = 0; attempt <= x.retries; attempt++) {
      if (this.#closed) throw closedError(x, this.endpoint);
      if (x.signal?.aborted) throw abortedError(x, this.endpoint);
      const socket = this.#socket ?? this.#open();
      const watch = this.#watch!;
      const disconnectsBefore = watch.disconnects;
      this.stats.sent++;
      if (attempt > 0) this.stats.resent++;
      const outcome = await this.#attempt(socket, x);
      switch (outcome.kind) {
        case "reply": {
          let reply: DecodedReply;
          try {
            reply = this.decode(outcome.frame, this.endpoint);
          } catch (e) {
            throw new StuiError("EPROTOCOL", `${method}: ${(e as Error).message}`, { ...context, cause: e });
          }
          if (reply.id !== id && !(reply.id === null && !reply.ok)) {
            throw new StuiError("EPROTOCOL", `reply id ${JSON.stringify(reply.id)} does not match request id ${JSON.stringify(id)}`, context);
          }
          return reply;
        }
        case "closed":
          throw closedError(x, this.endpoint);
        case "aborted":
          this.#reopen();
          throw abortedError(x, this.endpoint);
        case "refused":
          this.#reopen();
          throw handshakeError(outcome.failure, this.#security, context);
        case "error":
          this.#reopen();
          throw new StuiError("ECONNECTION", `${method}: socket failed: ${(outcome.error as Error).message}`, { ...context, cause: outcome.error });
        case "timeout": {
          this.stats.timeouts++;
          const connected = watch.connected;
          const lost = watch.disconnects > disconnectsBefore;
          const failure = watch.handshakeFailure;
          this.#reopen();
          // The handshake kept failing for a whole attempt: the request never got through, and
          // re-sending it cannot help. Say why instead of "no reply" or "connection lost".
          if (failure) throw handshakeError(failure, this.#security, context);
          if (attempt === x.retries) {
            throw connected
              ? new StuiError("ETIMEOUT", `${method}: no reply within ${x.timeoutMs} ms after ${attempt + 1} attempt(s)`, context)
              : new StuiError("ECONNECTION", `${method}: cannot reach ${this.endpoint} (${attempt + 1} attempt(s) of ${x.timeoutMs} ms)`, context);
          }
          if (!x.retrySafe && lost) {
            throw new StuiError(
              "ECONNECTION",
              `${method}: connection to ${this.endpoint} lost while the request was in flight; not re-sent because ${method} is not safe to retry (it may or may not have run)`,
              context,
            );
          }
          break;
        }
      }
    }
    /* c8 ignore next */
    throw new StuiError("ETIMEOUT", `${method}: no attempts left`, context);
  }

  /**
   * One send and its reply, with ZeroMQ's own send/receive timeouts (no JS timer per call): a
   * timeout rejects with EAGAIN. Closing the socket (abort, close) also ends a pending receive
   * with EAGAIN, so #interrupted says which it was.
   */
  async #attempt(socket: zmq.Request, x: Exchange): Promise<Outcome> {
    if (this.#socketTimeout !== x.timeoutMs) {
      socket.receiveTimeout = x.timeoutMs;
      socket.sendTimeout = x.timeoutMs;
      this.#socketTimeout = x.timeoutMs;
    }
    this.#interrupted = undefined;
    try {
      await socket.send(x.request.text);
      const frames = await socket.receive();
      return { kind: "reply", frame: frames[frames.length - 1] ?? Buffer.alloc(0) };
    } catch (error) {
      const interrupted = this.#interrupted;
      this.#interrupted = undefined;
      if (interrupted === "refused") return { kind: "refused", failure: this.#refusal! };
      if (interrupted) return { kind: interrupted };
      if ((error as { code?: unknown }).code === "EAGAIN") return { kind: "timeout" };
      return { kind: "error", error };
    }
  }

  #open(): zmq.Request {
    const socket = new zmq.Request({ linger: 0, reconnectInterval: 100, ...curveSocketOptions(this.#security) });
    this.#socketTimeout = -1;
    try {
      this.#watch = new PeerWatch(socket, (failure, inARow) => this.#onHandshakeFailure(socket, failure, inARow));
      socket.connect(this.endpoint);
    } catch (cause) {
      socket.close();
      throw new StuiError("ECONNECTION", `cannot connect to ${this.endpoint}: ${(cause as Error).message}`, { endpoint: this.endpoint, cause });
    }
    this.#socket = socket;
    return socket;
  }

  /** A refusal retrying cannot cure ends the attempt in flight at once (closing its socket, as an abort does). */
  #onHandshakeFailure(socket: zmq.Request, failure: HandshakeFailure, inARow: number): void {
    if (socket !== this.#socket || !this.#running || !isDefinitive(failure, inARow)) return;
    this.#refusal = failure;
    this.#interrupted = "refused";
    this.#discardSocket();
  }

  /** Lazy Pirate: throw the stuck socket away (linger 0) and start a fresh one connecting. */
  #reopen(): void {
    this.#discardSocket();
    if (!this.#closed) {
      this.#open();
      this.stats.reconnects++;
    }
  }

  #discardSocket(): void {
    this.#watch = undefined;
    this.#socket?.close();
    this.#socket = undefined;
  }
}

interface Job {
  x: Exchange;
  resolve: (r: DecodedReply) => void;
  reject: (e: unknown) => void;
  stopListening: () => void;
}

function noop(): void {}

type Outcome =
  | { kind: "reply"; frame: Buffer }
  | { kind: "timeout" }
  | { kind: "aborted" }
  | { kind: "refused"; failure: HandshakeFailure }
  | { kind: "closed" }
  | { kind: "error"; error: unknown };
