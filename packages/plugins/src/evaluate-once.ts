// One evaluation in a session of its own, bounded in time: what `stui eval` does. The session is
// closed however it ends (answer, error, --timeout, Ctrl-C), within a small grace.

import { CLIENT_VERSIONS, type EvaluateResult } from "@stui/client/protocol";
import { CLEANUP_GRACE_MS, firstPing, isAuthenticationFailure, type Connector, type HostConnection } from "./connection.js";
import { formatError, formatOutput, type RemoteError } from "./smalltalk-format.js";

export interface EvaluateOnceOptions {
  connect: Connector;
  code: string;
  /** The whole evaluation's limit (also sent to the server as the evaluation's own timeoutMs). */
  timeoutMs?: number | undefined;
  connectTimeoutMs?: number | undefined;
  signal?: AbortSignal;
}

export type Outcome =
  | { kind: "value"; text: string; json: unknown }
  | { kind: "error"; text: string; error: RemoteError; json: unknown }
  | { kind: "unreachable"; message: string; authentication: boolean; json: unknown }
  | { kind: "timeout"; json: unknown }
  | { kind: "interrupted"; json: unknown };

const errorJson = (e: RemoteError) => ({ ok: false, error: { code: e.code, ...(e.kind ? { kind: e.kind } : {}), message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) } });

export async function evaluateOnce(options: EvaluateOnceOptions): Promise<Outcome> {
  const started = Date.now();
  const stop = new AbortController();
  const timer = options.timeoutMs !== undefined ? setTimeout(() => stop.abort("timeout"), options.timeoutMs) : undefined;
  const onInterrupt = (): void => stop.abort("interrupted");
  options.signal?.addEventListener("abort", onInterrupt, { once: true });
  let conn: HostConnection | undefined;
  let sessionId: string | undefined;
  const stopped = (): Outcome | undefined =>
    stop.signal.aborted ? (stop.signal.reason === "timeout" ? { kind: "timeout", json: { ok: false, error: { code: "ETIMEOUT", message: `no answer within ${options.timeoutMs} ms` } } } : { kind: "interrupted", json: { ok: false, error: { code: "EABORTED", message: "interrupted" } } }) : undefined;
  try {
    try {
      conn = await options.connect();
      await firstPing(conn, options.connectTimeoutMs ?? 5000);
    } catch (error) {
      const authentication = isAuthenticationFailure(error);
      return stopped() ?? { kind: "unreachable", message: (error as Error).message, authentication, json: { ok: false, error: { code: "ECONNECTION", message: (error as Error).message, ...(authentication ? { authentication: true } : {}) } } };
    }
    const remaining = (): number | undefined => (options.timeoutMs === undefined ? undefined : Math.max(1, options.timeoutMs - (Date.now() - started)));
    try {
      sessionId = ((await conn.call("session.create", { clientName: "stui eval", protocolVersions: [...CLIENT_VERSIONS] }, { signal: stop.signal })) as { sessionId: string }).sessionId;
      const limit = remaining();
      const result = (await conn.call("evaluate", { sessionId, code: options.code, ...(limit !== undefined ? { timeoutMs: limit } : {}) }, { signal: stop.signal })) as EvaluateResult;
      // What the evaluation wrote to the Transcript (1.2) comes first, as it happened first.
      const text = [formatOutput(result), result.value.printString].filter(Boolean).join("\n");
      return { kind: "value", text, json: { ok: true, value: result.value, durationMs: result.durationMs, ...(result.output ? { output: result.output } : {}) } };
    } catch (error) {
      const halted = stopped();
      if (halted) return halted;
      const e = error as RemoteError;
      if (e.code === "ECONNECTION") return { kind: "unreachable", message: e.message, authentication: isAuthenticationFailure(e), json: errorJson(e) };
      return { kind: "error", text: formatError(e, options.code), error: e, json: errorJson(e) };
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onInterrupt);
    if (conn && sessionId && stop.signal.aborted) {
      // --timeout or Ctrl-C: ask the server to stop the evaluation (protocol 1.2; an older
      // connection refuses locally and sends nothing), within the grace.
      await conn.call("evaluate.cancel", { sessionId }, { timeoutMs: CLEANUP_GRACE_MS, signal: AbortSignal.timeout(CLEANUP_GRACE_MS) }).catch(() => undefined);
    }
    if (conn && sessionId) {
      // Not past a small grace: a server still busy with the evaluation may not answer soon.
      await conn.call("session.close", { sessionId }, { timeoutMs: CLEANUP_GRACE_MS, signal: AbortSignal.timeout(CLEANUP_GRACE_MS) }).catch(() => undefined);
    }
    await conn?.close().catch(() => undefined);
  }
}
