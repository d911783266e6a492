// A TEST DOUBLE of the host's connection (the Transport @stui/client would give it):
// answers ping, session.create / session.close and a few fixed evaluate codes from a
// table, and records every call. No ZeroMQ, no Smalltalk. For host tests that are
// about the host itself (sandbox, permissions, exit codes, cleanup); the examples run
// against the real test server in examples.test.ts.

import type { HostConnection } from "../src/connection.js";
import { StuiError } from "../src/script-api.js";

export interface FakeServer {
  connect: () => Promise<HostConnection>;
  calls: { method: string; params: unknown }[];
  /** Sessions created and not closed yet. */
  open: Set<string>;
  closed: boolean;
}

const VALUES: Record<string, string> = { "3 + 4": "7", "total := 3 + 4": "7" };

export function fakeServer(options: { unreachable?: boolean } = {}): FakeServer {
  const server: FakeServer = {
    calls: [],
    open: new Set(),
    closed: false,
    connect: async () => connection,
  };
  let sessions = 0;
  const connection: HostConnection = {
    async call(method: string, params: unknown) {
      server.calls.push({ method, params });
      if (options.unreachable) throw new StuiError("ECONNECTION", "fake: no server listening");
      const p = (params ?? {}) as Record<string, unknown>;
      switch (method) {
        case "ping":
          return { status: "running", uptimeMs: 1, server: { name: "fake", version: "0", implementation: "fake" }, protocolVersions: ["1.0"], sessions: server.open.size } as never;
        case "session.create": {
          const sessionId = `s-${++sessions}`;
          server.open.add(sessionId);
          return { sessionId, protocolVersion: "1.0", idleTimeoutMs: 60000, createdAt: "2026-01-01T00:00:00.000+00:00", server: { name: "fake", version: "0", implementation: "fake" }, capabilities: [] } as never;
        }
        case "session.close": {
          const id = String(p.sessionId);
          if (!server.open.delete(id)) throw new StuiError("EREMOTE", `no session ${id}`, "sessionNotFound", { kind: "sessionNotFound", sessionId: id });
          return { sessionId: id, releasedVariables: 0, releasedHandles: 0 } as never;
        }
        case "evaluate": {
          const printString = VALUES[String(p.code)];
          if (printString === undefined) throw new StuiError("EREMOTE", `fake: no scripted answer for ${String(p.code)}`, "internalError", { kind: "internalError", detail: "fake" });
          return { value: { printString, className: "SmallInteger", truncated: false }, durationMs: 0 } as never;
        }
        case "evaluate.cancel":
          // What @stui/client does on a connection that speaks 1.0: refuse locally, send nothing.
          throw new StuiError("EVERSION", "evaluate.cancel needs protocol 1.2, and this connection speaks 1.0 (fake); nothing was sent");
        default:
          return {} as never;
      }
    },
    async close() {
      server.closed = true;
    },
  };
  return server;
}
