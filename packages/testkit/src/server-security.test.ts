/**
 * How the reference server authenticates: CURVE with the STUI home's keys and authorized_keys
 * (read again when it changes), "none" only on loopback and loudly, the ZAP answers, and the
 * count of rejected peers. The attacks every server must withstand are in
 * test/conformance/authentication.test.ts.
 */
import { chmodSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as zmq from "zeromq";
import { KEY_FILES, authorizeClient, clientKeysFor, readKeyPair, revokeClient, z85Decode } from "@stui/client/keys";
import type { CurveKeys } from "@stui/client";
import { ClientPool, envelope, expectResult, uniqueEndpoint } from "../../../test/helpers/index.js";
import { isLoopbackEndpoint, startTestServer, temporaryStuiHome, type TemporaryStuiHome, type TestServer } from "./index.js";
import { answerZap } from "./zap-handler.js";

const clients = new ClientPool();
const servers: TestServer[] = [];
const homes: TemporaryStuiHome[] = [];

afterEach(async () => {
  clients.closeAll();
  await Promise.all(servers.splice(0).map((server) => server.close()));
  for (const home of homes.splice(0)) home.remove();
  vi.restoreAllMocks();
});

function home(): TemporaryStuiHome {
  const h = temporaryStuiHome();
  homes.push(h);
  return h;
}

async function serve(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const server = await startTestServer({ endpoint: uniqueEndpoint("tcp"), ...options });
  servers.push(server);
  return server;
}

/** Pings with these keys; answers whether a reply came within 400 ms. */
async function answered(server: TestServer, curve: CurveKeys | false): Promise<boolean> {
  const client = clients.open(server.endpoint, "dealer+delimiter", { curve, receiveTimeoutMs: 400 });
  await client.send(envelope("ping"));
  try {
    expectResult(JSON.parse((await client.receiveFrames()).at(-1)!.toString()), "ping");
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === "EAGAIN") return false;
    throw error;
  }
}

describe("isLoopbackEndpoint", () => {
  it.each([
    ["tcp://127.0.0.1:5555", true],
    ["tcp://127.8.9.10:*", true],
    ["tcp://localhost:5555", true],
    ["tcp://[::1]:5555", true],
    ["ipc:///tmp/stui.sock", true],
    ["inproc://stui", true],
    ["tcp://0.0.0.0:5555", false],
    ["tcp://*:5555", false],
    ["tcp://192.168.1.2:5555", false],
    ["tcp://128.0.0.1:5555", false],
    ["tcp://127.0.0.256:5555", false],
    ["tcp://lo:5555", false],
    ["tcp://127.0.0.1", false],
  ])("%s → %s", (endpoint, loopback) => {
    expect(isLoopbackEndpoint(endpoint)).toBe(loopback);
  });
});

describe("authentication \"curve\" (the default)", () => {
  it("lets in the home's own client key and reports curve with no rejected peers", async () => {
    const server = await serve();
    expect(await answered(server, clientKeysFor(server.endpoint))).toBe(true);
    expect(server.securityStats()).toEqual({ authentication: "curve", rejectedPeers: 0 });
  });

  it("reads authorized_keys again when it changes: authorize lets a new client in, revoke shuts it out", async () => {
    const server = await serve();
    const stranger = zmq.curveKeyPair();
    const keys = { ...clientKeysFor(server.endpoint), ...stranger };
    expect(await answered(server, keys)).toBe(false);
    authorizeClient(stranger.publicKey, "a second machine");
    expect(await answered(server, keys)).toBe(true);
    revokeClient("a second machine");
    expect(await answered(server, keys)).toBe(false);
    expect(server.securityStats().rejectedPeers).toBeGreaterThanOrEqual(2);
  });

  it("keeps the servers of one process apart: each lets in only its own home's clients", async () => {
    const [a, b] = [home(), home()];
    const serverA = await serve({ home: a.path });
    const serverB = await serve({ home: b.path });
    expect(await answered(serverA, clientKeysFor(serverA.endpoint, a.path))).toBe(true);
    // B's client, given A's server key, is still not one A authorizes.
    expect(await answered(serverA, { ...clientKeysFor(serverA.endpoint, b.path), serverKey: readKeyPair(a.path, "server").publicKey })).toBe(false);
    expect(await answered(serverB, clientKeysFor(serverB.endpoint, b.path))).toBe(true);
  });

  it("refuses to start with a secret key others can read, naming the file", async () => {
    const h = home();
    const secret = path.join(h.path, KEY_FILES.serverSecret);
    chmodSync(secret, 0o644);
    await expect(startTestServer({ home: h.path })).rejects.toThrow(`permissions 0644 for ${secret} are too open`);
  });

  it("refuses to start with an authorized_keys others can write", async () => {
    const h = home();
    chmodSync(path.join(h.path, KEY_FILES.authorizedKeys), 0o662);
    await expect(startTestServer({ home: h.path })).rejects.toThrow(/authorized_keys let others change it/);
  });

  it("refuses an authentication it does not know", async () => {
    await expect(startTestServer({ authentication: "plain" as never })).rejects.toThrow(/must be "curve" or "none"/);
  });
});

describe("authentication \"none\"", () => {
  it.each(["tcp://0.0.0.0:*", "tcp://*:*"])("is refused on %s (beyond loopback)", async (endpoint) => {
    await expect(startTestServer({ endpoint, authentication: "none" })).rejects.toThrow(/refusing to bind .* without authentication/);
  });

  it("serves clients without keys on loopback, with a warning, and turns CURVE clients away", async () => {
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    const server = await serve({ authentication: "none" });
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/WITHOUT AUTHENTICATION: every local user can drive it/);
    expect(await answered(server, false)).toBe(true);
    expect(await answered(server, clientKeysFor(server.endpoint))).toBe(false); // no silent downgrade
    expect(server.securityStats().authentication).toBe("none");
  });
});

describe("answerZap (RFC 27)", () => {
  const key = zmq.curveKeyPair().publicKey;
  const policies = new Map([["d", (k: string) => (k === key ? "ada" : undefined)]]);
  const request = (mechanism: string, credentials: Buffer[], domain = "d", version = "1.0"): Buffer[] =>
    [...[version, "7", domain, "127.0.0.1", "", mechanism].map((s): Buffer => Buffer.from(s)), ...credentials];
  const status = (reply: (Buffer | string)[]): string => String(reply[2]);

  it("answers 200 with the user id for an authorized key, echoing version and request id", () => {
    const reply = answerZap(request("CURVE", [Buffer.from(z85Decode(key))]), policies);
    expect(reply.map(String)).toEqual(["1.0", "7", "200", "OK", "ada", ""]);
  });

  it("answers 400 to everything else", () => {
    const other = Buffer.from(z85Decode(zmq.curveKeyPair().publicKey));
    expect(status(answerZap(request("CURVE", [other]), policies))).toBe("400");
    expect(status(answerZap(request("CURVE", [Buffer.from(z85Decode(key))], "another domain"), policies))).toBe("400");
    expect(status(answerZap(request("NULL", []), policies))).toBe("400");
    expect(status(answerZap(request("PLAIN", [Buffer.from("user"), Buffer.from("pass")]), policies))).toBe("400");
    expect(status(answerZap(request("CURVE", [Buffer.alloc(31)]), policies))).toBe("400");
    expect(status(answerZap(request("CURVE", [Buffer.from(z85Decode(key))], "d", "2.0"), policies))).toBe("400");
    expect(status(answerZap([Buffer.from("1.0")], policies))).toBe("400");
  });
});
