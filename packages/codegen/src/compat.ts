/**
 * The breaking-change checker: compares two protocol schemas and classifies every difference by
 * who reads it (see STYLE.md, "Judge a change by who reads it").
 *
 * - Requests (params, the envelope) flow client → server: the newer server must accept every
 *   request an older client sends, so params may only widen.
 * - Replies (results, error data) flow server → client: an older client must accept everything the
 *   newer server sends it *after the server shaped the reply for the request's version* — members
 *   an older closed object does not know are left out, and an error kind the older version (or
 *   command) lacks is answered as internalError. So a new member of a closed result is a minor
 *   change, while a new enum value, a new oneOf branch or a looser bound in a reply is breaking.
 * - Metadata (permission classes, retry safety, defaults, error kinds and codes, limits) changes
 *   what generated code does and what a grant allows.
 *
 * Severities: `breaking` needs a new major version, `needs-minor` a new minor version, `info`
 * (descriptions, examples) needs none.
 */
import equal from "fast-deep-equal";
import { type ProtocolSchema, type SchemaNode } from "./schema.js";
import { type Change, type Severity, NodeComparer } from "./compat/nodes.js";
import { deepestRequest } from "./depth.js";

export type { Change, Severity, Direction } from "./compat/nodes.js";

/** Command-level keys the checker compares itself; any other key that changes is reported. */
const COMMAND_KEYS = new Set(["description", "examples", "x-stui-permission", "x-stui-idempotent", "params", "result", "x-stui-errors"]);

function compareCommands(c: NodeComparer, older: ProtocolSchema, newer: ProtocolSchema) {
  const newCommands = new Map(newer.commands.map((x) => [x.method, x]));
  for (const oc of older.commands) {
    const nc = newCommands.get(oc.method);
    if (!nc) {
      c.add("breaking", oc.method, "command was removed", "metadata");
      continue;
    }
    if (oc.permission !== nc.permission) c.add("breaking", oc.method, `permission class changed from ${oc.permission} to ${nc.permission}; scripts granted ${oc.permission} lose access`, "metadata");
    if (oc.idempotent && !nc.idempotent) c.add("breaking", oc.method, "is no longer safe to retry; older clients retry it", "metadata");
    if (!oc.idempotent && nc.idempotent) c.add("needs-minor", oc.method, "is now safe to retry (generated retry rules change)", "metadata");
    if (oc.description !== nc.description) c.add("info", oc.method, "description changed", "metadata");
    if (!equal(oc.examples, nc.examples)) c.add("info", oc.method, "examples changed", "metadata");
    const rawOld = (older.raw["x-stui-commands"] as Record<string, Record<string, unknown>>)[oc.method]!;
    const rawNew = (newer.raw["x-stui-commands"] as Record<string, Record<string, unknown>>)[oc.method]!;
    for (const k of new Set([...Object.keys(rawOld), ...Object.keys(rawNew)])) {
      if (!COMMAND_KEYS.has(k) && !equal(rawOld[k], rawNew[k])) c.add("breaking", oc.method, `${k} changed; the checker cannot prove the change safe`, "metadata");
    }
    c.compare(rawOld.params as SchemaNode, rawNew.params as SchemaNode, `${oc.method} params`, "request");
    c.compare(rawOld.result as SchemaNode, rawNew.result as SchemaNode, `${oc.method} result`, "response");
    const added = nc.errors.filter((e) => !oc.errors.includes(e));
    const removed = oc.errors.filter((e) => !nc.errors.includes(e));
    if (added.length) c.add("needs-minor", oc.method, `may answer error kind(s) ${added.join(", ")}; older versions get internalError instead`, "metadata");
    if (removed.length) c.add("needs-minor", oc.method, `no longer answers error kind(s) ${removed.join(", ")} (generated error types change)`, "metadata");
  }
  const oldMethods = new Set(older.commands.map((x) => x.method));
  for (const nc of newer.commands) if (!oldMethods.has(nc.method)) c.add("needs-minor", nc.method, "is a new command", "metadata");
}

function compareErrors(c: NodeComparer, older: ProtocolSchema, newer: ProtocolSchema) {
  const newErrors = new Map(newer.errors.map((e) => [e.kind, e]));
  for (const oe of older.errors) {
    const ne = newErrors.get(oe.kind);
    if (!ne) {
      c.add("needs-minor", `error ${oe.kind}`, "error kind was removed (servers no longer send it; generated error types change)", "metadata");
      continue;
    }
    if (ne.code !== oe.code) c.add("breaking", `error ${oe.kind}`, `code changed from ${oe.code} to ${ne.code}`, "metadata");
    if (ne.description !== oe.description) c.add("info", `error ${oe.kind}`, "description changed", "metadata");
    c.compare({ $ref: `#/$defs/${oe.dataType}` }, { $ref: `#/$defs/${ne.dataType}` }, `error ${oe.kind} data`, "response");
  }
  for (const ne of newer.errors) if (!older.errors.some((e) => e.kind === ne.kind)) c.add("needs-minor", `error ${ne.kind}`, "is a new error kind; older versions get internalError instead", "metadata");
  const envAdded = newer.envelopeErrors.filter((k) => !older.envelopeErrors.includes(k));
  const envRemoved = older.envelopeErrors.filter((k) => !newer.envelopeErrors.includes(k));
  if (envAdded.length) c.add("needs-minor", "envelope errors", `any command may now answer ${envAdded.join(", ")}`, "metadata");
  if (envRemoved.length) c.add("needs-minor", "envelope errors", `no longer answered for every command: ${envRemoved.join(", ")}`, "metadata");
}

/** The envelope: requests in; success and error replies out (an error's data is compared per kind, in compareErrors). */
function compareEnvelope(c: NodeComparer, older: ProtocolSchema, newer: ProtocolSchema) {
  const pair = (name: string, dir: "request" | "response") => {
    if (older.defs[name] || newer.defs[name]) c.compare(older.defs[name] ?? false, newer.defs[name] ?? false, `envelope ${name}`, dir);
  };
  pair("Request", "request");
  pair("SuccessResponse", "response");
  const withoutData = (s: ProtocolSchema): SchemaNode => {
    const node = s.defs.ErrorObject;
    if (!node) return {};
    const { data: _data, ...properties } = node.properties ?? {};
    return { ...node, properties };
  };
  const errorResponse = (s: ProtocolSchema) => {
    const node = s.defs.ErrorResponse;
    return node ? ({ ...node, properties: { ...node.properties, error: withoutData(s) } } as SchemaNode) : false;
  };
  c.compare(errorResponse(older), errorResponse(newer), "envelope ErrorResponse", "response");
}

const TOP_LEVEL = new Set(["x-stui-version", "x-stui-limits", "x-stui-permissions", "x-stui-errors", "x-stui-envelope-errors", "x-stui-commands"]);
const ERROR_KEYS = new Set(["code", "description", "data"]);

/** STUI keywords the checker does not model (a new limit, a new error-kind key): breaking when they change. */
function unmodelled(c: NodeComparer, older: ProtocolSchema, newer: ProtocolSchema) {
  const differs = (a: Record<string, unknown>, b: Record<string, unknown>, skip: (k: string) => boolean, where: string) => {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!skip(k) && !equal(a[k], b[k])) c.add("breaking", where, `${k} changed; the checker cannot prove the change safe`, "metadata");
    }
  };
  differs(older.raw, newer.raw, (k) => !k.startsWith("x-stui-") || TOP_LEVEL.has(k), "protocol");
  const limits = (s: ProtocolSchema) => s.raw["x-stui-limits"] as Record<string, unknown>;
  differs(limits(older), limits(newer), (k) => k === "maxMessageBytes" || k === "maxJsonDepth", "limits");
  const errors = (s: ProtocolSchema) => s.raw["x-stui-errors"] as Record<string, Record<string, unknown>>;
  for (const kind of Object.keys(errors(older))) {
    const n = errors(newer)[kind];
    if (n) differs(errors(older)[kind]!, n, (k) => ERROR_KEYS.has(k), `error ${kind}`);
  }
}

/**
 * `maxJsonDepth` is a parser-level limit: servers apply the newest schema's limit to every version
 * they serve, before they know a request's version (docs/protocol-evolution.md). A limit stated for
 * the first time, or lowered, is breaking when some request the older version accepts nests deeper
 * than it (that request would now be a parseError, whatever version it names); when none does, it
 * only changes the error a message that was invalid anyway gets, which needs a minor version. A
 * higher or dropped limit lets servers accept more; clients never check the depth of replies.
 */
function compareDepthLimit(c: NodeComparer, older: ProtocolSchema, newer: ProtocolSchema) {
  const [was, now] = [older.maxJsonDepth ?? Infinity, newer.maxJsonDepth ?? Infinity];
  if (was === now) return;
  const change = older.maxJsonDepth === undefined ? `maxJsonDepth is now stated (${now})`
    : newer.maxJsonDepth === undefined ? `maxJsonDepth (${was}) is no longer stated`
    : `maxJsonDepth changed from ${was} to ${now}`;
  const deepest = deepestRequest(older);
  if (now > was) {
    c.add("needs-minor", "limits", `${change}: servers accept deeper messages; clients never check the depth of replies`, "metadata");
  } else if (deepest > now) {
    c.add("breaking", "limits", `${change}: requests of ${older.version} may nest ${deepest === Infinity ? "without bound" : `${deepest} deep`}, and the parser applies the limit to every version served`, "metadata");
  } else {
    c.add("needs-minor", "limits", `${change}: no request ${older.version} accepts nests deeper than ${deepest}; a deeper message, already invalid, is now a parseError in every version served`, "metadata");
  }
}

/** Every difference between two protocol schemas, classified. */
export function compareSchemas(older: ProtocolSchema, newer: ProtocolSchema): Change[] {
  const c = new NodeComparer(older.defs, newer.defs);
  compareCommands(c, older, newer);
  compareErrors(c, older, newer);
  compareEnvelope(c, older, newer);
  if (newer.maxMessageBytes !== older.maxMessageBytes) {
    const why = newer.maxMessageBytes < older.maxMessageBytes
      ? "older clients send requests up to the old limit"
      : "older clients reject replies above the old limit";
    c.add("breaking", "limits", `maxMessageBytes changed from ${older.maxMessageBytes} to ${newer.maxMessageBytes}: ${why}`, "metadata");
  }
  compareDepthLimit(c, older, newer);
  for (const k of ["title", "description"] as const) if (older[k] !== newer[k]) c.add("info", "protocol", `${k} changed`, "metadata");
  unmodelled(c, older, newer);
  if (!equal(older.permissions, newer.permissions)) c.add("info", "permissions", "permission descriptions changed", "metadata");
  return c.changes;
}

export type Bump = "none" | "minor" | "major";

export interface CompatVerdict {
  older: string;
  newer: string;
  changes: Change[];
  /** The smallest version bump the changes need. */
  needed: Bump;
  /** The bump the two schemas' x-stui-version actually make. */
  made: Bump | "backwards";
  ok: boolean;
}

export function versionBump(from: string, to: string): CompatVerdict["made"] {
  const [fa, fb] = from.split(".").map(Number) as [number, number];
  const [ta, tb] = to.split(".").map(Number) as [number, number];
  if (ta !== fa) return ta > fa ? "major" : "backwards";
  if (tb !== fb) return tb > fb ? "minor" : "backwards";
  return "none";
}

const RANK = { none: 0, minor: 1, major: 2, backwards: -1 } as const;

export function neededBump(changes: readonly { severity: Severity }[]): Bump {
  return changes.some((c) => c.severity === "breaking") ? "major" : changes.some((c) => c.severity === "needs-minor") ? "minor" : "none";
}

/** Whether the newer schema's version number is honest about its changes. */
export function verdict(older: ProtocolSchema, newer: ProtocolSchema): CompatVerdict {
  const changes = compareSchemas(older, newer);
  const needed = neededBump(changes);
  const made = versionBump(older.version, newer.version);
  return { older: older.version, newer: newer.version, changes, needed, made, ok: made !== "backwards" && RANK[made] >= RANK[needed] };
}

/** One line per change and a summary line. */
export function formatVerdict(olderLabel: string, newerLabel: string, v: CompatVerdict, showInfo = true): string {
  const count = (s: Severity) => v.changes.filter((c) => c.severity === s).length;
  const lines = v.changes.filter((c) => showInfo || c.severity !== "info").map((c) => `${c.severity.padEnd(11)} ${c.where}: ${c.message}`);
  lines.push(
    `stui-codegen compat: ${olderLabel} (${v.older}) → ${newerLabel} (${v.newer}): ${count("breaking")} breaking, ${count("needs-minor")} needs-minor, ${count("info")} info; ` +
      `needs a ${v.needed} version bump, makes ${v.made}: ${v.ok ? "ok" : "NOT OK"}`,
  );
  return lines.join("\n") + "\n";
}
