// Protocol 1.2's commands through the real `stui` command against the reference server, whose
// Smalltalk is the scripted example table (a test double): the host grants each command by its
// permission class (attacked from outside: a refused call never reaches the server), and
// --timeout / Ctrl-C stop what the script left running on the server with evaluate.cancel.
//
//   stui run script ──call──▶ host (grants) ──▶ @stui/client ──▶ reference server (call log)

import { COMMANDS, COMMAND_SINCE, type CommandName, type Permission } from "@stui/client/protocol";
import { startTestServer, type RequestContext, type TestHandlers, type TestServer } from "@stui/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { handlers } from "@stui/testkit/examples/scripted-handlers";
import { EXIT } from "../src/exit-codes.js";
import { HAS_SCRIPT, STUI_BIN, interactive, pty, stui } from "./cli-helpers.js";
import { fixture, tempDir } from "./helpers.js";

const NEW_COMMANDS = (Object.keys(COMMAND_SINCE) as CommandName[]).filter((m) => COMMAND_SINCE[m] === "1.2");
const CLASSES: Permission[] = ["read", "eval", "write", "system"];

/** Waits until the request is stopped (its signal aborts), or `ms`, then answers. */
function waitForStop(context: RequestContext, ms: number): Promise<never> {
  return new Promise((_, reject) => {
    const timer = setTimeout(() => reject(new Error(`not stopped within ${ms} ms`)), ms);
    context.signal.addEventListener("abort", () => (clearTimeout(timer), reject(context.signal.reason)));
  });
}

/** Evaluations "slow" the server has started, per test. */
let slowStarted = 0;

/** The example table, plus an evaluation "slow" that runs until it is stopped (or `finishAfterMs`). */
function slowHandlers(finishAfterMs?: number): TestHandlers {
  slowStarted = 0;
  return {
    ...handlers,
    evaluate: async (params, context) => {
      if (params.code !== "slow") return handlers.evaluate!(params, context);
      slowStarted++;
      if (finishAfterMs === undefined) return waitForStop(context, 30_000);
      await new Promise((r) => setTimeout(r, finishAfterMs));
      return { value: { printString: "'finished by itself'", className: "ByteString", truncated: false }, durationMs: finishAfterMs };
    },
  };
}

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.assertNoViolations();
    await s.close();
  }
});

async function serve(h: TestHandlers = handlers, supportedVersions?: string[]) {
  // The server authorizes the client key of the STUI home the `stui` child uses.
  const home = tempDir("stui-home-");
  const server = await startTestServer({ endpoint: "tcp://127.0.0.1:*", handlers: h, home, ...(supportedVersions ? { supportedVersions } : {}) });
  servers.push(server);
  return { server, env: { STUI_ENDPOINT: server.endpoint, STUI_HOME: home } };
}

describe("host permissions for the 1.2 commands", () => {
  it("knows them from the schema: one permission class each", () => {
    expect(NEW_COMMANDS).toEqual(["evaluate.cancel", "code.search", "code.complete", "packages.list", "class.define", "class.remove", "method.remove", "tests.run", "project.load", "image.save"]);
    expect(Object.fromEntries(NEW_COMMANDS.map((m) => [m, COMMANDS[m].permission]))).toEqual({
      "evaluate.cancel": "eval", "code.search": "read", "code.complete": "read", "packages.list": "read",
      "class.define": "write", "class.remove": "write", "method.remove": "write",
      "tests.run": "eval", "project.load": "system", "image.save": "system",
    });
  });

  it.each(CLASSES)("--allow-all --deny-%s: every command needing it is refused and never reaches the server; the others do", async (denied) => {
    const { server, env } = await serve();
    const r = await stui(["run", fixture("commands/every-command.ts"), "--allow-all", `--deny-${denied}`], { env });
    expect(r.code, r.stderr).toBe(EXIT.ok); // the script catches its refusals
    const lines = new Map(r.stdout.trim().split("\n").map((l) => l.split(": ") as [string, string]));
    for (const method of NEW_COMMANDS) {
      const reached = server.callsOf(method).length;
      if (COMMANDS[method].permission === denied) {
        expect(lines.get(method), method).toBe("permissionDenied");
        expect(reached, `${method} reached the server`).toBe(0);
      } else if (!(denied === "read" && method === "evaluate.cancel")) {
        // The control: the same call with its class granted does reach the server. (Without
        // read the script has no session, so evaluate.cancel names none it owns.)
        expect(reached, `${method} did not reach the server (${lines.get(method)})`).toBe(1);
      }
    }
    // The script caught every refusal: not printed as if the run failed (issue #11); the lines above show them.
    expect(r.stderr).not.toContain(`--deny-${denied} refuses`);
  });
});

describe("--timeout and Ctrl-C stop what the script left running on the server", () => {
  it("--timeout: the running evaluation is stopped with evaluate.cancel, and stui ends at once with 124", async () => {
    const { server, env } = await serve(slowHandlers());
    const started = Date.now();
    const r = await stui(["run", fixture("commands/slow-evaluation.ts"), "--allow-read", "--allow-eval", "--timeout", "1500ms"], { env });
    expect(r.code).toBe(EXIT.timeout);
    expect(Date.now() - started).toBeLessThan(15_000); // the evaluation would run 30 s
    expect(r.stdout).toContain("EVALUATING");
    expect(r.stdout).not.toContain("FINISHED");
    expect(r.stderr).toContain("stopped 1 request(s) the script left running on the server (evaluate.cancel)");
    expect(server.callsOf("evaluate.cancel").length).toBeGreaterThanOrEqual(1);
    expect(server.callsOf("evaluate")).toMatchObject([{ outcome: "error", errorKind: "cancelled" }]);
    expect(server.sessions.size).toBe(0);
  });

  it("--timeout stops a running tests.run of the script's session too", async () => {
    const { server, env } = await serve();
    const r = await stui(["run", fixture("commands/slow-tests.ts"), "--allow-read", "--allow-eval", "--timeout", "1500ms"], { env });
    expect(r.code).toBe(EXIT.timeout);
    expect(r.stdout).toContain("TESTING");
    expect(server.callsOf("tests.run")).toMatchObject([{ outcome: "error", errorKind: "cancelled" }]);
  });

  it("Ctrl-C (SIGINT): the evaluation is stopped the same way, exit 130", async () => {
    const { server, env } = await serve(slowHandlers());
    const run = interactive(process.execPath, [STUI_BIN, "run", fixture("commands/slow-evaluation.ts"), "--allow-read", "--allow-eval"], { env });
    await run.expect(/EVALUATING/);
    // Interrupt once the evaluation runs on the server (a bounded wait on a real event).
    for (let i = 0; i < 400 && slowStarted === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(slowStarted).toBe(1);
    run.kill("SIGINT");
    expect(await run.done).toBe(EXIT.interrupted);
    expect(server.callsOf("evaluate")).toMatchObject([{ outcome: "error", errorKind: "cancelled" }]);
  });

  it("a server that speaks only 1.0 and 1.1 is never sent evaluate.cancel: the evaluation finishes by itself", async () => {
    const { server, env } = await serve(slowHandlers(2500), ["1.0", "1.1"]);
    const r = await stui(["run", fixture("commands/slow-evaluation.ts"), "--allow-read", "--allow-eval", "--timeout", "1000ms"], { env });
    expect(r.code).toBe(EXIT.timeout);
    expect(r.stderr).not.toContain("evaluate.cancel");
    expect(server.stats.errors.unknownMethod ?? 0).toBe(0);
    // stui ended within its timeout plus the grace (issue #11), before the evaluation did: it
    // finishes by itself, later (a bounded wait on the server's own record of it).
    expect(server.callsOf("evaluate")).toEqual([]);
    for (let i = 0; i < 500 && server.callsOf("evaluate").length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(server.callsOf("evaluate")).toMatchObject([{ outcome: "result" }]);
    expect(server.sessions.list()).toEqual([]);
  });
});

describe.skipIf(!HAS_SCRIPT)("stui repl in a pseudo-terminal (util-linux script)", () => {
  const repl = (env: NodeJS.ProcessEnv) => pty(`${JSON.stringify(process.execPath)} ${JSON.stringify(STUI_BIN)} repl`, { env });

  it("Tab completes a workspace variable through code.complete", async () => {
    const { server, env } = await serve();
    const run = repl(env);
    await run.expect(/st> /);
    run.send("total := 3 + 4\r");
    await run.expect(/7 {2}"SmallInteger"/);
    run.send("tot\t");
    await run.expect(/total/);
    run.send(" * 2\r");
    await run.expect(/14 {2}"SmallInteger"/);
    run.send(":quit\r");
    expect(await run.done).toBe(0);
    expect(server.callsOf("code.complete")).toMatchObject([{ outcome: "result", params: { source: "tot", position: 3 } }]);
  });

  it("Ctrl-C stops a running evaluation (evaluate.cancel) and the REPL goes on", async () => {
    const { server, env } = await serve(slowHandlers());
    const run = repl(env);
    await run.expect(/st> /);
    run.send("slow\r");
    for (let i = 0; i < 400 && slowStarted === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(slowStarted).toBe(1);
    run.send("\x03");
    await run.expect(/\(stopping the evaluation\)/);
    await run.expect(/cancelled/);
    run.send("3 + 4\r");
    await run.expect(/7 {2}"SmallInteger"/);
    run.send(":quit\r");
    expect(await run.done).toBe(0);
    expect(server.callsOf("evaluate")).toMatchObject([{ errorKind: "cancelled" }, { outcome: "result" }]);
  });
});
