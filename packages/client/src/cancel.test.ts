/**
 * evaluate.cancel through the typed client, against the reference server: the evaluation is a
 * scripted handler that waits until it is stopped (a test double; it runs no Smalltalk).
 *
 *   pipelined:  client ──evaluate (id a)──▶ server ─▶ waits
 *               client ──evaluate.cancel {requestId: a}──▶ server ─▶ a answers cancelled
 *   lock-step:  one REQ socket holds one request at a time, so a second client cancels.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "@stui/testkit";
import { connect, type StuiClient } from "./index.js";
import { isRemoteError } from "./errors.js";
import { caught, uniqueAddress } from "./test-support.js";

describe("evaluate.cancel through the typed client", () => {
  let server: TestServer;
  const clients: StuiClient[] = [];
  const started: string[] = [];

  beforeEach(async () => {
    started.length = 0;
    server = await startTestServer({
      endpoint: await uniqueAddress("tcp"),
      handlers: {
        evaluate: (params, context) =>
          new Promise((_, reject) => {
            started.push(params.code);
            context.signal.addEventListener("abort", () => reject(context.signal.reason));
          }),
      },
    });
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    server.assertNoViolations();
    await server.close();
  });

  const open = async (mode: "lockstep" | "pipelined") => {
    const client = await connect({ endpoint: server.endpoint, mode, timeoutMs: 5000 });
    clients.push(client);
    return client;
  };
  const untilStarted = async () => {
    while (started.length === 0) await new Promise((r) => setTimeout(r, 5));
  };

  it("pipelined: onRequestId gives the id; cancelling it makes the evaluation reject with the cancelled error", async () => {
    const client = await open("pipelined");
    const session = await client.openSession();
    expect(session.protocolVersion).toBe("1.2");
    const ids: string[] = [];
    const evaluation = caught(session.evaluate("[ true ] whileTrue", {}, { onRequestId: (id) => ids.push(id) }));
    await untilStarted();
    expect(ids).toHaveLength(1);

    expect(await client.evaluate.cancel({ sessionId: session.id, requestId: ids[0]! })).toEqual({ cancelled: ids });
    const e = await evaluation;
    if (!isRemoteError(e, "cancelled")) throw e;
    expect(e.requestId).toBe(ids[0]);
    expect(e.data.durationMs).toBeGreaterThanOrEqual(0);
    // client.evaluate is still the evaluate command itself.
    expect(typeof client.evaluate).toBe("function");
  });

  it("lock-step: a second client stops every running evaluation of the session", async () => {
    const first = await open("lockstep");
    const second = await open("lockstep");
    const session = await first.openSession();
    const evaluation = caught(session.evaluate("Processor yield. 1"));
    await untilStarted();
    const { cancelled } = await second.evaluate.cancel({ sessionId: session.id });
    expect(cancelled).toHaveLength(1);
    const e = await evaluation;
    expect(isRemoteError(e, "cancelled"), String(e)).toBe(true);
  });
});
