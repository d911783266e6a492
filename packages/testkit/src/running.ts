import type { RequestId } from "@stui/client/protocol";
import { ProtocolError } from "./protocol-error.js";

/**
 * The requests of sessions that are running and may be stopped by evaluate.cancel: those whose
 * command can answer `cancelled` (evaluate and tests.run in protocol 1.2), made with a sessionId.
 *
 *   evaluate {sessionId: s, id: "a"} ──start──▶ running[s] ∋ a ──▶ handler(params, {signal})
 *   evaluate.cancel {sessionId: s, requestId: "a"} ──cancel──▶ a's signal aborts; a answers cancelled
 *
 * Matching follows the reply cache: a string id names a request from any connection, an integer
 * id only one that came on the caller's connection (`route`).
 */
export class RunningRequests {
  private readonly bySession = new Map<string, Set<RunningRequest>>();

  constructor(private readonly now: () => number) {}

  /** Registers a request as running until `finish()`. */
  start(sessionId: string, requestId: RequestId, route: string): RunningRequest {
    const running = new RunningRequest(sessionId, requestId, route, this.now(), this.now);
    let set = this.bySession.get(sessionId);
    if (!set) this.bySession.set(sessionId, (set = new Set()));
    set.add(running);
    running.finish = () => {
      set.delete(running);
      if (set.size === 0 && this.bySession.get(sessionId) === set) this.bySession.delete(sessionId);
    };
    return running;
  }

  /** Stops the session's running requests that match (all when `requestId` is undefined); answers their ids. */
  cancel(sessionId: string, requestId: RequestId | undefined, route: string): RequestId[] {
    const matches = [...(this.bySession.get(sessionId) ?? [])].filter(
      (r) => requestId === undefined || (r.requestId === requestId && (typeof requestId === "string" || r.route === route)),
    );
    for (const r of matches) r.cancel();
    return matches.map((r) => r.requestId);
  }

  /** How many requests are running now (all sessions). */
  get size(): number {
    let n = 0;
    for (const set of this.bySession.values()) n += set.size;
    return n;
  }
}

/** One running request: its abort signal for the handler, and the cancelled error it answers once stopped. */
export class RunningRequest {
  private readonly controller = new AbortController();
  /** Rejects with the cancelled ProtocolError once the request is stopped; never resolves. */
  readonly stopped: Promise<never>;
  private reject!: (error: ProtocolError<"cancelled">) => void;
  /** Unregisters the request (set by RunningRequests.start). */
  finish: () => void = () => undefined;

  constructor(
    readonly sessionId: string,
    readonly requestId: RequestId,
    readonly route: string,
    readonly startedAt: number,
    private readonly now: () => number,
  ) {
    this.stopped = new Promise<never>((_, reject) => (this.reject = reject));
    this.stopped.catch(() => undefined); // raced by the caller; never unhandled
  }

  /** Aborted when evaluate.cancel stops the request. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  cancel(): void {
    if (this.controller.signal.aborted) return;
    const durationMs = Math.max(0, this.now() - this.startedAt);
    const error = new ProtocolError("cancelled", { durationMs }, `Cancelled after ${durationMs} ms`);
    this.finish();
    this.controller.abort(error);
    this.reject(error);
  }
}
