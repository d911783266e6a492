import { randomBytes } from "node:crypto";
import type {
  HandleEntry,
  HistoryEntry,
  SessionRestoreResult,
  SessionSummary,
  Value,
  WorkspaceVariable,
} from "@stui/client/protocol";
import { ProtocolError } from "./protocol-error.js";

/** How many history entries a session keeps (the oldest are dropped first). */
export const HISTORY_LIMIT = 1000;

/** A point in time as the protocol's Timestamp: ISO 8601 with a `+00:00` offset, as Pharo prints it. */
export function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, "+00:00");
}

/**
 * One session of the test server. The server keeps its bookkeeping (ids, timestamps, idle
 * timer); what a Smalltalk image would put in it (variables, history, handles) is filled in by
 * the test's handlers, through the helpers below.
 */
export class TestSession {
  readonly variables = new Map<string, Value>();
  readonly history: HistoryEntry[] = [];
  readonly handles = new Map<string, Value>();
  /** Free room for handlers to keep their own per-session state. */
  readonly state = new Map<string, unknown>();
  private nextHistoryIndex = 1;
  private nextHandle = 1;

  constructor(
    readonly id: string,
    readonly clientName: string,
    readonly protocolVersion: string,
    readonly idleTimeoutMs: number,
    readonly debug: boolean,
    readonly createdAt: number,
    public lastUsedAt: number,
  ) {}

  get expiresAt(): number {
    return this.lastUsedAt + this.idleTimeoutMs;
  }

  /** Sets (or replaces) a workspace variable. */
  setVariable(name: string, value: Value): void {
    this.variables.set(name, value);
  }

  /** Appends a history entry and answers its index (1-based, never reused). */
  recordHistory(entry: Omit<HistoryEntry, "index" | "at">, at: number = this.lastUsedAt): number {
    const index = this.nextHistoryIndex++;
    this.history.push({ ...entry, index, at: timestamp(at) });
    if (this.history.length > HISTORY_LIMIT) this.history.splice(0, this.history.length - HISTORY_LIMIT);
    return index;
  }

  /** Keeps `value` under a new handle (`h1`, `h2`, …) and answers the value carrying it. */
  keepHandle(value: Omit<Value, "handle">): Value {
    const handle = `h${this.nextHandle++}`;
    const kept: Value = { ...value, handle };
    this.handles.set(handle, kept);
    return kept;
  }

  /** Releases handles; unknown ones are listed, as handles.release answers them. */
  releaseHandles(handles: readonly string[]): { released: number; unknown: string[] } {
    let released = 0;
    const unknown: string[] = [];
    for (const handle of handles) {
      if (this.handles.delete(handle)) released++;
      else unknown.push(handle);
    }
    return { released, unknown };
  }

  summary(): SessionSummary {
    return {
      sessionId: this.id,
      clientName: this.clientName,
      createdAt: timestamp(this.createdAt),
      lastUsedAt: timestamp(this.lastUsedAt),
      expiresAt: timestamp(this.expiresAt),
      variableCount: this.variables.size,
      handleCount: this.handles.size,
    };
  }

  restoreResult(): SessionRestoreResult {
    const variables: WorkspaceVariable[] = [...this.variables].map(([name, value]) => ({ name, value }));
    const handles: HandleEntry[] = [...this.handles].map(([handle, value]) => ({ handle, value }));
    return {
      sessionId: this.id,
      protocolVersion: this.protocolVersion,
      clientName: this.clientName,
      idleTimeoutMs: this.idleTimeoutMs,
      createdAt: timestamp(this.createdAt),
      lastUsedAt: timestamp(this.lastUsedAt),
      variables,
      history: [...this.history],
      handles,
    };
  }
}

export interface SessionStoreOptions {
  /** Idle timeout for sessions whose client asks for none. */
  defaultIdleTimeoutMs: number;
  /** The clock, in milliseconds (tests may pass a fake one). */
  now: () => number;
}

/**
 * The sessions of one test server. Expiry is checked on every access (`sweep`), so an idle
 * session is gone for the first request after its timeout, exactly as if a timer had closed it.
 */
export class SessionStore {
  private readonly sessions = new Map<string, TestSession>();
  /** No session expires before this (a lower bound: refreshing only moves expiries later). */
  private earliestExpiry = Number.POSITIVE_INFINITY;

  constructor(private readonly options: SessionStoreOptions) {}

  get size(): number {
    this.sweep();
    return this.sessions.size;
  }

  create(input: { clientName: string; protocolVersion: string; idleTimeoutMs?: number; debug?: boolean }): TestSession {
    this.sweep();
    const now = this.options.now();
    let id: string;
    do id = `s-${randomBytes(6).toString("hex")}`;
    while (this.sessions.has(id));
    const session = new TestSession(
      id,
      input.clientName,
      input.protocolVersion,
      input.idleTimeoutMs ?? this.options.defaultIdleTimeoutMs,
      input.debug ?? false,
      now,
      now,
    );
    this.sessions.set(id, session);
    this.earliestExpiry = Math.min(this.earliestExpiry, session.expiresAt);
    return session;
  }

  /** The live session with that id, or undefined. Does not refresh its idle timer. */
  find(id: string): TestSession | undefined {
    this.sweep();
    return this.sessions.get(id);
  }

  /** The live session with that id, its idle timer refreshed; throws sessionNotFound. */
  touch(id: string): TestSession {
    const session = this.require(id);
    session.lastUsedAt = Math.max(session.lastUsedAt, this.options.now());
    return session;
  }

  /** The live session with that id; throws sessionNotFound. */
  require(id: string): TestSession {
    const session = this.find(id);
    if (!session) throw new ProtocolError("sessionNotFound", { sessionId: id }, `Session not found: ${id}`);
    return session;
  }

  /** Closes a session; throws sessionNotFound. */
  close(id: string): TestSession {
    const session = this.require(id);
    this.sessions.delete(id);
    return session;
  }

  list(): TestSession[] {
    this.sweep();
    return [...this.sessions.values()];
  }

  /** Drops every session whose idle timeout has passed. */
  sweep(): void {
    const now = this.options.now();
    if (now < this.earliestExpiry) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const [id, session] of this.sessions) {
      if (session.expiresAt <= now) this.sessions.delete(id);
      else earliest = Math.min(earliest, session.expiresAt);
    }
    this.earliestExpiry = earliest;
  }

  clear(): void {
    this.sessions.clear();
    this.earliestExpiry = Number.POSITIVE_INFINITY;
  }
}
