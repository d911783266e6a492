/**
 * evaluate.cancel in the reference server: protocol behaviour, for real. The evaluation is a
 * scripted handler that takes time (it waits until its signal aborts, or a long timer); the
 * cancel comes from outside, on the wire, and what the evaluation answers is observed on the wire.
 *
 *   client A ──evaluate {s, id a}──────────────▶ server ─▶ slow handler (waits)
 *   client B ──evaluate.cancel {s, requestId a}─▶ server ─▶ a's signal aborts
 *   client A ◀─error cancelled (a)───────────────┘        (the handler's late answer is dropped)
 *   client B ◀─result {cancelled: [a]}
 */
import { afterEach, describe, expect, it } from "vitest";
import { ClientPool, envelope, expectError, expectResult, idOf, uniqueEndpoint, type RawClient } from "../../../test/helpers/index.js";
import { startTestServer, type RequestContext, type TestServer } from "./index.js";

const clients = new ClientPool();
const servers: TestServer[] = [];

afterEach(async () => {
  clients.closeAll();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

interface Seen {
  /** Evaluations whose handler started, in order. */
  started: string[];
  /** Why each evaluation's signal aborted (by code), in order. */
  aborted: string[];
  /** Evaluations that ran to their own end. */
  finished: string[];
}

/** A server whose evaluate waits `ms` (or until its signal aborts) and then answers the code's length. */
async function slowServer(ms = 30_000): Promise<{ server: TestServer; seen: Seen }> {
  const seen: Seen = { started: [], aborted: [], finished: [] };
  const server = await startTestServer({
    endpoint: uniqueEndpoint("tcp"),
    handlers: {
      evaluate: (params, context: RequestContext) =>
        new Promise((resolve) => {
          seen.started.push(params.code);
          const timer = setTimeout(() => {
            seen.finished.push(params.code);
            resolve({ value: { printString: String(params.code.length), className: "SmallInteger", truncated: false }, durationMs: ms });
          }, ms);
          context.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            seen.aborted.push(`${params.code}: ${(context.signal.reason as { code?: string }).code}`);
          });
        }),
    },
  });
  servers.push(server);
  return { server, seen };
}

async function openSession(client: RawClient): Promise<string> {
  return expectResult(await client.request(envelope("session.create", { clientName: "cancel", protocolVersions: ["1.2"] })), "session.create").sessionId;
}

/** Receives `n` replies and answers them by id. */
async function replies(client: RawClient, n: number): Promise<Map<unknown, unknown>> {
  const byId = new Map<unknown, unknown>();
  for (let i = 0; i < n; i++) {
    const reply = await client.receive();
    byId.set(idOf(reply), reply);
  }
  return byId;
}

/** Waits until `n` evaluation handlers have started (the server runs requests as they arrive). */
async function untilStarted(seen: Seen, n: number): Promise<void> {
  const since = Date.now();
  while (seen.started.length < n) {
    if (Date.now() - since > 5000) throw new Error(`only ${seen.started.length} of ${n} evaluations started`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("evaluate.cancel", () => {
  it("stops a running evaluation of the session by its request id: it answers cancelled, the handler's signal aborts", async () => {
    const { server, seen } = await slowServer();
    const a = clients.open(server.endpoint);
    const b = clients.open(server.endpoint);
    const sessionId = await openSession(a);
    const evaluation = envelope("evaluate", { sessionId, code: "[ true ] whileTrue" });
    await a.send(evaluation);
    await untilStarted(seen, 1);

    const cancel = expectResult(await b.request(envelope("evaluate.cancel", { sessionId, requestId: evaluation.id })), "evaluate.cancel");
    expect(cancel.cancelled).toEqual([evaluation.id]);
    const reply = await a.receive();
    expect(idOf(reply)).toBe(evaluation.id);
    expect(expectError(reply, "cancelled").durationMs).toBeGreaterThanOrEqual(0);
    expect(seen).toEqual({ started: ["[ true ] whileTrue"], aborted: ["[ true ] whileTrue: cancelled"], finished: [] });
    expect(server.callsOf("evaluate")).toEqual([expect.objectContaining({ outcome: "error", errorKind: "cancelled" })]);
  });

  it("without requestId stops every running evaluation of that session, and none of another", async () => {
    const { server, seen } = await slowServer(300);
    const a = clients.open(server.endpoint);
    const mine = await openSession(a);
    const other = await openSession(a);
    const first = envelope("evaluate", { sessionId: mine, code: "1" });
    const second = envelope("evaluate", { sessionId: mine, code: "22" });
    const theirs = envelope("evaluate", { sessionId: other, code: "333" });
    const free = envelope("evaluate", { code: "4444" }); // no session: nothing can cancel it
    for (const e of [first, second, theirs, free]) await a.send(e);
    await untilStarted(seen, 4);

    const cancel = envelope("evaluate.cancel", { sessionId: mine });
    await a.send(cancel);
    const byId = await replies(a, 5);
    expect(new Set(expectResult(byId.get(cancel.id), "evaluate.cancel").cancelled)).toEqual(new Set([first.id, second.id]));
    expectError(byId.get(first.id), "cancelled");
    expectError(byId.get(second.id), "cancelled");
    expect(expectResult(byId.get(theirs.id), "evaluate").value.printString).toBe("3");
    expect(expectResult(byId.get(free.id), "evaluate").value.printString).toBe("4");
    expect(seen.finished.sort()).toEqual(["333", "4444"]);
  });

  it("stops nothing for a request that already finished, never existed, or belongs to another session", async () => {
    const { server } = await slowServer(1);
    const a = clients.open(server.endpoint);
    const mine = await openSession(a);
    const other = await openSession(a);
    const done = envelope("evaluate", { sessionId: mine, code: "12" });
    expect(expectResult(await a.request(done), "evaluate").value.printString).toBe("2");
    for (const params of [{ sessionId: mine, requestId: done.id }, { sessionId: mine, requestId: "never-sent" }, { sessionId: other, requestId: done.id }, { sessionId: mine }]) {
      expect(expectResult(await a.request(envelope("evaluate.cancel", params)), "evaluate.cancel").cancelled).toEqual([]);
    }
  });

  it("matches an integer request id only on the connection that sent it, as the reply cache does", async () => {
    const { server, seen } = await slowServer();
    const a = clients.open(server.endpoint);
    const b = clients.open(server.endpoint);
    const sessionId = await openSession(a);
    await a.send(envelope("evaluate", { sessionId, code: "7" }, { id: 7 }));
    await untilStarted(seen, 1);
    // B's own request 7 would be another request: B stops nothing.
    expect(expectResult(await b.request(envelope("evaluate.cancel", { sessionId, requestId: 7 })), "evaluate.cancel").cancelled).toEqual([]);
    const cancel = envelope("evaluate.cancel", { sessionId, requestId: 7 });
    await a.send(cancel);
    const byId = await replies(a, 2);
    expect(expectResult(byId.get(cancel.id), "evaluate.cancel").cancelled).toEqual([7]);
    expectError(byId.get(7), "cancelled");
  });

  it("answers sessionNotFound for a session that does not exist, and runs nothing", async () => {
    const { server } = await slowServer();
    const a = clients.open(server.endpoint);
    expectError(await a.request(envelope("evaluate.cancel", { sessionId: "s-none" })), "sessionNotFound");
    expect(server.callsOf("evaluate")).toEqual([]);
  });

  it("a 1.1 evaluation stopped by a 1.2 cancel gets internalError naming cancelled, which 1.1 lacks", async () => {
    const { server, seen } = await slowServer();
    const a = clients.open(server.endpoint);
    const b = clients.open(server.endpoint);
    const sessionId = await openSession(b);
    const old = envelope("evaluate", { sessionId, code: "x" }, { stui: "1.1" });
    await a.send(old);
    await untilStarted(seen, 1);
    expect(expectResult(await b.request(envelope("evaluate.cancel", { sessionId })), "evaluate.cancel").cancelled).toEqual([old.id]);
    const reply = (await a.receive()) as { error: { code: number; data: { kind: string; detail: string } } };
    expect(reply.error.data.kind).toBe("internalError");
    expect(reply.error.data.detail).toMatch(/^cancelled \(not an error kind of evaluate in protocol 1\.1\)/);
  });
});
