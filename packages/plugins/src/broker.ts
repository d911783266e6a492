// The permission broker: the host's side of every call a script makes. It checks the
// call's permission classes (the generated permissionsFor) against the run's grants, lets a
// script touch only the sessions it opened itself, forwards what passes to the server, and
// keeps what the host itself saw (denials, a failed connection): only those decide exit
// codes 3 and 4, never what the script reports.

import { PROTOCOL_VERSION, isCommandName, type Permission } from "@stui/client/protocol";
import type { HostConnection } from "./connection.js";
import { permissionDeniedError, serializeError, type HostMessage } from "./ipc.js";
import { isPermission, type DenyReason, type Grants, type Prompter } from "./permissions.js";
import { StuiError, isStuiError } from "./script-api.js";

export interface Denial {
  method: string;
  permission: Permission;
  reason: DenyReason;
}

export class PermissionBroker {
  /** Sessions this script opened and has not closed: the only ones it may name. */
  readonly sessions = new Set<string>();
  readonly denied: Denial[] = [];
  calls = 0;
  sessionsOpened = 0;
  /** A call failed because the server could not be reached (seen by the host). */
  connectionFailed: Error | undefined;

  constructor(
    private readonly grants: Grants,
    private readonly connection: Promise<HostConnection>,
    private readonly prompter: Prompter | undefined,
    private readonly log: (line: string) => void,
  ) {}

  /** Answer one call from the script. */
  async call(method: string, params: unknown, timeoutMs: number | undefined): Promise<HostMessage & { t: "result" }> {
    this.calls++;
    const fail = (error: unknown) => ({ t: "result" as const, id: 0, ok: false as const, error: serializeError(error) });
    if (!isCommandName(method)) {
      // Only commands of the generated table are forwarded: a name the schema does not define has
      // no permission class the person could have granted.
      return fail(new StuiError("EVALIDATION", `unknown method ${JSON.stringify(method)}: not a command of protocol ${PROTOCOL_VERSION}`));
    }
    const sessionId = typeof params === "object" && params !== null ? (params as { sessionId?: unknown }).sessionId : undefined;
    if (sessionId !== undefined && (typeof sessionId !== "string" || !this.sessions.has(sessionId))) {
      // Another run's session (or one this script already closed): as if it did not exist.
      const id = String(sessionId);
      return fail(new StuiError("EREMOTE", `Session not found: ${id} (a script may only use sessions it opened)`, "sessionNotFound", { kind: "sessionNotFound", sessionId: id }));
    }
    const auth = await this.grants.authorize(method, params, this.prompter);
    if (!auth.ok) {
      this.denied.push({ method: auth.method, permission: auth.permission, reason: auth.reason });
      this.log(`stui: ${auth.message}`);
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
      const value = await conn.call(method, params as never, timeoutMs !== undefined ? { timeoutMs } : undefined);
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

  has(permission: string): boolean {
    return isPermission(permission) && this.grants.has(permission);
  }

  /** Whether a script's final error is a refusal this broker really made. */
  sawDenial(error: { kind?: string | undefined; data?: unknown }): boolean {
    if (error.kind !== "permissionDenied") return false;
    const data = error.data as { method?: unknown; permission?: unknown } | undefined;
    return this.denied.some((d) => d.method === data?.method && d.permission === data?.permission);
  }

  /** Close every session the script left open; answers how many were closed. */
  async closeSessions(conn: HostConnection): Promise<number> {
    let closed = 0;
    for (const sessionId of this.sessions) {
      try {
        await conn.call("session.close", { sessionId }, { timeoutMs: 5000 });
        closed++;
      } catch {
        // Already gone (expired, or closed by the script in a call we did not see end).
      }
    }
    this.sessions.clear();
    return closed;
  }
}
