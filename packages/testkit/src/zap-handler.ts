/**
 * The ZAP handler (ZeroMQ RFC 27) of the test servers of this process.
 *
 * libzmq asks a ZAP handler whether a peer may in: during each CURVE handshake it sends a
 * request to whatever socket is bound to `inproc://zeromq.zap.01` *in the same context* and waits
 * for the answer. There can be one such socket per context, so every test server of this process
 * makes its sockets in one private context (not zeromq.js's global one, which other code in the
 * process may use) and this one handler answers for all of them, by ZAP domain: each server sets
 * its own domain on its socket and registers who may in under it.
 *
 *   client ──CURVE HELLO/INITIATE──▶ server ROUTER (zapDomain "stui-test-server/3")
 *                                        │ libzmq, in the context's I/O thread
 *                                        ▼
 *           inproc://zeromq.zap.01 ◀── [version "1.0", request id, domain, address, routing id,
 *           (this ROUTER)                "CURVE", client public key (32 bytes)]
 *                                   ──▶ [version, request id, "200" | "400", text, user id, metadata]
 *
 * The servers also set ZMQ_ZAP_ENFORCE_DOMAIN: without it, libzmq lets every client in when no
 * handler is bound (RFC 27 says a missing handler means "allow").
 */
import * as zmq from "zeromq";
import { z85Encode } from "@stui/client/keys";

/** Who may in under one domain: the client's public key (Z85) → a user id to allow it, undefined to deny it. */
export type ZapPolicy = (clientKey: string) => string | undefined;

export const ZAP_ENDPOINT = "inproc://zeromq.zap.01";

let context: zmq.Context | undefined;

/** The private context every test server of this process makes its sockets in. */
export function serverContext(): zmq.Context {
  context ??= new zmq.Context({ blocky: false });
  return context;
}

/**
 * Answers one ZAP request (the frames after the ROUTER's routing id and delimiter): 200 when the
 * domain's policy knows the CURVE key, 400 for anything else (unknown domain, another mechanism,
 * a malformed request). Never throws.
 */
export function answerZap(request: Buffer[], policies: ReadonlyMap<string, ZapPolicy>): (Buffer | string)[] {
  const [version, requestId, domain, , , mechanism, ...credentials] = request;
  const reply = (status: "200" | "400", text: string, userId = ""): (Buffer | string)[] => ["1.0", requestId ?? "", status, text, userId, ""];
  if (version?.toString() !== "1.0" || request.length < 6) return reply("400", "malformed ZAP request");
  if (mechanism?.toString() !== "CURVE" || credentials.length !== 1 || credentials[0]!.length !== 32) {
    return reply("400", "only CURVE clients are served");
  }
  const policy = policies.get(domain?.toString() ?? "");
  if (!policy) return reply("400", "unknown ZAP domain");
  const userId = policy(z85Encode(credentials[0]!));
  return userId === undefined ? reply("400", "client key not authorized") : reply("200", "OK", userId);
}

/**
 * The shared handler. `acquire` binds it for the first server, `release` closes it after the
 * last (a socket waiting to receive keeps Node's event loop alive).
 */
export class ZapHandler {
  private static shared: Promise<ZapHandler> | undefined;
  private static users = 0;

  private readonly policies = new Map<string, ZapPolicy>();
  private readonly loop: Promise<void>;

  private constructor(private readonly socket: zmq.Router) {
    this.loop = this.serve();
  }

  static async acquire(): Promise<ZapHandler> {
    ZapHandler.users++;
    ZapHandler.shared ??= ZapHandler.bind().then((socket) => new ZapHandler(socket));
    try {
      return await ZapHandler.shared;
    } catch (error) {
      ZapHandler.users--;
      ZapHandler.shared = undefined;
      throw error;
    }
  }

  /** Binds the handler's socket; an endpoint still held by a handler closed a moment ago is waited for (up to a second). */
  private static async bind(): Promise<zmq.Router> {
    const deadline = Date.now() + 1000;
    for (;;) {
      const socket = new zmq.Router({ context: serverContext(), linger: 0 });
      try {
        await socket.bind(ZAP_ENDPOINT);
        return socket;
      } catch (error) {
        socket.close();
        if ((error as { code?: string }).code !== "EADDRINUSE" || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  }

  register(domain: string, policy: ZapPolicy): void {
    if (this.policies.has(domain)) throw new Error(`ZAP domain ${domain} is already registered`);
    this.policies.set(domain, policy);
  }

  /** Forgets a domain and lets go of the handler; the last server to go closes it. */
  async release(domain: string): Promise<void> {
    this.policies.delete(domain);
    if (--ZapHandler.users > 0) return;
    ZapHandler.shared = undefined;
    this.socket.close();
    await this.loop;
  }

  private async serve(): Promise<void> {
    try {
      for await (const [routingId, delimiter, ...request] of this.socket) {
        if (routingId === undefined || delimiter === undefined) continue;
        await this.socket.send([routingId, delimiter, ...answerZap(request, this.policies)]);
      }
    } catch (error) {
      // Closing the socket ends the loop; anything else means handshakes now fail (enforced domain): say so.
      if (!this.socket.closed) process.emitWarning(`the STUI test servers' ZAP handler stopped: ${(error as Error).message}; no client can authenticate now`);
    }
  }
}
