import { randomBytes } from "node:crypto";
import * as zmq from "zeromq";
import type { CurveKeys } from "@stui/client";
import { clientKeysFor } from "@stui/client/keys";
import { spokenVersion } from "./version.js";

/**
 * How a raw client frames its messages:
 * - `dealer`:           sends [json], expects [reply]
 * - `dealer+delimiter`: sends ["", json], expects ["", reply] (what a REQ socket puts on the wire)
 * - `req`:              a REQ socket; zmq adds and strips the delimiter; one request at a time
 */
export type RawKind = "dealer" | "dealer+delimiter" | "req";

export interface RawClientOptions {
  /** Fail a receive that waits longer than this (a hang guard, not an assertion). Default 10000. */
  receiveTimeoutMs?: number;
  /**
   * CURVE keys, as connect() takes them. Default: found in the STUI home (the test's temporary
   * STUI_HOME, whose client key its servers authorize). `false`: no security at all (NULL).
   */
  curve?: CurveKeys | false;
}

/** zeromq.js client socket options for these keys. */
export function curveClientOptions(endpoint: string, curve: CurveKeys | false | undefined): { curveServerKey?: string; curvePublicKey?: string; curveSecretKey?: string } {
  if (curve === false) return {};
  const keys = curve ?? clientKeysFor(endpoint);
  return { curveServerKey: keys.serverKey, curvePublicKey: keys.publicKey, curveSecretKey: keys.secretKey };
}

/** Thrown when a reply does not come framed as the socket kind expects. Code: `EFRAMES`. */
export class FramingError extends Error {
  override readonly name = "FramingError";
  readonly code = "EFRAMES";
}

/**
 * A tiny client on a raw zeromq socket for sending arbitrary bytes and frames to a server.
 * It does not correlate replies: with a DEALER, replies come in the order the server sends them.
 */
export class RawClient {
  private constructor(readonly kind: RawKind, readonly socket: zmq.Dealer | zmq.Request, readonly endpoint: string) {}

  static open(endpoint: string, kind: RawKind = "dealer", options: RawClientOptions = {}): RawClient {
    const socketOptions = { linger: 0, receiveTimeout: options.receiveTimeoutMs ?? 10_000, ...curveClientOptions(endpoint, options.curve) };
    const socket = kind === "req" ? new zmq.Request(socketOptions) : new zmq.Dealer(socketOptions);
    socket.connect(endpoint);
    return new RawClient(kind, socket, endpoint);
  }

  /** Sends exactly these frames (nothing added, whatever the kind). */
  async sendFrames(frames: readonly (Buffer | string)[]): Promise<void> {
    await this.socket.send([...frames]);
  }

  /** Sends one payload: an object is sent as JSON; a `dealer+delimiter` client puts "" first. */
  async send(payload: Buffer | string | object): Promise<void> {
    const bytes = Buffer.isBuffer(payload) || typeof payload === "string" ? payload : JSON.stringify(payload);
    await this.sendFrames(this.kind === "dealer+delimiter" ? ["", bytes] : [bytes]);
  }

  /** The next message's frames, as received. */
  async receiveFrames(): Promise<Buffer[]> {
    return this.socket.receive();
  }

  /** The next reply's payload text, after checking it came framed as this kind expects. */
  async receiveText(): Promise<string> {
    const frames = await this.receiveFrames();
    const expected = this.kind === "dealer+delimiter" ? 2 : 1;
    if (frames.length !== expected || (expected === 2 && frames[0]!.length !== 0)) {
      throw new FramingError(`a ${this.kind} client expects ${expected === 2 ? '["", reply]' : "[reply]"}, got ${frames.length} frame(s): ${JSON.stringify(frames.map((f) => f.toString("utf8").slice(0, 80)))}`);
    }
    return frames[expected - 1]!.toString("utf8");
  }

  /** The next reply, parsed. */
  async receive(): Promise<unknown> {
    return JSON.parse(await this.receiveText());
  }

  /** Sends one payload and answers the next reply, parsed. */
  async request(payload: Buffer | string | object): Promise<unknown> {
    await this.send(payload);
    return this.receive();
  }

  close(): void {
    if (!this.socket.closed) this.socket.close();
  }
}

/** Opens raw clients and closes them all at once (call `closeAll` in afterEach). */
export class ClientPool {
  private readonly clients: RawClient[] = [];

  open(endpoint: string, kind: RawKind = "dealer", options?: RawClientOptions): RawClient {
    const client = RawClient.open(endpoint, kind, options);
    this.clients.push(client);
    return client;
  }

  closeAll(): void {
    for (const client of this.clients.splice(0)) client.close();
  }
}

const ID_PREFIX = `t${randomBytes(4).toString("hex")}`;
let nextId = 0;

/** A request id no other test process uses: a random per-process prefix and a counter. */
export function uniqueId(): string {
  return `${ID_PREFIX}-${++nextId}`;
}

/** A request envelope in the spoken version (a fresh unique id unless given); `extra` members override or add. */
export function envelope(method: string, params?: object, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { jsonrpc: "2.0", id: uniqueId(), stui: spokenVersion(), method, ...(params !== undefined ? { params } : {}), ...extra };
}
