// Network attacks, observed from outside: the reference server's message count must not move,
// listeners on the host must accept nothing, a UDP "DNS server" must receive nothing, and a
// port the script listened on must not be reachable from the host.
//
// The servers authenticate (CURVE), so hand-written ZMTP without a key would be ignored by them
// anyway: the sandbox must hold on its own. So every attack on a server is made twice, against an
// authenticated server and against one started with authentication "none" (loopback only), which
// answers anyone who reaches it; the control shows the same script, unsandboxed, does get an
// answer from the no-auth server (the attack is real) and nothing from the authenticated one.
//
//   hostile script ──(raw TCP / ZMTP, tcp_wrap, worker, python3)──╳──▶ servers (curve, none), listener
//   unsandboxed control ──ZMTP/NULL──▶ server (none): answer;  ──▶ server (curve): nothing
//   host test ──connect──╳──▶ the port the script "listens" on

import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createConnection, createServer, type Server } from "node:net";
import path from "node:path";
import { freePort, startTestServer, type TestServer } from "@stui/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../packages/plugins/src/exit-codes.js";
import { FULL, ISOLATION, OS_ALONE, at, atOsAlone, hostile, results, runHostile, tempDir, until } from "./harness.js";

interface Counter {
  server: Server;
  port: number;
  accepted: number;
}

async function tcpCounter(): Promise<Counter> {
  const counter: Counter = { server: createServer((s) => (counter.accepted++, s.destroy())), port: 0, accepted: 0 };
  await new Promise<void>((resolve) => counter.server.listen(0, "127.0.0.1", resolve));
  counter.port = (counter.server.address() as { port: number }).port;
  return counter;
}

/** The servers the scripts attack: one of each authentication, over tcp and over ipc. */
const AUTHENTICATIONS = ["curve", "none"] as const;
type Servers = Record<(typeof AUTHENTICATIONS)[number], TestServer>;
let tcpServers: Servers;
let ipcServers: Servers;
let listener: Counter;

async function serversOn(endpoint: (authentication: string) => string): Promise<Servers> {
  const [curve, none] = await Promise.all(AUTHENTICATIONS.map((authentication) => startTestServer({ endpoint: endpoint(authentication), authentication })));
  return { curve: curve!, none: none! };
}

beforeAll(async () => {
  tcpServers = await serversOn(() => "tcp://127.0.0.1:*");
  const dir = tempDir();
  ipcServers = await serversOn((authentication) => `ipc://${path.join(dir, `stui-${authentication}.sock`)}`);
  listener = await tcpCounter();
});
afterAll(async () => {
  for (const server of [...Object.values(tcpServers ?? {}), ...Object.values(ipcServers ?? {})]) await server.close();
  await new Promise((r) => listener.server.close(r));
});

const tcpPort = (server: TestServer): string => new URL(server.endpoint.replace("tcp://", "http://")).port;
const ipcPath = (server: TestServer): string => server.endpoint.slice("ipc://".length);

describe("raw sockets to the STUI server, past the host", () => {
  for (const [config, layers] of [["production", undefined], ["OS alone", OS_ALONE]] as const) {
    const name = config === "production" ? at : atOsAlone;
    for (const authentication of AUTHENTICATIONS) {
      it.skipIf(config === "OS alone" && !FULL)(name(`ZMTP over raw TCP reaches neither the server (tcp, authentication ${authentication}) nor a listener`), async () => {
        const server = tcpServers[authentication];
        const before = server.requestCount;
        const rejected = server.securityStats().rejectedPeers;
        const accepted = listener.accepted;
        const r = await runHostile(hostile("raw-zmtp.ts"), { args: [tcpPort(server), String(listener.port)], testLayers: layers });
        expect(r.summary.isolation?.level).toBe(ISOLATION.level);
        const seen = results(r.stdout);
        expect(Object.keys(seen)).toEqual(["zmtp", "tcp", "tcp_wrap", "worker", "python3"]);
        for (const [label, result] of Object.entries(seen)) expect(`${label}: ${result}`).not.toMatch(/: OPEN/);
        expect(server.requestCount).toBe(before);
        // Not even a handshake reached it: the connection never left the sandbox.
        expect(server.securityStats().rejectedPeers).toBe(rejected);
        expect(listener.accepted).toBe(accepted);
      });

      it.skipIf(config === "OS alone" && !FULL)(name(`ZMTP over the server's ipc:// socket file does not reach it (authentication ${authentication})`), async () => {
        const server = ipcServers[authentication];
        const before = server.requestCount;
        const rejected = server.securityStats().rejectedPeers;
        const r = await runHostile(hostile("raw-zmtp.ts"), { args: [ipcPath(server), String(listener.port)], testLayers: layers });
        expect(results(r.stdout).zmtp).toBeDefined();
        expect(results(r.stdout).zmtp).not.toMatch(/^OPEN/);
        expect(server.requestCount).toBe(before);
        expect(server.securityStats().rejectedPeers).toBe(rejected);
      });
    }
  }

  // Proves the hostile script is real: unisolated, its hand-written ZMTP gets an answer from the
  // server that runs without authentication, and its TCP reaches the listener. The same bytes to
  // the authenticated server get nothing and are counted as a rejected peer: CURVE holds even
  // where the sandbox is not there (the second, independent boundary).
  it("control: with no isolation and no inner layers, the same script reaches the no-auth server (tcp and ipc) and the listener, and is refused by the authenticated one", async () => {
    const plain = tcpServers.none;
    const before = plain.requestCount;
    const accepted = listener.accepted;
    const r = await runHostile(hostile("raw-zmtp.ts"), { args: [tcpPort(plain), String(listener.port)], isolation: "permission-model", testLayers: OS_ALONE });
    expect(results(r.stdout).zmtp).toMatch(/^OPEN server answered \{"jsonrpc":"2.0"/);
    expect(plain.requestCount).toBeGreaterThan(before);
    expect(results(r.stdout).tcp).toBe("OPEN connected");
    expect(listener.accepted).toBeGreaterThan(accepted);

    const plainIpc = ipcServers.none;
    const ipcBefore = plainIpc.requestCount;
    const overIpc = await runHostile(hostile("raw-zmtp.ts"), { args: [ipcPath(plainIpc), String(listener.port)], isolation: "permission-model", testLayers: OS_ALONE });
    expect(results(overIpc.stdout).zmtp).toMatch(/^OPEN server answered \{"jsonrpc":"2.0"/);
    expect(plainIpc.requestCount).toBeGreaterThan(ipcBefore);

    const secured = tcpServers.curve;
    const securedBefore = secured.requestCount;
    const rejected = secured.securityStats().rejectedPeers;
    const refused = await runHostile(hostile("raw-zmtp.ts"), { args: [tcpPort(secured), String(listener.port)], isolation: "permission-model", testLayers: OS_ALONE });
    expect(results(refused.stdout).zmtp).toBeDefined();
    expect(results(refused.stdout).zmtp).not.toMatch(/^OPEN/);
    expect(secured.requestCount).toBe(securedBefore);
    await until(() => secured.securityStats().rejectedPeers > rejected, "the authenticated server to count the refused handshake");
  });
});

describe("listening, UDP and DNS", () => {
  let udp: UdpSocket;
  let dnsServer: UdpSocket;
  let datagrams = 0;
  let queries = 0;
  beforeAll(async () => {
    udp = createSocket("udp4", () => datagrams++);
    dnsServer = createSocket("udp4", () => queries++);
    await new Promise<void>((r) => udp.bind(0, "127.0.0.1", r));
    await new Promise<void>((r) => dnsServer.bind(0, "127.0.0.1", r));
  });
  afterAll(() => {
    udp.close();
    dnsServer.close();
  });

  const canConnect = (port: number): Promise<boolean> =>
    new Promise((resolve) => {
      const s = createConnection(port, "127.0.0.1");
      s.on("connect", () => (s.destroy(), resolve(true)));
      s.on("error", () => resolve(false));
    });

  for (const [config, layers] of [["production", undefined], ["OS alone", OS_ALONE]] as const) {
    const name = config === "production" ? at : atOsAlone;
    it.skipIf(config === "OS alone" && !FULL)(name("a port the script listens on is not reachable from the host; its datagrams and DNS queries arrive nowhere"), async () => {
      const port = await freePort();
      const d = datagrams;
      const q = queries;
      let reachable: boolean | undefined;
      const controller = new AbortController();
      const run = runHostile(hostile("listen-udp-dns.ts"), {
        args: [String(port), String((udp.address() as { port: number }).port), String((dnsServer.address() as { port: number }).port)],
        testLayers: layers,
        signal: controller.signal,
        onStdout: (text) => {
          if (reachable === undefined && text.includes("LISTENING")) {
            reachable = false;
            void canConnect(port).then((ok) => {
              reachable = ok;
              controller.abort();
            });
          }
        },
      });
      const r = await run;
      expect(r.stdout).toContain("LISTENING");
      expect(reachable).toBe(false);
      // The datagrams were sent (or refused) before LISTENING; give the loopback a moment to deliver.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(datagrams).toBe(d);
      expect(queries).toBe(q);
    });
  }

  it("control: with no isolation and no inner layers, the datagram does arrive", async () => {
    const d = datagrams;
    const controller = new AbortController();
    await runHostile(hostile("listen-udp-dns.ts"), {
      args: [String(await freePort()), String((udp.address() as { port: number }).port), String((dnsServer.address() as { port: number }).port)],
      isolation: "permission-model",
      testLayers: OS_ALONE,
      signal: controller.signal,
      onStdout: (text) => {
        if (text.includes("LISTENING")) controller.abort();
      },
    });
    await until(() => datagrams > d, "the control datagram");
    expect(datagrams).toBeGreaterThan(d);
  });
});

describe("abstract unix sockets (per network namespace)", () => {
  let abstract: Server;
  let accepted = 0;
  const name = `stui-sec-${process.pid}-${Date.now()}`;
  beforeAll(async () => {
    abstract = createServer((s) => (accepted++, s.destroy()));
    await new Promise<void>((r) => abstract.listen(`\0${name}`, r));
  });
  afterAll(() => new Promise((r) => abstract.close(r)));

  it.skipIf(!FULL)(atOsAlone("a host service on an abstract socket is not reachable"), async () => {
    const r = await runHostile(hostile("abstract-socket.ts"), { args: [name], testLayers: OS_ALONE });
    expect(results(r.stdout).abstract).toBeDefined();
    expect(results(r.stdout).abstract).not.toMatch(/^OPEN/);
    expect(accepted).toBe(0);
    expect(r.summary.exitCode).toBe(EXIT.ok);
  });

  it("control: with no isolation and no inner layers, it is", async () => {
    const before = accepted;
    const r = await runHostile(hostile("abstract-socket.ts"), { args: [name], isolation: "permission-model", testLayers: OS_ALONE });
    expect(results(r.stdout).abstract).toBe("OPEN connected");
    expect(accepted).toBeGreaterThan(before);
  });
});
