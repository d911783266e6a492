import * as zmq from "zeromq";
import { abortedError, checkEndpoint, closedError, newStats, onAbort, PeerWatch, type Channel, type ChannelStats, type Exchange } from "./channel.js";
import { decodeReply, type DecodedReply, type ReplyDecoder } from "./codec.js";
import { StuiError } from "./errors.js";
import { curveSocketOptions, handshakeError, isDefinitive, type ClientSecurity } from "./security.js";

/**
 * Pipelined: one DEALER socket, many requests in flight, replies matched to calls by request id.
 * For ROUTER servers (a REP server answers one request at a time and cannot serve a DEALER).
 *
 *   call A ──▶ ["", A] ─┐                     ROUTER server
 *   call B ──▶ ["", B] ─┼──── DEALER ───────▶ [peer, "", A] [peer, "", B] [peer, "", C]
 *   call C ──▶ ["", C] ─┘
 *   B done ◀── ["", B] ◀┐
 *   A done ◀── ["", A] ◀┼──── DEALER ◀─────── replies in whatever order the server finishes
 *   C done ◀── ["", C] ◀┘
 *
 * Framing: every request is sent as two frames, an empty delimiter and the JSON text, exactly what
 * a REQ socket puts on the wire. A ROUTER server therefore sees the same [identity, "", payload]
 * from lock-step and pipelined clients and answers both the same way; replies come back as
 * ["", payload] (a reply without the delimiter is accepted too).
 *
 * Reconnection is ZeroMQ's: a DEALER reconnects by itself (every 100 ms here) when the server
 * goes away, and a server restarted on the same endpoint is reached again without a new socket.
 * Each call has its own timer; on timeout the request is re-sent with the SAME id under the same
 * rules as the lock-step channel (see LockstepChannel): retry-safe calls always, unsafe calls only
 * if no disconnect was observed since they were sent — the server's reply cache, keyed by id,
 * makes a re-sent request run once. A failed security handshake fails the calls with ECONNECTION
 * and a sentence saying why, as in LockstepChannel: every pending call at once when retrying
 * cannot cure it, else each call when its attempt times out.
 */
/** How long #flush waits before trying a mute socket again. */
const MUTE_RETRY_MS = 5;

export class PipelinedChannel implements Channel {
  readonly endpoint: string;
  readonly stats: ChannelStats = newStats();
  readonly #socket: zmq.Dealer;
  readonly #watch: PeerWatch;
  readonly #pending = new Map<string, Pending>();
  readonly #outbox: Pending[] = [];
  readonly #onUnattributed: (e: StuiError) => void;
  readonly #security: ClientSecurity;
  #sending = false;
  #closed = false;

  /**
   * `decode` reads a reply envelope (default: the newest protocol version's decodeReply);
   * `security` says how the socket authenticates (default: without CURVE).
   */
  constructor(endpoint: string, onUnattributed: (e: StuiError) => void, private readonly decode: ReplyDecoder = decodeReply, security: ClientSecurity = { curve: undefined, serverKeySource: "none" }) {
    checkEndpoint(endpoint);
    this.endpoint = endpoint;
    this.#onUnattributed = onUnattributed;
    this.#security = security;
    // sendTimeout 0: zeromq.js then sends at once without first polling the socket's state (a
    // measurable cost per message when many are in flight); a mute socket answers EAGAIN instead
    // of blocking, and #flush waits and tries again.
    const socket = new zmq.Dealer({ linger: 0, reconnectInterval: 100, sendTimeout: 0, ...curveSocketOptions(security) });
    this.#watch = new PeerWatch(socket, (failure, inARow) => {
      if (!isDefinitive(failure, inARow)) return;
      for (const p of [...this.#pending.values()]) this.#fail(p, handshakeError(failure, security, this.#context(p)));
    });
    let reconnects = 0;
    socket.events.on("connect", () => {
      if (reconnects++ > 0) this.stats.reconnects++;
    });
    try {
      socket.connect(endpoint);
    } catch (cause) {
      socket.close();
      throw new StuiError("ECONNECTION", `cannot connect to ${endpoint}: ${(cause as Error).message}`, { endpoint, cause });
    }
    this.#socket = socket;
    void this.#receiveLoop();
  }

  /** How many calls are waiting for their reply. */
  get inFlight(): number {
    return this.#pending.size;
  }

  exchange(x: Exchange): Promise<DecodedReply> {
    if (this.#closed) return Promise.reject(closedError(x, this.endpoint));
    if (x.signal?.aborted) return Promise.reject(abortedError(x, this.endpoint));
    return new Promise<DecodedReply>((resolve, reject) => {
      const p: Pending = { x, resolve, reject, attempt: 0, disconnectsAtSend: 0, timer: undefined, stopListening: () => {} };
      p.stopListening = onAbort(x.signal, () => this.#fail(p, abortedError(x, this.endpoint)));
      this.#pending.set(x.request.id, p);
      this.#send(p);
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of [...this.#pending.values()]) this.#fail(p, closedError(p.x, this.endpoint));
    this.#outbox.length = 0;
    this.#socket.close();
  }

  #send(p: Pending): void {
    p.disconnectsAtSend = this.#watch.disconnects;
    p.timer = setTimeout(() => this.#onTimeout(p), p.x.timeoutMs);
    this.stats.sent++;
    this.#outbox.push(p);
    if (!this.#sending) void this.#flush();
  }

  /** zeromq.js allows one send in progress at a time: a small queue feeds the socket in order. */
  async #flush(): Promise<void> {
    this.#sending = true;
    try {
      while (this.#outbox.length > 0 && !this.#closed) {
        const p = this.#outbox[0]!;
        if (this.#pending.get(p.x.request.id) !== p) {
          this.#outbox.shift(); // gave up while queued
          continue;
        }
        try {
          await this.#socket.send(["", p.x.request.text]);
          this.#outbox.shift();
        } catch (error) {
          if (this.#closed) return;
          if ((error as { code?: unknown }).code === "EAGAIN") {
            // Mute: the high-water mark is reached (the server is away or slow). Wait; every
            // waiting call still has its own timer, so this ends when they give up at the latest.
            await new Promise((resolve) => setTimeout(resolve, MUTE_RETRY_MS));
            continue;
          }
          this.#outbox.shift();
          this.#fail(p, new StuiError("ECONNECTION", `${p.x.request.method}: send failed: ${(error as Error).message}`, this.#context(p, error)));
        }
      }
    } finally {
      this.#sending = false;
    }
  }

  async #receiveLoop(): Promise<void> {
    try {
      for await (const frames of this.#socket) this.#onMessage(frames);
    } catch (error) {
      if (this.#closed) return;
      const e = new StuiError("ECONNECTION", `receiving from ${this.endpoint} failed: ${(error as Error).message}`, { endpoint: this.endpoint, cause: error });
      for (const p of [...this.#pending.values()]) this.#fail(p, e);
      this.#onUnattributed(e);
    }
  }

  #onMessage(frames: Buffer[]): void {
    const payload = frames[frames.length - 1];
    const framingOk = payload !== undefined && (frames.length === 1 || (frames.length === 2 && frames[0]!.length === 0));
    let reply: DecodedReply;
    try {
      if (!framingOk) throw new StuiError("EPROTOCOL", `reply has ${frames.length} frames; expected ["", payload]`, { endpoint: this.endpoint });
      reply = this.decode(payload, this.endpoint);
    } catch (e) {
      const err = e as StuiError;
      const p = err.requestId !== undefined ? this.#pending.get(err.requestId) : undefined;
      if (p) {
        this.#fail(p, new StuiError("EPROTOCOL", `${p.x.request.method}: ${err.message}`, this.#context(p, err)));
      } else {
        // Nothing to attribute it to: hand it to the client's onProtocolError (a warning by default).
        this.#onUnattributed(err);
      }
      return;
    }
    const p = typeof reply.id === "string" ? this.#pending.get(reply.id) : undefined;
    if (p) {
      this.#settle(p);
      p.resolve(reply);
    } else if (reply.id === null) {
      this.#onUnattributed(new StuiError("EPROTOCOL", `server answered an error without a request id: ${reply.ok ? "" : reply.error.message}`, { endpoint: this.endpoint }));
    } else {
      this.stats.staleReplies++; // a late answer to a call that already gave up (timeout, abort)
    }
  }

  #onTimeout(p: Pending): void {
    if (this.#pending.get(p.x.request.id) !== p) return;
    this.stats.timeouts++;
    const { x } = p;
    const method = x.request.method;
    const context = this.#context(p);
    const failure = this.#watch.handshakeFailure;
    if (failure) {
      this.#fail(p, handshakeError(failure, this.#security, context));
      return;
    }
    if (p.attempt >= x.retries) {
      this.#fail(
        p,
        this.#watch.connected
          ? new StuiError("ETIMEOUT", `${method}: no reply within ${x.timeoutMs} ms after ${p.attempt + 1} attempt(s)`, context)
          : new StuiError("ECONNECTION", `${method}: cannot reach ${this.endpoint} (${p.attempt + 1} attempt(s) of ${x.timeoutMs} ms)`, context),
      );
      return;
    }
    if (!x.retrySafe && this.#watch.disconnects > p.disconnectsAtSend) {
      this.#fail(
        p,
        new StuiError(
          "ECONNECTION",
          `${method}: connection to ${this.endpoint} lost while the request was in flight; not re-sent because ${method} is not safe to retry (it may or may not have run)`,
          context,
        ),
      );
      return;
    }
    p.attempt++;
    this.stats.resent++;
    this.#send(p);
  }

  #context(p: Pending, cause?: unknown) {
    return { method: p.x.request.method, requestId: p.x.request.id, endpoint: this.endpoint, cause };
  }

  #settle(p: Pending): void {
    clearTimeout(p.timer);
    p.stopListening();
    this.#pending.delete(p.x.request.id);
  }

  #fail(p: Pending, e: StuiError): void {
    if (this.#pending.get(p.x.request.id) !== p) return;
    this.#settle(p);
    p.reject(e);
  }
}

interface Pending {
  x: Exchange;
  resolve: (r: DecodedReply) => void;
  reject: (e: unknown) => void;
  attempt: number;
  disconnectsAtSend: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  stopListening: () => void;
}
