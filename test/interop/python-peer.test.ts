/**
 * Interoperability with an independent ZeroMQ peer: pyzmq over the system libzmq (Debian's — the
 * library the Pharo server loads through uFFI), where zeromq.js bundles its own build.
 *
 *   python REQ / DEALER ──ping──▶ reference server (ROUTER, zeromq.js)   replies schema-valid, framed right
 *   @stui/client (REQ / DEALER) ──ping──▶ python REP (test double)       typed results and typed errors
 *
 * Both sides authenticate with CURVE and the keys of the test's STUI home: the Python peer reads
 * them with pyzmq's own certificate loader and, as a server, lets clients in through pyzmq's own
 * ZAP authenticator. A key nobody authorized gets no answer from either side.
 *
 * Skipped, saying why, where /usr/bin/python3 has no zmq module (apt-get install python3-zmq);
 * CI installs it.
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import { connect, isRemoteError, isStuiError } from "@stui/client";
import { clientKeysFor } from "@stui/client/keys";
import { validators } from "@stui/client/protocol";
import { startTestServer, type TestServer } from "@stui/testkit";

const PYTHON = "/usr/bin/python3";
const PEER = fileURLToPath(new URL("./peer.py", import.meta.url));
const probe = spawnSync(PYTHON, ["-c", "import zmq; print(zmq.zmq_version())"], { encoding: "utf8" });
const available = probe.status === 0;
if (!available) console.warn(`interop tests skipped: ${PYTHON} cannot import zmq (apt-get install python3-zmq)`);

describe.skipIf(!available)(`interop with pyzmq on libzmq ${probe.stdout?.trim() ?? "?"}`, () => {
  describe("a Python client against the reference server", () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ name: "interop-server" });
    });
    afterAll(async () => {
      server.assertNoViolations();
      await server.close();
    });

    it("gets schema-valid replies on REQ and on DEALER (with the delimiter it sent)", async () => {
      const { stdout } = await promisify(execFile)(PYTHON, [PEER, "client", server.endpoint], { timeout: 15_000 });
      const replies = JSON.parse(stdout) as { socket: string; frames: number; reply: unknown }[];
      expect(replies.map((r) => [r.socket, r.frames])).toEqual([
        ["req", 1],
        ["dealer", 2],
      ]);
      for (const { socket, reply } of replies) {
        expect(validators.Response(reply), JSON.stringify(validators.Response.errors)).toBe(true);
        const result = (reply as { id: string; result: unknown }).result;
        expect(validators.PingResult(result)).toBe(true);
        expect(reply).toMatchObject({ id: `py-${socket}`, result: { echo: `from ${socket}`, server: { name: "interop-server" } } });
      }
    });

    it("a Python client with a key nobody authorized gets no answer, runs nothing, and is counted", async () => {
      const before = { messages: server.requestCount, rejected: server.securityStats().rejectedPeers };
      const { stdout } = await promisify(execFile)(PYTHON, [PEER, "client", server.endpoint, "stranger"], { timeout: 15_000 });
      expect(JSON.parse(stdout)).toEqual([{ socket: "req", answered: false }, { socket: "dealer", answered: false }]);
      expect(server.requestCount).toBe(before.messages);
      await expect.poll(() => server.securityStats().rejectedPeers, { timeout: 5000 }).toBeGreaterThanOrEqual(before.rejected + 2);
    });
  });

  describe("the client against a Python REP server (a test double that answers only ping)", () => {
    /** Starts the Python server; answers its endpoint and a function that stops it. */
    async function pythonServer(): Promise<{ endpoint: string; stop: () => void }> {
      const peer = spawn(PYTHON, [PEER, "server", "tcp://127.0.0.1:*", "2"], { stdio: ["ignore", "pipe", "inherit"] });
      const endpoint = await new Promise<string>((resolve, reject) => {
        createInterface({ input: peer.stdout! }).once("line", resolve);
        peer.once("exit", (code) => reject(new Error(`python peer exited with ${code}`)));
      }).catch((error: unknown) => {
        peer.kill();
        throw error;
      });
      return { endpoint, stop: () => peer.kill() };
    }

    for (const mode of ["lockstep", "pipelined"] as const) {
      it(`${mode}: a typed ping result, and its unknownMethod error as a typed remote error`, async () => {
        const peer = await pythonServer();
        try {
          const client = await connect({ endpoint: peer.endpoint, mode, timeoutMs: 5000, retries: 0 });
          try {
            const pong = await client.ping({ echo: mode });
            expect(pong.echo).toBe(mode);
            expect(pong.server.implementation).toBe("pyzmq test double (not Pharo)");
            const error = await client.session.list({}).then(
              () => undefined,
              (e: unknown) => e,
            );
            expect(isRemoteError(error, "unknownMethod")).toBe(true);
          } finally {
            await client.close();
          }
        } finally {
          peer.stop();
        }
      });
    }

    it("refused by pyzmq's ZAP authenticator, the client says its key is not authorized", async () => {
      const peer = await pythonServer();
      try {
        const stranger = zmq.curveKeyPair();
        const client = await connect({ endpoint: peer.endpoint, timeoutMs: 5000, curve: { ...clientKeysFor(peer.endpoint), ...stranger } });
        try {
          const error = await client.ping().then(() => undefined, (e: unknown) => e);
          expect(isStuiError(error, "ECONNECTION")).toBe(true);
          expect((error as Error).message).toContain("is this client's key authorized?");
        } finally {
          await client.close();
        }
      } finally {
        peer.stop();
      }
    });
  });
});
