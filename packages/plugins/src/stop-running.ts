// When --timeout or Ctrl-C ends a script, what it started on the server may still be running:
// an evaluation goes on until its own time limit. Since protocol 1.2 the host asks the server
// to stop it (evaluate.cancel, every running request of each session the script opened), so
// the stopped calls answer `cancelled` at once and the command can end. A connection that
// speaks an older version fails the call locally (EVERSION, nothing sent): the evaluations
// then run on until their own limit, as before 1.2.
//
// A cancel can overtake the evaluation it means to stop (the script sent it just before it was
// stopped; the host forwards it after). So the host asks again, a few times, while calls of the
// script are still in flight.

import type { HostConnection } from "./connection.js";

/** How long the host waits for each evaluate.cancel. */
const CANCEL_LIMIT_MS = 2000;
/** How long, at most, the host keeps asking while the script's calls are in flight. */
const RETRY_FOR_MS = 3000;
const RETRY_EVERY_MS = 100;

/**
 * Asks the server to stop every running request of these sessions, again while `inFlight()`
 * says calls of the script are still out; answers how many requests it stopped.
 */
export async function stopRunning(connection: Promise<HostConnection>, sessions: Iterable<string>, inFlight: () => boolean): Promise<number> {
  const conn = await connection.catch(() => undefined);
  if (!conn) return 0;
  const ids = [...sessions];
  let stopped = 0;
  for (const until = Date.now() + RETRY_FOR_MS; ; ) {
    const counts = await Promise.all(
      ids.map((sessionId) =>
        conn
          .call("evaluate.cancel", { sessionId }, { timeoutMs: CANCEL_LIMIT_MS })
          .then((r) => r.cancelled.length)
          .catch(() => -1), // an older protocol (EVERSION), a session already gone, no answer in time
      ),
    );
    stopped += counts.reduce((sum, n) => sum + Math.max(0, n), 0);
    if (counts.every((n) => n < 0) || !inFlight() || Date.now() > until) return stopped;
    await new Promise((resolve) => setTimeout(resolve, RETRY_EVERY_MS));
  }
}
