/**
 * The client against servers that authenticate: it finds its keys in the STUI home, and when a
 * server will not let it in (it never answers such a peer) the call fails cleanly with
 * ECONNECTION and a sentence saying what to check — never with a secret in it.
 *
 *   connect() ──CURVE (keys from STUI_HOME)──▶ startTestServer() (authorized_keys of the home)
 *   connect({ curve: stranger }) ──▶ ZAP 400 ──▶ ECONNECTION "is this client's key authorized?"
 */
import { chmodSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { startTestServer, temporaryStuiHome, type TemporaryStuiHome, type TestServer } from "@stui/testkit";
import { connect, isAuthenticationError, isStuiError, type StuiClient } from "./index.js";
import { KEY_FILES, clientKeysFor, readKeyPair } from "./keys/index.js";
import { caught } from "./test-support.js";

const MODES = ["lockstep", "pipelined"] as const;
const servers: TestServer[] = [];
const clients: StuiClient[] = [];
const homes: TemporaryStuiHome[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const h of homes.splice(0)) h.remove();
});

async function serve(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const server = await startTestServer(options);
  servers.push(server);
  return server;
}

async function open(options: Parameters<typeof connect>[0]): Promise<StuiClient> {
  const client = await connect(options);
  clients.push(client);
  return client;
}

describe.each(MODES)("authentication, %s", (mode) => {
  it("finds its keys in the STUI home and reports its public key", async () => {
    const server = await serve();
    const client = await open({ endpoint: server.endpoint, mode });
    expect((await client.ping()).status).toBe("running");
    expect(client.publicKey).toBe(clientKeysFor(server.endpoint).publicKey);
  });

  it("with a key the server does not authorize, fails at once with ECONNECTION saying so, and nothing runs", async () => {
    const server = await serve();
    const stranger = zmq.curveKeyPair();
    const client = await open({ endpoint: server.endpoint, mode, timeoutMs: 10_000, curve: { ...clientKeysFor(server.endpoint), ...stranger } });
    const started = performance.now();
    const error = await caught(client.openSession());
    expect(performance.now() - started).toBeLessThan(5_000); // the refusal, not the 10 s timeout × 3
    expect(isStuiError(error, "ECONNECTION")).toBe(true);
    expect(isAuthenticationError(error) && error.reason).toBe("refused");
    const message = (error as Error).message;
    expect(message).toContain(`session.create: no answer from ${server.endpoint}: the server refused this client's key`);
    expect(message).toContain("is this client's key authorized?");
    expect(message).toContain(`stui keys authorize '${stranger.publicKey}'`);
    expect(message).not.toContain(stranger.secretKey);
    expect(server.calls).toHaveLength(0);
    expect(server.sessions.size).toBe(0);
    // The server hears of the failed handshake through its own socket's events, a moment apart from the client.
    await expect.poll(() => server.securityStats().rejectedPeers, { timeout: 5000 }).toBeGreaterThan(0);
  });

  it("with the wrong server key, fails after three failed handshakes, long before its timeout, naming where the key came from", async () => {
    const server = await serve();
    const client = await open({ endpoint: server.endpoint, mode, timeoutMs: 10_000, curve: { ...clientKeysFor(server.endpoint), serverKey: zmq.curveKeyPair().publicKey } });
    const started = performance.now();
    const error = await caught(client.ping());
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(isStuiError(error, "ECONNECTION")).toBe(true);
    expect(isAuthenticationError(error) && error.reason).toBe("handshake");
    expect((error as Error).message).toMatch(/ping: no answer from .*: the CURVE handshake failed .* is the server key right\? It came from the curve option of connect\(\)/);
    expect(server.requestCount).toBe(0);
  });

  it("without keys (curve: false), is told the server requires authentication", async () => {
    const server = await serve();
    const client = await open({ endpoint: server.endpoint, mode, timeoutMs: 10_000, curve: false });
    const error = await caught(client.ping());
    expect(isStuiError(error, "ECONNECTION")).toBe(true);
    expect(isAuthenticationError(error) && error.reason).toBe("handshake");
    // libzmq reports a mechanism mismatch, or only that the server hung up: both messages say why.
    expect((error as Error).message).toContain("this client connected without keys (curve: false)");
    expect(client.publicKey).toBeUndefined();
  });

  it("with keys, does not fall back to talking to a server without authentication", async () => {
    const server = await serve({ authentication: "none" });
    const client = await open({ endpoint: server.endpoint, mode, timeoutMs: 10_000 });
    const error = await caught(client.ping());
    expect((error as Error).message).toMatch(/the server does not use CURVE authentication|A server started without authentication fails this way too/);
    expect(server.requestCount).toBe(0);
    const plain = await open({ endpoint: server.endpoint, mode, curve: false });
    expect((await plain.ping()).status).toBe("running");
  });
});

describe("keys the client cannot use", () => {
  it("refuses a secret key others can read, before connecting, with ECONNECTION naming the file", async () => {
    const home = temporaryStuiHome();
    homes.push(home);
    const secret = path.join(home.path, KEY_FILES.clientSecret);
    const { secretKey } = readKeyPair(home.path, "client");
    chmodSync(secret, 0o604);
    const error = await caught(connect({ endpoint: "tcp://127.0.0.1:1", home: home.path }));
    expect(isStuiError(error, "ECONNECTION")).toBe(true);
    expect(isAuthenticationError(error) && error.reason).toBe("keys");
    expect((error as Error).message).toContain(`cannot use this client's keys: permissions 0604 for ${secret} are too open`);
    expect((error as Error).message).not.toContain(secretKey);
  });
});

describe("no server at all", () => {
  it("is ECONNECTION but not an authentication error: nothing answered, so nothing refused the key", async () => {
    const client = await open({ endpoint: "tcp://127.0.0.1:1", timeoutMs: 300, retries: 0 });
    const error = await caught(client.ping());
    expect(isStuiError(error, "ECONNECTION") || isStuiError(error, "ETIMEOUT")).toBe(true);
    expect(isAuthenticationError(error)).toBe(false);
  });
});
