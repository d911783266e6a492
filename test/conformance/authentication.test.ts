/**
 * Conformance, authentication: a STUI server answers only clients whose CURVE key it authorizes.
 * Every peer that cannot authenticate gets nothing — no reply, no work — and is counted.
 *
 * Attacks from outside, observed from outside: each attacker sends a real request and must hear
 * nothing back (its socket's receive times out); then an authorized client of protocol 1.1 reads
 * the server's own count in system.info's `security` section, which must have grown, with
 * `authentication: "curve"`. On the reference server the call log, the message count and the
 * sessions must not move during the attack either. Against an external server
 * (`npm run test:conformance`, the Pharo server in CI) the silence and the security section are
 * what can be observed.
 *
 *   no key (NULL) ──────────────┐
 *   a key not authorized ───────┤
 *   the wrong server key ───────┼──▶ server: handshake fails ──▶ nothing back; rejectedPeers + 1
 *   raw TCP speaking ZMTP/NULL ─┘
 *   the authorized key ─────────────▶ server: reply
 *   authorized 1.1 client ──system.info {sections: [security]}──▶ { authentication: "curve", rejectedPeers }
 *   authorized 1.0 client (generated from the 1.0 release) ──▶ never a security section
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { clientKeysFor } from "@stui/client/keys";
import { connect, connectWith, type CurveKeys, type GeneratedProtocol, type StuiClient, type StuiClientControls } from "@stui/client";
import { PROTOCOL_VERSION, type SystemInfoResult } from "@stui/client/protocol";
import { startTestServer, type TestHandlers } from "@stui/testkit";
import * as released10 from "../fixtures/clients/1.0/index.js";
import {
  ClientPool,
  TRANSPORTS,
  envelope,
  expectError,
  expectResult,
  hostAndPort,
  openTarget,
  rawZmtpRequest,
  targetPlans,
  type Target,
} from "../helpers/index.js";

/** How long an attacker listens for a reply that must not come (the server answers a ping in ~1 ms). */
const SILENCE_MS = 500;

/**
 * The image sections of system.info, for the reference server, which has no image: a test double
 * that reads nothing. The security section is never scripted: the server answers it itself.
 */
const HANDLERS: TestHandlers = {
  "system.info": (params) => (params.sections?.includes("platform") ? { platform: { os: "test double: no image" } } : {}),
};

/** The client generated from the released 1.0 schema (test/fixtures/clients/1.0), on today's runtime. */
interface Client10 extends StuiClientControls {
  system: { info(params?: { sections?: string[] }): Promise<Record<string, unknown>> };
}

describe.each(targetPlans(TRANSPORTS))("authentication: $label", ({ transport }) => {
  let target: Target;
  const clients = new ClientPool();

  /** An authorized client of protocol 1.1 (the newest), reading the server's own facts. */
  let reader: StuiClient;

  beforeAll(async () => {
    target = await openTarget(transport, { handlers: HANDLERS });
    reader = await connect({ endpoint: target.endpoint, timeoutMs: 5000 });
  });
  afterEach(() => clients.closeAll());
  afterAll(async () => {
    await reader?.close();
    await target?.close();
  });

  /** system.info's security section as an authorized 1.1 client reads it. */
  async function security(): Promise<NonNullable<SystemInfoResult["security"]>> {
    const info = await reader.system.info({ sections: ["security"] });
    expect(Object.keys(info)).toEqual(["security"]);
    return info.security!;
  }

  /** What the reference server shows of the work it did (undefined for an external server). */
  function work(): { messages: number; calls: number; sessions: number } | undefined {
    const server = target.reference;
    return server && { messages: server.requestCount, calls: server.calls.length, sessions: server.sessions.size };
  }

  /**
   * Runs one attack, then checks it got nothing and did nothing (the reference server's work does
   * not move), and that the server counted it: the security section an authorized 1.1 client
   * reads afterwards shows rejectedPeers grown.
   */
  async function expectIgnored(attack: () => Promise<{ answered: boolean }>): Promise<void> {
    const rejectedBefore = (await security()).rejectedPeers;
    const before = work();
    const { answered } = await attack();
    expect(answered, "an unauthenticated peer got an answer").toBe(false);
    expect(work(), "the server did work for an unauthenticated peer").toEqual(before);
    await expect.poll(async () => (await security()).rejectedPeers, { timeout: 5000 }).toBeGreaterThan(rejectedBefore);
    const after = await security();
    expect(after.authentication).toBe("curve");
    // On the reference server, the section is server.securityStats() itself, not a scripted value.
    if (target.reference) expect(after).toEqual(target.reference.securityStats());
  }

  /** A zeromq DEALER with these keys sends session.create and listens for SILENCE_MS. */
  function zmqAttack(curve: CurveKeys | false): () => Promise<{ answered: boolean }> {
    return async () => {
      const client = clients.open(target.endpoint, "dealer+delimiter", { curve, receiveTimeoutMs: SILENCE_MS });
      await client.send(envelope("session.create", { clientName: "attacker", protocolVersions: [PROTOCOL_VERSION] }));
      try {
        await client.receiveFrames();
        return { answered: true };
      } catch (error) {
        if ((error as { code?: string }).code !== "EAGAIN") throw error;
        return { answered: false };
      }
    };
  }

  const authorized = (): CurveKeys => clientKeysFor(target.endpoint);

  it("answers a client whose key is authorized", async () => {
    const client = clients.open(target.endpoint, "dealer+delimiter");
    expectResult(await client.request(envelope("ping")), "ping");
  });

  it("gives nothing to a peer with no key at all (NULL mechanism)", async () => {
    await expectIgnored(zmqAttack(false));
  });

  it("gives nothing to a client whose key is not authorized", async () => {
    const stranger = zmq.curveKeyPair();
    await expectIgnored(zmqAttack({ ...authorized(), publicKey: stranger.publicKey, secretKey: stranger.secretKey }));
  });

  it("gives nothing to an authorized client that has the wrong server key", async () => {
    await expectIgnored(zmqAttack({ ...authorized(), serverKey: zmq.curveKeyPair().publicKey }));
  });

  it.runIf(transport !== "ipc")("gives nothing to a raw TCP peer speaking ZMTP by hand", async () => {
    if (!target.endpoint.startsWith("tcp://")) return; // an external ipc server: no TCP to attack
    const { host, port } = hostAndPort(target.endpoint);
    await expectIgnored(async () => {
      const request = JSON.stringify(envelope("session.create", { clientName: "raw attacker", protocolVersions: [PROTOCOL_VERSION] }));
      const { received, closedByServer } = await rawZmtpRequest(host, port, request, SILENCE_MS);
      // At most the server's own 64-byte greeting (naming its mechanism), sent before it knows the peer.
      expect(received.length).toBeLessThanOrEqual(64);
      expect(closedByServer, "the server should hang up on a peer that cannot authenticate").toBe(true);
      return { answered: received.includes(Buffer.from("jsonrpc")) };
    });
  });

  it.runIf(transport === "tcp")("control: the same hand-written ZMTP peer does get its reply from a server without authentication", async () => {
    // Proves the raw peer above is a real client: its silence there is the handshake's doing.
    const plain = await startTestServer({ endpoint: "tcp://127.0.0.1:*", authentication: "none" });
    try {
      const { host, port } = hostAndPort(plain.endpoint);
      const request = JSON.stringify(envelope("ping", { echo: "raw" }));
      const { received } = await rawZmtpRequest(host, port, request, SILENCE_MS);
      expect(received.toString("latin1")).toContain('"echo":"raw"');
      expect(plain.callsOf("ping")).toHaveLength(1);
    } finally {
      await plain.close();
    }
  });

  it("still answers its authorized clients after all that", async () => {
    const client = clients.open(target.endpoint, "req");
    expectResult(await client.request(envelope("ping", { echo: "still here" })), "ping");
  });

  it("a 1.0 client never receives the security section; naming it in a 1.0 request is invalidParams", async () => {
    // The client generated from the released 1.0 schema, authenticated through the same runtime.
    const old = (await connectWith(released10 as GeneratedProtocol<unknown>, { endpoint: target.endpoint, timeoutMs: 5000 })) as unknown as Client10;
    try {
      // Without sections a 1.1 server computes every default section, security included, and
      // shapes the reply for 1.0: the 1.0 client's own (closed) validators accept it.
      const all = await old.system.info();
      expect(all).not.toHaveProperty("security");
      expect(all).toHaveProperty("platform");
      expect(old.protocolVersion).toBe("1.0");
    } finally {
      await old.close();
    }
    // The 1.0 client's schema would refuse to send it; a raw authorized peer sends it anyway.
    const raw = clients.open(target.endpoint, "dealer+delimiter");
    const reply = await raw.request(envelope("system.info", { sections: ["security"] }, { stui: "1.0" }));
    expect(expectError(reply, "invalidParams").errors.map((problem) => problem.path)).toEqual(["/sections/0"]);
  });
});
