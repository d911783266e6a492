/**
 * Pipelined mode (DEALER, many in flight, correlated by id) against ROUTER test doubles and the
 * reference server.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startTestServer } from "@stui/testkit";
import { connect, type ConnectOptions, type StuiClient } from "./index.js";
import { isStuiError, type StuiError } from "./errors.js";
import { caught, startDyingRouterDouble, doublePingResult, type DoubleRequest, ok, type RawDouble, sleep, startRouterDouble, TRANSPORTS, uniqueAddress } from "./test-support.js";

describe.each(TRANSPORTS)("pipelined over %s", (transport) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  async function client(endpoint: string, options: ConnectOptions = {}): Promise<StuiClient> {
    const c = await connect({ endpoint, mode: "pipelined", timeoutMs: 2000, ...options });
    cleanup.push(() => c.close());
    return c;
  }
  async function router(handler: Parameters<typeof startRouterDouble>[1]): Promise<RawDouble> {
    const d = await startRouterDouble(await uniqueAddress(transport), handler);
    cleanup.push(() => d.close());
    return d;
  }

  it("keeps many requests in flight and matches replies that come back in reverse order", async () => {
    //   DEALER ── ["", m0] ["", m1] … ["", m63] ──▶ double (holds all 64)
    //   DEALER ◀── ["", r63] … ["", r1] ["", r0] ── double (answers last first)
    const n = 64;
    const waiting: Array<{ req: DoubleRequest; answer: (a: object) => void }> = [];
    const d = await router(
      (req) =>
        new Promise<object>((answer) => {
          waiting.push({ req, answer });
          if (waiting.length === n) for (const w of waiting.reverse()) w.answer(ok(w.req, doublePingResult(String(w.req.params["echo"]))));
        }),
    );
    const c = await client(d.endpoint);
    const echoes = Array.from({ length: n }, (_, i) => `m${i}`);
    const answers = await Promise.all(echoes.map((echo) => c.ping({ echo })));
    expect(answers.map((a) => a.echo)).toEqual(echoes);
    expect(d.received).toHaveLength(n);
  });

  it("sends the REQ-compatible framing: an empty delimiter, then the JSON", async () => {
    //   DEALER ── ["", json] ──▶ ROUTER sees [identity, "", json], as from a REQ socket
    const d = await router((req) => ok(req, doublePingResult()));
    const c = await client(d.endpoint);
    await c.ping();
    expect(d.received[0]?.method).toBe("ping");
    expect(d.received[0]?.prefix.map((f) => f.length)).toEqual([expect.any(Number), 0]);
    expect(d.received[0]?.prefix[0]?.length).toBeGreaterThan(0);
  });

  it("re-sends a timed-out retry-safe call with the same id; a late first answer is only counted", async () => {
    //   ["", ping(id)] ──▶ double: answers only after 300 ms
    //   (200 ms timeout) ["", ping(id)] ──▶ double: answers at once ──▶ call resolves
    //   ◀── the late first answer: stale, counted, ignored
    const d = await router(async (req, n) => {
      if (n === 1) await sleep(300);
      return ok(req, doublePingResult(`answer ${n}`));
    });
    const c = await client(d.endpoint, { timeoutMs: 200 });
    expect((await c.ping()).echo).toBe("answer 2");
    expect(d.received.map((r) => r.id)).toEqual([d.received[0]?.id, d.received[0]?.id]);
    await sleep(200);
    expect(c.stats.staleReplies).toBe(1);
    expect(c.stats.resent).toBe(1);
  });

  it("holds requests beyond the high-water mark while no server is there, and sends them when one comes", async () => {
    //   1100 pings, nobody listening: ~1000 wait in ZeroMQ's pipe (the high-water mark), the rest
    //   get EAGAIN (mute) and wait in the client's outbox
    //   server starts ──▶ the pipe drains, the outbox follows ──▶ every ping answered once
    const endpoint = await uniqueAddress(transport);
    const c = await client(endpoint, { timeoutMs: 8000, retries: 0 });
    const echoes = Array.from({ length: 1100 }, (_, i) => `p${i}`);
    const all = Promise.all(echoes.map((echo) => c.ping({ echo })));
    await sleep(100);
    const server = await startTestServer({ endpoint });
    cleanup.push(() => server.close());
    expect((await all).map((p) => p.echo)).toEqual(echoes);
    expect(server.callsOf("ping")).toHaveLength(1100);
  });

  it("gives up with ETIMEOUT after the retries", async () => {
    const d = await router(() => undefined);
    const c = await client(d.endpoint, { timeoutMs: 100, retries: 1 });
    expect(isStuiError(await caught(c.ping()), "ETIMEOUT")).toBe(true);
    expect(d.received).toHaveLength(2);
  });

  it("is ECONNECTION when nothing listens", async () => {
    const c = await client(await uniqueAddress(transport), { timeoutMs: 100, retries: 1 });
    expect(isStuiError(await caught(c.ping()), "ECONNECTION")).toBe(true);
  });

  it("fails the call a broken reply names, and reports a reply it cannot attribute", async () => {
    const reported: StuiError[] = [];
    const d = await router((req, n) => {
      if (n === 1) return JSON.stringify({ jsonrpc: "2.0", id: req.id, result: { status: 1 } });
      if (n === 2) return "garbage without an id";
      return ok(req, doublePingResult("fine"));
    });
    const c = await client(d.endpoint, { timeoutMs: 200, onProtocolError: (e) => reported.push(e) });
    expect(isStuiError(await caught(c.ping()), "EPROTOCOL")).toBe(true);
    // The garbage answer belongs to no call: reported; the call times out and its re-send works.
    expect((await c.ping()).echo).toBe("fine");
    expect(reported.map((e) => e.code)).toEqual(["EPROTOCOL"]);
  });

  it("does not re-send an unsafe call when the connection dropped while it was in flight", async () => {
    //   DEALER ── evaluate(id) ──▶ server A: receives it, then dies   ✕ disconnect
    //   (timeout) ECONNECTION, not re-sent; server B on the same endpoint never sees it
    const endpoint = await uniqueAddress(transport);
    const dying = await startDyingRouterDouble(endpoint);
    cleanup.push(() => dying.close());
    const c = await client(endpoint, { timeoutMs: 600, retries: 3 });
    const pending = caught(c.evaluate({ code: "x := 1" }));
    await sleep(300);
    const b = await startRouterDouble(endpoint, (req) => ok(req, { value: { printString: "second run", className: "ScriptedTestDouble", truncated: false }, durationMs: 0 }));
    cleanup.push(() => b.close());
    const e = await pending;
    expect(isStuiError(e, "ECONNECTION")).toBe(true);
    expect((e as Error).message).toContain("not safe to retry");
    expect(dying.received).toHaveLength(1);
    expect(b.received).toHaveLength(0);
  });

  it("reaches a server restarted on the same endpoint without a new socket", async () => {
    const endpoint = await uniqueAddress(transport);
    const first = await startTestServer({ endpoint });
    const c = await client(endpoint, { timeoutMs: 300, retries: 10 });
    expect((await c.ping()).status).toBe("running");
    await first.close();
    const pending = Promise.all([c.ping({ echo: "a" }), c.ping({ echo: "b" })]);
    await sleep(400);
    const second = await startTestServer({ endpoint });
    cleanup.push(() => second.close());
    expect((await pending).map((p) => p.echo)).toEqual(["a", "b"]);
    expect(second.callsOf("ping").length).toBeGreaterThanOrEqual(2);
  });
});
