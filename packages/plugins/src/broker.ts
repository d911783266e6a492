// The permission broker: the host's side of every call a script makes. It checks the
// call's permission classes (the generated permissionsFor) against the run's grants, lets a
// script touch only the sessions it opened itself, forwards what passes to the server, and
// keeps what the host itself saw (denials, a failed connection): only those decide exit
// codes 3 and 4, never what the script reports.
//
// Calls are independent: many can be in flight at once (the connection is pipelined), each
// checked on its own. When the script is gone (ended, killed, timed out), what is still in
// flight is abandoned — except session.create, whose answer names a session to close.

import { PROTOCOL_VERSION, isCommandName, type Permission } from "@stui/client/protocol";
import type { HostConnection } from "./connection.js";
import { permissionDeniedError, serializeError, type HostMessage } from "./ipc.js";
import { isPermission, type DenyReason, type Grants, type Prompter } from "./permissions.js";
import { StuiError, isStuiError } from "./script-api.js";
import { stopRunning } from "./stop-running.js";

export interface Denial {
  /** The command refused; for a refusal of the sandbox itself, the grant's name (fs-write, …). */
  method: string;
  /** A permission class of the protocol, or a grant of the sandbox (fs-read, fs-write, net, run, env). */
  permission: Permission | "fs-read" | "fs-write" | "net" | "run" | "env";
  reason: DenyReason;
  /** The message the script got (it names the flag to add). */
  message?: string;
  /** The path or host:port refused, for a refusal of the sandbox. */
  resource?: string;
}

type Answer = HostMessage & { t: "result" };

/** Refusals kept in `denied` (and the --json summary); past this only `deniedTotal` counts them. */
export const MAX_DENIALS_KEPT = 100;
/** Longest error message sent back to a script: longer ones (an echoed name) are cut. */
const MAX_MESSAGE_CHARS = 2000;
/** The per-call time limit a script may ask for is clamped to this range (Node's timers hold at most 2^31-1 ms). */
const CALL_TIMEOUT_RANGE = [1, 2_147_483_647] as const;

/** A host error as the script sees it: no host stack (install paths, and the message again), a bounded message. */
function errorAnswer(error: unknown): Answer {
  const { stack: _, ...serialized } = serializeError(error);
  if (serialized.message.length > MAX_MESSAGE_CHARS) serialized.message = `${serialized.message.slice(0, MAX_MESSAGE_CHARS)}… (${serialized.message.length} characters, cut)`;
  if (serialized.cause && serialized.cause.message.length > MAX_MESSAGE_CHARS) serialized.cause.message = `${serialized.cause.message.slice(0, MAX_MESSAGE_CHARS)}… (cut)`;
  if (serialized.data !== undefined && JSON.stringify(serialized.data).length > MAX_MESSAGE_CHARS) delete serialized.data;
  return { t: "result", id: 0, ok: false, error: serialized };
}

interface InFlight {
  /** The script's id for the call (its cancel names it). */
  id: number | undefined;
  method: string;
  controller: AbortController;
  done: Promise<unknown>;
}

export class PermissionBroker {
  /** Sessions this script opened and has not closed: the only ones it may name. */
  readonly sessions = new Set<string>();
  /** The first MAX_DENIALS_KEPT refusals. */
  readonly denied: Denial[] = [];
  /** Every refusal, counted (a script can make millions: only the first few are kept). */
  deniedTotal = 0;
  /** method + permission of every refusal (few: commands × classes), for sawDenial. */
  readonly #deniedKinds = new Set<string>();
  calls = 0;
  sessionsOpened = 0;
  /** A call failed because the server could not be reached (seen by the host). */
  connectionFailed: Error | undefined;
  readonly #inFlight = new Set<InFlight>();
  /** Aborted when the script is gone: questions still on the terminal are withdrawn. */
  readonly #gone = new AbortController();

  constructor(
    private readonly grants: Grants,
    private readonly connection: Promise<HostConnection>,
    private readonly prompter: Prompter | undefined,
  ) {}

  /** Answer one call from the script (`id`: the script's, for cancel). */
  call(method: string, params: unknown, timeoutMs: number | undefined, id?: number): Promise<Answer> {
    this.calls++;
    const controller = new AbortController();
    const entry: InFlight = { id, method, controller, done: Promise.resolve() };
    const done = this.#answer(method, params, timeoutMs, controller.signal).finally(() => this.#inFlight.delete(entry));
    entry.done = done;
    this.#inFlight.add(entry);
    return done;
  }

  async #answer(method: string, params: unknown, timeoutMs: number | undefined, signal: AbortSignal): Promise<Answer> {
    const fail = errorAnswer;
    if (!isCommandName(method)) {
      // Only commands of the generated table are forwarded: a name the schema does not define has
      // no permission class the person could have granted. (The name is echoed cut short.)
      const shown = method.length > 100 ? `${JSON.stringify(method.slice(0, 100))}… (${method.length} characters)` : JSON.stringify(method);
      return fail(new StuiError("EVALIDATION", `unknown method ${shown}: not a command of protocol ${PROTOCOL_VERSION}`));
    }
    const sessionId = typeof params === "object" && params !== null ? (params as { sessionId?: unknown }).sessionId : undefined;
    if (sessionId !== undefined && (typeof sessionId !== "string" || !this.sessions.has(sessionId))) {
      // Another run's session (or one this script already closed): as if it did not exist.
      const id = String(sessionId).slice(0, 200);
      return fail(new StuiError("EREMOTE", `Session not found: ${id} (a script may only use sessions it opened)`, "sessionNotFound", { kind: "sessionNotFound", sessionId: id }));
    }
    const auth = await this.grants.authorize(method, params, this.prompter, this.#gone.signal);
    if (!auth.ok) {
      // Said on stderr only if the script does not catch it (host.ts): a refusal the script
      // handles itself is not a failure of the run.
      this.recordDenial({ method: auth.method, permission: auth.permission, reason: auth.reason, message: auth.message });
      return fail(permissionDeniedError(auth.method, auth.permission, auth.message));
    }
    let conn: HostConnection;
    try {
      conn = await this.connection;
    } catch (error) {
      this.connectionFailed ??= error instanceof Error ? error : new Error(String(error));
      return fail(new StuiError("ECONNECTION", `server unreachable: ${(error as Error).message}`));
    }
    try {
      const limit = timeoutMs === undefined ? undefined : Math.min(CALL_TIMEOUT_RANGE[1], Math.max(CALL_TIMEOUT_RANGE[0], Math.round(timeoutMs)));
      const value = await conn.call(method, params as never, { ...(limit !== undefined ? { timeoutMs: limit } : {}), signal });
      if (method === "session.create") {
        const id = (value as { sessionId?: unknown }).sessionId;
        if (typeof id === "string") {
          this.sessions.add(id);
          this.sessionsOpened++;
        }
      } else if (method === "session.close" && typeof sessionId === "string") {
        this.sessions.delete(sessionId);
      }
      return { t: "result", id: 0, ok: true, value };
    } catch (error) {
      if (isStuiError(error, "ECONNECTION")) this.connectionFailed ??= error;
      return fail(error);
    }
  }

  /**
   * The script aborted a call: abandon it (its reply is dropped; the connection is free at once).
   * A session.create goes on, so the session it opens is still known and closed at the end.
   */
  cancel(id: number): void {
    for (const call of this.#inFlight) if (call.id === id && call.method !== "session.create") call.controller.abort();
  }

  /** Keep a refusal (the first MAX_DENIALS_KEPT in full; every one counted). */
  recordDenial(denial: Denial): void {
    this.deniedTotal++;
    this.#deniedKinds.add(`${denial.method}\0${denial.permission}`);
    if (this.denied.length < MAX_DENIALS_KEPT) this.denied.push(denial);
  }

  has(permission: string): boolean {
    return isPermission(permission) && this.grants.has(permission);
  }

  /** Whether a script's final error is a refusal this broker really made. */
  sawDenial(error: { kind?: string | undefined; data?: unknown }): Denial | undefined {
    if (error.kind !== "permissionDenied") return undefined;
    const data = error.data as { method?: unknown; permission?: unknown } | undefined;
    if (typeof data?.method !== "string" || typeof data.permission !== "string" || !this.#deniedKinds.has(`${data.method}\0${data.permission}`)) return undefined;
    return this.denied.find((d) => d.method === data.method && d.permission === data.permission) ?? { method: data.method, permission: data.permission as Denial["permission"], reason: "not-granted" };
  }

  /**
   * --timeout or Ctrl-C: ask the server to stop what the script's sessions still run
   * (evaluate.cancel, protocol 1.2; again while the script's calls are in flight, as a cancel can
   * overtake the evaluation it means). Answers how many requests were stopped.
   */
  stopRunning(): Promise<number> {
    return stopRunning(this.connection, this.sessions, () => this.#inFlight.size > 0);
  }

  /**
   * The script is gone: withdraw its questions, abandon its calls (nobody reads their answers;
   * an evaluation goes on running on the server until its own time limit), and wait until
   * `deadline` at most for session.create calls, whose answers name sessions to close.
   */
  async settle(deadline: number): Promise<void> {
    this.#gone.abort();
    for (const call of this.#inFlight) if (call.method !== "session.create") call.controller.abort();
    const creating = [...this.#inFlight].filter((c) => c.method === "session.create");
    if (creating.length === 0) return;
    await waitUntil(Promise.allSettled(creating.map((c) => c.done)), deadline);
    for (const call of this.#inFlight) call.controller.abort();
  }

  /** Close every session the script left open, all at once, waiting until `deadline` at most; answers how many were closed. */
  async closeSessions(conn: HostConnection, deadline: number): Promise<number> {
    const ids = [...this.sessions];
    this.sessions.clear();
    let closed = 0;
    const controller = new AbortController();
    const closing = ids.map((sessionId) =>
      conn.call("session.close", { sessionId }, { timeoutMs: Math.max(1, deadline - Date.now()), signal: controller.signal }).then(
        () => void closed++,
        () => undefined, // already gone (expired, or closed by the script in a call we did not see end), or no answer in time
      ),
    );
    await waitUntil(Promise.all(closing), deadline);
    controller.abort();
    return closed;
  }
}

/** Wait for `p`, but not past `deadline` (a Date.now() time). */
async function waitUntil(p: Promise<unknown>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))))]);
  clearTimeout(timer);
}
