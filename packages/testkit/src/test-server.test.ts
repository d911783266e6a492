/**
 * The reference test server itself: contract testing of handlers, the "no Smalltalk image"
 * answer, handler context and sessions, the reply cache's bounds, options.
 *
 *   raw DEALER ──json──▶ test server ─▶ handler (the test's)
 *              ◀─reply── (checked against the schema; a wrong shape becomes internalError)
 */
import { afterEach, describe, expect, it } from "vitest";
import { COMMANDS, PROTOCOL_VERSION, type CommandName } from "@stui/client/protocol";
import { ClientPool, TRANSPORTS, envelope, expectError, expectResult, uniqueEndpoint, type RawClient } from "../../../test/helpers/index.js";
import { ProtocolError, isProtocolError, startTestServer, type TestServer, type TestServerOptions } from "./index.js";

const clients = new ClientPool();
const servers: TestServer[] = [];

afterEach(async () => {
  clients.closeAll();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(options: TestServerOptions = {}): Promise<{ server: TestServer; client: RawClient }> {
  const server = await startTestServer({ endpoint: uniqueEndpoint("tcp"), ...options });
  servers.push(server);
  return { server, client: clients.open(server.endpoint) };
}

const seven = { printString: "7", className: "SmallInteger", truncated: false };

/** Minimal valid params for every command. */
const VALID_PARAMS: Record<CommandName, object> = {
  "ping": {},
  "session.create": { clientName: "t", protocolVersions: [PROTOCOL_VERSION] },
  "session.restore": { sessionId: "s-x" },
  "session.close": { sessionId: "s-x" },
  "session.list": {},
  "evaluate": { code: "3 + 4" },
  "inspect": { sessionId: "s-x", handle: "h1" },
  "handles.release": { sessionId: "s-x", handles: ["h1"] },
  "classes.list": {},
  "class.browse": { className: "Object" },
  "method.get": { className: "Object", selector: "printString" },
  "method.compile": { className: "Object", source: "foo ^ 1" },
  "system.info": {},
  "debug": { sessionId: "s-x", debugId: "d1", action: "stack" },
  "evaluate.cancel": { sessionId: "s-x" },
  "code.search": { kind: "senders", query: "printOn:" },
  "code.complete": { source: "Tra", position: 3 },
  "packages.list": {},
  "class.define": { className: "Counter", superclass: "Object", package: "MyApp" },
  "class.remove": { className: "Counter" },
  "method.remove": { className: "Object", selector: "foo" },
  "tests.run": { packages: ["MyApp-Tests"] },
  "project.load": { baseline: "MyApp", repository: "tonel:///tmp/myapp" },
  "image.save": {},
};

describe("startTestServer", () => {
  it.each(TRANSPORTS)("binds a %s endpoint and reports the real one", async (transport) => {
    const server = await startTestServer({ endpoint: uniqueEndpoint(transport) });
    servers.push(server);
    expect(server.endpoint).toMatch(transport === "tcp" ? /^tcp:\/\/127\.0\.0\.1:\d+$/ : /^ipc:\/\//);
    expect(server.endpoint).not.toContain("*");
    const client = clients.open(server.endpoint);
    expect(expectResult(await client.request(envelope("ping")), "ping").server.implementation).toBe("typescript-testkit");
    expect(server.requestCount).toBe(1);
  });

  it("refuses handlers for methods the protocol does not have", async () => {
    await expect(startTestServer({ handlers: { evalute: () => ({}) } as never })).rejects.toThrow(/evalute: not a command/);
  });

  it("close() is idempotent and the socket is gone afterwards", async () => {
    const { server } = await serve();
    await server.close();
    await server.close();
    expect(server.closed).toBe(true);
  });
});

describe("no Smalltalk image", () => {
  // evaluate.cancel is protocol behaviour: the server itself answers it (cancel.test.ts).
  const smalltalkCommands = (Object.keys(COMMANDS) as CommandName[]).filter((m) => m !== "ping" && !m.startsWith("session.") && m !== "evaluate.cancel");

  it("has a test for every Smalltalk command", () => {
    expect(smalltalkCommands).toEqual([
      "evaluate", "inspect", "handles.release", "classes.list", "class.browse", "method.get", "method.compile", "system.info", "debug",
      "code.search", "code.complete", "packages.list", "class.define", "class.remove", "method.remove", "tests.run", "project.load", "image.save",
    ]);
  });

  it.each(smalltalkCommands)("%s without a handler answers internalError, never a made-up result", async (method) => {
    const { server, client } = await serve();
    // Commands that name a session get a live one, so the answer is about the missing image.
    let params = VALID_PARAMS[method];
    if ("sessionId" in params) {
      const created = expectResult(await client.request(envelope("session.create", VALID_PARAMS["session.create"])), "session.create");
      params = { ...params, sessionId: created.sessionId };
    }
    const data = expectError(await client.request(envelope(method, params)), "internalError");
    expect(data.detail).toBe(`no Smalltalk image behind this test server: supply a handler for '${method}'`);
    expect(server.callsOf(method)).toMatchObject([{ method, handler: "none", outcome: "error", errorKind: "internalError" }]);
    expect(server.violations).toEqual([]);
  });
});

describe("contract testing", () => {
  it("a handler answering a wrong result shape makes an internalError naming the violation, and is recorded", async () => {
    const { server, client } = await serve({ handlers: { evaluate: () => ({ value: "7", durationMs: 0 }) as never } });
    const data = expectError(await client.request(envelope("evaluate", { code: "3 + 4" })), "internalError");
    expect(data.detail).toContain("contract violation");
    expect(data.detail).toContain("#/$defs/EvaluateResult");
    expect(data.detail).toContain("/value must be object");
    expect(server.violations).toMatchObject([{ method: "evaluate", schema: "EvaluateResult", problems: [{ path: "/value", message: "must be object" }] }]);
    expect(() => server.assertNoViolations()).toThrow(/broke the protocol 1 time\(s\):\n {2}- the handler for 'evaluate'/);
    // The server keeps serving.
    expectResult(await client.request(envelope("ping")), "ping");
  });

  it("catches a missing required member and an extra one", async () => {
    const { server, client } = await serve({
      handlers: { "system.info": () => ({ platform: { os: "unix", cpu: "x" } }) as never, "classes.list": () => ({ total: 0, offset: 0 }) as never },
    });
    expectError(await client.request(envelope("system.info", {})), "internalError");
    expectError(await client.request(envelope("classes.list", {})), "internalError");
    expect(server.violations.map((v) => [v.schema, v.problems[0]])).toEqual([
      ["SystemInfoResult", { path: "/platform/cpu", message: "must NOT have additional properties" }],
      ["ClassesListResult", { path: "", message: "must have required property 'classes'" }],
    ]);
  });

  it("catches a result that is not JSON (NaN becomes null on the wire)", async () => {
    const { server, client } = await serve({ handlers: { evaluate: () => ({ value: seven, durationMs: Number.NaN }) } });
    expectError(await client.request(envelope("evaluate", { code: "0/0.0" })), "internalError");
    expect(server.violations[0]?.problems).toEqual([{ path: "/durationMs", message: "must be number" }]);
  });

  it("an override of a built-in (ping) is checked too", async () => {
    const { server, client } = await serve({ handlers: { ping: () => ({ status: "fine" }) as never } });
    expectError(await client.request(envelope("ping")), "internalError");
    expect(server.violations[0]).toMatchObject({ method: "ping", schema: "PingResult" });
  });

  it("a ProtocolError becomes that error reply, with the schema's code", async () => {
    const { server, client } = await serve({
      handlers: { evaluate: () => { throw new ProtocolError("syntaxError", { description: "']' expected", line: 1, column: 31, position: 31 }); } },
    });
    const reply = await client.request(envelope("evaluate", { code: "1 to: 3 do: [:i | i printString" }));
    expect(expectError(reply, "syntaxError")).toEqual({ kind: "syntaxError", description: "']' expected", line: 1, column: 31, position: 31 });
    expect((reply as { error: { code: number } }).error.code).toBe(-32010);
    expect(server.violations).toEqual([]);
  });

  it("a ProtocolError with data of the wrong shape is a violation", async () => {
    const { server, client } = await serve({
      handlers: { evaluate: () => { throw new ProtocolError("syntaxError", { description: "bad", line: 0 } as never); } },
    });
    expect(expectError(await client.request(envelope("evaluate", { code: "x" })), "internalError").detail).toContain("#/$defs/ErrorObject");
    expect(server.violations[0]?.schema).toBe("ErrorObject");
  });

  it("a ProtocolError of a kind the command may not answer is a violation", async () => {
    const { server, client } = await serve({
      handlers: { evaluate: () => { throw new ProtocolError("classNotFound", { className: "Foo" }); } },
    });
    const data = expectError(await client.request(envelope("evaluate", { code: "Foo new" })), "internalError");
    expect(data.detail).toContain("threw a classNotFound, which evaluate may not answer");
    expect(server.violations[0]?.schema).toBe("x-stui-commands/evaluate/x-stui-errors");
  });

  it("any other thrown error becomes internalError with its message, is kept, and is no violation", async () => {
    const { server, client } = await serve({ handlers: { "class.browse": () => { throw new TypeError("boom"); } } });
    const data = expectError(await client.request(envelope("class.browse", { className: "Object" })), "internalError");
    expect(data.detail).toBe("the handler for 'class.browse' threw TypeError: boom");
    expect(server.handlerFailures).toHaveLength(1);
    expect(server.violations).toEqual([]);
  });

  it("isProtocolError tells kinds apart", () => {
    const error = new ProtocolError("timeout", { timeoutMs: 5 });
    expect(isProtocolError(error)).toBe(true);
    expect(isProtocolError(error, "timeout")).toBe(true);
    expect(isProtocolError(error, "syntaxError")).toBe(false);
    expect(isProtocolError(new Error("x"))).toBe(false);
    expect(error.rpcCode).toBe(-32012);
    expect(error.code).toBe("timeout");
  });
});

describe("handler context and sessions", () => {
  it("params arrive with defaults, the context names the request and the live session", async () => {
    const seen: unknown[] = [];
    const { client } = await serve({
      handlers: {
        evaluate(params, context) {
          seen.push({ params, requestId: context.requestId, method: context.method, session: context.session?.id, live: context.sessions.size });
          context.requireSession().setVariable("x", seven);
          return { value: seven, durationMs: 0, historyIndex: context.requireSession().recordHistory({ code: params.code, ok: true, printString: "7" }) };
        },
      },
    });
    const { sessionId } = expectResult(await client.request(envelope("session.create", VALID_PARAMS["session.create"])), "session.create");
    const request = envelope("evaluate", { sessionId, code: "x := 3 + 4" });
    expect(expectResult(await client.request(request), "evaluate").historyIndex).toBe(1);
    expect(seen).toEqual([{ params: { sessionId, code: "x := 3 + 4", timeoutMs: 30000, printLimit: 10000, keepHandle: false }, requestId: request["id"], method: "evaluate", session: sessionId, live: 1 }]);
    const restored = expectResult(await client.request(envelope("session.restore", { sessionId })), "session.restore");
    expect(restored.variables).toEqual([{ name: "x", value: seven }]);
    expect(restored.history).toMatchObject([{ index: 1, code: "x := 3 + 4", ok: true }]);
    expect(expectResult(await client.request(envelope("session.close", { sessionId })), "session.close").releasedVariables).toBe(1);
  });

  it("a dead session is answered with sessionNotFound before the handler runs", async () => {
    let runs = 0;
    const { client } = await serve({ handlers: { evaluate: () => { runs++; return { value: seven, durationMs: 0 }; } } });
    expectError(await client.request(envelope("evaluate", { sessionId: "s-gone", code: "1" })), "sessionNotFound");
    expect(runs).toBe(0);
  });

  it("session.create reports what the supplied handlers can do", async () => {
    const { client } = await serve({ handlers: { evaluate: () => ({ value: seven, durationMs: 0 }), "method.get": () => { throw new Error("unused"); } } });
    const created = expectResult(await client.request(envelope("session.create", VALID_PARAMS["session.create"])), "session.create");
    expect(created.capabilities).toEqual(["evaluate", "browse"]);
    expect(created.server).toEqual({ name: "stui-test-server", version: "0.1.0", implementation: "typescript-testkit" });
  });

  it("sessions expire after their idle timeout; any request naming one refreshes it (fake clock)", async () => {
    let now = 1_000_000;
    const { client } = await serve({ now: () => now, handlers: { evaluate: () => ({ value: seven, durationMs: 0 }) } });
    const { sessionId, idleTimeoutMs } = expectResult(await client.request(envelope("session.create", { ...VALID_PARAMS["session.create"], idleTimeoutMs: 1000 })), "session.create");
    expect(idleTimeoutMs).toBe(1000);
    now += 999;
    expectResult(await client.request(envelope("session.restore", { sessionId })), "session.restore");
    now += 999;
    expectResult(await client.request(envelope("evaluate", { sessionId, code: "1" })), "evaluate");
    now += 999;
    const listed = expectResult(await client.request(envelope("session.list", {})), "session.list").sessions;
    expect(listed.map((s) => s.sessionId)).toEqual([sessionId]);
    now += 1; // session.list does not refresh: 1000 ms since the evaluate
    expect(expectResult(await client.request(envelope("session.list", {})), "session.list").sessions).toEqual([]);
    expectError(await client.request(envelope("session.restore", { sessionId })), "sessionNotFound");
  });

  it("uses the idleTimeoutMs option for sessions that ask for none", async () => {
    const { client } = await serve({ idleTimeoutMs: 5000 });
    expect(expectResult(await client.request(envelope("session.create", VALID_PARAMS["session.create"])), "session.create").idleTimeoutMs).toBe(5000);
  });

  it("session ids are unique", async () => {
    const { client } = await serve();
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) ids.add(expectResult(await client.request(envelope("session.create", VALID_PARAMS["session.create"])), "session.create").sessionId);
    expect(ids.size).toBe(50);
  });
});

describe("options", () => {
  it("maxMessageBytes sets the limit messageTooLarge reports", async () => {
    const { client } = await serve({ maxMessageBytes: 100 });
    expect(expectError(await client.request(Buffer.alloc(101, 0x20)), "messageTooLarge")).toEqual({ kind: "messageTooLarge", limitBytes: 100, actualBytes: 101 });
    const small = JSON.stringify(envelope("ping"));
    expect(small.length).toBeLessThanOrEqual(100);
    expectResult(await client.request(small), "ping");
  });

  it("replyCacheSize bounds the cache: an evicted id runs again", async () => {
    let runs = 0;
    const { server, client } = await serve({ replyCacheSize: 2, handlers: { evaluate: () => ({ value: { ...seven, printString: String(++runs) }, durationMs: 0 }) } });
    const [a, b, c] = [envelope("evaluate", { code: "a" }), envelope("evaluate", { code: "b" }), envelope("evaluate", { code: "c" })];
    await client.request(a);
    await client.request(b);
    expect(expectResult(await client.request(a), "evaluate").value.printString).toBe("1"); // cached, and now most recent
    await client.request(c); // evicts b
    expect(expectResult(await client.request(a), "evaluate").value.printString).toBe("1");
    expect(expectResult(await client.request(b), "evaluate").value.printString).toBe("4");
    expect(runs).toBe(4);
    expect(server.stats.cacheHits).toBe(2);
  });

  it("callLogSize bounds the call log: a long-running server keeps the most recent calls, not all", async () => {
    const { server, client } = await serve({ callLogSize: 3 });
    for (let i = 0; i < 10; i++) await client.request(envelope("ping", { echo: String(i) }));
    expect(server.calls.length).toBeGreaterThanOrEqual(3);
    expect(server.calls.length).toBeLessThan(6);
    expect(server.calls.at(-1)?.params).toEqual({ echo: "9" });
    expect(server.requestCount).toBe(10);
  });

  it("a replyCacheSize of 0 turns the cache off", async () => {
    let runs = 0;
    const { client } = await serve({ replyCacheSize: 0, handlers: { evaluate: () => ({ value: { ...seven, printString: String(++runs) }, durationMs: 0 }) } });
    const request = envelope("evaluate", { code: "a" });
    await client.request(request);
    expect(expectResult(await client.request(request), "evaluate").value.printString).toBe("2");
  });

  it("string id \"1\" and integer id 1 are different requests", async () => {
    let runs = 0;
    const { client } = await serve({ handlers: { evaluate: () => ({ value: { ...seven, printString: String(++runs) }, durationMs: 0 }) } });
    await client.request(envelope("evaluate", { code: "a" }, { id: 1 }));
    expect(expectResult(await client.request(envelope("evaluate", { code: "a" }, { id: "1" })), "evaluate").value.printString).toBe("2");
  });

  it("stats count messages, replies and errors by kind", async () => {
    const { server, client } = await serve();
    await client.request("nope");
    await client.request(envelope("ping"));
    expect(server.stats).toMatchObject({ messages: 2, replies: 2, errors: { parseError: 1 } });
  });
});
