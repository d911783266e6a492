/**
 * The breaking-change checker: compares two protocol schemas and says which
 * differences would break a client or server built against the older one.
 *
 * A request flows client → server, so the newer schema must still accept every
 * request the older one allowed (params may only widen). A result flows
 * server → client, so it must still satisfy every older client (results may
 * only add optional fields — a server answers each request in the version the
 * request names — and never drop or retype one). A breaking change needs a new
 * major version; an additive change needs at least a new minor version.
 */
import { type ProtocolSchema, type SchemaNode, resolve } from "./schema.js";

export type ChangeSeverity = "breaking" | "additive";

export interface Change {
  severity: ChangeSeverity;
  /** Where, e.g. `evaluate params.timeoutMs`. */
  where: string;
  message: string;
}

type Direction = "request" | "response";

function typesOf(node: SchemaNode): string[] {
  if (node.const !== undefined) return [typeof node.const === "number" ? (Number.isInteger(node.const) ? "integer" : "number") : node.const === null ? "null" : typeof node.const];
  if (node.enum) return [...new Set(node.enum.map((v) => (v === null ? "null" : typeof v === "number" ? "number" : typeof v)))];
  return Array.isArray(node.type) ? [...node.type].sort() : node.type ? [node.type] : [];
}

class Comparer {
  readonly changes: Change[] = [];

  constructor(private readonly older: ProtocolSchema, private readonly newer: ProtocolSchema) {}

  add(severity: ChangeSeverity, where: string, message: string) {
    this.changes.push({ severity, where, message });
  }

  /**
   * Compares one value's schema. For requests the newer must accept at least
   * what the older accepted; for responses it must produce at most that.
   */
  node(a0: SchemaNode, b0: SchemaNode, where: string, dir: Direction, seen = new Set<string>()) {
    const key = `${where}|${a0.$ref ?? ""}|${b0.$ref ?? ""}`;
    if (seen.has(key)) return;
    seen.add(key);
    const a = resolve(this.older.defs, a0);
    const b = resolve(this.newer.defs, b0);
    const widenBad = dir === "response"; // in a response, accepting more is what breaks old clients

    const ta = typesOf(a);
    const tb = typesOf(b);
    const lost = ta.filter((t) => !tb.includes(t) && !(t === "integer" && tb.includes("number")));
    const gained = tb.filter((t) => !ta.includes(t) && !(t === "integer" && ta.includes("number")));
    if (dir === "request" && lost.length) this.add("breaking", where, `no longer accepts ${lost.join(", ")}`);
    if (dir === "response" && gained.length) this.add("breaking", where, `may now be ${gained.join(", ")}, which older clients reject`);
    if (dir === "request" && gained.length) this.add("additive", where, `now also accepts ${gained.join(", ")}`);

    if (a.enum || b.enum) {
      const ea = (a.enum ?? []).map((v) => JSON.stringify(v));
      const eb = (b.enum ?? []).map((v) => JSON.stringify(v));
      const removed = ea.filter((v) => !eb.includes(v));
      const added = eb.filter((v) => !ea.includes(v));
      if (a.enum && !b.enum) {
        if (widenBad) this.add("breaking", where, `is no longer limited to ${ea.join(", ")}`);
        else this.add("additive", where, "accepts any value now");
      } else {
        if (removed.length) this.add(widenBad ? "additive" : "breaking", where, `${widenBad ? "no longer answers" : "no longer accepts"} ${removed.join(", ")}`);
        if (added.length) this.add(widenBad ? "breaking" : "additive", where, `${widenBad ? "may answer" : "accepts"} new value(s) ${added.join(", ")}`);
      }
    }
    if (JSON.stringify(a.const) !== JSON.stringify(b.const)) this.add("breaking", where, `constant changed from ${JSON.stringify(a.const)} to ${JSON.stringify(b.const)}`);

    // Bounds: a request bound may only loosen, a response bound only tighten.
    const lower = ["minimum", "minLength", "minItems"] as const;
    const upper = ["maximum", "maxLength", "maxItems"] as const;
    for (const k of [...lower, ...upper]) {
      const va = a[k];
      const vb = b[k];
      if (va === vb) continue;
      const isLower = (lower as readonly string[]).includes(k);
      // "tighter" = rejects values the other accepted.
      const tighter = vb !== undefined && (va === undefined || (isLower ? vb > va : vb < va));
      const breaks = dir === "request" ? tighter : !tighter;
      this.add(breaks ? "breaking" : "additive", where, `${k} ${va ?? "none"} → ${vb ?? "none"}`);
    }

    if (ta.includes("object") || tb.includes("object")) this.object(a, b, where, dir, seen);
    if (a.items && b.items) this.node(a.items, b.items, `${where}[]`, dir, seen);
  }

  private object(a: SchemaNode, b: SchemaNode, where: string, dir: Direction, seen: Set<string>) {
    const pa = a.properties ?? {};
    const pb = b.properties ?? {};
    const ra = new Set(a.required ?? []);
    const rb = new Set(b.required ?? []);
    const closedA = a.additionalProperties === false;
    const closedB = b.additionalProperties === false;
    for (const name of Object.keys(pa)) {
      const at = `${where}.${name}`;
      if (!(name in pb)) {
        if (dir === "request") {
          if (closedB) this.add("breaking", at, "was removed; requests that send it are now rejected");
          else this.add("additive", at, "was removed (still accepted as an extra field)");
        } else if (ra.has(name)) this.add("breaking", at, "was removed; older clients require it");
        else this.add("additive", at, "is no longer answered (it was optional)");
        continue;
      }
      if (dir === "request" && !ra.has(name) && rb.has(name)) this.add("breaking", at, "is now required");
      if (dir === "request" && ra.has(name) && !rb.has(name)) this.add("additive", at, "is now optional");
      if (dir === "response" && ra.has(name) && !rb.has(name)) this.add("breaking", at, "may now be missing; older clients require it");
      if (dir === "response" && !ra.has(name) && rb.has(name)) this.add("additive", at, "is now always answered");
      this.node(pa[name]!, pb[name]!, at, dir, seen);
    }
    for (const name of Object.keys(pb)) {
      if (name in pa) continue;
      const at = `${where}.${name}`;
      if (dir === "request") this.add(rb.has(name) ? "breaking" : "additive", at, rb.has(name) ? "is a new required field" : "is a new optional field");
      else if (closedA) this.add("additive", at, "is a new field: answer it only to clients that speak the new version");
      else this.add("additive", at, "is a new field");
    }
    if (dir === "request" && !closedA && closedB) this.add("breaking", where, "no longer accepts extra fields");
  }
}

/** Every difference between two protocol schemas, classified. */
export function compareSchemas(older: ProtocolSchema, newer: ProtocolSchema): Change[] {
  const c = new Comparer(older, newer);
  const newCommands = new Map(newer.commands.map((x) => [x.method, x]));
  for (const oc of older.commands) {
    const nc = newCommands.get(oc.method);
    if (!nc) {
      c.add("breaking", oc.method, "command was removed");
      continue;
    }
    if (oc.permission !== nc.permission) c.add("breaking", oc.method, `permission class changed from ${oc.permission} to ${nc.permission}; granted scripts would lose access`);
    if (oc.idempotent && !nc.idempotent) c.add("breaking", oc.method, "is no longer safe to retry; older clients retry it");
    for (const [p, perm] of Object.entries(nc.paramPermissions)) {
      if (oc.paramPermissions[p] !== perm) c.add("breaking", `${oc.method} params.${p}`, `now needs the ${perm} permission`);
    }
    c.node(older.defs[oc.paramsType]!, newer.defs[nc.paramsType]!, `${oc.method} params`, "request");
    c.node(older.defs[oc.resultType]!, newer.defs[nc.resultType]!, `${oc.method} result`, "response");
    const newErrors = nc.errors.filter((e) => !oc.errors.includes(e));
    if (newErrors.length) c.add("additive", oc.method, `may answer new error kind(s) ${newErrors.join(", ")}`);
  }
  const oldMethods = new Set(older.commands.map((x) => x.method));
  for (const nc of newer.commands) if (!oldMethods.has(nc.method)) c.add("additive", nc.method, "is a new command");

  const newErrors = new Map(newer.errors.map((e) => [e.kind, e]));
  for (const oe of older.errors) {
    const ne = newErrors.get(oe.kind);
    if (!ne) c.add("breaking", `error ${oe.kind}`, "error kind was removed");
    else {
      if (ne.code !== oe.code) c.add("breaking", `error ${oe.kind}`, `code changed from ${oe.code} to ${ne.code}`);
      c.node(older.defs[oe.dataType]!, newer.defs[ne.dataType]!, `error ${oe.kind} data`, "response");
    }
  }
  for (const ne of newer.errors) if (!older.errors.some((e) => e.kind === ne.kind)) c.add("additive", `error ${ne.kind}`, "is a new error kind");
  c.node(older.defs.Request ?? {}, newer.defs.Request ?? {}, "envelope request", "request");
  if (newer.maxMessageBytes < older.maxMessageBytes) c.add("breaking", "limits", `maxMessageBytes shrank from ${older.maxMessageBytes} to ${newer.maxMessageBytes}`);
  if (newer.maxJsonDepth < older.maxJsonDepth) c.add("breaking", "limits", `maxJsonDepth shrank from ${older.maxJsonDepth} to ${newer.maxJsonDepth}`);
  return c.changes;
}

export interface CompatVerdict {
  changes: Change[];
  /** The smallest version bump the changes need. */
  needed: "none" | "minor" | "major";
  /** The bump the two schemas' x-stui-version actually make. */
  made: "none" | "minor" | "major" | "backwards";
  ok: boolean;
}

function bump(from: string, to: string): CompatVerdict["made"] {
  const [fa, fb] = from.split(".").map(Number) as [number, number];
  const [ta, tb] = to.split(".").map(Number) as [number, number];
  if (ta > fa) return "major";
  if (ta < fa) return "backwards";
  if (tb > fb) return "minor";
  if (tb < fb) return "backwards";
  return "none";
}

/** Whether the newer schema's version number is honest about its changes. */
export function verdict(older: ProtocolSchema, newer: ProtocolSchema): CompatVerdict {
  const changes = compareSchemas(older, newer);
  const needed = changes.some((c) => c.severity === "breaking") ? "major" : changes.length ? "minor" : "none";
  const made = bump(older.version, newer.version);
  const rank = { none: 0, minor: 1, major: 2, backwards: -1 } as const;
  return { changes, needed, made, ok: made !== "backwards" && rank[made] >= rank[needed] };
}
