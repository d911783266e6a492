/**
 * TEST DOUBLE handlers (not Smalltalk) for the reliability suite, loaded by the reference
 * server's CLI: `stui-test-server --handlers test/reliability/scripted-handlers.ts`.
 *
 * - `evaluate` never runs code: it answers `scripted: <code> in <sessionId>` with className
 *   ScriptedTestDouble, so a client can check that each answer belongs to its request.
 * - `classes.list` (a retry-safe command) answers an empty page; with pattern `slow*` it first
 *   waits STUI_RELIABILITY_SLOW_MS milliseconds (env, default 0), so a test can keep a request
 *   pending while it kills the server.
 */
import type { TestHandlers } from "@stui/testkit";

const slowMs = Number(process.env["STUI_RELIABILITY_SLOW_MS"] ?? "0");

const handlers: TestHandlers = {
  evaluate(params) {
    return {
      value: { printString: `scripted: ${params.code}${params.sessionId ? ` in ${params.sessionId}` : ""}`, className: "ScriptedTestDouble", truncated: false },
      durationMs: 0,
    };
  },
  async "classes.list"(params) {
    if (params.pattern === "slow*" && slowMs > 0) await new Promise((resolve) => setTimeout(resolve, slowMs));
    return { total: 0, offset: params.offset ?? 0, classes: [] };
  },
};

export default handlers;
