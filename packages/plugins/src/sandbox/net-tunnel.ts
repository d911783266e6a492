// Inside the sandbox, with --allow-net only: TCP connections go through the host's proxy
// (../net-proxy.ts) over the unix socket mounted at STUI_NET_SOCKET — the network namespace has
// nothing else. net.connect / net.createConnection, tls.connect, http(s) agents and fetch (whose
// undici calls net.connect / tls.connect) get a Tunnel: a Duplex that says where it goes, waits
// for the proxy's answer, then carries the bytes (TLS runs end to end, inside the sandbox).
// This is plumbing, not a boundary: the proxy decides, and a script that bypasses this file
// still reaches only the proxy.

import { Duplex } from "node:stream";
import type { Socket, SocketConnectOpts } from "node:net";

type Connect = (options: SocketConnectOpts) => Socket;

export interface Destination {
  host: string;
  port: number;
}

/** The destination of net.connect's argument forms ((options), (port, host?), (path)); a path is not one. */
export function destinationOf(args: unknown[]): Destination | { path: string } | undefined {
  const [first, second] = args;
  if (typeof first === "object" && first !== null) {
    const o = first as { host?: unknown; hostname?: unknown; port?: unknown; path?: unknown };
    if (typeof o.path === "string") return { path: o.path };
    const port = Number(o.port);
    const host = typeof o.host === "string" ? o.host : typeof o.hostname === "string" ? o.hostname : "localhost";
    return Number.isInteger(port) && port > 0 ? { host, port } : undefined;
  }
  if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) return { host: typeof second === "string" ? second : "localhost", port: Number(first) };
  if (typeof first === "string") return { path: first };
  return undefined;
}

/** An error a refused or failed tunnel ends with; a refusal carries what the host's checks need. */
function tunnelError(answer: { code?: unknown; message?: unknown }, to: Destination): Error {
  const e = new Error(typeof answer.message === "string" ? answer.message : `cannot connect to ${to.host}:${to.port}`) as Error & { code?: string; permission?: string; resource?: string };
  e.code = typeof answer.code === "string" ? answer.code : "ECONNREFUSED";
  if (e.code === "ERR_ACCESS_DENIED") {
    e.permission = "Net";
    e.resource = `${to.host.includes(":") ? `[${to.host}]` : to.host}:${to.port}`;
  }
  return e;
}

export class Tunnel extends Duplex {
  connecting = true;
  readonly remotePort: number;
  readonly remoteAddress: string;
  readonly #inner: Socket;
  #head = Buffer.alloc(0);
  #open = false;
  #queued: { chunk: Buffer; callback: (error?: Error | null) => void }[] = [];

  constructor(socketPath: string, connect: Connect, to: Destination) {
    super({ allowHalfOpen: false });
    this.remotePort = to.port;
    this.remoteAddress = to.host;
    const inner = connect({ path: socketPath });
    this.#inner = inner;
    inner.on("connect", () => inner.write(`${JSON.stringify({ host: to.host, port: to.port })}\n`));
    inner.on("data", (chunk: Buffer) => {
      if (this.#open) {
        if (!this.push(chunk)) inner.pause();
        return;
      }
      this.#head = Buffer.concat([this.#head, chunk]);
      const newline = this.#head.indexOf(10);
      if (newline < 0) return;
      let answer: { ok?: unknown; code?: unknown; message?: unknown };
      try {
        answer = JSON.parse(this.#head.subarray(0, newline).toString("utf8")) as typeof answer;
      } catch {
        answer = { message: "the host's network proxy answered something unreadable" };
      }
      const rest = this.#head.subarray(newline + 1);
      this.#head = Buffer.alloc(0);
      if (answer.ok !== true) {
        this.destroy(tunnelError(answer, to));
        return;
      }
      this.#open = true;
      this.connecting = false;
      for (const { chunk: queued, callback } of this.#queued.splice(0)) inner.write(queued, callback);
      this.emit("connect");
      this.emit("ready");
      if (rest.length > 0) this.push(rest);
    });
    inner.on("end", () => this.push(null));
    inner.on("error", (error) => this.destroy(error));
    inner.on("close", () => {
      if (!this.destroyed && !this.#open) this.destroy(tunnelError({ message: `the host's network proxy closed the connection to ${to.host}:${to.port}` }, to));
    });
    inner.on("timeout", () => this.emit("timeout"));
  }

  override _read(): void {
    this.#inner.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#open) this.#inner.write(chunk, callback);
    else this.#queued.push({ chunk, callback });
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#inner.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#inner.destroy();
    callback(error);
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.#inner.setTimeout(ms);
    if (callback) this.once("timeout", callback);
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  ref(): this {
    this.#inner.ref();
    return this;
  }

  unref(): this {
    this.#inner.unref();
    return this;
  }

  address(): Record<string, never> {
    return {};
  }
}
