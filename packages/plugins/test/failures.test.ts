// Failures a person can read, through the real `stui` command against the real test server
// (scripted handlers: test doubles, no Smalltalk): a Smalltalk error shows its exception, its
// Smalltalk frames and the script line that made the call; an internal error its detail; a
// refusal the script catches is not printed as a failure.

import path from "node:path";
import { ProtocolError, startTestServer, type TestServer } from "@stui/testkit";
import { handlers } from "@stui/testkit/examples/scripted-handlers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../src/exit-codes.js";
import { REPO, hostNotes, stui } from "./cli-helpers.js";
import { FIXTURES, fixture } from "./helpers.js";

const daily = (name: string): string => path.join(FIXTURES, "daily", name);
const shown = (file: string): string => path.relative(REPO, file);

let server: TestServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startTestServer({
    endpoint: "tcp://127.0.0.1:*",
    handlers: {
      ...handlers,
      evaluate(params, context) {
        // A test double of a server that fails inside and keeps the detail out of its message.
        if (params.code === "explode") throw new ProtocolError("internalError", { detail: "the image ran out of memory (test double)" }, "Internal error");
        return handlers.evaluate!(params, context);
      },
    },
  });
  // STUI_HOME: the test file's own (test/setup/stui-home.ts), which the server authorizes too.
  env = { STUI_ENDPOINT: server.endpoint };
});
afterAll(async () => {
  server.assertNoViolations();
  await server.close();
});

describe("an uncaught Smalltalk error", () => {
  it("shows the exception, its top Smalltalk frames and the script line that made the call; none of the host's own frames", async () => {
    const r = await stui(["run", daily("zero-divide.ts"), "--allow-read", "--allow-eval"], { env });
    expect(r.code).toBe(EXIT.scriptError);
    expect(r.stdout).toContain("BEFORE");
    const lines = hostNotes(r.stderr).trim().split("\n");
    expect(lines[0]).toBe("stui: script error: StuiError: evaluate: The code compiled but signalled an unhandled exception while running: ZeroDivide (scripted)");
    expect(lines.slice(1)).toEqual([
      "  Smalltalk ZeroDivide: ZeroDivide (scripted)",
      "    SmallInteger(Number)>>/",
      "    UndefinedObject>>DoIt  (line 1)",
      `  at ${shown(daily("zero-divide.ts"))}:3:1`,
      '    3 | await stui.session.evaluate("1/0");',
      "      | ^",
      "  code: EREMOTE (evaluationError)",
    ]);
    expect(r.stderr).not.toMatch(/runtime\.ts|ipc\.ts|node:internal/);
  });
});

describe("an internal error of the server", () => {
  it("stui run shows its detail", async () => {
    const r = await stui(["run", daily("internal-error.ts"), "--allow-read", "--allow-eval"], { env });
    expect(r.code).toBe(EXIT.scriptError);
    expect(r.stderr).toContain("stui: script error: StuiError: evaluate: Internal error\n  server's detail: the image ran out of memory (test double)");
  });

  it("stui repl shows its detail", async () => {
    const r = await stui(["repl"], { env, input: "explode\n" });
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain("internalError: evaluate: Internal error\n  server's detail: the image ran out of memory (test double)");
  });
});

describe("errors a script handles itself", () => {
  it("isRemoteError narrows data per kind; a caught refusal is not printed as a failure; handles are released", async () => {
    const r = await stui(["run", daily("handles-errors.ts"), "--allow-read", "--allow-eval"], { env });
    expect(hostNotes(r.stderr)).toBe("");
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toBe("CAUGHT ZeroDivide at line 1\nREFUSED method.compile (write)\nRELEASED 3 UNKNOWN 0\n");
    expect(server.callsOf("handles.release").at(-1)?.params).toMatchObject({ handles: ["h1", "h2", "h3"] });
  });

  it("a refusal the script catches leaves stderr empty and the exit code 0", async () => {
    const r = await stui(["run", fixture("catch-denied.ts")], { env });
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain("DENIED permissionDenied");
    expect(hostNotes(r.stderr)).toBe("");
  });
});
