/**
 * The protocol 1.2 example plugins (examples/plugins/run-tests.ts, senders-of.ts, scaffold.ts),
 * run by the real `stui` command against the reference server whose Smalltalk is the scripted
 * example table (a test double: its tests "run" as TEST_OUTCOMES in
 * packages/testkit/examples/scripted-image.ts says). The JUnit report is judged by xmllint
 * against two published JUnit schemas.
 *
 *   stui run <plugin> ──▶ host (grants) ──▶ reference server ──▶ scripted 1.2 commands
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "@stui/testkit";
import { handlers } from "@stui/testkit/examples/scripted-handlers";
import { EXIT } from "../../packages/plugins/src/exit-codes.js";
import { hostNotes, stui } from "../../packages/plugins/test/cli-helpers.js";
import { tempDir } from "../../packages/plugins/test/helpers.js";
import { HAS_XMLLINT, JUNIT_SCHEMAS, validateXml } from "./xmllint.js";

let server: TestServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  // The server authorizes the client key of the STUI home the `stui` child uses.
  const home = tempDir("stui-home-");
  server = await startTestServer({ endpoint: "tcp://127.0.0.1:*", handlers, home });
  env = { STUI_ENDPOINT: server.endpoint, STUI_HOME: home };
});
afterAll(async () => {
  server.assertNoViolations();
  await server.close();
});

describe("examples/plugins/run-tests.ts", () => {
  it("runs a package class by class, shows progress, writes JUnit XML that both JUnit schemas accept, and exits 1 on failures", async () => {
    const dir = tempDir();
    const report = path.join(dir, "junit.xml");
    const r = await stui(["run", "examples/plugins/run-tests.ts", "--allow-read", "--allow-eval", `--allow-fs-write=${dir}`, "--", "MyApp-Tests", "--junit", report, "--frames", "1"], { env });
    expect(r.code, r.stderr).toBe(EXIT.scriptError);
    expect(r.stderr).toContain("run-tests: 1 test class(es) in MyApp-Tests");
    expect(r.stderr).toContain("run-tests: [1/1] CounterTest: 5 tests, 2 passed, 1 failed, 1 errors, 1 skipped");
    expect(r.stdout).toContain(`5 tests, 2 failed or erred; JUnit XML written to ${report}`);
    expect(r.stdout).toContain("FAIL  CounterTest>>testDivide: TestFailure: Assertion failed (scripted)");
    expect(r.stdout).toContain("ERROR CounterTest>>testDecrement: MessageNotUnderstood: Counter>>decrement (scripted)");
    const xml = readFileSync(report, "utf8");
    expect(xml).toMatch(/<testsuite name="CounterTest" package="MyApp-Tests" id="0" timestamp="[0-9T:-]{19}" hostname="localhost" tests="5" failures="1" errors="1" skipped="1" time="0\.\d{3}">/);
    expect(xml).toContain('<error message="Counter&gt;&gt;decrement" type="MessageNotUnderstood">');
    // --frames 1: one frame each.
    expect(xml.match(/\tat /g)).toHaveLength(2);
    expect(server.callsOf("tests.run").at(-1)?.params).toMatchObject({ classes: ["CounterTest"], maxFrames: 1 });
    if (!HAS_XMLLINT) return void console.warn("xmllint is not installed (Debian: libxml2-utils): the JUnit schema check is skipped");
    for (const xsd of Object.values(JUNIT_SCHEMAS)) expect(validateXml(report, xsd)).toEqual({ ok: true, output: `${report} validates` });
  });

  it("a per-test time limit: the slow test is stopped and reported as an error (TestTookTooMuchTime)", async () => {
    const dir = tempDir();
    const report = path.join(dir, "slow.xml");
    const r = await stui(["run", "examples/plugins/run-tests.ts", "--allow-read", "--allow-eval", `--allow-fs-write=${dir}`, "--", "MyApp-Slow", "--junit", report, "--test-timeout", "200"], { env });
    expect(r.code).toBe(EXIT.scriptError);
    expect(readFileSync(report, "utf8")).toContain('type="TestTookTooMuchTime"');
  });

  it("without a write grant for the report's folder it writes nothing: a permission denial (exit 3) naming the flag", async () => {
    const dir = tempDir();
    const report = path.join(dir, "junit.xml");
    const r = await stui(["run", "examples/plugins/run-tests.ts", "--allow-read", "--allow-eval", "--", "MyApp-Tests", "--junit", report], { env });
    expect(r.code).toBe(EXIT.permissionDenied);
    expect(r.stderr).toContain(`permission denied: writing ${report} needs a write grant: run again with --allow-fs-write=${dir}`);
    expect(existsSync(report)).toBe(false);
  });

  it("a package that does not exist is a clear error", async () => {
    const r = await stui(["run", "examples/plugins/run-tests.ts", "--allow-read", "--allow-eval", "--", "MyApp-Tset", "--junit", "/tmp/never.xml"], { env });
    expect(r.code).toBe(EXIT.scriptError);
    expect(r.stderr).toContain("Package not found: MyApp-Tset");
  });
});

describe("examples/plugins/senders-of.ts", () => {
  it("reports the senders of a selector by package, with the lines that send it", async () => {
    const r = await stui(["run", "examples/plugins/senders-of.ts", "--allow-read", "--", "printOn:"], { env });
    expect(hostNotes(r.stderr)).toBe("");
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toBe(
      [
        "Senders of printOn:: 3 method(s) in 3 package(s)",
        "",
        "Kernel (1)",
        "  Object>>printString  [printing]",
        "    2: ^ String streamContents: [ :s | self printOn: s ]",
        "",
        "Kernel-BasicObjects (1)",
        "  Point>>printOn:  [printing]",
        "    2: x printOn: aStream.",
        "    4: y printOn: aStream",
        "",
        "MyApp (1)",
        "  Counter>>printOn:  [printing]",
        "    2: super printOn: aStream.",
        "    3: count printOn: aStream",
        "",
      ].join("\n"),
    );
  });

  it("--package scopes the search; --no-lines leaves the sources alone", async () => {
    const before = server.callsOf("method.get").length;
    const r = await stui(["run", "examples/plugins/senders-of.ts", "--allow-read", "--", "printOn:", "--package", "MyApp", "--no-lines"], { env });
    expect(r.stdout).toBe("Senders of printOn:: 1 method(s) in 1 package(s)\n\nMyApp (1)\n  Counter>>printOn:  [printing]\n");
    expect(server.callsOf("method.get").length).toBe(before);
  });
});

describe("examples/plugins/scaffold.ts", () => {
  it("defines a class and its test, compiles (a dry run first), runs the test, and removes both", async () => {
    const r = await stui(["run", "examples/plugins/scaffold.ts", "--allow-read", "--allow-write", "--allow-eval"], { env });
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(r.stdout).toBe(
      [
        "scaffold: defined StuiScaffoldDemo",
        "    Object << #StuiScaffoldDemo",
        "    \tslots: { #greeting };",
        "    \tpackage: 'StuiScaffold'",
        "scaffold: defined StuiScaffoldDemoTest",
        "scaffold: dry run of StuiScaffoldDemo>>greeting: no warnings",
        "scaffold: compiled StuiScaffoldDemo>>greeting and StuiScaffoldDemoTest>>testGreeting",
        "scaffold: StuiScaffoldDemoTest>>testGreeting: passed",
        "scaffold: removed StuiScaffoldDemoTest",
        "scaffold: removed StuiScaffoldDemo",
        "",
      ].join("\n"),
    );
    expect(server.callsOf("method.compile").slice(-3).map((c) => (c.params as { dryRun?: boolean }).dryRun)).toEqual([true, false, false]);
    const gone = await stui(["run", "examples/plugins/senders-of.ts", "--allow-read", "--", "greeting", "--package", "StuiScaffold"], { env });
    expect(gone.stderr).toContain("Package not found: StuiScaffold");
  });

  it("without --allow-write the plugin is refused its first change, and nothing reaches the server", async () => {
    const before = server.callsOf("class.define").length;
    const r = await stui(["run", "examples/plugins/scaffold.ts", "--allow-read", "--allow-eval"], { env });
    expect(r.code).toBe(EXIT.permissionDenied);
    expect(r.stderr).toContain('class.define needs the "write" permission');
    expect(server.callsOf("class.define").length).toBe(before);
  });
});

describe("stui list", () => {
  it("finds the three plugins with their permissions", async () => {
    const r = await stui(["list", "--json"], { env });
    type Entry = { name?: string; permissions?: string[] };
    const entries = (JSON.parse(r.stdout) as { plugins: (Entry & { plugin?: Entry })[] }).plugins.map((e) => e.plugin ?? e);
    const byName = Object.fromEntries(entries.filter((e) => e.name).map((e) => [e.name, e.permissions]));
    expect(byName).toMatchObject({ "run-tests": ["read", "eval"], "senders-of": ["read"], scaffold: ["read", "write", "eval"] });
  });
});
