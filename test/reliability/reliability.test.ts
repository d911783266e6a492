/**
 * Reliability of the client against the reference server: killed servers, dropped replies,
 * concurrent clients — in both modes, over every transport the server supports (tcp, ipc).
 */
import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, uniqueAddress, type TestHandlers } from "@stui/testkit";
import { connect, type StuiClient } from "@stui/client";
import { startServerProcess, type ServerProcess } from "./server-process.js";

const TRANSPORTS = ["tcp", "ipc"] as const;
const MODES = ["lockstep", "pipelined"] as const;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(TRANSPORTS)("reliability over %s", (transport) => {
  describe.each(MODES)("%s client", (mode) => {
    const cleanup: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const c of cleanup.splice(0).reverse()) await c();
    });

    it("a server killed mid-request is reached again once it is back, and the retry-safe call completes", async () => {
      //   client ── classes.list "slow*" ──▶ server A (holds it)
      //                                      ✕ SIGKILL A (no reply, ever)
      //   client: timeout → re-send same id (lock-step: on a new REQ socket; pipelined: same DEALER,
      //           which reconnects by itself) … nothing there yet …
      //                                      server B starts on the same endpoint
      //   client ── classes.list (same id) ──▶ server B ── result ──▶ client
      const endpoint = await uniqueAddress(transport);
      const timeoutMs = 500;
      const a = await startServerProcess(endpoint, { STUI_RELIABILITY_SLOW_MS: "60000" });
      cleanup.push(() => a.kill("SIGKILL"));
      const client = await connect({ endpoint, mode, timeoutMs, retries: 20 });
      cleanup.push(() => client.close());
      expect((await client.ping()).status).toBe("running");

      const pending = client.classes.list({ pattern: "slow*" });
      const outcome = pending.then(
        (value) => ({ value, at: performance.now() }),
        (error: unknown) => ({ error, at: performance.now() }),
      );
      await sleep(150); // the request reaches A and waits in its slow handler
      await a.kill("SIGKILL");
      await sleep(300); // down for a while
      const b: ServerProcess = await startServerProcess(endpoint, { STUI_RELIABILITY_SLOW_MS: "0" });
      cleanup.push(() => b.kill("SIGTERM"));

      const done = await outcome;
      if ("error" in done) throw done.error;
      expect(done.value).toEqual({ total: 0, offset: 0, classes: [] });
      const reconnectMs = done.at - b.readyAt;
      console.log(`[reliability] ${transport}/${mode}: the pending call completed ${reconnectMs.toFixed(0)} ms after the restarted server listened (timeout per attempt ${timeoutMs} ms)`);
      // Functional bound: back within 1 s of the server plus one attempt's timeout.
      expect(reconnectMs).toBeLessThan(1000 + timeoutMs);
      expect(client.stats.resent).toBeGreaterThanOrEqual(1);
      // And the client is healthy afterwards.
      expect((await client.ping({ echo: "after" })).echo).toBe("after");
    });

    it("a retried evaluate runs once: the re-send with the same id is answered from the reply cache", async () => {
      //   client ── evaluate(id) ──▶ server: handler starts (slow the first time, 600 ms)
      //   (200 ms: no reply) client ── evaluate(id) again ──▶ server: reply cache has id → same reply
      //   client ◀── reply ── (the handler ran exactly once)
      let runs = 0;
      const handlers: TestHandlers = {
        async evaluate(params) {
          runs++;
          if (runs === 1) await sleep(600);
          return { value: { printString: `scripted run ${runs} of ${params.code}`, className: "ScriptedTestDouble", truncated: false }, durationMs: 0 };
        },
      };
      const server = await startTestServer({ endpoint: await uniqueAddress(transport), handlers });
      cleanup.push(() => server.close());
      const client = await connect({ endpoint: server.endpoint, mode, timeoutMs: 200, retries: 10 });
      cleanup.push(() => client.close());

      const result = await client.evaluate({ code: "counter := counter + 1" });
      expect(result.value.printString).toBe("scripted run 1 of counter := counter + 1");
      expect(runs).toBe(1);
      expect(server.callsOf("evaluate")).toHaveLength(1);
      expect(client.stats.resent).toBeGreaterThanOrEqual(1);
      expect(server.stats.cacheHits).toBeGreaterThanOrEqual(1);
      server.assertNoViolations();
    });
  });

  describe("five concurrent clients", () => {
    const cleanup: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const c of cleanup.splice(0).reverse()) await c();
    });

    it("interleave calls against one server and every answer is the right one", async () => {
      //   client 0 (lockstep)  ─┐
      //   client 1 (pipelined) ─┤
      //   client 2 (lockstep)  ─┼──▶ one server process (ROUTER) ── each reply to its own caller
      //   client 3 (pipelined) ─┤
      //   client 4 (lockstep)  ─┘
      const server = await startServerProcess(await uniqueAddress(transport));
      cleanup.push(() => server.kill("SIGTERM"));
      const clients: StuiClient[] = [];
      for (let i = 0; i < 5; i++) {
        const client = await connect({ endpoint: server.endpoint, mode: MODES[i % 2]!, timeoutMs: 5000, clientName: `client-${i}` });
        cleanup.push(() => client.close());
        clients.push(client);
      }
      const rounds = 40;
      const work = clients.map(async (client, i) => {
        const session = await client.openSession();
        const checks: boolean[] = [];
        for (let k = 0; k < rounds; k++) {
          // Several calls of each client in flight at once, mixed commands.
          const [pong, evaluated, page] = await Promise.all([
            client.ping({ echo: `c${i}-${k}` }),
            session.evaluate(`c${i} step ${k}`),
            client.classes.list({ offset: k }),
          ]);
          checks.push(pong.echo === `c${i}-${k}`, evaluated.value.printString === `scripted: c${i} step ${k} in ${session.id}`, page.offset === k);
        }
        const closed = await session.close();
        checks.push(closed.sessionId === session.id);
        return checks;
      });
      const results = await Promise.all(work);
      expect(results.map((checks) => checks.length)).toEqual(Array(5).fill(rounds * 3 + 1));
      expect(results.flat().every(Boolean)).toBe(true);
    });
  });
});
