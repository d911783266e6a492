// `stui check`, `stui run --check`, `stui eval` and `stui run -` as a user runs them, against
// the real test server (scripted handlers: test doubles) where a server is needed.

import { execFileSync } from "node:child_process";
import { closeSync, constants, openSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CLIENT_VERSIONS } from "@stui/client/protocol";
import { startTestServer, type TestServer } from "@stui/testkit";
import { handlers } from "@stui/testkit/examples/scripted-handlers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../src/exit-codes.js";
import { freePort, hostNotes, stui } from "./cli-helpers.js";
import { FIXTURES, tempDir } from "./helpers.js";

let server: TestServer;
let env: NodeJS.ProcessEnv;
let releaseHeld: () => void = () => undefined;
const held = new Promise<void>((resolve) => (releaseHeld = resolve));
let heldAnswered = 0;
let heldParams: unknown;
let heldCancelled = 0;

beforeAll(async () => {
  server = await startTestServer({
    endpoint: "tcp://127.0.0.1:*",
    handlers: {
      ...handlers,
      async evaluate(params, context) {
        // A test double of an evaluation that runs until the test ends.
        if (params.code === "hold") {
          heldParams = params;
          // Held until the test ends, or until evaluate.cancel stops it (protocol 1.2).
          await Promise.race([held, new Promise((resolve) => context.signal.addEventListener("abort", resolve))]);
          if (context.signal.aborted) {
            heldCancelled++;
            throw context.signal.reason;
          }
          heldAnswered++;
          return { value: { printString: "1", className: "SmallInteger", truncated: false }, durationMs: 0 };
        }
        return handlers.evaluate!(params, context);
      },
    },
  });
  // STUI_HOME: the test file's own (test/setup/stui-home.ts), which the server authorizes too.
  env = { STUI_ENDPOINT: server.endpoint };
});
afterAll(async () => {
  releaseHeld();
  server.assertNoViolations();
  await server.close();
});

function script(text: string, name = "script.ts"): string {
  const dir = tempDir();
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const TYPE_ERROR = `const r = await stui.session.evaluate("3 + 4");\nconst n: number = r.value.printString;\nconsole.log("RAN", n);\n`;

describe("stui check", () => {
  it("reports type errors as file(line,column): error TSnnnn and exits 1", async () => {
    const file = script(TYPE_ERROR);
    const r = await stui(["check", file], { cwd: path.dirname(file) });
    expect(r.code).toBe(EXIT.scriptError);
    expect(r.stdout).toContain("script.ts(2,7): error TS2322: Type 'string' is not assignable to type 'number'.");
    expect(r.stderr).toContain("stui: check: 1 type error in 1 file");
  });

  it("knows the global stui, @stui/plugins (isRemoteError narrows data per kind without casts) and Node, outside any project", async () => {
    const file = script(
      [
        `import { isRemoteError, definePlugin } from "@stui/plugins";`,
        `import { writeFileSync } from "node:fs";`,
        `try { await stui.session.evaluate("1/0"); } catch (e) { if (isRemoteError(e, "evaluationError")) writeFileSync("/dev/null", e.data.exceptionClass); }`,
        `export const plugin = definePlugin({ name: "p", description: "d", permissions: ["read"], run: async (s) => void (await s.client.ping()) });`,
      ].join("\n"),
    );
    const r = await stui(["check", file, path.join(FIXTURES, "daily", "handles-errors.ts")], { cwd: path.dirname(file) });
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("stui: check: 2 files, no type errors");
    expect(r.code).toBe(EXIT.ok);
  });

  it("StuiError's kind is the schema's union: a misspelt kind is a type error, a real one narrows data", async () => {
    const file = script(
      [
        `import { isStuiError } from "@stui/plugins";`,
        `try { await stui.session.evaluate("1/0"); } catch (e) {`,
        `  if (isStuiError(e, "EREMOTE") && e.kind === "evaluationError") console.log(e.data.exceptionClass);`,
        `  if (isStuiError(e) && e.kind === "evaluationEror") console.log("never");`,
        `}`,
      ].join("\n"),
    );
    const r = await stui(["check", "--json", file]);
    const json = JSON.parse(r.stdout) as { ok: boolean; diagnostics: { line: number; code: number }[] };
    // Only the misspelling (line 4: TS2367, no overlap); line 3 type-checks without a cast.
    expect(json.diagnostics.map((d) => [d.line, d.code])).toEqual([[4, 2367]]);
    expect(r.code).toBe(EXIT.scriptError);
  });

  it("--json: ok, files, diagnostics with file, line, column, code, message", async () => {
    const file = script(TYPE_ERROR);
    const r = await stui(["check", "--json", file]);
    const json = JSON.parse(r.stdout) as { ok: boolean; files: string[]; diagnostics: unknown[] };
    expect(json).toEqual({ ok: false, files: [file], diagnostics: [{ file, line: 2, column: 7, code: 2322, message: "Type 'string' is not assignable to type 'number'." }] });
  });

  it("stui run --check: type errors end the run before anything runs (exit 1, no call reaches the server)", async () => {
    const file = script(TYPE_ERROR);
    const before = server.requestCount;
    const r = await stui(["run", "--check", file, "--allow-all"], { env });
    expect(r.code).toBe(EXIT.scriptError);
    expect(r.stderr).toContain("error TS2322");
    expect(r.stdout).not.toContain("RAN");
    expect(server.requestCount).toBe(before);
  });

  // The script is a FIFO nobody writes to: reading it blocks, so its type check never ends by
  // itself. A check in the host's own process (synchronous TypeScript) held the command until
  // the test wrote to the FIFO; the limit must stop it instead, and leave no reader behind.
  it.skipIf(process.platform === "win32")("stui run --check --timeout: a type check that does not end is stopped at the limit (exit 124), nothing runs, no checker is left", async () => {
    const file = path.join(tempDir(), "blocked.ts");
    execFileSync("mkfifo", [file]);
    const noReader = (): boolean => {
      try {
        closeSync(openSync(file, constants.O_WRONLY | constants.O_NONBLOCK));
        return false;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === "ENXIO";
      }
    };
    // The safety net: after 30 s, let a blocked reader go (EOF), so nothing hangs on.
    let released = false;
    const net = setTimeout(() => (released = true, noReader()), 30_000);
    const before = server.requestCount;
    try {
      const r = await stui(["run", file, "--allow-all", "--check", "--timeout", "1s"], { env });
      expect(released, "the command ended only when the FIFO was written to").toBe(false);
      expect(r.code).toBe(EXIT.timeout);
      expect(r.stderr).toContain("the type check took longer than 1s; it was stopped and nothing ran");
      expect(noReader()).toBe(true);
      expect(server.requestCount).toBe(before);
    } finally {
      clearTimeout(net);
    }
  }, 60_000);

  it("stui run --check runs a script that type-checks", async () => {
    const r = await stui(["run", "--check", "examples/hello.ts", "--allow-read", "--allow-eval"], { env });
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain("total * 2 = 14");
  });
});

describe("stui eval", () => {
  it("prints the value's printString, and closes its session", async () => {
    const r = await stui(["eval", "3 + 4"], { env });
    expect(r).toMatchObject({ code: EXIT.ok, stdout: "7\n" });
    expect(hostNotes(r.stderr)).toBe("");
    expect(server.sessions.list()).toHaveLength(0);
  });

  it("--json: the value with its class", async () => {
    const r = await stui(["eval", "--json", "3 @ 4"], { env });
    expect(r.code).toBe(EXIT.ok);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, value: { printString: "(3@4)", className: "Point", truncated: false }, durationMs: 0 });
  });

  it("what the evaluation wrote to the Transcript (evaluate's output, 1.2) is shown by eval and the REPL, and reaches scripts", async () => {
    const code = "Transcript show: 'hello'; cr. 3 + 4";
    const plain = await stui(["eval", code], { env });
    expect(plain).toMatchObject({ code: EXIT.ok, stdout: "hello\n7\n" });
    const json = JSON.parse((await stui(["eval", "--json", code], { env })).stdout) as unknown;
    expect(json).toEqual({ ok: true, value: { printString: "7", className: "SmallInteger", truncated: false }, durationMs: 0, output: { text: "hello\n", truncated: false } });
    // Nothing written, nothing shown (the control).
    expect((await stui(["eval", "3 + 4"], { env })).stdout).toBe("7\n");
    const repl = await stui(["repl"], { env, input: `${code}\n` });
    expect(repl.stdout).toContain('hello\n7  "SmallInteger"');
    const run = await stui(["run", "-", "--allow-read", "--allow-eval"], { env, input: `const r = await stui.session.evaluate(${JSON.stringify(code)});\nconsole.log(JSON.stringify(r.output));\n` });
    expect(run.stdout).toBe('{"text":"hello\\n","truncated":false}\n');
  });

  it("an evaluation error: the exception and its frames on stderr, exit 1; --json carries the error's data", async () => {
    const r = await stui(["eval", "1/0"], { env });
    expect(r.code).toBe(EXIT.scriptError);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("ZeroDivide: ZeroDivide (scripted) (line 1)\n  SmallInteger(Number)>>/");
    const json = JSON.parse((await stui(["eval", "--json", "1/0"], { env })).stdout) as { ok: boolean; error: { code: string; kind: string; data: { exceptionClass: string } } };
    expect(json).toMatchObject({ ok: false, error: { code: "EREMOTE", kind: "evaluationError", data: { exceptionClass: "ZeroDivide" } } });
  });

  it("code from stdin (-); a syntax error points at its line and column", async () => {
    const r = await stui(["eval", "-"], { env, input: "1 to: 3 do: [:i | i printString\n" });
    expect(r.code).toBe(EXIT.scriptError);
    expect(r.stderr).toContain("Syntax error at line 1, column 31: ']' expected (scripted)\n  1 to: 3 do: [:i | i printString\n" + " ".repeat(32) + "^");
  });

  it("server unreachable: exit 4", async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const r = await stui(["eval", "3 + 4", "--endpoint", endpoint], { env });
    expect(r.code).toBe(EXIT.unreachable);
    expect(r.stderr).toContain(`server unreachable at ${endpoint}: connection refused`);
  });

  it("a key the server does not authorize: exit 4, and it reads as a key problem", async () => {
    const r = await stui(["eval", "3 + 4"], { env: { ...env, STUI_HOME: tempDir("stui-home-stranger-"), STUI_CONNECT_TIMEOUT_MS: "3000" } });
    expect(r.code).toBe(EXIT.unreachable);
    expect(r.stderr).toContain(`stui: the connection to ${server.endpoint} failed on authentication (a key problem, not a missing server)`);
    expect(r.stderr).not.toContain("is a STUI server running");
  });

  it("--timeout: exit 124 without waiting for the evaluation, which is cancelled on the server (evaluate.cancel); its session is closed", async () => {
    const r = await stui(["eval", "hold", "--timeout", "1s"], { env });
    expect(heldAnswered).toBe(0);
    expect(r.code).toBe(EXIT.timeout);
    expect(r.stderr).toContain("no answer within 1s");
    expect(server.sessions.list()).toHaveLength(0);
    // Stopped on the server with evaluate.cancel (the reference server speaks 1.2).
    expect(heldCancelled).toBe(1);
    expect(server.callsOf("evaluate.cancel")).toHaveLength(1);
    // The server was asked to stop it at the same limit (its own timeoutMs, not the 30 s default).
    expect((heldParams as { timeoutMs: number }).timeoutMs).toBeLessThanOrEqual(1000);
  });

  it("usage errors: no code, unquoted code", async () => {
    expect((await stui(["eval"], { env })).code).toBe(EXIT.usage);
    const r = await stui(["eval", "3", "+", "4"], { env });
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain("quote it, e.g. stui eval '3 + 4'");
  });
});

describe("stui run -", () => {
  it("runs TypeScript from stdin; its relative imports resolve from the current folder", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "helper.ts"), `export const twice = (s: string): string => s + s;\n`);
    const source = `import { twice } from "./helper.ts";\nconst r = await stui.session.evaluate("3 + 4");\nconsole.log(twice(r.value.printString));\n`;
    const r = await stui(["run", "-", "--allow-read", "--allow-eval"], { env, cwd: dir, input: source });
    expect(hostNotes(r.stderr)).toBe("");
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toBe("77\n");
  });

  it("a failure names the line of the stdin script", async () => {
    const r = await stui(["run", "-", "--allow-read", "--allow-eval"], { env, cwd: tempDir(), input: `console.log("one");\nawait stui.session.evaluate("1/0");\n` });
    expect(r.code).toBe(EXIT.scriptError);
    expect(r.stderr).toContain("  at [stdin].ts:2:1");
  });

  it("cannot be watched or type-checked (usage error)", async () => {
    expect((await stui(["run", "-", "--watch"], { env, input: "" })).code).toBe(EXIT.usage);
    expect((await stui(["run", "-", "--check"], { env, input: "" })).code).toBe(EXIT.usage);
  });
});

describe("against a server that speaks only the oldest protocol version", () => {
  it("stui run, stui eval and stui repl offer every version the client speaks, and work", async () => {
    const oldest = CLIENT_VERSIONS.at(-1)!;
    const old = await startTestServer({ endpoint: "tcp://127.0.0.1:*", handlers, supportedVersions: [oldest] });
    try {
      const oldEnv = { ...env, STUI_ENDPOINT: old.endpoint };
      const run = await stui(["run", "examples/hello.ts", "--allow-read", "--allow-eval"], { env: oldEnv });
      expect(run.stdout).toContain("total * 2 = 14");
      expect(run.code).toBe(EXIT.ok);
      expect((await stui(["eval", "3 + 4"], { env: oldEnv })).stdout).toBe("7\n");
      expect((await stui(["repl"], { env: oldEnv, input: "3 + 4\n" })).stdout).toContain('7  "SmallInteger"');
      expect(old.callsOf("session.create").map((c) => (c.params as { protocolVersions: string[] }).protocolVersions)).toEqual([[...CLIENT_VERSIONS], [...CLIENT_VERSIONS], [...CLIENT_VERSIONS]]);
    } finally {
      old.assertNoViolations();
      await old.close();
    }
  });
});
