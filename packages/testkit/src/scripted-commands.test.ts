/**
 * Every command of protocol 1.2 end to end through the typed client, against the reference
 * server with the scripted-handlers example table (a test double: answers come from the invented
 * image in examples/scripted-image.ts; nothing runs Smalltalk). Every reply is checked against
 * the schema twice: by the server before it goes out, by the client when it arrives.
 *
 *   connect() ──typed call──▶ reference server ──▶ withScriptedCommands(table) ──▶ invented image
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connect, isRemoteError, type StuiClient } from "@stui/client";
import { withScriptedCommands } from "../examples/scripted-commands.js";
import { startTestServer, uniqueAddress, type TestServer } from "./index.js";

let server: TestServer;
let client: StuiClient;

beforeEach(async () => {
  // A fresh invented image per test: definitions do not leak between tests.
  server = await startTestServer({
    endpoint: await uniqueAddress("tcp"),
    handlers: withScriptedCommands({
      // Scripted too: any code sets the workspace variable total, for code.complete.
      evaluate(_params, context) {
        const value = { printString: "7", className: "SmallInteger", truncated: false };
        context.requireSession().setVariable("total", value);
        return { value, durationMs: 0 };
      },
    }),
  });
  client = await connect({ endpoint: server.endpoint, mode: "pipelined", timeoutMs: 5000 });
});

afterEach(async () => {
  await client.close();
  server.assertNoViolations();
  await server.close();
});

async function remoteError(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

describe("the scripted 1.2 commands through the typed client", () => {
  it("code.search: senders, implementors, source, classes, subclasses, with package scope and paging; method.get takes a match as it is", async () => {
    const senders = await client.code.search({ kind: "senders", query: "printOn:" });
    expect(senders.methods.map((m) => `${m.className}>>${m.selector}`)).toEqual(["Counter>>printOn:", "Object>>printString", "Point>>printOn:"]);
    expect(senders).toMatchObject({ kind: "senders", total: 3, offset: 0, classes: [] });
    const second = await client.code.search({ kind: "senders", query: "printOn:", offset: 1, limit: 1 });
    expect(second).toMatchObject({ total: 3, offset: 1, methods: [{ className: "Object", selector: "printString" }] });
    const scoped = await client.code.search({ kind: "implementors", query: "printOn:", packages: ["MyApp"] });
    expect(scoped.methods).toEqual([{ className: "Counter", side: "instance", selector: "printOn:", package: "MyApp", protocol: "printing" }]);
    const method = await client.method.get(scoped.methods[0]!);
    expect(method.source).toContain("super printOn: aStream");
    expect((await client.code.search({ kind: "source", query: "COUNT :=" })).methods.map((m) => m.selector)).toEqual(["increment", "reset"]);
    expect((await client.code.search({ kind: "source", query: "COUNT :=", caseSensitive: true })).total).toBe(0);
    expect((await client.code.search({ kind: "classes", query: "*test*" })).classes.map((c) => c.name)).toEqual(["CounterTest", "SlowTest", "TestCase"]);
    expect((await client.code.search({ kind: "subclasses", query: "TestCase", packages: ["MyApp-Tests"] })).classes).toEqual([{ name: "CounterTest", package: "MyApp-Tests", superclass: "TestCase", hasComment: false }]);
    expect((await client.code.search({ kind: "references", query: "Counter" })).methods.map((m) => `${m.className}>>${m.selector}`)).toEqual(["CounterTest>>testDecrement", "CounterTest>>testIncrement", "CounterTest>>testReset"]);
    const missing = await remoteError(client.code.search({ kind: "senders", query: "x", packages: ["MyApp-Tset"] }));
    if (!isRemoteError(missing, "packageNotFound")) throw missing;
    expect(missing.data.package).toBe("MyApp-Tset");
  });

  it("packages.list: tags with class counts, pattern and paging", async () => {
    const all = await client.packages.list();
    expect(all.packages.map((p) => p.name)).toEqual(["Kernel", "Kernel-BasicObjects", "MyApp", "MyApp-Slow", "MyApp-Tests", "SUnit-Core"]);
    expect((await client.packages.list({ pattern: "myapp*", limit: 1, offset: 1 })).packages).toEqual([{ name: "MyApp-Slow", classCount: 1, tags: [{ name: "Uncategorized", classCount: 1 }] }]);
    expect(all.packages.find((p) => p.name === "MyApp")!.tags).toEqual([{ name: "Model", classCount: 1 }]);
  });

  it("code.complete: the word before the cursor, session variables first at a statement's start, selectors after a receiver", async () => {
    const session = await client.openSession();
    await session.evaluate("total := 3 + 4");
    const start = await client.code.complete({ sessionId: session.id, source: "to", position: 2 });
    expect(start).toEqual({ prefix: "to", start: 0, total: 1, completions: [{ text: "total", kind: "variable", detail: "SmallInteger" }] });
    const message = await client.code.complete({ sessionId: session.id, source: "total print", position: 11 });
    expect(message).toMatchObject({ prefix: "print", start: 6, completions: [{ text: "printOn:", kind: "selector" }, { text: "printString", kind: "selector" }] });
    const e = await remoteError(client.code.complete({ source: "ab", position: 3 }));
    if (!isRemoteError(e, "invalidParams")) throw e;
    expect(e.data.errors).toEqual([{ path: "/position", message: "must be at most the source's length (2)" }]);
  });

  it("class.define → method.compile (a dry run installs nothing) → tests.run → method.remove → class.remove", async () => {
    const defined = await client.class.define({ className: "StuiScaffoldDemo", superclass: "Object", package: "Scaffold", instanceVariables: ["greeting"], comment: "scripted" });
    expect(defined).toMatchObject({ className: "StuiScaffoldDemo", created: true, tag: null, definition: "Object << #StuiScaffoldDemo\n\tslots: { #greeting };\n\tpackage: 'Scaffold'" });
    expect((await client.class.define({ className: "StuiScaffoldDemo", superclass: "Object", package: "Scaffold" })).created).toBe(false);
    await client.class.define({ className: "StuiScaffoldDemoTest", superclass: "TestCase", package: "Scaffold" });

    const dry = await client.method.compile({ className: "StuiScaffoldDemo", source: "greeting\n\t^ 'hello'", dryRun: true });
    expect(dry).toMatchObject({ selector: "greeting", created: true, warnings: [] });
    expect(isRemoteError(await remoteError(client.method.get({ className: "StuiScaffoldDemo", selector: "greeting" })), "selectorNotFound")).toBe(true);
    await client.method.compile({ className: "StuiScaffoldDemo", source: "greeting\n\t^ 'hello'", protocol: "accessing" });
    await client.method.compile({ className: "StuiScaffoldDemoTest", source: "testGreeting\n\tself assert: StuiScaffoldDemo new greeting = 'hello'" });
    expect((await client.method.get({ className: "StuiScaffoldDemo", selector: "greeting" })).protocol).toBe("accessing");

    const run = await client.tests.run({ classes: ["StuiScaffoldDemoTest"] });
    expect(run.counts).toEqual({ total: 1, passed: 1, failed: 0, errors: 0, skipped: 0 });

    const subclassed = await remoteError(client.class.remove({ className: "TestCase" }));
    if (!isRemoteError(subclassed, "classHasSubclasses")) throw subclassed;
    expect(subclassed.data.subclasses).toEqual(["CounterTest", "SlowTest", "StuiScaffoldDemoTest"]);
    expect(await client.method.remove({ className: "StuiScaffoldDemo", selector: "greeting" })).toMatchObject({ source: "greeting\n\t^ 'hello'", package: "Scaffold" });
    expect((await client.class.remove({ className: "StuiScaffoldDemoTest" })).package).toBe("Scaffold");
    expect((await client.class.remove({ className: "StuiScaffoldDemo" })).definition).toContain("#StuiScaffoldDemo");
    expect(isRemoteError(await remoteError(client.class.remove({ className: "StuiScaffoldDemo" })), "classNotFound")).toBe(true);

    const refused = await remoteError(client.class.define({ className: "Counter", superclass: "Object", package: "MyApp", instanceVariables: ["count", "count"] }));
    if (!isRemoteError(refused, "invalidDefinition")) throw refused;
    expect(refused.data.description).toMatch(/count is defined twice/);
  });

  it("tests.run: counts, failuresOnly, exception detail with maxFrames; a class that is not a TestCase is invalidParams", async () => {
    const all = await client.tests.run({ packages: ["MyApp-Tests"] });
    expect(all.counts).toEqual({ total: 5, passed: 2, failed: 1, errors: 1, skipped: 1 });
    expect(all.results.map((r) => `${r.selector}:${r.outcome}`)).toEqual(["testDecrement:error", "testDivide:failed", "testIncrement:passed", "testLater:skipped", "testReset:passed"]);
    const failures = await client.tests.run({ classes: ["CounterTest"], failuresOnly: true, maxFrames: 1 });
    expect(failures.counts.total).toBe(5);
    expect(failures.results.map((r) => [r.selector, r.exception?.exceptionClass, r.exception?.frames.length])).toEqual([["testDecrement", "MessageNotUnderstood", 1], ["testDivide", "TestFailure", 1]]);
    const notATest = await remoteError(client.tests.run({ classes: ["Counter"] }));
    if (!isRemoteError(notATest, "invalidParams")) throw notATest;
    expect(notATest.data.errors[0]!.path).toBe("/classes/0");
    expect(isRemoteError(await remoteError(client.tests.run({ tests: [{ className: "CounterTest", selector: "testNothing" }] })), "selectorNotFound")).toBe(true);
  });

  it("tests.run with a sessionId: evaluate.cancel stops the run, which answers cancelled", async () => {
    const session = await client.openSession();
    const run = remoteError(client.tests.run({ sessionId: session.id, classes: ["SlowTest"], testTimeoutMs: 60_000 }));
    let cancelled: (string | number)[] = [];
    for (let i = 0; i < 200 && cancelled.length === 0; i++) {
      cancelled = (await client.evaluate.cancel({ sessionId: session.id })).cancelled;
      if (cancelled.length === 0) await new Promise((r) => setTimeout(r, 5));
    }
    expect(cancelled).toHaveLength(1);
    expect(isRemoteError(await run, "cancelled")).toBe(true);
    expect(server.callsOf("tests.run")).toMatchObject([{ outcome: "error", errorKind: "cancelled" }]);
  });

  it("project.load: groups, a conflict policy, an unknown repository; image.save answers a path", async () => {
    const loaded = await client.project.load({ baseline: "ScriptedExample", repository: "github://stui-dev/scripted-example:main/src", groups: ["core"] });
    expect(loaded).toMatchObject({ projects: ["ScriptedExample"], packages: ["Scripted-Example-Core"] });
    const conflict = await remoteError(client.project.load({ baseline: "MyApp", repository: "tonel:///scripted/myapp/src" }));
    if (!isRemoteError(conflict, "projectLoadError")) throw conflict;
    expect(conflict.data).toMatchObject({ reason: "conflict", loaded: [] });
    expect((await client.project.load({ baseline: "MyApp", repository: "tonel:///scripted/myapp/src", onConflict: "useIncoming" })).packages).toEqual(["MyApp", "MyApp-Tests"]);
    const nowhere = await remoteError(client.project.load({ baseline: "Nope", repository: "github://nobody/nothing:main/src" }));
    expect(isRemoteError(nowhere, "projectLoadError") && nowhere.data.reason).toBe("repository");
    expect(await client.image.save()).toEqual({ imagePath: "/scripted-test-double/Pharo.image", changesPath: "/scripted-test-double/Pharo.changes", durationMs: 0 });
  });
});
