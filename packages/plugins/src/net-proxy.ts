// The only way out of the sandbox's network namespace, and only with --allow-net: a proxy in the
// host on a unix socket that the sandbox sees as a file (/stui/net.sock). A script's connection
// (net.connect, tls.connect, http(s), fetch — redirected by sandbox/net-tunnel.ts) asks for one
// destination; the proxy checks it against the grants here, in the host, resolves the name
// itself, refuses the STUI server's own endpoint whatever is granted (the script reaches Pharo
// only through the broker; with authentication on it would also lack the keys), connects, and
// then only copies bytes. A script that skips the tunnel and speaks to the socket by hand gets
// exactly the same checks: the decision is never the script's.
//
//   sandbox: fetch("https://x:443") ─▶ /stui/net.sock ─{"host":"x","port":443}\n─▶ host proxy
//            ◀── {"ok":true}\n, then the TLS bytes, both ways ──────────────────── ─▶ x:443

import { lookup } from "node:dns/promises";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { canonicalAddress, canonicalHost, isThisMachine } from "./ip-address.js";
import { deniedAddress, netDecision, type NetRules } from "./os-grants.js";

/** The first line a connection sends, at most this long. */
const MAX_REQUEST_BYTES = 1024;
/** How long a connection may take to say where it goes. */
const REQUEST_LIMIT_MS = 10_000;
/** How long connecting to the destination may take. */
const CONNECT_LIMIT_MS = 30_000;
/** Connections open at once. */
const MAX_CONNECTIONS = 64;

export interface NetEvent {
  host: string;
  port: number;
  ok: boolean;
  /** Why it was refused (a grant missing, the STUI endpoint) or failed (ECONNREFUSED …). */
  why?: string;
  /** True when the grants refused it (not a network failure). */
  denied?: boolean;
}

export interface NetProxy {
  /** The unix socket, on the host. */
  readonly socket: string;
  /** Every destination asked for, in order. */
  readonly events: readonly NetEvent[];
  close(): Promise<void>;
}

export interface ProxyOptions {
  rules: NetRules;
  /** The STUI server's endpoint (tcp://host:port): never reachable through the proxy. */
  endpoint?: string | undefined;
  /** The run's private folder, where the socket is made (never under a grant); default a new folder in the temporary folder. */
  dir?: string | undefined;
}

export async function startNetProxy(options: ProxyOptions): Promise<NetProxy> {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), "stui-net-"));
  const socketPath = path.join(dir, "net.sock");
  const events: NetEvent[] = [];
  const open = new Set<Socket>();
  const protectedPort = /^tcp:\/\/.*:(\d+)$/.exec(options.endpoint ?? "")?.[1];
  const endpointHost = /^tcp:\/\/\[?([^\]]+?)\]?:\d+$/.exec(options.endpoint ?? "")?.[1];
  // Every address compared here is in its one spelling (ip-address.ts), never as the script wrote it.
  const endpointAddresses = endpointHost ? await lookup(endpointHost, { all: true }).then((r) => r.map((a) => canonicalHost(a.address)), () => [canonicalHost(endpointHost)]) : [];

  const refuse = (client: Socket, event: NetEvent, code: string): void => {
    events.push(event);
    client.end(`${JSON.stringify({ ok: false, code, message: event.why })}\n`);
  };

  const serve = async (client: Socket, host: string, port: number): Promise<void> => {
    const decision = netDecision(options.rules, host, port);
    if (!decision.ok) return refuse(client, { host, port, ok: false, why: `permission denied: ${decision.why}`, denied: true }, "ERR_ACCESS_DENIED");
    let addresses: string[];
    const literal = canonicalAddress(host);
    try {
      addresses = literal ? [literal] : (await lookup(host, { all: true })).map((a) => canonicalHost(a.address));
    } catch (error) {
      return refuse(client, { host, port, ok: false, why: `cannot resolve ${host}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` }, "ENOTFOUND");
    }
    const denied = deniedAddress(options.rules, host, addresses, port);
    if (denied) return refuse(client, { host, port, ok: false, why: `permission denied: ${denied}`, denied: true }, "ERR_ACCESS_DENIED");
    if (protectedPort !== undefined && String(port) === protectedPort && addresses.some((a) => isThisMachine(a) || endpointAddresses.includes(a))) {
      return refuse(client, { host, port, ok: false, why: `permission denied: ${host}:${port} is the STUI server's endpoint, which a script reaches only through the host's checks (stui.client), never directly`, denied: true }, "ERR_ACCESS_DENIED");
    }
    // Connect to the address that was checked (not the name again: no second lookup to race).
    const remote = createConnection({ host: addresses[0]!, port });
    remote.setTimeout(CONNECT_LIMIT_MS, () => remote.destroy(new Error("connect timed out")));
    remote.once("error", (error: NodeJS.ErrnoException) => {
      if (remote.readyState === "opening") refuse(client, { host, port, ok: false, why: `cannot connect to ${host}:${port}: ${error.code ?? error.message}` }, error.code ?? "ECONNREFUSED");
      else client.destroy();
    });
    remote.once("connect", () => {
      remote.setTimeout(0);
      events.push({ host, port, ok: true });
      client.write(`${JSON.stringify({ ok: true })}\n`);
      client.pipe(remote);
      remote.pipe(client);
      remote.on("error", () => client.destroy());
      client.on("error", () => remote.destroy());
      client.on("close", () => remote.destroy());
      remote.on("close", () => client.destroy());
    });
  };

  const server: Server = createServer((client) => {
    if (open.size >= MAX_CONNECTIONS) {
      client.end(`${JSON.stringify({ ok: false, code: "EMFILE", message: `more than ${MAX_CONNECTIONS} connections at once` })}\n`);
      return;
    }
    open.add(client);
    client.on("close", () => open.delete(client));
    client.on("error", () => client.destroy());
    client.setTimeout(REQUEST_LIMIT_MS, () => client.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const newline = head.indexOf(10);
      if (newline < 0) {
        if (head.length > MAX_REQUEST_BYTES) client.destroy();
        return;
      }
      client.off("data", onData);
      client.pause();
      client.setTimeout(0);
      const rest = head.subarray(newline + 1);
      let request: { host?: unknown; port?: unknown };
      try {
        request = JSON.parse(head.subarray(0, newline).toString("utf8")) as { host?: unknown; port?: unknown };
      } catch {
        client.destroy();
        return;
      }
      const { host, port } = request;
      if (typeof host !== "string" || host.length === 0 || host.length > 253 || !Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) {
        client.destroy();
        return;
      }
      if (rest.length > 0) client.unshift(rest);
      void serve(client, host.toLowerCase().replace(/^\[(.*)\]$/, "$1"), port as number);
    };
    client.on("data", onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    socket: socketPath,
    events,
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (options.dir) rmSync(socketPath, { force: true });
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}
