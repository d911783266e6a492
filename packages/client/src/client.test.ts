/**
 * The typed client against the reference server (@stui/testkit: real protocol tier, ROUTER,
 * reply cache), in both modes, over tcp and ipc. The Smalltalk side is a scripted handler that
 * says so in every answer (className "ScriptedTestDouble").
 *
 *   connect() ──REQ or DEALER──▶ ROUTER startTestServer({ handlers: { evaluate: scripted } })
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ProtocolError, startTestServer, type TestHandlers, type TestServer } from "@stui/testkit";
import { connect, SUPPORTED_VERSIONS, type StuiClient } from "./index.js";
import { attemptTimeout, DEFAULT_TIMEOUT_MS } from "./client.js";
import { isRemoteError, isStuiError } from "./errors.js";
import { caught, DOUBLE_IDENTITY, ok, type RawDouble, sleep, startRouterDouble, TRANSPORTS, uniqueAddress } from "./test-support.js";

/** A scripted test double of evaluate: it does not run Smalltalk; it names the code it got. */
const scripted: TestHandlers = {
  async evaluate(params) {
    if (params.code === "slow") await sleep(400);
    if (params.code.startsWith("syntax")) {
      throw new ProtocolError("syntaxError", { description: "scripted syntax error", line: 1, column: 7, position: 7 });
    }
    return {
      value: { printString: `scripted: ${params.code}${params.sessionId ? ` in ${params.sessionId}` : ""}`, className: "ScriptedTestDouble", truncated: false },
      durationMs: 0,
    };
  },
};

describe.each(TRANSPORTS)("client over %s", (transport) => {
  describe.each(["lockstep", "pipelined"] as const)("in %s mode", (mode) => {
    let server: TestServer;
    let client: StuiClient;

    beforeEach(async () => {
      server = await startTestServer({ endpoint: await uniqueAddress(transport), handlers: scripted });
      client = await connect({ endpoint: server.endpoint, mode, timeoutMs: 3000, clientName: "client-test" });
    });

    afterEach(async () => {
      await client.close();
      await server.close();
      server.assertNoViolations();
    });

    it("pings: the typed result comes back", async () => {
      const pong = await client.ping({ echo: "hello" });
      expect(pong.echo).toBe("hello");
      expect(pong.status).toBe("running");
      expect(pong.protocolVersions).toContain("1.0");
      expect(client.endpoint).toBe(server.endpoint);
      expect(client.mode).toBe(mode);
    });

    it("opens a session with version negotiation and evaluates in it", async () => {
      //   client ── session.create { protocolVersions: ["1.1", "1.0"] } ──▶ server ── { protocolVersion: "1.1" }
      //   client ── evaluate { sessionId, code } ──▶ scripted handler
      const session = await client.openSession();
      expect(session.protocolVersion).toBe(SUPPORTED_VERSIONS[0]);
      expect(server.callsOf("session.create")[0]?.params).toMatchObject({ clientName: "client-test", protocolVersions: [...SUPPORTED_VERSIONS] });
      const result = await session.evaluate("3 + 4", { printLimit: 100 });
      expect(result.value.printString).toBe(`scripted: 3 + 4 in ${session.id}`);
      const restored = await session.restore();
      expect(restored.sessionId).toBe(session.id);
      expect(restored.clientName).toBe("client-test");
      const closed = await session.close();
      expect(closed.sessionId).toBe(session.id);
      const e = await caught(session.restore());
      expect(isRemoteError(e, "sessionNotFound") && e.data.sessionId).toBe(session.id);
    });

    it("turns error replies into EREMOTE errors with typed data", async () => {
      const e = await caught(client.evaluate({ code: "syntax error here" }));
      if (!isRemoteError(e, "syntaxError")) throw e;
      expect(e.code).toBe("EREMOTE");
      expect(e.rpcCode).toBe(-32010);
      expect(e.data.column).toBe(7);
      expect(e.method).toBe("evaluate");
    });

    it("refuses invalid params without sending anything", async () => {
      await client.ping(); // one message, so the count below is not vacuous
      const before = server.requestCount;
      const e = await caught(client.evaluate({ code: "" }));
      expect(isStuiError(e, "EVALIDATION") && e.problems[0]?.path).toBe("/code");
      const e2 = await caught(client.call("no.such" as "ping", {}));
      expect(isStuiError(e2, "EVALIDATION")).toBe(true);
      await sleep(50);
      expect(server.requestCount).toBe(before);
    });

    it("refuses messages over MAX_MESSAGE_BYTES locally", async () => {
      const raw = await connect({ endpoint: server.endpoint, mode, validate: false });
      try {
        const e = await caught(raw.ping({ echo: "x".repeat(11 * 1024 * 1024) }));
        expect(isStuiError(e, "ETOOLARGE")).toBe(true);
        expect(server.requestCount).toBe(0);
      } finally {
        await raw.close();
      }
    });

    it("rejects pending calls with ECLOSED on close, and later calls too", async () => {
      // Two slow calls: in lock-step mode the second waits in the queue, pipelined it is in flight.
      const pending = caught(client.evaluate({ code: "slow" }));
      const queued = caught(client.evaluate({ code: "slow" }));
      await sleep(50);
      await client.close();
      expect(isStuiError(await pending, "ECLOSED")).toBe(true);
      expect(isStuiError(await queued, "ECLOSED")).toBe(true);
      expect(isStuiError(await caught(client.ping()), "ECLOSED")).toBe(true);
    });

    it("aborts a call with its signal, and the client goes on working", async () => {
      const controller = new AbortController();
      const pending = caught(client.evaluate({ code: "slow" }, { signal: controller.signal }));
      await sleep(50);
      controller.abort();
      expect(isStuiError(await pending, "EABORTED")).toBe(true);
      expect((await client.ping({ echo: "after" })).echo).toBe("after");
      expect(isStuiError(await caught(client.ping({}, { signal: AbortSignal.abort() })), "EABORTED")).toBe(true);
    });

    it("AbortSignal.timeout: StuiError EABORTED (its DOMException as the cause), and the next call does not wait for the aborted one", async () => {
      const aborted = await caught(client.evaluate({ code: "slow" }, { signal: AbortSignal.timeout(50) }));
      expect(isStuiError(aborted, "EABORTED")).toBe(true);
      expect((aborted as Error).cause).toBeInstanceOf(DOMException);
      expect(((aborted as Error).cause as DOMException).name).toBe("TimeoutError");
      // Answered while the server still works on the aborted evaluation (recorded only when it ends).
      expect((await client.ping({ echo: "free" }, { timeoutMs: 300 })).echo).toBe("free");
      expect(server.callsOf("evaluate").filter((c) => (c.params as { code?: string }).code === "slow")).toHaveLength(0);
    });
  });

  describe("version negotiation", () => {
    const cleanup: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const c of cleanup.splice(0).reverse()) await c();
    });

    it("a server that speaks none of our versions is EVERSION listing both sides", async () => {
      const server = await startTestServer({ endpoint: await uniqueAddress(transport), supportedVersions: ["2.0"] });
      cleanup.push(() => server.close());
      const client = await connect({ endpoint: server.endpoint, timeoutMs: 3000 });
      cleanup.push(() => client.close());
      const e = await caught(client.openSession());
      if (!isStuiError(e, "EVERSION")) throw e;
      expect(e.clientVersions).toEqual(SUPPORTED_VERSIONS);
      expect(e.serverVersions).toEqual(["2.0"]);
      expect(isRemoteError(e.cause, "unsupportedVersion")).toBe(true);
    });

    it("a server that picks a version we never offered is EVERSION, and its session is closed", async () => {
      //   client ── session.create { protocolVersions: ["1.0"] } ──▶ double ── { protocolVersion: "9.9" }
      //   client ── session.close { sessionId } ──▶ double
      const double: RawDouble = await startRouterDouble(await uniqueAddress(transport), (req) =>
        req.method === "session.create"
          ? ok(req, { sessionId: "s-double", protocolVersion: "9.9", idleTimeoutMs: 1000, createdAt: "2026-01-01T00:00:00+00:00", server: DOUBLE_IDENTITY, capabilities: [] })
          : ok(req, { sessionId: "s-double", releasedVariables: 0, releasedHandles: 0 }),
      );
      cleanup.push(() => double.close());
      const client = await connect({ endpoint: double.endpoint, timeoutMs: 3000 });
      cleanup.push(() => client.close());
      const e = await caught(client.openSession());
      if (!isStuiError(e, "EVERSION")) throw e;
      expect(e.serverVersions).toEqual(["9.9"]);
      expect(double.received.map((r) => r.method)).toEqual(["session.create", "session.close"]);
    });
  });
});

describe("connect", () => {
  it("takes the endpoint from STUI_ENDPOINT when the option is absent", async () => {
    const server = await startTestServer({ endpoint: await uniqueAddress("tcp") });
    const saved = process.env["STUI_ENDPOINT"];
    process.env["STUI_ENDPOINT"] = server.endpoint;
    try {
      const client = await connect({ timeoutMs: 3000 });
      try {
        expect(client.endpoint).toBe(server.endpoint);
        expect((await client.ping()).status).toBe("running");
      } finally {
        await client.close();
      }
    } finally {
      if (saved === undefined) delete process.env["STUI_ENDPOINT"];
      else process.env["STUI_ENDPOINT"] = saved;
      await server.close();
    }
  });

  it("refuses an unusable endpoint and bad options with typed errors", async () => {
    expect(isStuiError(await caught(connect({ endpoint: "http://example" })), "ECONNECTION")).toBe(true);
    expect(isStuiError(await caught(connect({ endpoint: "tcp://127.0.0.1:1", retries: -1 })), "EVALIDATION")).toBe(true);
    expect(isStuiError(await caught(connect({ endpoint: "tcp://127.0.0.1:1", mode: "fast" as "lockstep" })), "EVALIDATION")).toBe(true);
  });
});

describe("attemptTimeout", () => {
  it("prefers the call's timeout, then the client's, then the default", () => {
    expect(attemptTimeout("ping", {}, 50, 70)).toBe(50);
    expect(attemptTimeout("ping", {}, undefined, 70)).toBe(70);
    expect(attemptTimeout("ping", {}, undefined, undefined)).toBe(DEFAULT_TIMEOUT_MS);
  });

  it("stretches the default to an evaluation's own time limit plus a second", () => {
    expect(attemptTimeout("evaluate", { code: "x" }, undefined, undefined)).toBe(31_000); // schema default 30 s
    expect(attemptTimeout("evaluate", { code: "x", timeoutMs: 120_000 }, undefined, undefined)).toBe(121_000);
    expect(attemptTimeout("evaluate", { code: "x", timeoutMs: 10 }, undefined, undefined)).toBe(DEFAULT_TIMEOUT_MS);
    expect(attemptTimeout("evaluate", { code: "x", timeoutMs: 120_000 }, undefined, 500)).toBe(500);
  });
});
