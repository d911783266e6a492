/**
 * The checker's corpus: single changes to the released 1.0 schema, each with the verdict it must
 * get, the reason, and — where a message can show it — a witness: for a request, params the older
 * schema accepts and the newer rejects; for a reply, a value the newer server may send that the
 * older client rejects even after shaping. Where shaping is what keeps a reply change safe, the
 * witness shows that too (`shaped: true`: the older schema rejects the raw value and accepts it
 * shaped). compat-corpus.test.ts checks every verdict and every witness with ajv.
 */
import type { Severity } from "./compat.js";

// Schema JSON as edited by the cases.
type Json = any;

export interface Witness {
  /**
   * A `$defs` name present in both schemas. A request witness is also judged against each side's
   * maxJsonDepth, as the parser does: a params type one level down inside the request object.
   */
  type: string;
  value: unknown;
  direction: "request" | "response";
  /** Response only: shaping for the older version makes the value acceptable (the change is safe because of it). */
  shaped?: boolean;
}

export interface CorpusCase {
  name: string;
  reason: string;
  /** The most severe verdict among the changes found. */
  expected: Severity;
  /** Part of the `where` of a change with that severity. */
  where: string;
  /** Applied to both sides first, to set the scene. */
  before?: (s: Json) => void;
  /** The one change, applied to the newer side only. */
  change: (s: Json) => void;
  witness?: Witness;
  /** Why no message can witness it (metadata, limits, annotations). */
  noWitness?: string;
}

const defs = (s: Json) => s.$defs;
const cmd = (s: Json, m: string) => s["x-stui-commands"][m];
const METADATA = "metadata: no message differs, generated code and grants do";

export const CORPUS: CorpusCase[] = [
  // ── requests: the newer server must accept every request an older client sends ──────────────
  {
    name: "new optional param", expected: "needs-minor", where: "ping params.loud",
    reason: "older clients never send it; newer ones may",
    change: (s) => (defs(s).PingParams.properties.loud = { type: "boolean" }), noWitness: "additive",
  },
  {
    name: "new required param", expected: "breaking", where: "ping params.loud",
    reason: "requests of older clients lack it",
    change: (s) => {
      defs(s).PingParams.properties.loud = { type: "boolean" };
      defs(s).PingParams.required = ["loud"];
    },
    witness: { type: "PingParams", value: {}, direction: "request" },
  },
  {
    name: "param removed from a closed params object", expected: "breaking", where: "ping params.echo",
    reason: "older clients still send it and a closed object rejects unknown members",
    change: (s) => delete defs(s).PingParams.properties.echo,
    witness: { type: "PingParams", value: { echo: "hi" }, direction: "request" },
  },
  {
    name: "optional param made required", expected: "breaking", where: "evaluate params.sessionId",
    reason: "older clients may leave it out",
    change: (s) => defs(s).EvaluateParams.required.push("sessionId"),
    witness: { type: "EvaluateParams", value: { code: "3 + 4" }, direction: "request" },
  },
  {
    name: "required param made optional", expected: "needs-minor", where: "evaluate params.code",
    reason: "accepts more than before",
    change: (s) => (defs(s).EvaluateParams.required = defs(s).EvaluateParams.required.filter((r: string) => r !== "code")), noWitness: "additive",
  },
  {
    name: "request enum value removed", expected: "breaking", where: "class.browse params.side",
    reason: "older clients send the removed value",
    change: (s) => (defs(s).Side.enum = ["instance"]),
    witness: { type: "ClassBrowseParams", value: { className: "Point", side: "class" }, direction: "request" },
  },
  {
    name: "request enum value added", expected: "needs-minor", where: "class.browse params.side",
    reason: "widens what a request may say; the reply side of Side is unaffected here",
    before: (s) => {
      // Side is also used in results; give the params their own copy so only a request changes.
      defs(s).ParamSide = JSON.parse(JSON.stringify(defs(s).Side));
      defs(s).ClassBrowseParams.properties.side = { $ref: "#/$defs/ParamSide" };
    },
    change: (s) => defs(s).ParamSide.enum.push("both"), noWitness: "additive",
  },
  {
    name: "request maxLength tightened", expected: "breaking", where: "ping params.echo",
    reason: "older clients send strings up to the old limit",
    change: (s) => (defs(s).PingParams.properties.echo.maxLength = 10),
    witness: { type: "PingParams", value: { echo: "x".repeat(11) }, direction: "request" },
  },
  {
    name: "request maximum loosened", expected: "needs-minor", where: "evaluate params.timeoutMs",
    reason: "accepts more than before",
    change: (s) => (defs(s).EvaluateParams.properties.timeoutMs.maximum = 7200000), noWitness: "additive",
  },
  {
    name: "request minimum raised", expected: "breaking", where: "evaluate params.printLimit",
    reason: "older clients send values down to the old minimum",
    change: (s) => (defs(s).EvaluateParams.properties.printLimit.minimum = 100),
    witness: { type: "EvaluateParams", value: { code: "1", printLimit: 16 }, direction: "request" },
  },
  {
    name: "request type narrowed (envelope id)", expected: "breaking", where: "envelope Request.id",
    reason: "older clients send integer ids",
    change: (s) => (defs(s).RequestId.type = "string"),
    witness: { type: "Request", value: { jsonrpc: "2.0", id: 7, stui: "1.0", method: "ping" }, direction: "request" },
  },
  {
    name: "request type widened", expected: "needs-minor", where: "ping params.echo",
    reason: "accepts more than before",
    change: (s) => (defs(s).PingParams.properties.echo.type = ["string", "null"]), noWitness: "additive",
  },
  {
    name: "uniqueItems added to a request array", expected: "breaking", where: "handles.release params.handles",
    reason: "older clients may repeat an item",
    change: (s) => (defs(s).HandlesReleaseParams.properties.handles.uniqueItems = true),
    witness: { type: "HandlesReleaseParams", value: { sessionId: "s-1", handles: ["h1", "h1"] }, direction: "request" },
  },
  {
    name: "uniqueItems dropped from a request array", expected: "needs-minor", where: "system.info params.sections",
    reason: "accepts more than before",
    change: (s) => delete defs(s).SystemInfoParams.properties.sections.uniqueItems, noWitness: "additive",
  },
  {
    name: "pattern added to a request string", expected: "breaking", where: "session.restore params.sessionId",
    reason: "older clients send ids the pattern rejects",
    change: (s) => (defs(s).SessionId.pattern = "^s-"),
    witness: { type: "SessionRef", value: { sessionId: "x1" }, direction: "request" },
  },
  {
    name: "format added to a request string", expected: "breaking", where: "ping params.echo",
    reason: "a validator that checks formats rejects what older clients send",
    change: (s) => (defs(s).PingParams.properties.echo.format = "email"),
    noWitness: "the generated validators do not check formats (no ajv-formats), so no message differs here; a server that checks formats would reject { echo: 'hi' }",
  },
  {
    name: "multipleOf added to a request number", expected: "breaking", where: "evaluate params.timeoutMs",
    reason: "older clients send other multiples",
    change: (s) => (defs(s).EvaluateParams.properties.timeoutMs.multipleOf = 1000),
    witness: { type: "EvaluateParams", value: { code: "1", timeoutMs: 1500 }, direction: "request" },
  },
  {
    name: "request multipleOf loosened 10 → 5", expected: "needs-minor", where: "evaluate params.timeoutMs",
    reason: "every multiple of 10 is a multiple of 5",
    before: (s) => (defs(s).EvaluateParams.properties.timeoutMs.multipleOf = 10),
    change: (s) => (defs(s).EvaluateParams.properties.timeoutMs.multipleOf = 5), noWitness: "additive",
  },
  {
    name: "request multipleOf changed 10 → 4", expected: "breaking", where: "evaluate params.timeoutMs",
    reason: "10 is not a multiple of 4",
    before: (s) => (defs(s).EvaluateParams.properties.timeoutMs.multipleOf = 10),
    change: (s) => (defs(s).EvaluateParams.properties.timeoutMs.multipleOf = 4),
    witness: { type: "EvaluateParams", value: { code: "1", timeoutMs: 10 }, direction: "request" },
  },
  {
    name: "const changed in the envelope", expected: "breaking", where: "envelope Request.jsonrpc",
    reason: "older clients send the old constant",
    change: (s) => (defs(s).Request.properties.jsonrpc = { const: "3.0" }),
    witness: { type: "Request", value: { jsonrpc: "2.0", id: 1, stui: "1.0", method: "ping" }, direction: "request" },
  },
  {
    name: "keyword beside a $ref in a request", expected: "breaking", where: "evaluate params.sessionId",
    reason: "JSON Schema 2020-12 applies keywords beside $ref: the id gets a tighter limit",
    change: (s) => (defs(s).EvaluateParams.properties.sessionId = { $ref: "#/$defs/SessionId", type: "string", maxLength: 8 }),
    witness: { type: "EvaluateParams", value: { code: "1", sessionId: "s-123456789" }, direction: "request" },
  },
  {
    name: "request oneOf branch that overlaps an older one", expected: "breaking", where: "inspect params",
    reason: "a request matching an older branch and the new one fails oneOf's exactly-one",
    change: (s) => defs(s).InspectParams.oneOf.push({ required: ["offset"] }),
    witness: { type: "InspectParams", value: { sessionId: "s-1", handle: "h1", offset: 0 }, direction: "request" },
  },
  {
    name: "request oneOf branch no older request can match", expected: "needs-minor", where: "inspect params",
    reason: "the new branch requires a member the older closed object never allowed",
    change: (s) => {
      defs(s).InspectParams.properties.path = { type: "string" };
      defs(s).InspectParams.oneOf.push({ required: ["path"] });
    },
    noWitness: "additive",
  },
  {
    name: "request anyOf branch added", expected: "needs-minor", where: "ping params.echo",
    reason: "anyOf accepts more with every branch",
    before: (s) => (defs(s).PingParams.properties.echo = { anyOf: [{ type: "string" }] }),
    change: (s) => defs(s).PingParams.properties.echo.anyOf.push({ type: "integer" }), noWitness: "additive",
  },
  {
    name: "request allOf constraint added", expected: "breaking", where: "ping params",
    reason: "allOf narrows with every member",
    change: (s) => (defs(s).PingParams.allOf = [{ required: ["echo"] }]),
    witness: { type: "PingParams", value: {}, direction: "request" },
  },
  {
    name: "request extra members no longer allowed", expected: "breaking", where: "envelope Request",
    reason: "an open object accepted members a closed one rejects",
    before: (s) => delete defs(s).Request.additionalProperties,
    change: (s) => (defs(s).Request.additionalProperties = false),
    witness: { type: "Request", value: { jsonrpc: "2.0", id: 1, stui: "1.0", method: "ping", trace: "x" }, direction: "request" },
  },
  {
    name: "default changed (the client sizes its wait by it)", expected: "breaking", where: "evaluate params.timeoutMs",
    reason: "an older client that leaves timeoutMs out waits 30 s + 1 s; the server would now stop at 5 s — other behaviour",
    change: (s) => (defs(s).EvaluateParams.properties.timeoutMs.default = 5000), noWitness: METADATA,
  },
  {
    name: "default added", expected: "needs-minor", where: "evaluate params.sessionId",
    reason: "generated code fills it in from now on",
    change: (s) => (defs(s).EvaluateParams.properties.sessionId.default = "s-default"), noWitness: METADATA,
  },
  {
    name: "param becomes unsafe to retry", expected: "breaking", where: "evaluate params.printLimit",
    reason: "older clients retry calls with it",
    change: (s) => (defs(s).EvaluateParams.properties.printLimit["x-stui-idempotent"] = false), noWitness: METADATA,
  },
  {
    name: "permission dropped from a param", expected: "needs-minor", where: "inspect params.expression",
    reason: "generated permission checks change (it is no change on the wire, but not 'no change')",
    change: (s) => delete defs(s).InspectParams.properties.expression["x-stui-permission"], noWitness: METADATA,
  },
  {
    name: "permission added to a param", expected: "breaking", where: "inspect params.offset",
    reason: "scripts granted only read lose calls they could make",
    change: (s) => (defs(s).InspectParams.properties.offset["x-stui-permission"] = "system"), noWitness: METADATA,
  },
  {
    name: "command retry flag false → true", expected: "needs-minor", where: "evaluate",
    reason: "generated retry rules change",
    change: (s) => (cmd(s, "evaluate")["x-stui-idempotent"] = true), noWitness: METADATA,
  },
  {
    name: "command retry flag true → false", expected: "breaking", where: "ping",
    reason: "older clients retry it",
    change: (s) => (cmd(s, "ping")["x-stui-idempotent"] = false), noWitness: METADATA,
  },
  {
    name: "command permission changed", expected: "breaking", where: "session.list",
    reason: "scripts granted the old class lose access",
    change: (s) => (cmd(s, "session.list")["x-stui-permission"] = "read"), noWitness: METADATA,
  },
  {
    name: "command removed", expected: "breaking", where: "debug",
    reason: "older clients call it",
    change: (s) => delete s["x-stui-commands"].debug, noWitness: "every request to it is answered unknownMethod",
  },
  {
    name: "command added", expected: "needs-minor", where: "ping.twice",
    reason: "older clients never call it; servers answer unknownMethod to requests in older versions",
    change: (s) => (s["x-stui-commands"]["ping.twice"] = { ...cmd(s, "ping") }), noWitness: "additive",
  },
  // ── replies: older clients must accept what a newer server sends them after shaping ─────────
  {
    name: "new optional member in a closed result", expected: "needs-minor", where: "ping result.load",
    reason: "older clients' validators reject it, so servers leave it out of replies to older versions",
    change: (s) => (defs(s).PingResult.properties.load = { type: "number" }),
    witness: { type: "PingResult", value: { status: "running", uptimeMs: 1, server: { name: "s", version: "1", implementation: "x" }, protocolVersions: ["1.0"], sessions: 0, load: 0.5 }, direction: "response", shaped: true },
  },
  {
    name: "new required member in a closed result", expected: "needs-minor", where: "ping result.load",
    reason: "as an optional one: shaped away for older versions",
    change: (s) => {
      defs(s).PingResult.properties.load = { type: "number" };
      defs(s).PingResult.required.push("load");
    },
    witness: { type: "PingResult", value: { status: "running", uptimeMs: 1, server: { name: "s", version: "1", implementation: "x" }, protocolVersions: ["1.0"], sessions: 0, load: 0.5 }, direction: "response", shaped: true },
  },
  {
    name: "new member in a nested closed object of a result", expected: "needs-minor", where: "ping result.server.host",
    reason: "shaping recurses through $refs",
    change: (s) => (defs(s).ServerIdentity.properties.host = { type: "string" }),
    witness: { type: "PingResult", value: { status: "running", uptimeMs: 1, server: { name: "s", version: "1", implementation: "x", host: "h" }, protocolVersions: ["1.0"], sessions: 0 }, direction: "response", shaped: true },
  },
  {
    name: "required result member removed", expected: "breaking", where: "ping result.sessions",
    reason: "older clients require it",
    change: (s) => {
      delete defs(s).PingResult.properties.sessions;
      defs(s).PingResult.required = defs(s).PingResult.required.filter((r: string) => r !== "sessions");
    },
    witness: { type: "PingResult", value: { status: "running", uptimeMs: 1, server: { name: "s", version: "1", implementation: "x" }, protocolVersions: ["1.0"] }, direction: "response" },
  },
  {
    name: "result member made optional", expected: "breaking", where: "ping result.sessions",
    reason: "older clients require it",
    change: (s) => (defs(s).PingResult.required = defs(s).PingResult.required.filter((r: string) => r !== "sessions")),
    witness: { type: "PingResult", value: { status: "running", uptimeMs: 1, server: { name: "s", version: "1", implementation: "x" }, protocolVersions: ["1.0"] }, direction: "response" },
  },
  {
    name: "reply enum value added", expected: "breaking", where: "ping result.status",
    reason: "older clients reject the new value, and no shaping can remove a value",
    change: (s) => defs(s).PingResult.properties.status.enum.push("starting"),
    witness: { type: "PingResult", value: { status: "starting", uptimeMs: 1, server: { name: "s", version: "1", implementation: "x" }, protocolVersions: ["1.0"], sessions: 0 }, direction: "response" },
  },
  {
    name: "reply enum value removed", expected: "needs-minor", where: "ping result.status",
    reason: "servers send less than older clients accept",
    change: (s) => (defs(s).PingResult.properties.status.enum = ["running"]), noWitness: "narrower replies are accepted",
  },
  {
    name: "reply type widened", expected: "breaking", where: "ping result.uptimeMs",
    reason: "older clients reject fractions",
    change: (s) => (defs(s).PingResult.properties.uptimeMs.type = "number"),
    witness: { type: "PingResult", value: { status: "running", uptimeMs: 1.5, server: { name: "s", version: "1", implementation: "x" }, protocolVersions: ["1.0"], sessions: 0 }, direction: "response" },
  },
  {
    name: "reply bound loosened", expected: "breaking", where: "ping result.uptimeMs",
    reason: "older clients reject values below the old minimum",
    change: (s) => delete defs(s).PingResult.properties.uptimeMs.minimum,
    witness: { type: "PingResult", value: { status: "running", uptimeMs: -1, server: { name: "s", version: "1", implementation: "x" }, protocolVersions: ["1.0"], sessions: 0 }, direction: "response" },
  },
  {
    name: "reply bound tightened", expected: "needs-minor", where: "session.create result.idleTimeoutMs",
    reason: "servers send less than older clients accept",
    change: (s) => (defs(s).SessionCreateResult.properties.idleTimeoutMs.minimum = 1000), noWitness: "narrower replies are accepted",
  },
  {
    name: "uniqueItems dropped from a reply array", expected: "breaking", where: "ping result.protocolVersions",
    reason: "older clients reject repeated items",
    before: (s) => (defs(s).PingResult.properties.protocolVersions.uniqueItems = true),
    change: (s) => delete defs(s).PingResult.properties.protocolVersions.uniqueItems,
    witness: { type: "PingResult", value: { status: "running", uptimeMs: 1, server: { name: "s", version: "1", implementation: "x" }, protocolVersions: ["1.0", "1.0"], sessions: 0 }, direction: "response" },
  },
  {
    name: "pattern dropped from a reply string", expected: "breaking", where: "session.create result.createdAt",
    reason: "older clients reject what the pattern excluded",
    before: (s) => (defs(s).Timestamp.pattern = "^[0-9]"),
    change: (s) => delete defs(s).Timestamp.pattern,
    witness: { type: "SessionCreateResult", value: { sessionId: "s-1", protocolVersion: "1.0", idleTimeoutMs: 1000, createdAt: "yesterday at noon", server: { name: "s", version: "1", implementation: "x" }, capabilities: [] }, direction: "response" },
  },
  {
    name: "keyword beside a $ref in a reply", expected: "needs-minor", where: "session.create result.sessionId",
    reason: "a sibling keyword only narrows what servers send",
    change: (s) => (defs(s).SessionCreateResult.properties.sessionId = { $ref: "#/$defs/SessionId", maxLength: 16 }), noWitness: "narrower replies are accepted",
  },
  {
    name: "new anyOf branch in a reply (envelope id)", expected: "breaking", where: "envelope ErrorResponse.id",
    reason: "older clients reject replies matching only the new branch, and no shaping can change them",
    change: (s) => defs(s).ErrorResponse.properties.id.anyOf.push({ type: "boolean" }),
    witness: { type: "ErrorResponse", value: { jsonrpc: "2.0", id: true, error: { code: -32700, message: "x", data: { kind: "parseError", detail: "x" } } }, direction: "response" },
  },
  {
    name: "new oneOf branch in a result", expected: "breaking", where: "session.close result",
    reason: "older clients reject a result matching only the new branch",
    before: (s) => (defs(s).SessionCloseResult.oneOf = [{ required: ["sessionId"] }]),
    change: (s) => defs(s).SessionCloseResult.oneOf.push({ required: ["releasedHandles"] }),
    noWitness: "every result that fits the closed object also has sessionId (required), so this oneOf cannot be witnessed with it; the verdict follows the rule that a new reply branch cannot be shaped",
  },
  {
    name: "new error kind for a command", expected: "needs-minor", where: "evaluate",
    reason: "older versions get internalError instead (shaping), which every command may answer",
    change: (s) => cmd(s, "evaluate")["x-stui-errors"].push("classNotFound"), noWitness: "shaped to internalError for older versions",
  },
  {
    name: "new member in an error's data", expected: "needs-minor", where: "error sessionNotFound data.hint",
    reason: "closed error data: servers leave it out for older versions",
    change: (s) => (defs(s).SessionNotFoundData.properties.hint = { type: "string" }),
    witness: { type: "SessionNotFoundData", value: { kind: "sessionNotFound", sessionId: "s-1", hint: "expired" }, direction: "response", shaped: true },
  },
  {
    name: "error data member made optional", expected: "breaking", where: "error sessionNotFound data.sessionId",
    reason: "older clients require it",
    change: (s) => (defs(s).SessionNotFoundData.required = ["kind"]),
    witness: { type: "SessionNotFoundData", value: { kind: "sessionNotFound" }, direction: "response" },
  },
  {
    name: "error kind removed", expected: "needs-minor", where: "error debugSessionNotFound",
    reason: "error kinds only flow to clients: servers just stop sending it; generated error types change",
    change: (s) => {
      delete s["x-stui-errors"].debugSessionNotFound;
      cmd(s, "debug")["x-stui-errors"] = cmd(s, "debug")["x-stui-errors"].filter((k: string) => k !== "debugSessionNotFound");
      defs(s).ErrorData.oneOf = defs(s).ErrorData.oneOf.filter((b: Json) => b.$ref !== "#/$defs/DebugSessionNotFoundData");
    },
    noWitness: "narrower replies are accepted",
  },
  {
    name: "error code changed", expected: "breaking", where: "error timeout",
    reason: "older clients check the code against the kind",
    change: (s) => (s["x-stui-errors"].timeout.code = -32099), noWitness: "the code/kind rule is checked by code, not by the schema",
  },
  // ── limits and annotations ───────────────────────────────────────────────────────────────────
  {
    name: "maxMessageBytes larger", expected: "breaking", where: "limits",
    reason: "older clients reject replies above the old limit",
    change: (s) => (s["x-stui-limits"].maxMessageBytes *= 2), noWitness: "a size, not a shape",
  },
  {
    name: "maxMessageBytes smaller", expected: "breaking", where: "limits",
    reason: "older clients send requests up to the old limit",
    change: (s) => (s["x-stui-limits"].maxMessageBytes /= 2), noWitness: "a size, not a shape",
  },
  // maxJsonDepth is judged by the parser before a request's version is known, so a served version's
  // requests must all fit under it; the deepest request 1.0 accepts nests 3 deep (session.create's
  // protocolVersions, system.info's sections, handles.release's handles).
  {
    name: "maxJsonDepth stated for the first time, above every request", expected: "needs-minor", where: "limits",
    reason: "no request the older version accepts nests deeper; only messages already invalid become parseErrors",
    change: (s) => (s["x-stui-limits"].maxJsonDepth = 64), noWitness: "every request 1.0 accepts nests at most 3 deep",
  },
  {
    name: "maxJsonDepth stated for the first time, below a request", expected: "breaking", where: "limits",
    reason: "older clients send valid requests nested deeper, and the parser refuses them in every version",
    change: (s) => (s["x-stui-limits"].maxJsonDepth = 2),
    witness: { type: "SessionCreateParams", value: { clientName: "c", protocolVersions: ["1.0"] }, direction: "request" },
  },
  {
    name: "maxJsonDepth lowered below a request", expected: "breaking", where: "limits",
    reason: "older clients send valid requests nested up to the old limit",
    before: (s) => (s["x-stui-limits"].maxJsonDepth = 64),
    change: (s) => (s["x-stui-limits"].maxJsonDepth = 2),
    witness: { type: "SystemInfoParams", value: { sections: ["vm"] }, direction: "request" },
  },
  {
    name: "maxJsonDepth raised", expected: "needs-minor", where: "limits",
    reason: "servers accept deeper messages; clients never check the depth of replies",
    before: (s) => (s["x-stui-limits"].maxJsonDepth = 64),
    change: (s) => (s["x-stui-limits"].maxJsonDepth = 128), noWitness: "accepts more than before",
  },
  {
    name: "description changed", expected: "info", where: "ping params.echo",
    reason: "documentation only",
    change: (s) => (defs(s).PingParams.properties.echo.description = "Sent back."), noWitness: "documentation only",
  },
  {
    name: "example changed", expected: "info", where: "ping",
    reason: "documentation only",
    change: (s) => (cmd(s, "ping").examples[0].request.params.echo = "hey"), noWitness: "documentation only",
  },
  {
    name: "a limit the checker does not model added", expected: "breaking", where: "limits",
    reason: "never silent about what it cannot prove safe",
    change: (s) => (s["x-stui-limits"].maxSessions = 10), noWitness: "treated as breaking without proof",
  },
  {
    name: "a keyword the checker does not model changed", expected: "breaking", where: "ping params.echo",
    reason: "never silent about what it cannot prove safe",
    change: (s) => (defs(s).PingParams.properties.echo.not = { const: "" }), noWitness: "treated as breaking without proof",
  },
];
