/**
 * Soak: several clients in both modes run a mix of sessions, evaluations and browsing against
 * one reference server for a while, each client reconnecting now and then. Afterwards nothing is
 * left behind — no sessions, no leaked file descriptors (sockets) in this process — and every
 * reply was what the schema and the scripted handlers say.
 *
 *   client 1..N ──[session.create → evaluate ×k → classes.list → session.close]×… ──▶ server
 *               ── close + connect again every few rounds
 *
 * Short by default (STUI_SOAK_SECONDS=3) so it runs in `npm test`; `npm run test:slow` runs it
 * for a minute. It prints its figures (rounds, calls/s, RSS and fd counts) — it asserts on leaks,
 * not on speed.
 */
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { connect, type StuiClient } from "@stui/client";
import { ProtocolError, startTestServer, type TestHandlers } from "@stui/testkit";

const SECONDS = Number(process.env.STUI_SOAK_SECONDS ?? "3");
const CLIENTS = 4;
const openFds = (): number => readdirSync("/proc/self/fd").length;

// Scripted Smalltalk (a test double): `n + 1` answers n + 1; anything else is an internalError.
const handlers: TestHandlers = {
  evaluate(params, context) {
    context.requireSession();
    const m = /^(\d+) \+ 1$/.exec(params.code);
    if (!m) throw new ProtocolError("internalError", { detail: `soak test double: no script for ${params.code}` });
    return { value: { printString: String(Number(m[1]) + 1), className: "SmallInteger", truncated: false }, durationMs: 0 };
  },
  "classes.list"(params) {
    return { total: 1, offset: params.offset ?? 0, classes: [{ name: "Object", package: "Kernel", superclass: "ProtoObject", hasComment: true }] };
  },
};

describe.skipIf(process.platform !== "linux")("soak", () => {
  it(`${CLIENTS} clients for ${SECONDS}s leave no session and no socket behind`, async () => {
    const server = await startTestServer({ handlers, replyCacheSize: 500 });
    const fdsBefore = openFds();
    const { rss: rssBefore, heapUsed: heapBefore } = process.memoryUsage();
    const deadline = performance.now() + SECONDS * 1000;
    let calls = 0;
    let rounds = 0;
    let reconnects = 0;

    async function worker(index: number): Promise<void> {
      const mode = index % 2 === 0 ? "lockstep" : "pipelined";
      let client: StuiClient = await connect({ endpoint: server.endpoint, mode, timeoutMs: 5000 });
      try {
        for (let round = 0; performance.now() < deadline; round++) {
          if (round > 0 && round % 25 === 0) {
            await client.close();
            client = await connect({ endpoint: server.endpoint, mode, timeoutMs: 5000 });
            reconnects++;
          }
          const session = await client.openSession({ clientName: `soak-${index}` });
          const results = await Promise.all([1, 2, 3].map((n) => session.evaluate(`${n * 10 + index} + 1`)));
          expect(results.map((r) => r.value.printString)).toEqual([1, 2, 3].map((n) => String(n * 10 + index + 1)));
          expect((await client.classes.list({ pattern: "Obj*" })).classes[0]?.name).toBe("Object");
          await session.close();
          calls += 6; // create, 3 × evaluate, classes.list, close
          rounds++;
        }
      } finally {
        await client.close();
      }
    }

    const started = performance.now();
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => worker(i)));
    const elapsed = (performance.now() - started) / 1000;
    // Let closed sockets finish closing before counting descriptors.
    await new Promise((r) => setTimeout(r, 200));
    const fdsAfter = openFds();
    const { rss: rssAfter, heapUsed: heapAfter } = process.memoryUsage();
    const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
    console.log(
      `soak: ${rounds} rounds, ${calls} calls in ${elapsed.toFixed(1)}s (${Math.round(calls / elapsed)} calls/s), ` +
        `${reconnects} reconnects; fds ${fdsBefore} → ${fdsAfter}; RSS ${mib(rssBefore)} → ${mib(rssAfter)} MiB; heap ${mib(heapBefore)} → ${mib(heapAfter)} MiB`,
    );

    expect(rounds).toBeGreaterThan(CLIENTS);
    expect(server.sessions.size).toBe(0);
    expect(server.violations).toEqual([]);
    // Every client socket was closed: what is open now is what was open before (a little slack
    // for descriptors libuv or the zeromq context opens lazily and keeps).
    expect(fdsAfter).toBeLessThanOrEqual(fdsBefore + 4);
    await server.close();
  }, SECONDS * 1000 + 30_000);
});
