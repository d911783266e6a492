// The messages between the host (parent, holds the ZeroMQ client) and the sandboxed
// script (child, holds nothing but this channel), carried as frames by channel.ts. Every
// child message is untrusted: the host validates its shape and checks each call's
// permissions itself; what a script forges here can never pass for the host's own
// observations (exit codes 3 and 4 come from what the host saw, not from what it was told).
//
//   child (sandbox)                         host
//   ── {t:"plugin", name, description, permissions} ──▶  approve? (TTY prompt)
//   ◀── {t:"start"} ─────────────────────────────────────
//   ── {t:"call", id, method, params, timeoutMs?} ──────▶  permissionsFor → grants
//   ◀── {t:"result", id, ok, value | error} ─────────────  (forwarded to @stui/client)
//   ── {t:"cancel", id} ────────────────────────────────▶  the script aborted that call: abandoned
//   ── {t:"has", id, permission} ───────────────────────▶
//   ◀── {t:"result", id, ok: true, value: boolean} ──────
//   ── {t:"done"} | {t:"error", error} ─────────────────▶  then the child exits

import type { ErrorKind, Permission } from "@stui/client/protocol";
import { StuiError, isStuiErrorCode } from "./script-api.js";

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  kind?: string;
  data?: unknown;
  stack?: string;
  /** Node's permission model refused something (ERR_ACCESS_DENIED): what, and on which resource. */
  access?: { permission: string; resource: string };
  /** The error's cause, one level deep (fetch wraps a refused connection in "fetch failed"). */
  cause?: SerializedError;
}

export type ChildMessage =
  | { t: "call"; id: number; method: string; params: unknown; timeoutMs?: number }
  | { t: "has"; id: number; permission: string }
  | { t: "cancel"; id: number }
  | { t: "plugin"; name: string; description: string; permissions: string[] }
  | { t: "done" }
  | { t: "error"; error: SerializedError };

export type HostMessage =
  | { t: "result"; id: number; ok: true; value: unknown }
  | { t: "result"; id: number; ok: false; error: SerializedError }
  | { t: "start" };

/**
 * Environment variable that switches the innermost layer (sandbox/lockdown.ts) off: "off".
 * Set only by the host, only when a test asks (RunOptions.testLayers) to prove
 * the outer layers hold on their own; a script cannot set its own environment.
 */
export const STUBS_ENV = "STUI_SANDBOX_STUBS";

/** Environment variable naming the host's network proxy socket inside the sandbox (set only with --allow-net). */
export const NET_SOCKET_ENV = "STUI_NET_SOCKET";
/** Environment variable telling the sandbox runtime which commands --allow-run granted ("*" for all); for its messages only. */
export const RUN_ENV = "STUI_RUN";

export function serializeError(error: unknown, depth = 0): SerializedError {
  if (error instanceof Error) {
    const e = error as Error & { code?: unknown; kind?: unknown; data?: unknown };
    const out: SerializedError = { name: e.name, message: e.message };
    if (typeof e.code === "string") out.code = e.code;
    if (typeof e.kind === "string") out.kind = e.kind;
    if (e.data !== undefined) out.data = jsonSafe(e.data);
    if (typeof e.stack === "string") out.stack = e.stack;
    const a = error as Error & { permission?: unknown; resource?: unknown };
    if (typeof a.permission === "string" && typeof a.resource === "string") out.access = { permission: a.permission, resource: a.resource };
    if (depth === 0 && e.cause instanceof Error) {
      const { stack: _, ...cause } = serializeError(e.cause, 1);
      out.cause = cause;
    }
    return out;
  }
  return { name: "Error", message: String(error) };
}

/** Turn a serialized host error back into a StuiError (or a plain Error). */
export function deserializeError(s: SerializedError): Error {
  // Any StuiError subclass of @stui/client (StuiRemoteError, …) becomes the script's StuiError.
  if (/^Stui\w*Error$/.test(s.name) && isStuiErrorCode(s.code)) {
    // The kind came from @stui/client, whose validators admit only the schema's error kinds.
    return new StuiError(s.code, s.message, s.kind as ErrorKind | undefined, s.data);
  }
  const e = new Error(s.message);
  e.name = s.name;
  return e;
}

/** A permissionDenied error shaped like the protocol's own (EREMOTE, kind permissionDenied). */
export function permissionDeniedError(method: string, permission: Permission, message: string): StuiError {
  return new StuiError("EREMOTE", message, "permissionDenied", { kind: "permissionDenied", method, permission });
}

/** Narrow an untrusted child message; undefined when it is not one we understand. */
export function parseChildMessage(m: unknown): ChildMessage | undefined {
  if (typeof m !== "object" || m === null) return undefined;
  const r = m as Record<string, unknown>;
  switch (r.t) {
    case "call":
      if (typeof r.id !== "number" || typeof r.method !== "string") return undefined;
      if (r.timeoutMs !== undefined && (typeof r.timeoutMs !== "number" || !(r.timeoutMs > 0))) return undefined;
      return { t: "call", id: r.id, method: r.method, params: r.params ?? {}, ...(typeof r.timeoutMs === "number" ? { timeoutMs: r.timeoutMs } : {}) };
    case "has":
      if (typeof r.id !== "number" || typeof r.permission !== "string") return undefined;
      return { t: "has", id: r.id, permission: r.permission };
    case "cancel":
      if (typeof r.id !== "number") return undefined;
      return { t: "cancel", id: r.id };
    case "plugin":
      if (typeof r.name !== "string" || typeof r.description !== "string" || !Array.isArray(r.permissions)) return undefined;
      if (!r.permissions.every((p) => typeof p === "string")) return undefined;
      return { t: "plugin", name: r.name, description: r.description, permissions: r.permissions as string[] };
    case "done":
      return { t: r.t };
    case "error": {
      const e = r.error as Record<string, unknown> | undefined;
      if (typeof e !== "object" || e === null || typeof e.message !== "string") return undefined;
      const out: SerializedError = { name: typeof e.name === "string" ? e.name : "Error", message: e.message };
      if (typeof e.code === "string") out.code = e.code;
      if (typeof e.kind === "string") out.kind = e.kind;
      if (typeof e.stack === "string") out.stack = e.stack;
      if (e.data !== undefined) out.data = e.data;
      const a = e.access as Record<string, unknown> | undefined;
      if (typeof a === "object" && a !== null && typeof a.permission === "string" && typeof a.resource === "string") out.access = { permission: a.permission, resource: a.resource };
      const c = e.cause as Record<string, unknown> | undefined;
      if (typeof c === "object" && c !== null && typeof c.message === "string") {
        const ca = c.access as Record<string, unknown> | undefined;
        out.cause = {
          name: typeof c.name === "string" ? c.name : "Error",
          message: c.message,
          ...(typeof c.code === "string" ? { code: c.code } : {}),
          ...(typeof ca === "object" && ca !== null && typeof ca.permission === "string" && typeof ca.resource === "string" ? { access: { permission: ca.permission, resource: ca.resource } } : {}),
        };
      }
      return { t: "error", error: out };
    }
    default:
      return undefined;
  }
}

function jsonSafe(v: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(v));
  } catch {
    return undefined;
  }
}
