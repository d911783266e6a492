/**
 * Conformance, Smalltalk tier: real Smalltalk semantics, so only a real Pharo server can pass it.
 * It never runs against the reference test server (which has no image and says so). Set
 * STUI_PHARO_ENDPOINT (e.g. tcp://127.0.0.1:5555 after `npm run pharo`) to run it.
 *
 *   raw DEALER ──evaluate "3 + 4"──▶ Pharo STUI server ──▶ compiler, VM
 *              ◀── {value: {printString: "7", className: "SmallInteger"}} ──
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "@stui/client/protocol";
import { ClientPool, envelope, expectError, expectResult, expectValidResponse, uniqueId, type RawClient } from "../helpers/index.js";

const PHARO_ENDPOINT = process.env["STUI_PHARO_ENDPOINT"] || undefined;
if (!PHARO_ENDPOINT) console.info("Smalltalk conformance skipped: set STUI_PHARO_ENDPOINT to run against a real Pharo server (it never runs against the reference test server).");

describe.skipIf(!PHARO_ENDPOINT)("Smalltalk conformance (set STUI_PHARO_ENDPOINT to run against a real Pharo server)", () => {
  const clients = new ClientPool();
  let client: RawClient;
  let sessionId: string;

  async function call(method: string, params: object): Promise<unknown> {
    const reply = await client.request(envelope(method, params));
    expectValidResponse(reply, method);
    return reply;
  }

  beforeAll(async () => {
    client = clients.open(PHARO_ENDPOINT!, "dealer", { receiveTimeoutMs: 30_000 });
    const created = expectResult(await call("session.create", { clientName: `smalltalk-conformance-${uniqueId()}`, protocolVersions: [PROTOCOL_VERSION], debug: true }), "session.create");
    sessionId = created.sessionId;
    expect(created.server.implementation).toBe("pharo");
    clients.closeAll();
  });
  // A fresh socket per test, closed after it; the session lives on the server between tests.
  beforeEach(() => {
    client = clients.open(PHARO_ENDPOINT!, "dealer", { receiveTimeoutMs: 30_000 });
  });
  afterEach(() => {
    clients.closeAll();
  });
  afterAll(async () => {
    if (!sessionId) return;
    const closer = clients.open(PHARO_ENDPOINT!, "dealer");
    await closer.request(envelope("session.close", { sessionId }));
    clients.closeAll();
  });

  it("3 + 4 answers 7", async () => {
    const result = expectResult(await call("evaluate", { code: "3 + 4" }), "evaluate");
    expect(result.value).toMatchObject({ printString: "7", className: "SmallInteger", truncated: false });
  });

  it("a workspace variable survives between evaluations, and session.restore shows it", async () => {
    expectResult(await call("evaluate", { sessionId, code: "total := 3 + 4" }), "evaluate");
    const result = expectResult(await call("evaluate", { sessionId, code: "total * 2" }), "evaluate");
    expect(result.value.printString).toBe("14");
    const restored = expectResult(await call("session.restore", { sessionId }), "session.restore");
    expect(restored.variables).toContainEqual({ name: "total", value: expect.objectContaining({ printString: "7", className: "SmallInteger" }) });
    expect(restored.history.map((entry) => entry.code)).toEqual(expect.arrayContaining(["total := 3 + 4", "total * 2"]));
  });

  it("a syntax error reports its line and column", async () => {
    const data = expectError(await call("evaluate", { code: "3 + 4.\n(1 to: 3) do: [:i | i printString" }), "syntaxError");
    expect(data.line).toBe(2);
    expect(data.column).toBeGreaterThanOrEqual(1);
    expect(data.column).toBeLessThanOrEqual("(1 to: 3) do: [:i | i printString".length + 1);
    expect(data.description.length).toBeGreaterThan(0);
  });

  it("a runtime error names its exception class: 1/0 is a ZeroDivide", async () => {
    const data = expectError(await call("evaluate", { code: "1/0" }), "evaluationError");
    expect(data.exceptionClass).toBe("ZeroDivide");
    expect(data.frames.length).toBeGreaterThan(0);
    expect(data.frames.some((frame) => frame.method.includes("DoIt"))).toBe(true);
  });

  it("inspect shows an object's slots", async () => {
    const result = expectResult(await call("inspect", { sessionId, expression: "3 @ 4" }), "inspect");
    expect(result.className).toBe("Point");
    expect(result.printString).toBe("(3@4)");
    expect(result.namedSlots.map((slot) => [slot.name, slot.value.printString])).toEqual([["x", "3"], ["y", "4"]]);
    expect(result.indexed).toEqual({ total: 0, offset: 0, elements: [] });
  });

  it("a kept handle can be inspected and released", async () => {
    const kept = expectResult(await call("evaluate", { sessionId, code: "OrderedCollection new add: 1; add: 2; yourself", keepHandle: true }), "evaluate");
    const handle = kept.value.handle!;
    expect(handle).toBeTruthy();
    const inspected = expectResult(await call("inspect", { sessionId, handle }), "inspect");
    expect(inspected.className).toBe("OrderedCollection");
    expect(expectResult(await call("handles.release", { sessionId, handles: [handle, "h-unknown"] }), "handles.release")).toEqual({ released: 1, unknown: ["h-unknown"] });
    expectError(await call("inspect", { sessionId, handle }), "handleNotFound");
  });

  it("Object browses: ProtoObject above it, protocols of selectors", async () => {
    const result = expectResult(await call("class.browse", { className: "Object" }), "class.browse");
    expect(result.name).toBe("Object");
    expect(result.superclasses).toEqual(["ProtoObject"]);
    expect(result.protocols.flatMap((p) => p.selectors)).toContain("printString");
    expectError(await call("class.browse", { className: "NoSuchClassXyz" }), "classNotFound");
  });

  it("Object>>printString has source", async () => {
    const result = expectResult(await call("method.get", { className: "Object", selector: "printString" }), "method.get");
    expect(result).toMatchObject({ className: "Object", selector: "printString", side: "instance", isExtension: false });
    expect(result.source.startsWith("printString")).toBe(true);
    expectError(await call("method.get", { className: "Object", selector: "noSuchSelectorXyz" }), "selectorNotFound");
  });

  it("classes.list finds Object by pattern", async () => {
    const result = expectResult(await call("classes.list", { pattern: "Objec*", limit: 1000 }), "classes.list");
    expect(result.classes.map((c) => c.name)).toContain("Object");
  });

  it("system.info reports Pharo 12", async () => {
    const result = expectResult(await call("system.info", { sections: ["version"] }), "system.info");
    expect(result.version?.major).toBe(12);
  });

  // The protocol tier checks this against the reference server only (it scripts a handler that it
  // holds open); here a slow evaluation holds the run open.
  it("a request re-sent while it still runs waits for that run: it runs once and both sockets get its reply", async () => {
    //  A ──evaluate id=X (1 s)──▶ Pharo ─▶ worker runs it
    //  B ──evaluate id=X───────▶ Pharo ─▶ waits for the same run
    //                              done ─▶ the reply ──▶ A, and the same reply ──▶ B
    expectResult(await call("evaluate", { sessionId, code: "runs := 0" }), "evaluate");
    const request = envelope("evaluate", { sessionId, code: "(Delay forMilliseconds: 1000) wait. runs := runs + 1" });
    const a = clients.open(PHARO_ENDPOINT!, "dealer", { receiveTimeoutMs: 30_000 });
    const b = clients.open(PHARO_ENDPOINT!, "dealer+delimiter", { receiveTimeoutMs: 30_000 });
    await a.send(request);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await b.send(request);
    const [replyA, replyB] = [await a.receive(), await b.receive()];
    expect(expectResult(replyA, "evaluate").value.printString).toBe("1");
    expect(replyB).toEqual(replyA);
    expect(expectResult(await call("evaluate", { sessionId, code: "runs" }), "evaluate").value.printString).toBe("1");
  });

  it("debug: a failed evaluation stays suspended, shows its stack, steps, and terminates", async () => {
    const failed = expectError(await call("evaluate", { sessionId, code: "| a | a := 1. a / 0" }), "evaluationError");
    expect(failed.exceptionClass).toBe("ZeroDivide");
    const debugId = failed.debugId!;
    expect(debugId).toBeTruthy();

    const stack = expectResult(await call("debug", { sessionId, debugId, action: "stack" }), "debug");
    expect(stack.state).toBe("suspended");
    expect(stack.frames!.length).toBeGreaterThan(0);
    const doIt = stack.frames!.find((frame) => frame.method.includes("DoIt"))!;
    expect(doIt).toBeDefined();

    const variables = expectResult(await call("debug", { sessionId, debugId, action: "variables", frame: doIt.index }), "debug");
    expect(variables.variables?.map((v) => v.name)).toContain("a");

    const stepped = expectResult(await call("debug", { sessionId, debugId, action: "stepOver", frame: 0 }), "debug");
    expect(["suspended", "finished"]).toContain(stepped.state);

    if (stepped.state === "suspended") {
      const terminated = expectResult(await call("debug", { sessionId, debugId, action: "terminate" }), "debug");
      expect(terminated.state).toBe("terminated");
    }
    expectError(await call("debug", { sessionId, debugId, action: "stack" }), "debugSessionNotFound");
  });
});
