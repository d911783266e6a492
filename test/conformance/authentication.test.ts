/**
 * Conformance, authentication: a STUI server answers only clients whose CURVE key it authorizes.
 * Every peer that cannot authenticate gets nothing — no reply, no work — and is counted.
 *
 * Attacks from outside, observed from outside: each attacker sends a real request and must hear
 * nothing back (its socket's receive times out), and on the reference server the call log, the
 * message count and the sessions must not move while the count of rejected peers does. Against
 * an external server (`npm run test:conformance`) only the silence can be observed here.
 *
 *   no key (NULL) ──────────────┐
 *   a key not authorized ───────┤
 *   the wrong server key ───────┼──▶ server: handshake fails ──▶ nothing back; rejectedPeers + 1
 *   raw TCP speaking ZMTP/NULL ─┘
 *   the authorized key ─────────────▶ server: reply
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { clientKeysFor } from "@stui/client/keys";
import type { CurveKeys } from "@stui/client";
import { PROTOCOL_VERSION } from "@stui/client/protocol";
import {
  ClientPool,
  TRANSPORTS,
  envelope,
  expectResult,
  hostAndPort,
  openTarget,
  rawZmtpRequest,
  targetPlans,
  type Target,
} from "../helpers/index.js";

/** How long an attacker listens for a reply that must not come (the server answers a ping in ~1 ms). */
const SILENCE_MS = 500;

describe.each(targetPlans(TRANSPORTS))("authentication: $label", ({ transport }) => {
  let target: Target;
  const clients = new ClientPool();

  beforeAll(async () => {
    target = await openTarget(transport);
  });
  afterEach(() => clients.closeAll());
  afterAll(async () => {
    await target?.close();
  });

  /** What the reference server shows of the work it did (undefined for an external server). */
  function work(): { messages: number; calls: number; sessions: number } | undefined {
    const server = target.reference;
    return server && { messages: server.requestCount, calls: server.calls.length, sessions: server.sessions.size };
  }

  /** Runs one attack, then checks it got nothing and did nothing, and was counted. */
  async function expectIgnored(attack: () => Promise<{ answered: boolean }>): Promise<void> {
    const before = work();
    const rejectedBefore = target.reference?.securityStats().rejectedPeers ?? 0;
    const { answered } = await attack();
    expect(answered, "an unauthenticated peer got an answer").toBe(false);
    const server = target.reference;
    if (server) {
      await expect.poll(() => server.securityStats().rejectedPeers, { timeout: 5000 }).toBeGreaterThan(rejectedBefore);
      expect(work()).toEqual(before);
      expect(server.securityStats().authentication).toBe("curve");
    }
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

  it("still answers its authorized clients after all that", async () => {
    const client = clients.open(target.endpoint, "req");
    expectResult(await client.request(envelope("ping", { echo: "still here" })), "ping");
  });
});
