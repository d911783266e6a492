/**
 * Helpers for the client's own tests: transports to loop over, unique loopback addresses, and
 * small raw ZeroMQ servers that are TEST DOUBLES — they speak just enough of the wire to script
 * a situation the reference server (@stui/testkit) will not produce on purpose: garbage replies,
 * dropped replies, a REP socket. They never pretend to be Pharo: every identity they report says
 * "test double". Not exported from the package.
 *
 * Like real servers, the doubles are CURVE servers with the STUI home's server key (the test's
 * temporary STUI_HOME), so connect() reaches them with its usual keys. They have no ZAP handler,
 * so they take any client key: authentication itself is tested against the reference server.
 */
import * as zmq from "zeromq";
import { readKeyPair, stuiHome } from "./keys/index.js";

export const TRANSPORTS = ["tcp", "ipc"] as const;
export type TransportName = (typeof TRANSPORTS)[number];

export { freePort, uniqueAddress } from "@stui/testkit";

/** The identity test doubles report where the protocol asks for one. */
export const DOUBLE_IDENTITY = { name: "client-test-double", version: "0", implementation: "test double (not Pharo)" } as const;

/** A ping result from a test double (shape only; nothing measured). */
export function doublePingResult(echo?: string): Record<string, unknown> {
  return { ...(echo !== undefined ? { echo } : {}), status: "running", uptimeMs: 0, server: DOUBLE_IDENTITY, protocolVersions: ["1.0"], sessions: 0 };
}

/** Socket options of a double: a CURVE server with the home's server key (any client key gets in). */
function curveServer(): { curveServer: true; curveSecretKey: string } {
  return { curveServer: true, curveSecretKey: readKeyPair(stuiHome(), "server").secretKey };
}

/** What a scripted double's handler gets: the parsed request, if it parsed. */
export interface DoubleRequest {
  id: unknown;
  method: unknown;
  params: Record<string, unknown>;
  raw: string;
  /** The frames before the payload, as the server socket got them (ROUTER: identity first). */
  prefix: Buffer[];
}

/**
 * What a handler answers: an object (sent as JSON), a string (sent as is, e.g. garbage), or
 * undefined (no reply: the request is dropped).
 */
export type DoubleAnswer = object | string | undefined;
export type DoubleHandler = (request: DoubleRequest, n: number) => DoubleAnswer | Promise<DoubleAnswer>;

export interface RawDouble {
  readonly endpoint: string;
  /** Every request received, in order. */
  readonly received: DoubleRequest[];
  close(): Promise<void>;
}

function parse(raw: string, prefix: Buffer[]): DoubleRequest {
  try {
    const m = JSON.parse(raw) as { id?: unknown; method?: unknown; params?: Record<string, unknown> };
    return { id: m.id, method: m.method, params: m.params ?? {}, raw, prefix };
  } catch {
    return { id: undefined, method: undefined, params: {}, raw, prefix };
  }
}

/** A JSON-RPC success reply to `request` (for handlers). */
export function ok(request: DoubleRequest, result: object): object {
  return { jsonrpc: "2.0", id: request.id, result };
}

/**
 * A ROUTER test double that answers each request (concurrently) with what `handler` says,
 * echoing the routing frames it came with. `n` counts requests from 1.
 */
export async function startRouterDouble(endpoint: string, handler: DoubleHandler): Promise<RawDouble> {
  const socket = new zmq.Router({ linger: 0, ...curveServer() });
  await socket.bind(endpoint);
  const received: DoubleRequest[] = [];
  let sending = Promise.resolve();
  const loop = (async () => {
    for await (const frames of socket) {
      const payload = frames[frames.length - 1]!;
      const prefix = frames.slice(0, -1);
      const request = parse(payload.toString("utf8"), prefix);
      received.push(request);
      const n = received.length;
      void Promise.resolve(handler(request, n)).then((answer) => {
        if (answer === undefined || socket.closed) return;
        const text = typeof answer === "string" ? answer : JSON.stringify(answer);
        sending = sending.then(() => (socket.closed ? undefined : socket.send([...prefix, text]))).catch(() => undefined);
      });
    }
  })();
  return {
    endpoint: socket.lastEndpoint ?? endpoint,
    received,
    async close() {
      socket.close();
      await loop;
    },
  };
}

/** A REP test double: strictly one request, one reply (it cannot drop a reply and go on). */
export async function startRepDouble(endpoint: string, handler: (request: DoubleRequest, n: number) => object): Promise<RawDouble> {
  const socket = new zmq.Reply({ linger: 0, ...curveServer() });
  await socket.bind(endpoint);
  const received: DoubleRequest[] = [];
  const loop = (async () => {
    for await (const [payload] of socket) {
      const request = parse(payload!.toString("utf8"), []);
      received.push(request);
      await socket.send(JSON.stringify(handler(request, received.length)));
    }
  })().catch(() => undefined); // a send racing close() is the only way here
  return {
    endpoint: socket.lastEndpoint ?? endpoint,
    received,
    async close() {
      socket.close();
      await loop;
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The rejection of `p`; fails the test if `p` fulfils. */
export async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

/** A ROUTER test double that takes the first request, never answers it, and closes soon after: a server dying mid-request. */
export async function startDyingRouterDouble(endpoint: string): Promise<RawDouble> {
  const holder: { double?: RawDouble } = {};
  holder.double = await startRouterDouble(endpoint, () => {
    setTimeout(() => void holder.double?.close(), 10);
    return undefined;
  });
  return holder.double;
}
