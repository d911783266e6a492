import type { RequestId } from "@stui/client/protocol";

/**
 * The server's cache of replies by request id: a bounded LRU of promises of reply texts.
 *
 * A request re-sent with an id whose reply is still being computed gets the same promise (so the
 * handler runs once and both senders receive the same reply); one re-sent after its reply went
 * out gets the cached text. The oldest entries are evicted first; an evicted pending entry still
 * answers the requests already waiting on it.
 */
export class ReplyCache {
  private readonly entries = new Map<string, Promise<string>>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`replyCacheSize must be a non-negative integer, got ${capacity}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The cache key of a request: its id and a fingerprint of its bytes, so a re-sent request —
   * byte for byte the same — finds its reply, and a different request that reuses an id runs as
   * itself. A string id is a retry token, shared across connections (a client reopening its socket
   * after a timeout gets its reply); a numeric id is scoped to the connection (`route`) it arrived
   * on, so two clients that both count from 1 never see each other's replies. `1` and `"1"` are
   * different ids.
   */
  static key(id: RequestId, route = "", fingerprint = ""): string {
    return `${typeof id === "number" ? `n:${id}@${route}` : `s:${id}`}#${fingerprint}`;
  }

  get(id: RequestId, route = "", fingerprint = ""): Promise<string> | undefined {
    const key = ReplyCache.key(id, route, fingerprint);
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(id: RequestId, reply: Promise<string>, route = "", fingerprint = ""): void {
    if (this.capacity === 0) return;
    const key = ReplyCache.key(id, route, fingerprint);
    this.entries.delete(key);
    this.entries.set(key, reply);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
