/**
 * Lock-step mode (REQ, Lazy Pirate) against test doubles that script what the reference server
 * will not do on purpose: drop replies, answer garbage, be a REP socket, vanish.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startTestServer } from "@stui/testkit";
import { connect, type StuiClient } from "./index.js";
import { isStuiError } from "./errors.js";
import { caught, startDyingRouterDouble, doublePingResult, ok, type RawDouble, sleep, startRepDouble, startRouterDouble, TRANSPORTS, uniqueAddress } from "./test-support.js";

/** A scripted evaluate result; says it is a test double. */
function evalResult(code: unknown): object {
  return { value: { printString: `scripted: ${String(code)}`, className: "ScriptedTestDouble", truncated: false }, durationMs: 0 };
}

describe.each(TRANSPORTS)("lock-step over %s", (transport) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  async function client(endpoint: string, options: { timeoutMs?: number; retries?: number } = {}): Promise<StuiClient> {
    const c = await connect({ endpoint, mode: "lockstep", timeoutMs: options.timeoutMs ?? 2000, retries: options.retries ?? 2 });
    cleanup.push(() => c.close());
    return c;
  }
  async function router(handler: Parameters<typeof startRouterDouble>[1]): Promise<RawDouble> {
    const d = await startRouterDouble(await uniqueAddress(transport), handler);
    cleanup.push(() => d.close());
    return d;
  }

  it("works with a REP server", async () => {
    //   REQ ── ping ──▶ REP double ── ping result ──▶ REQ
    const rep = await startRepDouble(await uniqueAddress(transport), (req) => ok(req, doublePingResult(String(req.params["echo"]))));
    cleanup.push(() => rep.close());
    const c = await client(rep.endpoint);
    expect((await c.ping({ echo: "a" })).echo).toBe("a");
    expect((await c.ping({ echo: "b" })).echo).toBe("b");
    expect(rep.received).toHaveLength(2);
  });

  it("queues concurrent callers: one request on the wire at a time, answers to the right caller", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const d = await router(async (req) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep(2);
      inFlight--;
      return ok(req, doublePingResult(String(req.params["echo"])));
    });
    const c = await client(d.endpoint);
    const echoes = Array.from({ length: 20 }, (_, i) => `m${i}`);
    const answers = await Promise.all(echoes.map((echo) => c.ping({ echo })));
    expect(answers.map((a) => a.echo)).toEqual(echoes);
    expect(maxInFlight).toBe(1);
    expect(d.received.map((r) => r.params["echo"])).toEqual(echoes);
  });

  it("drops an aborted caller from the queue without disturbing the call in flight", async () => {
    //   A: ping "slow" in flight (double answers after 150 ms)
    //   B: queued behind A, aborted → EABORTED, never sent
    //   C: queued behind A → answered after A
    const d = await router(async (req) => {
      if (req.params["echo"] === "slow") await sleep(150);
      return ok(req, doublePingResult(String(req.params["echo"])));
    });
    const c = await client(d.endpoint);
    const controller = new AbortController();
    const a = c.ping({ echo: "slow" });
    const b = caught(c.ping({ echo: "aborted" }, { signal: controller.signal }));
    const cc = c.ping({ echo: "after" });
    controller.abort();
    expect(isStuiError(await b, "EABORTED")).toBe(true);
    expect((await a).echo).toBe("slow");
    expect((await cc).echo).toBe("after");
    expect(d.received.map((r) => r.params["echo"])).toEqual(["slow", "after"]);
  });

  it("re-sends a retry-safe call with the same id on a new socket after a dropped reply", async () => {
    //   REQ#1 ── ping(id) ──▶ double: drops it
    //   (timeout) close REQ#1, open REQ#2
    //   REQ#2 ── ping(id) ──▶ double ── result ──▶ REQ#2
    const d = await router((req, n) => (n === 1 ? undefined : ok(req, doublePingResult("second"))));
    const c = await client(d.endpoint, { timeoutMs: 200 });
    expect((await c.ping({ echo: "x" })).echo).toBe("second");
    expect(d.received).toHaveLength(2);
    expect(d.received[1]?.id).toBe(d.received[0]?.id);
    expect(c.stats.resent).toBe(1);
    expect(c.stats.reconnects).toBeGreaterThanOrEqual(1);
  });

  it("re-sends an unsafe call (evaluate) with the SAME id while the server stays up", async () => {
    const d = await router((req, n) => (n === 1 ? undefined : ok(req, evalResult(req.params["code"]))));
    const c = await client(d.endpoint, { timeoutMs: 200 });
    expect((await c.evaluate({ code: "3 + 4" })).value.printString).toBe("scripted: 3 + 4");
    expect(d.received.map((r) => r.id)).toEqual([d.received[0]?.id, d.received[0]?.id]);
  });

  it("gives up with ETIMEOUT after the retries when the server answers nothing", async () => {
    const d = await router(() => undefined);
    const c = await client(d.endpoint, { timeoutMs: 100, retries: 2 });
    const e = await caught(c.ping());
    expect(isStuiError(e, "ETIMEOUT")).toBe(true);
    expect(d.received).toHaveLength(3);
    expect(new Set(d.received.map((r) => r.id)).size).toBe(1);
  });

  it("is ECONNECTION when no server can be reached", async () => {
    const c = await client(await uniqueAddress(transport), { timeoutMs: 100, retries: 1 });
    const e = await caught(c.ping());
    expect(isStuiError(e, "ECONNECTION")).toBe(true);
  });

  it.each([
    ["garbage", (): string => "not json at all"],
    ["a result of the wrong shape", (req: { id: unknown }): object => ({ jsonrpc: "2.0", id: req.id, result: { status: "fine" } })],
    ["another request's id", (): object => ({ jsonrpc: "2.0", id: "zz-1", result: doublePingResult() })],
  ])("is EPROTOCOL when the server answers %s, and goes on working", async (_, bad) => {
    const d = await router((req, n) => (n === 1 ? bad(req) : ok(req, doublePingResult("fine"))));
    const c = await client(d.endpoint);
    const e = await caught(c.ping());
    expect(isStuiError(e, "EPROTOCOL")).toBe(true);
    expect((await c.ping()).echo).toBe("fine");
  });

  it("does not re-send an unsafe call when the connection dropped while it was in flight", async () => {
    //   REQ ── evaluate(id) ──▶ server A: receives it, then dies (socket closed)   ✕ disconnect
    //   (timeout) the client does not know whether it ran: ECONNECTION, not re-sent
    //   server B on the same endpoint: never sees the evaluate
    const endpoint = await uniqueAddress(transport);
    const dying = await startDyingRouterDouble(endpoint);
    cleanup.push(() => dying.close());
    const c = await client(endpoint, { timeoutMs: 600, retries: 3 });
    const pending = caught(c.evaluate({ code: "x := 1" }));
    await sleep(300);
    const b = await startRouterDouble(endpoint, (req) => ok(req, evalResult("second run")));
    cleanup.push(() => b.close());
    const e = await pending;
    expect(isStuiError(e, "ECONNECTION")).toBe(true);
    expect((e as Error).message).toContain("not safe to retry");
    expect(dying.received).toHaveLength(1);
    expect(b.received).toHaveLength(0);
  });

  it("reaches a server restarted on the same endpoint (retry-safe call pending meanwhile)", async () => {
    const endpoint = await uniqueAddress(transport);
    const first = await startTestServer({ endpoint });
    const c = await client(endpoint, { timeoutMs: 300, retries: 10 });
    expect((await c.ping()).status).toBe("running");
    await first.close();
    const pending = c.ping({ echo: "back" });
    await sleep(400);
    const second = await startTestServer({ endpoint });
    cleanup.push(() => second.close());
    expect((await pending).echo).toBe("back");
    expect(second.callsOf("ping")).toHaveLength(1);
  });
});
