/**
 * Wire vectors: one file of raw requests and the replies every STUI server must give them
 * (protocol/vectors/wire-vectors.json), held against three judges:
 *
 *   1. the file itself: well-formed cases, unique names and bytes, at least 150 of them;
 *   2. ajv and JSON.parse alone (judge(): the schema's order, no server code): every expected
 *      answer is the one the schema gives;
 *   3. a live server over a real socket: the reference server over tcp (one per permission set),
 *      or STUI_ENDPOINT with `npm run test:conformance` (cases needing restricted permissions
 *      are skipped there: the server's permissions are its own). Servers authenticate, so the raw
 *      socket is a CURVE DEALER with the keys of the test's STUI_HOME (RawClient's default), whose
 *      client key the server authorizes; one case proves a raw peer without them gets nothing.
 *
 *   raw DEALER (CURVE) ──[request bytes]──▶ server ROUTER
 *   raw DEALER (CURVE) ◀──[reply]────────── (schema-valid, kind, id, error kind, echo as the case says)
 *   raw DEALER (NULL)  ──[request bytes]──▶ server ROUTER: handshake refused, nothing back, nothing run
 *
 * The Pharo server replays the same cases in STUIWireVectorsTest (pharo/src/STUI-Tests), from
 * STUIWireVectors, which scripts/pharo-wire-vectors.ts writes from the file; the last test here
 * checks that class is up to date.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { NEWEST_VERSION, VERSIONS, isCommandName, type Permission, type VersionInfo } from "@stui/client/protocol";
import { startTestServer, type TestServer } from "@stui/testkit";
import { expectedPharoVectors, PHARO_VECTORS_CLASS } from "../../scripts/pharo-wire-vectors.js";
import {
  ClientPool,
  EXTERNAL_ENDPOINT,
  expectValidResponse,
  judge,
  loadWireVectors,
  permissionsOf,
  requestBytes,
  uniqueEndpoint,
  vectorProblems,
  type WireVector,
} from "../helpers/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const { cases } = loadWireVectors(root);

/** A JSON value as JSON.parse would give it back (ids like 12345678901234567890 become doubles). */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/** The tables of the version that judges a case's reply: the one it names when served, else the newest. */
const tablesOf = (vector: WireVector): VersionInfo => VERSIONS[vector.stui ?? NEWEST_VERSION] ?? VERSIONS[NEWEST_VERSION]!;

describe("wire vectors: the file", () => {
  it("holds at least 150 well-formed cases with unique names and unique bytes", () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
    const problems = cases.flatMap((c) => vectorProblems(c).map((p) => `${c.name}: ${p}`));
    expect(problems).toEqual([]);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    const bytes = cases.map((c) => requestBytes(c).toString("base64"));
    expect(bytes.filter((b, i) => bytes.indexOf(b) !== i)).toEqual([]);
  });

  it("covers every error kind the protocol tier answers without an image, results, and restricted permissions", () => {
    const kinds = new Set(cases.map((c) => c.expect.error ?? "result"));
    for (const kind of ["result", "parseError", "invalidRequest", "unsupportedVersion", "unknownMethod", "invalidParams", "permissionDenied", "messageTooLarge", "sessionNotFound"]) {
      expect(kinds, kind).toContain(kind);
    }
    expect(cases.some((c) => c.permissions !== undefined)).toBe(true);
  });
});

describe("wire vectors: ajv and JSON.parse give every expected answer", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, vector) => {
    const judgement = judge(requestBytes(vector), permissionsOf(vector));
    expect(vector.stui, "the stui version the request names").toBe(judgement.stui);
    if (judgement.stage === "envelope") {
      expect(vector.expect).toMatchObject({ reply: "error", error: judgement.error });
      expect(asJson(vector.expect.id)).toStrictEqual(asJson(judgement.id));
      return;
    }
    // The command decides: a result, or one of the errors it may answer in that version (with the request's id).
    expect(asJson(vector.expect.id)).toStrictEqual(asJson(judgement.id));
    if (vector.expect.reply === "error") {
      const version = VERSIONS[judgement.stui]!;
      expect([...version.commands[judgement.method]!.errors, ...version.envelopeErrors]).toContain(vector.expect.error);
    }
    if (vector.expect.echo !== undefined) expect(vector.expect.echo).toBe(judgement.params["echo"]);
  });
});

/** Which cases can run against a target: an external server has its own permissions. */
const runnable = (vector: WireVector): boolean => EXTERNAL_ENDPOINT === undefined || vector.permissions === undefined;
const permissionSets = [...new Set(cases.filter(runnable).map((c) => JSON.stringify(c.permissions ?? null)))];

describe.each(permissionSets.map((set) => ({ set, label: set === "null" ? "all permissions" : `permissions ${set}` })))(
  `wire vectors against ${EXTERNAL_ENDPOINT ? `the external server at ${EXTERNAL_ENDPOINT}` : "the reference server over tcp"}, $label`,
  ({ set }) => {
    const selected = cases.filter((c) => runnable(c) && JSON.stringify(c.permissions ?? null) === set);
    const clients = new ClientPool();
    let server: TestServer | undefined;
    let endpoint: string;

    afterAll(async () => {
      clients.closeAll();
      server?.assertNoViolations();
      await server?.close();
    });

    it.each(selected.map((c) => [c.name, c] as const))("%s", async (_name, vector) => {
      if (endpoint === undefined) {
        if (EXTERNAL_ENDPOINT) endpoint = EXTERNAL_ENDPOINT;
        else {
          const permissions = JSON.parse(set) as Permission[] | null;
          server = await startTestServer({ endpoint: uniqueEndpoint("tcp"), ...(permissions ? { permissions } : {}) });
          endpoint = server.endpoint;
        }
      }
      const client = clients.open(endpoint, "dealer");
      const reply = (await client.request(requestBytes(vector))) as { id?: unknown; result?: { echo?: unknown }; error?: { data?: { kind?: string } } };
      client.close();
      const judgement = judge(requestBytes(vector), permissionsOf(vector));
      // Valid under the schema of the version the request names (a 1.0 reply leaves out what 1.1 added).
      expectValidResponse(reply, judgement.stage === "command" && isCommandName(judgement.method) ? judgement.method : undefined, tablesOf(vector));
      expect(asJson(reply.id)).toStrictEqual(asJson(vector.expect.id));
      if (vector.expect.reply === "result") {
        expect(reply.error, JSON.stringify(reply).slice(0, 300)).toBeUndefined();
        if (vector.expect.echo !== undefined) expect(reply.result?.echo).toBe(vector.expect.echo);
      } else {
        expect(reply.error?.data?.kind, JSON.stringify(reply).slice(0, 300)).toBe(vector.expect.error);
      }
    });
  },
);

describe(`wire vectors: a raw peer without the keys, ${EXTERNAL_ENDPOINT ? `against ${EXTERNAL_ENDPOINT}` : "against the reference server"}`, () => {
  const clients = new ClientPool();
  let server: TestServer | undefined;
  afterAll(async () => {
    clients.closeAll();
    await server?.close();
  });

  it("gets no reply to a case that an authenticated peer gets a result for, and the server runs nothing", async () => {
    const vector = cases.find((c) => runnable(c) && c.permissions === undefined && c.expect.reply === "result")!;
    if (!EXTERNAL_ENDPOINT) server = await startTestServer({ endpoint: uniqueEndpoint("tcp") });
    const endpoint = EXTERNAL_ENDPOINT ?? server!.endpoint;
    const messages = server?.requestCount;
    const rejected = server?.securityStats().rejectedPeers;
    const attacker = clients.open(endpoint, "dealer", { curve: false, receiveTimeoutMs: 500 });
    await attacker.send(requestBytes(vector));
    await expect(attacker.receiveFrames()).rejects.toMatchObject({ code: "EAGAIN" });
    // The same bytes from an authenticated raw peer do get their reply: the silence is the handshake's.
    const honest = clients.open(endpoint, "dealer");
    expect(asJson(((await honest.request(requestBytes(vector))) as { id?: unknown }).id)).toStrictEqual(asJson(vector.expect.id));
    if (server) {
      expect(server.requestCount, "only the authenticated peer's message reached the server").toBe(messages! + 1);
      await expect.poll(() => server!.securityStats().rejectedPeers, { timeout: 5000 }).toBeGreaterThan(rejected!);
    }
  });
});

describe("wire vectors: the Pharo replay", () => {
  it(`${PHARO_VECTORS_CLASS} holds exactly these cases (npm run generate writes it)`, () => {
    expect(readFileSync(join(root, PHARO_VECTORS_CLASS), "utf8")).toBe(expectedPharoVectors(root));
  });
});
