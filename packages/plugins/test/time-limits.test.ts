// Concurrency and time limits through the real `stui` command, against the real test server
// whose evaluate is a TEST DOUBLE written here (a barrier, a held evaluation): nothing is
// measured with a clock; each test observes what the server saw.
//
//   script ── 20 × evaluate ──▶ host (checks each) ══ pipelined ══▶ server: barrier of 20
//   (a host that sent one call at a time would never fill the barrier)

import path from "node:path";
import { startTestServer, type TestServer } from "@stui/testkit";
import { ProtocolError } from "@stui/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../src/exit-codes.js";
import { hostNotes, stui } from "./cli-helpers.js";
import { FIXTURES } from "./helpers.js";

const daily = (name: string): string => path.join(FIXTURES, "daily", name);
const BARRIER = 20;
/** How long the barrier waits before it gives up (only a failing host ever waits this long). */
const BARRIER_LIMIT_MS = 5000;

let server: TestServer;
let env: NodeJS.ProcessEnv;
let inFlight = 0;
let maxInFlight = 0;
let arrived = 0;
let openBarrier: () => void = () => undefined;
let barrier = new Promise<void>((resolve) => (openBarrier = resolve));
let held = 0;
let releaseHeld: () => void = () => undefined;
const heldAnswer = new Promise<void>((resolve) => (releaseHeld = resolve));
let heldAnswered = 0;

const int = (n: number) => ({ printString: String(n), className: "SmallInteger", truncated: false });

beforeAll(async () => {
  server = await startTestServer({
    endpoint: "tcp://127.0.0.1:*",
    handlers: {
      async evaluate(params) {
        if (params.code === "hold") {
          held++;
          await heldAnswer;
          heldAnswered++;
          return { value: int(1), durationMs: 0 };
        }
        if (params.code !== "barrier") throw new ProtocolError("internalError", { detail: "test double: unknown code" });
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        if (++arrived >= BARRIER) openBarrier();
        try {
          const opened = await Promise.race([barrier.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), BARRIER_LIMIT_MS))]);
          if (!opened) throw new ProtocolError("internalError", { detail: `test double: only ${inFlight} evaluations were in flight at once` });
          return { value: int(7), durationMs: 0 };
        } finally {
          inFlight--;
        }
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

describe("concurrent calls", () => {
  it(`${BARRIER} evaluations of one script are in flight at the server at once; each call is still checked`, async () => {
    arrived = 0;
    barrier = new Promise<void>((resolve) => (openBarrier = resolve));
    const compiles = server.callsOf("method.compile").length;
    const r = await stui(["run", daily("concurrent.ts"), "--allow-read", "--allow-eval", "--", String(BARRIER), "5"], { env });
    expect(hostNotes(r.stderr)).not.toContain("only");
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain(`EVALUATED ${BARRIER} REFUSED 5`);
    expect(maxInFlight).toBe(BARRIER);
    // The refused calls never reached the server.
    expect(server.callsOf("method.compile").length).toBe(compiles);
    expect(server.sessions.list()).toHaveLength(0);
  });
});

describe("--timeout bounds the whole command", () => {
  // The held evaluation ignores evaluate.cancel (a test double of a server that cannot stop it, or
  // speaks no 1.2): the command must end anyway.
  it("ends the command while an evaluation is still running on the server, and closes the session", async () => {
    const before = held;
    const r = await stui(["run", daily("long-evaluation.ts"), "--allow-read", "--allow-eval", "--timeout", "1s", "--json"], { env });
    // The command is over; the server is still holding the evaluation (never answered).
    expect(held).toBe(before + 1);
    expect(heldAnswered).toBe(0);
    expect(r.code).toBe(EXIT.timeout);
    expect(r.stderr).toContain("EVALUATING");
    expect(r.stderr).not.toContain("ANSWERED");
    const summary = JSON.parse(r.stdout) as { status: string; sessionsClosedByHost: number; durationMs: number };
    expect(summary).toMatchObject({ status: "timeout", sessionsClosedByHost: 1 });
    expect(server.sessions.list()).toHaveLength(0);
  });
});

describe("aborting a call", () => {
  it("rejects with StuiError EABORTED and frees the host's connection at once: the next call is answered while the server still holds the aborted one", async () => {
    const before = held;
    const r = await stui(["run", daily("abort.ts"), "--allow-read", "--allow-eval"], { env });
    expect(r.stderr).not.toContain("ANSWERED");
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toBe("ABORTED true StuiError EABORTED\nPING running\n");
    expect(held).toBe(before + 1);
    expect(heldAnswered).toBe(0);
  });
});

describe("the server down", () => {
  it("a script that makes no calls does not fail because no server answers", async () => {
    const r = await stui(["run", daily("no-calls.ts"), "--endpoint", "tcp://127.0.0.1:1"], { env });
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain("NO CALLS");
    expect(r.stderr).not.toContain("unreachable");
  });

  it("a refused connection fails at once (exit 4), without waiting out the connect timeout", async () => {
    // With a 10-minute connect timeout, only the refusal can end this within the test's time.
    const r = await stui(["run", "examples/hello.ts", "--allow-all", "--endpoint", "tcp://127.0.0.1:1"], { env: { ...env, STUI_CONNECT_TIMEOUT_MS: "600000" } });
    expect(r.code).toBe(EXIT.unreachable);
    expect(r.stderr).toContain("connection refused: nothing listens at tcp://127.0.0.1:1");
  }, 30_000);
});
