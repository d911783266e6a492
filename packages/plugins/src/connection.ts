// What the host needs from its link to the server, and the first ping. Kept apart from
// connect.ts (which loads @stui/client and ZeroMQ lazily) so the run orchestration and the
// permission broker can depend on these types without importing the real client.

import type { Transport } from "@stui/client/protocol";
import { isStuiError } from "./script-api.js";

/** How long cleanup (closing a run's sessions) may take after --timeout or Ctrl-C ended it: the command ends within its limit plus this. */
export const CLEANUP_GRACE_MS = 1000;
/** How long cleanup may take after a script ended by itself with calls still in flight. */
export const CLEANUP_LIMIT_MS = 5000;

/** The host's link to the server: a Transport that can be closed. */
export interface HostConnection extends Transport {
  close(): Promise<void>;
  /**
   * Settles with a reason when the endpoint refused the connection outright (nothing listens
   * there), so the first ping need not wait out its time limit; never settles otherwise.
   */
  refused?: Promise<string>;
}

/** Opens the connection (lazily: only `stui run`, `stui eval` and `stui repl` need one). */
export type Connector = () => Promise<HostConnection>;

/**
 * Whether a connection error is @stui/client's StuiAuthenticationError (by name: this module does
 * not load the client): a server was there but did not let this client in, or this machine's keys
 * cannot be used. A key problem, not a missing server.
 */
export function isAuthenticationFailure(error: unknown): boolean {
  return error instanceof Error && error.name === "StuiAuthenticationError";
}

/**
 * The host's first ping: `limitMs` bounds every attempt together (the client re-sends a timed-out
 * ping; the signal stops them all). When the time runs out the client says only "ping aborted",
 * so that becomes "no answer to ping within <limitMs> ms" for the user. A refused connection
 * ends it at once.
 */
export async function firstPing(conn: HostConnection, limitMs: number): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), limitMs);
  const ping = conn.call("ping", {}, { timeoutMs: limitMs, signal: controller.signal });
  ping.catch(() => undefined);
  try {
    await Promise.race([
      ping,
      conn.refused?.then((why) => {
        controller.abort();
        throw new Error(why);
      }) ?? new Promise<never>(() => undefined),
    ]);
  } catch (error) {
    throw isStuiError(error, "EABORTED") ? new Error(`no answer to ping within ${limitMs} ms`, { cause: error }) : error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Connect and ping in the background; the result is awaited by the first call. Closing does not
 * wait for a ping still in flight: it closes the connection under it.
 */
export function openConnection(options: { connect: Connector; connectTimeoutMs?: number | undefined }): { connection: Promise<HostConnection>; close(): Promise<void> } {
  let raw: HostConnection | undefined;
  let closed = false;
  const connection = (async () => {
    const conn = await options.connect();
    raw = conn;
    if (closed) await conn.close().catch(() => undefined);
    try {
      await firstPing(conn, options.connectTimeoutMs ?? 5000);
    } catch (error) {
      await conn.close().catch(() => undefined);
      throw error;
    }
    return conn;
  })();
  connection.catch(() => undefined);
  return {
    connection,
    close: async () => {
      closed = true;
      await raw?.close().catch(() => undefined);
    },
  };
}
