/**
 * Conformance, protocol tier: what every STUI server must do on the wire, whatever is behind it.
 *
 * Runs against STUI_ENDPOINT with `npm run test:conformance` (any server, e.g. the Pharo one), else against the
 * reference test server (@stui/testkit) over each transport. Talks through raw zeromq sockets
 * and checks every reply with the generated validators — those of the protocol version the suite
 * speaks: protocol.test.ts runs it once per version a client generated here speaks, so a server is
 * shown to answer a 1.0 client as 1.0 defines it while it speaks 1.1.
 *
 *   raw DEALER / REQ ──[("",) json]──▶ server ROUTER
 *   raw DEALER / REQ ◀──[("",) reply]── (same prefix frames back)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, VERSIONS, type CommandName, type VersionInfo } from "@stui/client/protocol";
import { startTestServer } from "@stui/testkit";
import {
  ClientPool,
  EXTERNAL_ENDPOINT,
  TRANSPORTS,
  envelope,
  expectError,
  expectResult,
  expectValidResponse,
  idOf,
  openTarget,
  speakVersion,
  spokenTables,
  targetPlans,
  uniqueEndpoint,
  uniqueId,
  type RawClient,
  type Target,
} from "../helpers/index.js";

const isReference = EXTERNAL_ENDPOINT === undefined;

/** The whole protocol-tier suite, in protocol `version` (every request says it; every reply is checked against it). */
/**
 * `serverVersions`, for the reference server only: the versions it is started with (default: every
 * version this code serves), e.g. ["1.0"] for a server that has never heard of 1.1. `tables`: whose
 * validators judge the replies (default: this code's tables for `version`).
 */
export function describeProtocolConformance(version: string, serverVersions?: string[], tables?: VersionInfo): void {
  const PROTOCOL_VERSION = version;
  const MAX_MESSAGE_BYTES = VERSIONS[version]!.maxMessageBytes;
  const servedBy = serverVersions ? ` (server speaking ${serverVersions.join(", ")})` : "";
  describe.each(targetPlans(TRANSPORTS))(`protocol ${version} conformance: $label${servedBy}`, ({ transport }) => {
    let target: Target;
    beforeAll(() => speakVersion(version, tables));
    const clients = new ClientPool();
    /** Sessions a test opened, closed after it so an external server is left as found. */
    const opened: string[] = [];

    beforeAll(async () => {
      target = await openTarget(transport, serverVersions ? { supportedVersions: serverVersions } : {});
    });
    afterEach(async () => {
      if (opened.length > 0) {
        const cleaner = clients.open(target.endpoint);
        for (const sessionId of opened.splice(0)) await cleaner.request(envelope("session.close", { sessionId }));
      }
      clients.closeAll();
      target.reference?.assertNoViolations();
    });
    afterAll(async () => {
      await target?.close();
    });

    const dealer = (): RawClient => clients.open(target.endpoint, "dealer");

    /** One request, its reply checked against the schema (result type included). */
    async function call(client: RawClient, method: string, params?: object, extra?: Record<string, unknown>): Promise<unknown> {
      const request = envelope(method, params, extra);
      const reply = await client.request(request);
      expectValidResponse(reply, method);
      expect(idOf(reply)).toEqual(request["id"]);
      return reply;
    }

    async function createSession(client: RawClient, params: Record<string, unknown> = {}): Promise<string> {
      const reply = await call(client, "session.create", { clientName: `conformance-${uniqueId()}`, protocolVersions: [PROTOCOL_VERSION], ...params });
      const { sessionId } = expectResult(reply, "session.create");
      opened.push(sessionId);
      return sessionId;
    }

    it(`judges every reply with protocol ${version}'s own generated validators`, () => {
      expect(spokenTables().version).toBe(version);
      if (tables) expect(spokenTables()).toBe(tables);
    });

    describe("envelope", () => {
      it("answers ping with the echo, a running status, its identity and its protocol versions", async () => {
        const result = expectResult(await call(dealer(), "ping", { echo: "hello" }), "ping");
        expect(result.echo).toBe("hello");
        expect(result.status).toBe("running");
        expect(result.protocolVersions).toContain(PROTOCOL_VERSION);
        expect(result.server.name.length).toBeGreaterThan(0);
        if (isReference) expect(result.server.implementation).toBe("typescript-testkit");
      });

      it("echoes string and integer ids exactly, and params may be left out", async () => {
        const client = dealer();
        for (const id of ["c7f3a2-" + uniqueId(), Math.floor(Math.random() * 1e12)]) {
          const reply = await client.request({ jsonrpc: "2.0", id, stui: PROTOCOL_VERSION, method: "ping" });
          expectResult(reply, "ping");
          expect(idOf(reply)).toStrictEqual(id);
        }
      });

      // Each of these is JSON but not a valid request envelope.
      const badEnvelopes: [string, unknown, "echoed" | "null"][] = [
        ["no jsonrpc", { id: "x1", stui: "1.0", method: "ping" }, "echoed"],
        ["jsonrpc 1.0", { jsonrpc: "1.0", id: "x2", stui: "1.0", method: "ping" }, "echoed"],
        ["no id (a notification)", { jsonrpc: "2.0", stui: "1.0", method: "ping" }, "null"],
        ["a null id", { jsonrpc: "2.0", id: null, stui: "1.0", method: "ping" }, "null"],
        ["an object id", { jsonrpc: "2.0", id: { a: 1 }, stui: "1.0", method: "ping" }, "null"],
        ["an empty string id", { jsonrpc: "2.0", id: "", stui: "1.0", method: "ping" }, "null"],
        ["a fractional id", { jsonrpc: "2.0", id: 1.5, stui: "1.0", method: "ping" }, "null"],
        ["no stui", { jsonrpc: "2.0", id: "x3", method: "ping" }, "echoed"],
        ["a numeric stui", { jsonrpc: "2.0", id: "x4", stui: 1, method: "ping" }, "echoed"],
        ["no method", { jsonrpc: "2.0", id: "x5", stui: "1.0" }, "echoed"],
        ["an empty method", { jsonrpc: "2.0", id: "x6", stui: "1.0", method: "" }, "echoed"],
        ["array params", { jsonrpc: "2.0", id: "x7", stui: "1.0", method: "ping", params: [] }, "echoed"],
        ["string params", { jsonrpc: "2.0", id: "x8", stui: "1.0", method: "ping", params: "hi" }, "echoed"],
        ["an extra member", { jsonrpc: "2.0", id: "x9", stui: "1.0", method: "ping", extra: true }, "echoed"],
        ["a JSON array (batch)", [{ jsonrpc: "2.0", id: "x10", stui: "1.0", method: "ping" }], "null"],
        ["a JSON number", 42, "null"],
        ["a JSON string", "ping", "null"],
        ["JSON null", null, "null"],
      ];
      it.each(badEnvelopes)("answers invalidRequest for %s, with the id when it can be read", async (_label, message, idRule) => {
        const withFreshId = message !== null && typeof message === "object" && !Array.isArray(message) && typeof (message as { id?: unknown }).id === "string" && (message as { id: string }).id !== ""
          ? { ...(message as object), id: `${(message as { id: string }).id}-${uniqueId()}` }
          : message;
        const reply = await dealer().request(JSON.stringify(withFreshId));
        const data = expectError(reply, "invalidRequest");
        expect(data.errors.length).toBeGreaterThan(0);
        for (const problem of data.errors) expect(typeof problem.path).toBe("string");
        expect(idOf(reply)).toStrictEqual(idRule === "echoed" ? (withFreshId as { id: unknown }).id : null);
      });

      const unparseable: [string, Buffer][] = [
        ["truncated JSON", Buffer.from('{"jsonrpc":"2.0","id":1,')],
        ["not JSON at all", Buffer.from("hello there")],
        ["a trailing comma", Buffer.from('{"jsonrpc":"2.0",}')],
        ["invalid UTF-8", Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
        ["an empty payload", Buffer.alloc(0)],
      ];
      it.each(unparseable)("answers parseError with a null id for %s", async (_label, bytes) => {
        const reply = await dealer().request(bytes);
        const data = expectError(reply, "parseError");
        expect(data.detail.length).toBeGreaterThan(0);
        expect(idOf(reply)).toBeNull();
      });

      it("answers unknownMethod naming the method and listing the known ones", async () => {
        const data = expectError(await call(dealer(), "evalute", { code: "3 + 4" }), "unknownMethod");
        expect(data.method).toBe("evalute");
        expect(data.known).toEqual(expect.arrayContaining(["ping", "evaluate", "session.create"]));
      });

      // A path is a JSON Pointer "to the offending value" (ValidationProblem): for a member the params
      // do not allow, the member itself ("/bogus") — the rule the generator writes for both servers.
      const badParams: [CommandName, object, string][] = [
        ["ping", { echo: 5 }, "/echo"],
        ["ping", { echo: "x".repeat(1025) }, "/echo"],
        ["ping", { bogus: true }, "/bogus"],
        ["evaluate", {}, ""],
        ["evaluate", { code: "" }, "/code"],
        ["evaluate", { code: "3 + 4", timeoutMs: 0 }, "/timeoutMs"],
        ["session.create", { clientName: "c" }, ""],
        ["session.create", { clientName: "c", protocolVersions: [] }, "/protocolVersions"],
        ["session.restore", { sessionId: 7 }, "/sessionId"],
        ["inspect", { sessionId: "s-1", handle: "h1", expression: "3" }, ""],
        ["class.browse", { className: "Object", side: "meta" }, "/side"],
        ["system.info", { sections: ["memory", "memory"] }, "/sections"],
        // A timeoutMs that is not an integer once left the Pharo server's request without a reply.
        ["evaluate", { code: "3 + 4", timeoutMs: "5000" }, "/timeoutMs"],
        ["evaluate", { code: "3 + 4", timeoutMs: [1] }, "/timeoutMs"],
        ["evaluate", { code: "3 + 4", timeoutMs: 1.5 }, "/timeoutMs"],
        ["debug", { sessionId: "s-1", debugId: "d1", action: "stack", timeoutMs: "5000" }, "/timeoutMs"],
      ];
      it.each(badParams)("answers invalidParams for %s %j, pointing at %j", async (method, params, path) => {
        const data = expectError(await call(dealer(), method, params), "invalidParams");
        expect(data.method).toBe(method);
        expect(data.errors.map((e) => e.path)).toContain(path);
      });

      // Numbers as JSON.parse reads them and JSON Schema judges them, written raw (JSON.stringify cannot
      // write 1e999999999). An accepted timeoutMs meets an unknown session, so no code runs anywhere.
      const exponents: [string, string, "invalidParams" | "sessionNotFound"][] = [
        ["a huge exponent (Infinity to JSON.parse)", "1e999999999", "invalidParams"],
        ["a huge negative exponent (0, below the minimum)", "1e-999999999", "invalidParams"],
        ["a tiny exponent (not an integer)", "1e-3", "invalidParams"],
        ["an integer-valued float", "5000.0", "sessionNotFound"],
        ["an integer written with an exponent", "1.5e3", "sessionNotFound"],
      ];
      it.each(exponents)("judges timeoutMs written as %s (%s) the way the schema does: %s", async (_label, number, kind) => {
        const id = uniqueId();
        const text = `{"jsonrpc":"2.0","id":"${id}","stui":"${PROTOCOL_VERSION}","method":"evaluate","params":{"sessionId":"s-no-such-${id}","code":"3 + 4","timeoutMs":${number}}}`;
        const reply = await dealer().request(text);
        const data = expectError(reply, kind);
        expect(idOf(reply)).toBe(id);
        if (kind === "invalidParams") expect((data as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain("/timeoutMs");
      });

      it("answers an id written 1e400 (Infinity, not an integer) with invalidRequest and a null id", async () => {
        const reply = await dealer().request(`{"jsonrpc":"2.0","id":1e400,"stui":"${PROTOCOL_VERSION}","method":"ping"}`);
        expectError(reply, "invalidRequest");
        expect(idOf(reply)).toBeNull();
      });

      it("answers unsupportedVersion for a request in a version it does not speak", async () => {
        const reply = await call(dealer(), "ping", {}, { stui: "99.0" });
        const data = expectError(reply, "unsupportedVersion");
        expect(data.requested).toEqual(["99.0"]);
        expect(data.supported).toContain(PROTOCOL_VERSION);
      });

      // Reference server only: it has no image, so it cannot answer evaluate; a real server does.
      it.runIf(isReference)("answers internalError for a Smalltalk command it has no handler for (reference server only)", async () => {
        const data = expectError(await call(dealer(), "evaluate", { code: "3 + 4" }), "internalError");
        expect(data.detail).toBe("no Smalltalk image behind this test server: supply a handler for 'evaluate'");
        // …and keeps serving.
        expectResult(await call(dealer(), "ping"), "ping");
      });
    });

    describe("limits", () => {
      it("answers messageTooLarge, with the limit and the size, for a message one byte over the limit", async () => {
        const bytes = Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x20);
        const reply = await dealer().request(bytes);
        const data = expectError(reply, "messageTooLarge");
        expect(data).toEqual({ kind: "messageTooLarge", limitBytes: MAX_MESSAGE_BYTES, actualBytes: MAX_MESSAGE_BYTES + 1 });
        expect(idOf(reply)).toBeNull();
      });

      it("drops a frame more than twice the limit with its connection, unread, and keeps serving", async () => {
        const huge = clients.open(target.endpoint, "dealer", { receiveTimeoutMs: 1500 });
        const before = target.reference?.stats.messages;
        await huge.send(Buffer.alloc(2 * MAX_MESSAGE_BYTES + 1, 0x20));
        // The listener must stay silent: the frame never reached the server (ZMQ_MAXMSGSIZE).
        await expect(huge.receive()).rejects.toThrow();
        expect(target.reference?.stats.messages).toBe(before);
        expectResult(await call(dealer(), "ping"), "ping");
      });

      // The parser judges depth before it knows the version, so this holds in every version served,
      // 1.0 included although the 1.0 schema states no limit (docs/protocol-evolution.md).
      it(`answers parseError for a message nested deeper than ${MAX_JSON_DEPTH} (the parser's limit), and accepts ${MAX_JSON_DEPTH}`, async () => {
        const nested = (depth: number) => "[".repeat(depth - 2) + "1" + "]".repeat(depth - 2);
        const at = (depth: number) => `{"jsonrpc":"2.0","id":"${uniqueId()}","stui":"${PROTOCOL_VERSION}","method":"ping","params":{"x":${nested(depth)}}}`;
        const deep = await dealer().request(at(MAX_JSON_DEPTH + 1));
        expectError(deep, "parseError");
        expect(idOf(deep)).toBeNull();
        // At the limit the message parses: ping's closed params then reject the member.
        expect(expectError(await dealer().request(at(MAX_JSON_DEPTH)), "invalidParams").errors.map((e) => e.path)).toContain("/x");
      });

      it("accepts a message of exactly the limit", async () => {
        const request = envelope("ping", { echo: "at the limit" });
        const text = JSON.stringify(request);
        const bytes = Buffer.alloc(MAX_MESSAGE_BYTES, 0x20); // JSON allows trailing whitespace
        bytes.write(text, 0, "utf8");
        const reply = await dealer().request(bytes);
        expect(expectResult(reply, "ping").echo).toBe("at the limit");
        expect(idOf(reply)).toBe(request["id"]);
      });
    });

    describe("version negotiation", () => {
      it("session.create answers the highest version both sides speak", async () => {
        const reply = await call(dealer(), "session.create", { clientName: `negotiation-${uniqueId()}`, protocolVersions: ["0.9", PROTOCOL_VERSION, "7.3"] });
        const result = expectResult(reply, "session.create");
        opened.push(result.sessionId);
        expect(result.protocolVersion).toBe(PROTOCOL_VERSION);
      });

      it("session.create answers unsupportedVersion when no offered version is supported", async () => {
        const data = expectError(await call(dealer(), "session.create", { clientName: "too-new", protocolVersions: ["2.0", "3.1"] }), "unsupportedVersion");
        expect(data.requested).toEqual(["2.0", "3.1"]);
        expect(data.supported).toContain(PROTOCOL_VERSION);
      });

      // Reference server only: it starts its own server that speaks two versions; no Pharo server
      // speaks more than the one it was generated for.
      it.runIf(isReference)("a server speaking 1.0 and 1.1 picks 1.1 and accepts requests in either (reference server only)", async () => {
        const server = await startTestServer({ endpoint: uniqueEndpoint(transport!), supportedVersions: ["1.0", "1.1"] });
        try {
          const client = clients.open(server.endpoint);
          // In 1.1: this server has never heard of a newer version, so it would refuse the envelope.
          const created = expectResult(await call(client, "session.create", { clientName: "both", protocolVersions: ["1.1", "1.0"] }, { stui: "1.1" }), "session.create");
          expect(created.protocolVersion).toBe("1.1");
          expect(expectResult(await call(client, "ping", {}, { stui: "1.1" }), "ping").protocolVersions).toEqual(["1.0", "1.1"]);
          expectResult(await call(client, "ping", {}, { stui: "1.0" }), "ping");
          server.assertNoViolations();
        } finally {
          await server.close();
        }
      });
    });

    describe("permissions", () => {
      // Reference server only: it starts its own server restricted to `read`, the way the Pharo
      // server's #permissions option restricts it (STUIServerTest covers that side).
      it.runIf(isReference)("a server granting only read answers permissionDenied naming the class a call needs (reference server only)", async () => {
        //  client ──evaluate──────────────────▶ server (read only) ──▶ permissionDenied { evaluate, eval }
        //  client ──inspect {expression}──────▶ server             ──▶ permissionDenied { inspect, eval }
        //  client ──inspect {handle}──────────▶ server             ──▶ past the check (sessionNotFound here)
        const server = await startTestServer({ endpoint: uniqueEndpoint(transport!), permissions: ["read"] });
        try {
          const client = clients.open(server.endpoint);
          expect(expectError(await call(client, "evaluate", { code: "3 + 4" }), "permissionDenied")).toEqual({ kind: "permissionDenied", method: "evaluate", permission: "eval" });
          expect(expectError(await call(client, "inspect", { sessionId: "s-x", expression: "3 @ 4" }), "permissionDenied")).toEqual({ kind: "permissionDenied", method: "inspect", permission: "eval" });
          expect(expectError(await call(client, "session.list", {}), "permissionDenied").permission).toBe("system");
          expectError(await call(client, "inspect", { sessionId: "s-x", handle: "h1" }), "sessionNotFound");
          expectResult(await call(client, "ping", {}), "ping");
          expect(server.callsOf("evaluate")[0]?.handler).toBe("none");
          server.assertNoViolations();
        } finally {
          await server.close();
        }
      });
    });

    describe("session lifecycle", () => {
      it("create → list → restore → close, then the session is gone everywhere", async () => {
        const client = dealer();
        const clientName = `lifecycle-${uniqueId()}`;
        const created = expectResult(await call(client, "session.create", { clientName, protocolVersions: [PROTOCOL_VERSION], idleTimeoutMs: 60_000 }), "session.create");
        expect(created.protocolVersion).toBe(PROTOCOL_VERSION);
        expect(created.idleTimeoutMs).toBe(60_000);
        const { sessionId } = created;

        const listed = expectResult(await call(client, "session.list", {}), "session.list").sessions.filter((s) => s.sessionId === sessionId);
        expect(listed).toHaveLength(1);
        expect(listed[0]!.clientName).toBe(clientName);
        expect(Date.parse(listed[0]!.expiresAt) - Date.parse(listed[0]!.lastUsedAt)).toBe(60_000);

        const restored = expectResult(await call(client, "session.restore", { sessionId }), "session.restore");
        expect(restored).toMatchObject({ sessionId, clientName, protocolVersion: PROTOCOL_VERSION, idleTimeoutMs: 60_000, variables: [], history: [], handles: [] });

        const closed = expectResult(await call(client, "session.close", { sessionId }), "session.close");
        expect(closed).toEqual({ sessionId, releasedVariables: 0, releasedHandles: 0 });

        expect(expectError(await call(client, "session.restore", { sessionId }), "sessionNotFound").sessionId).toBe(sessionId);
        expect(expectError(await call(client, "session.close", { sessionId }), "sessionNotFound").sessionId).toBe(sessionId);
        const after = expectResult(await call(client, "session.list", {}), "session.list").sessions;
        expect(after.map((s) => s.sessionId)).not.toContain(sessionId);
      });

      it("answers sessionNotFound for a session that never existed", async () => {
        const sessionId = `s-never-${uniqueId()}`;
        for (const method of ["session.restore", "session.close"]) {
          expect(expectError(await call(dealer(), method, { sessionId }), "sessionNotFound").sessionId).toBe(sessionId);
        }
      });

      it("ping counts open sessions", async () => {
        const client = dealer();
        const before = expectResult(await call(client, "ping"), "ping").sessions;
        await createSession(client);
        const after = expectResult(await call(client, "ping"), "ping").sessions;
        if (isReference) expect(after).toBe(before + 1);
        else expect(after).toBeGreaterThanOrEqual(1);
      });

      it("closes a session after its idle timeout", async () => {
        const client = dealer();
        const sessionId = await createSession(client, { idleTimeoutMs: 1000 });
        // Watch with session.list (which does not refresh the session), bounded: 100 × 100 ms.
        let gone = false;
        for (let attempt = 0; attempt < 100 && !gone; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          const sessions = expectResult(await call(client, "session.list", {}), "session.list").sessions;
          gone = !sessions.some((s) => s.sessionId === sessionId);
        }
        expect(gone, "the session outlived its idle timeout by 10 s").toBe(true);
        expectError(await call(client, "session.restore", { sessionId }), "sessionNotFound");
        opened.splice(opened.indexOf(sessionId), 1);
      });
    });

    describe("reply cache", () => {
      // session.create is not idempotent: running it twice would make two sessions. A re-sent id
      // must answer the first reply (same sessionId) and leave exactly one session.
      it("a request re-sent with the same id gets the same reply and runs once", async () => {
        const client = dealer();
        const clientName = `cache-${uniqueId()}`;
        const request = envelope("session.create", { clientName, protocolVersions: [PROTOCOL_VERSION] });
        const first = await client.request(request);
        const second = await client.request(request);
        const { sessionId } = expectResult(first, "session.create");
        opened.push(sessionId);
        expect(second).toEqual(first);
        const mine = expectResult(await call(client, "session.list", {}), "session.list").sessions.filter((s) => s.clientName === clientName);
        expect(mine.map((s) => s.sessionId)).toEqual([sessionId]);
      });

      it("a retry from a new socket (after a lost reply) gets the same reply", async () => {
        const request = envelope("session.create", { clientName: `retry-${uniqueId()}`, protocolVersions: [PROTOCOL_VERSION] });
        const first = await dealer().request(request);
        opened.push(expectResult(first, "session.create").sessionId);
        const retry = await clients.open(target.endpoint, "req").request(request);
        expect(retry).toEqual(first);
      });

      it("a numeric id is scoped to its connection: two clients both using id 1 each get their own reply", async () => {
        //  A ──session.create id=1 (name a)──▶ server ──▶ session a
        //  B ──session.create id=1 (name b)──▶ server ──▶ session b   (not A's cached reply)
        const names = [`num-a-${uniqueId()}`, `num-b-${uniqueId()}`];
        const replies = [];
        for (const clientName of names) {
          replies.push(await dealer().request(envelope("session.create", { clientName, protocolVersions: [PROTOCOL_VERSION] }, { id: 1 })));
        }
        const [a, b] = replies.map((r) => expectResult(r, "session.create").sessionId);
        opened.push(a!, b!);
        expect(a).not.toBe(b);
        const listed = expectResult(await call(dealer(), "session.list", {}), "session.list").sessions;
        expect(listed.filter((s) => names.includes(s.clientName)).map((s) => s.clientName).sort()).toEqual([...names].sort());
      });

      it("a different request that reuses an id runs as itself (the cache matches whole requests, not ids alone)", async () => {
        //  A ──ping id=X────────────▶ server ──▶ ping result
        //  A ──session.list id=X────▶ server ──▶ session.list result (not the cached ping)
        const client = dealer();
        const id = `reuse-${uniqueId()}`;
        expectResult(await client.request(envelope("ping", { echo: "first" }, { id })), "ping");
        const second = await client.request(envelope("session.list", {}, { id }));
        expectValidResponse(second, "session.list");
        expectResult(second, "session.list");
      });

      it("the same id pipelined twice gets two equal replies", async () => {
        const client = dealer();
        const clientName = `pipelined-${uniqueId()}`;
        const request = envelope("session.create", { clientName, protocolVersions: [PROTOCOL_VERSION] });
        await client.send(request);
        await client.send(request);
        const [a, b] = [await client.receive(), await client.receive()];
        opened.push(expectResult(a, "session.create").sessionId);
        expect(b).toEqual(a);
        const mine = expectResult(await call(client, "session.list", {}), "session.list").sessions.filter((s) => s.clientName === clientName);
        expect(mine).toHaveLength(1);
      });

      // Reference server only: it scripts a handler and holds it open. The Smalltalk tier checks the
      // same against Pharo with a slow evaluation.
      it.runIf(isReference)("a request re-sent while its handler still runs waits for that run (reference server only)", async () => {
        //  A ──evaluate id=X──▶ server ─▶ handler (held open)
        //  B ──evaluate id=X──▶ server ─▶ (waits for the same run)
        //                        release ─▶ reply ──▶ A, and the same reply ──▶ B
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let runs = 0;
        const server = await startTestServer({
          endpoint: uniqueEndpoint(transport!),
          handlers: {
            async evaluate() {
              runs++;
              await gate;
              return { value: { printString: "7", className: "SmallInteger", truncated: false }, durationMs: 0 };
            },
          },
        });
        try {
          const request = envelope("evaluate", { code: "3 + 4" });
          const a = clients.open(server.endpoint, "dealer");
          const b = clients.open(server.endpoint, "dealer+delimiter");
          await a.send(request);
          for (let i = 0; i < 200 && server.callsOf("evaluate").length + runs === 0; i++) await new Promise((r) => setTimeout(r, 10));
          expect(runs).toBe(1);
          await b.send(request);
          for (let i = 0; i < 200 && server.stats.cacheHits === 0; i++) await new Promise((r) => setTimeout(r, 10));
          expect(server.stats.cacheHits).toBe(1);
          release();
          const [replyA, replyB] = [await a.receive(), await b.receive()];
          expect(expectResult(replyA, "evaluate").value.printString).toBe("7");
          expect(replyB).toEqual(replyA);
          expect(runs).toBe(1);
          expect(server.callsOf("evaluate")).toHaveLength(1);
          server.assertNoViolations();
        } finally {
          release();
          await server.close();
        }
      });
    });

    describe("socket kinds", () => {
      it("a REQ client gets its reply", async () => {
        const req = clients.open(target.endpoint, "req");
        expect(expectResult(await req.request(envelope("ping", { echo: "req" })), "ping").echo).toBe("req");
        expect(expectResult(await req.request(envelope("ping", { echo: "again" })), "ping").echo).toBe("again");
      });

      it("a DEALER client without a delimiter gets exactly one frame back", async () => {
        const client = dealer();
        await client.sendFrames([JSON.stringify(envelope("ping", { echo: "bare" }))]);
        const frames = await client.receiveFrames();
        expect(frames).toHaveLength(1);
        expect(expectResult(JSON.parse(frames[0]!.toString()), "ping").echo).toBe("bare");
      });

      it("a DEALER client with an empty delimiter gets [\"\", reply] back", async () => {
        const client = clients.open(target.endpoint, "dealer+delimiter");
        await client.sendFrames(["", JSON.stringify(envelope("ping", { echo: "delimited" }))]);
        const frames = await client.receiveFrames();
        expect(frames).toHaveLength(2);
        expect(frames[0]!.length).toBe(0);
        expect(expectResult(JSON.parse(frames[1]!.toString()), "ping").echo).toBe("delimited");
      });

      it("several DEALERs at once each get their own replies", async () => {
        const many = Array.from({ length: 5 }, () => dealer());
        await Promise.all(many.map((client, i) => client.send(envelope("ping", { echo: `client ${i}` }))));
        const echoes = await Promise.all(many.map(async (client) => expectResult(await client.receive(), "ping").echo));
        expect(echoes).toEqual(many.map((_, i) => `client ${i}`));
      });

      const junk: [string, "dealer" | "dealer+delimiter" | "req", (Buffer | string)[]][] = [
        ["three payload frames from a DEALER", "dealer", ["{}", "{}", "{}"]],
        ["a payload and a trailing empty frame from a DEALER", "dealer", [JSON.stringify(envelope("ping")), ""]],
        ["two frames after the delimiter from a DEALER", "dealer+delimiter", ["", JSON.stringify(envelope("ping")), "more"]],
        ["a two-part message from a REQ", "req", [JSON.stringify(envelope("ping")), "junk"]],
      ];
      it.each(junk)("answers invalidRequest for multi-frame junk: %s, and keeps serving", async (_label, kind, frames) => {
        const client = clients.open(target.endpoint, kind);
        await client.sendFrames(frames);
        const reply = await client.receive();
        expectError(reply, "invalidRequest");
        expect(idOf(reply)).toBeNull();
        expectResult(await client.request(envelope("ping")), "ping");
      });
    });
  });
}
