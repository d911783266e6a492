/**
 * Conformance, Smalltalk tier: real Smalltalk semantics, so only a real Pharo server can pass it.
 * It never runs against the reference test server (which has no image and says so). Set
 * STUI_PHARO_ENDPOINT (e.g. tcp://127.0.0.1:5555 after `npm run pharo`) to run it.
 *
 *   raw DEALER ──evaluate "3 + 4"──▶ Pharo STUI server ──▶ compiler, VM
 *              ◀── {value: {printString: "7", className: "SmallInteger"}} ──
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CLIENT_VERSIONS, VERSIONS } from "@stui/client/protocol";
import { ClientPool, envelope, expectError, expectResult, expectValidResponse, idOf, uniqueId, type RawClient } from "../helpers/index.js";

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
    const created = expectResult(await call("session.create", { clientName: `smalltalk-conformance-${uniqueId()}`, protocolVersions: [...CLIENT_VERSIONS], debug: true }), "session.create");
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

  // ── protocol 1.2 ────────────────────────────────────────────────────────────────────────────

  /** A class name no image has yet: letters and digits only. */
  const fresh = (stem: string) => `${stem}${uniqueId().replace(/[^A-Za-z0-9]/g, "")}`;

  it("evaluate answers what it wrote to the Transcript (1.2), and a 1.0 request never gets output", async () => {
    const code = "Transcript show: 'hello from stui'; cr. 42";
    const result = expectResult(await call("evaluate", { sessionId, code }), "evaluate");
    expect(result.value.printString).toBe("42");
    expect(result.output?.text).toContain("hello from stui");
    expect(result.output?.truncated).toBe(false);
    const old = await client.request(envelope("evaluate", { code }, { stui: "1.0" }));
    expectValidResponse(old, "evaluate", VERSIONS["1.0"]);
    expect((old as { result: object }).result).not.toHaveProperty("output");
  });

  it("evaluate.cancel stops a running evaluation of the session: it answers cancelled, and the session goes on", async () => {
    //  A ──evaluate (30 s)─────────────────────▶ Pharo ─▶ runs
    //  B ──evaluate.cancel {requestId}──────────▶ Pharo ─▶ A's evaluation answers cancelled
    const a = clients.open(PHARO_ENDPOINT!, "dealer", { receiveTimeoutMs: 30_000 });
    const slow = envelope("evaluate", { sessionId, code: "(Delay forSeconds: 30) wait. #finished", timeoutMs: 60_000 });
    await a.send(slow);
    let cancelled: unknown[] = [];
    for (let i = 0; i < 50 && cancelled.length === 0; i++) {
      cancelled = expectResult(await call("evaluate.cancel", { sessionId, requestId: slow.id }), "evaluate.cancel").cancelled;
      if (cancelled.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(cancelled).toEqual([slow.id]);
    const reply = await a.receive();
    expect(idOf(reply)).toBe(slow.id);
    expect(expectError(reply, "cancelled").durationMs).toBeLessThan(30_000);
    expect(expectResult(await call("evaluate.cancel", { sessionId, requestId: slow.id }), "evaluate.cancel").cancelled).toEqual([]);
    expect(expectResult(await call("evaluate", { sessionId, code: "3 + 4" }), "evaluate").value.printString).toBe("7");
  });

  it("code.search: implementors, senders, subclasses, a package scope; method.get takes a match as it is", async () => {
    const implementors = expectResult(await call("code.search", { kind: "implementors", query: "printOn:", packages: ["Kernel"], limit: 1000 }), "code.search");
    const object = implementors.methods.find((m) => m.className === "Object" && m.side === "instance");
    expect(object).toMatchObject({ selector: "printOn:", package: "Kernel" });
    expect(expectResult(await call("method.get", object!), "method.get").source.startsWith("printOn:")).toBe(true);
    const senders = expectResult(await call("code.search", { kind: "senders", query: "printOn:", limit: 5 }), "code.search");
    expect(senders.total).toBeGreaterThan(5);
    expect(senders.methods).toHaveLength(5);
    const tests = expectResult(await call("code.search", { kind: "subclasses", query: "TestCase", packages: ["STUI-Tests"], limit: 1000 }), "code.search");
    expect(tests.classes.map((c) => c.name)).toContain("STUIWireVectorsTest");
    expect(expectError(await call("code.search", { kind: "senders", query: "x", packages: ["NoSuchPackageXyz"] }), "packageNotFound").package).toBe("NoSuchPackageXyz");
  });

  it("code.complete offers a session variable, a global and a selector", async () => {
    expectResult(await call("evaluate", { sessionId, code: "stuiCompletionProbe := 1" }), "evaluate");
    const variable = expectResult(await call("code.complete", { sessionId, source: "stuiCompletionPr", position: 16 }), "code.complete");
    expect(variable).toMatchObject({ prefix: "stuiCompletionPr", start: 0 });
    expect(variable.completions).toContainEqual(expect.objectContaining({ text: "stuiCompletionProbe", kind: "variable" }));
    const global = expectResult(await call("code.complete", { source: "Transcr", position: 7 }), "code.complete");
    expect(global.completions.map((c) => c.text)).toContain("Transcript");
    const selector = expectResult(await call("code.complete", { source: "3 printStr", position: 10 }), "code.complete");
    expect(selector.completions).toContainEqual(expect.objectContaining({ text: "printString", kind: "selector" }));
    expectError(await call("code.complete", { source: "ab", position: 3 }), "invalidParams");
  });

  it("packages.list counts a package's classes and tags", async () => {
    const result = expectResult(await call("packages.list", { pattern: "STUI-Server" }), "packages.list");
    expect(result.packages).toHaveLength(1);
    expect(result.packages[0]!.classCount).toBeGreaterThan(0);
    expect(result.packages[0]!.tags.reduce((sum, t) => sum + t.classCount, 0)).toBe(result.packages[0]!.classCount);
  });

  it("class.define, method.compile (dry run, warnings, an undeclared variable refused), tests.run, method.remove, class.remove", async () => {
    const name = fresh("STUIConformanceProbe");
    const testName = `${name}Test`;
    const pkg = "STUI-Conformance-Probe";
    try {
      const defined = expectResult(await call("class.define", { className: name, superclass: "Object", package: pkg, instanceVariables: ["count"], comment: "A probe of the conformance suite." }), "class.define");
      expect(defined).toMatchObject({ className: name, superclass: "Object", package: pkg, instanceVariables: ["count"], created: true });
      expect(expectResult(await call("class.define", { className: name, superclass: "Object", package: pkg, instanceVariables: ["count"] }), "class.define")).toMatchObject({ created: false, comment: "A probe of the conformance suite." });
      expect(expectError(await call("class.define", { className: name, superclass: "Object", package: pkg, instanceVariables: ["count", "count"] }), "invalidDefinition").className).toBe(name);
      expectError(await call("class.define", { className: fresh("STUIProbe"), superclass: "NoSuchClassXyz", package: pkg }), "classNotFound");

      const dry = expectResult(await call("method.compile", { className: name, source: "double\n\t| unused |\n\t^ count * 2", dryRun: true }), "method.compile");
      expect(dry).toMatchObject({ selector: "double", created: true });
      expect(dry.warnings?.map((w) => w.description).join(" ")).toMatch(/unused/i);
      expectError(await call("method.get", { className: name, selector: "double" }), "selectorNotFound");
      expectError(await call("method.compile", { className: name, source: "broken\n\t^ undefinedThingXyz + 1" }), "syntaxError");
      expectError(await call("method.get", { className: name, selector: "broken" }), "selectorNotFound");
      expectResult(await call("method.compile", { className: name, source: "count\n\t^ count ifNil: [ 0 ]", protocol: "accessing" }), "method.compile");

      expectResult(await call("class.define", { className: testName, superclass: "TestCase", package: pkg }), "class.define");
      expectResult(await call("method.compile", { className: testName, source: `testPasses\n\tself assert: ${name} new count equals: 0` }), "method.compile");
      expectResult(await call("method.compile", { className: testName, source: "testFails\n\tself assert: 1 equals: 2" }), "method.compile");
      expectResult(await call("method.compile", { className: testName, source: "testErrs\n\t^ 1 / 0" }), "method.compile");
      expectResult(await call("method.compile", { className: testName, source: "testSlow\n\t(Delay forSeconds: 5) wait" }), "method.compile");
      const run = expectResult(await call("tests.run", { sessionId, classes: [testName], testTimeoutMs: 500, maxFrames: 3 }), "tests.run");
      expect(run.counts).toEqual({ total: 4, passed: 1, failed: 1, errors: 2, skipped: 0 });
      const byName = Object.fromEntries(run.results.map((r) => [r.selector, r]));
      expect(byName["testFails"]).toMatchObject({ outcome: "failed", exception: { exceptionClass: "TestFailure" } });
      expect(byName["testErrs"]).toMatchObject({ outcome: "error", exception: { exceptionClass: "ZeroDivide" } });
      expect(byName["testErrs"]!.exception!.frames.length).toBeLessThanOrEqual(3);
      expect(byName["testSlow"]).toMatchObject({ outcome: "error", exception: { exceptionClass: "TestTookTooMuchTime" } });
      const failures = expectResult(await call("tests.run", { tests: [{ className: testName, selector: "testPasses" }, { className: testName, selector: "testFails" }], failuresOnly: true }), "tests.run");
      expect(failures.counts.total).toBe(2);
      expect(failures.results.map((r) => r.selector)).toEqual(["testFails"]);
      expectError(await call("tests.run", { classes: [name] }), "invalidParams");

      expect(expectError(await call("class.remove", { className: "TestCase" }), "classHasSubclasses").subclasses).toContain(testName);
      expect(expectResult(await call("method.remove", { className: testName, selector: "testSlow" }), "method.remove").source).toContain("Delay");
      expectError(await call("method.remove", { className: testName, selector: "testSlow" }), "selectorNotFound");
    } finally {
      for (const className of [testName, name]) await client.request(envelope("class.remove", { className }));
    }
    expectError(await call("class.browse", { className: name }), "classNotFound");
    expectError(await call("class.remove", { className: name }), "classNotFound");
  });

  // An older client keeps working on a 1.2 server: it knows nothing of dryRun, and its reply is
  // shaped for its version (no warnings). No wire vector can show this (the reference server
  // has no image to compile into); the Pharo server once answered internalError to every one.
  it("method.compile from a 1.0 and a 1.1 client installs the method, as it always did", async () => {
    const name = fresh("STUIConformanceOldClient");
    const pkg = "STUI-Conformance-Probe";
    try {
      expectResult(await call("class.define", { className: name, superclass: "Object", package: pkg }), "class.define");
      for (const stui of ["1.0", "1.1"] as const) {
        const selector = `answer${stui.replace(".", "")}`;
        const reply = await client.request(envelope("method.compile", { className: name, source: `${selector}\n\t^ 42`, protocol: "accessing" }, { stui }));
        expectValidResponse(reply, "method.compile", VERSIONS[stui]);
        expect((reply as { error?: unknown }).error, JSON.stringify(reply).slice(0, 300)).toBeUndefined();
        expect((reply as { result: object }).result).toEqual({ className: name, selector, side: "instance", protocol: "accessing", created: true });
        const value = expectResult(await call("evaluate", { code: `${name} new ${selector}` }), "evaluate").value;
        expect(value.printString).toBe("42");
      }
    } finally {
      await client.request(envelope("class.remove", { className: name }));
    }
  });

  it("project.load of a repository that does not exist is a projectLoadError, and the server goes on", async () => {
    const data = expectError(await call("project.load", { baseline: "NoSuchProjectXyz", repository: "tonel:///nonexistent/stui-conformance/src", timeoutMs: 60_000 }), "projectLoadError");
    expect(data).toMatchObject({ baseline: "NoSuchProjectXyz", reason: "repository", loaded: [] });
    expectResult(await call("ping", {}), "ping");
  });

  // Saving writes the image file: only where that is wanted (the CI workflow sets it).
  it.runIf(process.env["STUI_PHARO_SAVE_IMAGE"] === "1")("image.save saves without quitting: the server and the session go on", async () => {
    const saved = expectResult(await call("image.save", {}), "image.save");
    expect(saved.imagePath).toMatch(/\.image$/);
    expect(saved.changesPath).toMatch(/\.changes$/);
    expectResult(await call("ping", {}), "ping");
    expect(expectResult(await call("evaluate", { sessionId, code: "3 + 4" }), "evaluate").value.printString).toBe("7");
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
