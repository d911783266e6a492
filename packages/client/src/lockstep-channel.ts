import * as zmq from "zeromq";
import { abortedError, checkEndpoint, closedError, newStats, onAbort, PeerWatch, type Channel, type ChannelStats, type Exchange } from "./channel.js";
import { decodeReply, type DecodedReply } from "./codec.js";
import { StuiError } from "./errors.js";

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
 * answer, ECONNECTION when none could be reached.
 */
export class LockstepChannel implements Channel {
  readonly endpoint: string;
  readonly stats: ChannelStats = newStats();
  #socket: zmq.Request | undefined;
  #watch: PeerWatch | undefined;
  #queue: Job[] = [];
  #running = false;
  #closed = false;
  /** Ends the attempt in flight early (abort, close). */
  #interrupt: ((o: Outcome) => void) | undefined;

  constructor(endpoint: string) {
    checkEndpoint(endpoint);
    this.endpoint = endpoint;
    this.#open();
  }

  exchange(x: Exchange): Promise<DecodedReply> {
    if (this.#closed) return Promise.reject(closedError(x, this.endpoint));
    if (x.signal?.aborted) return Promise.reject(abortedError(x, this.endpoint));
    return new Promise<DecodedReply>((resolve, reject) => {
      const job: Job = { x, resolve, reject, running: false, stopListening: () => {} };
      job.stopListening = onAbort(x.signal, () => {
        if (job.running) {
          this.#interrupt?.({ kind: "aborted" });
        } else {
          const i = this.#queue.indexOf(job);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(abortedError(x, this.endpoint));
        }
      });
      this.#queue.push(job);
      void this.#pump();
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const job of this.#queue.splice(0)) {
      job.stopListening();
      job.reject(closedError(job.x, this.endpoint));
    }
    this.#interrupt?.({ kind: "closed" });
    this.#discardSocket();
  }

  async #pump(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      for (let job = this.#queue.shift(); job !== undefined; job = this.#queue.shift()) {
        job.running = true;
        try {
          job.resolve(await this.#run(job.x));
        } catch (e) {
          job.reject(e);
        } finally {
          job.stopListening();
        }
      }
    } finally {
      this.#running = false;
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
            reply = decodeReply(outcome.frame, this.endpoint);
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
        case "error":
          this.#reopen();
          throw new StuiError("ECONNECTION", `${method}: socket failed: ${(outcome.error as Error).message}`, { ...context, cause: outcome.error });
        case "timeout": {
          this.stats.timeouts++;
          const connected = watch.connected;
          const lost = watch.disconnects > disconnectsBefore;
          this.#reopen();
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

  #attempt(socket: zmq.Request, x: Exchange): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      let done = false;
      const settle = (o: Outcome): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.#interrupt = undefined;
        resolve(o);
      };
      const timer = setTimeout(() => settle({ kind: "timeout" }), x.timeoutMs);
      this.#interrupt = settle;
      socket.send(x.request.text).then(
        () => socket.receive().then(
          (frames) => settle({ kind: "reply", frame: frames[frames.length - 1] ?? Buffer.alloc(0) }),
          (error: unknown) => settle({ kind: "error", error }),
        ),
        (error: unknown) => settle({ kind: "error", error }),
      );
    });
  }

  #open(): zmq.Request {
    const socket = new zmq.Request({ linger: 0, reconnectInterval: 100 });
    try {
      this.#watch = new PeerWatch(socket);
      socket.connect(this.endpoint);
    } catch (cause) {
      socket.close();
      throw new StuiError("ECONNECTION", `cannot connect to ${this.endpoint}: ${(cause as Error).message}`, { endpoint: this.endpoint, cause });
    }
    this.#socket = socket;
    return socket;
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
  running: boolean;
  stopListening: () => void;
}

type Outcome =
  | { kind: "reply"; frame: Buffer }
  | { kind: "timeout" }
  | { kind: "aborted" }
  | { kind: "closed" }
  | { kind: "error"; error: unknown };
