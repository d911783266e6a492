/**
 * The version matrix: {client generated from 1.0, client generated from 1.1}
 *                   × {server supporting 1.0 only, server supporting 1.0 + 1.1}
 *                   × {lock-step, pipelined}.
 *
 * The 1.0 client is test/fixtures/clients/1.0: real code that stui-codegen generated from the
 * released protocol/v1/releases/1.0.schema.json (kept fresh by generate:check), run on the same
 * client runtime (connectWith), which authenticates it with CURVE like any client (the test's
 * STUI_HOME keys). Every cell runs the protocol tier through the generated client in the version it
 * negotiated, and every reply it accepts was checked by that client's own validators.
 *
 *   client (1.0 | 1.1) ──session.create {protocolVersions}──▶ server (1.0 | 1.0+1.1)
 *                      ◀──{protocolVersion: best common}────
 *                      ──requests {stui: negotiated}───────▶ validated in that version
 *                      ◀──replies shaped for that version──
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectWith, isRemoteError, isStuiError, type GeneratedProtocol, type StuiClientControls } from "@stui/client";
import * as newestProtocol from "@stui/client/protocol";
import { clientKeysFor } from "@stui/client/keys";
import { startTestServer, temporaryStuiHome, uniqueAddress, type TestHandlers, type TestServer } from "@stui/testkit";
import * as released10 from "../fixtures/clients/1.0/index.js";

/** Scripted Smalltalk for the matrix: a test double that evaluates nothing. */
const HANDLERS: TestHandlers = {
  evaluate: (params, context) => {
    context.requireSession();
    return { value: { printString: `test double: ${params.code}`, className: "String", truncated: false }, durationMs: 0 };
  },
  "system.info": (params) => ({
    ...(params.sections?.includes("platform") ? { platform: { os: "test-double" } } : {}),
    ...(params.sections?.includes("image") ? { image: { formatVersion: 0, name: "test-double" } } : {}),
  }),
};

interface ClientUnderTest {
  label: string;
  protocol: GeneratedProtocol<unknown>;
  newest: string;
}

const CLIENTS: ClientUnderTest[] = [
  { label: "client generated from 1.0", protocol: released10 as GeneratedProtocol<unknown>, newest: "1.0" },
  { label: "client generated from 1.1", protocol: newestProtocol as GeneratedProtocol<unknown>, newest: "1.1" },
];
const SERVERS = [
  { label: "server supporting 1.0 only", versions: ["1.0"] },
  { label: "server supporting 1.0 + 1.1", versions: ["1.0", "1.1"] },
];
const MODES = ["lockstep", "pipelined"] as const;

/** The calls every generated client has (1.0 commands), typed loosely across the two generations. */
interface AnyApi {
  ping(params?: { echo?: string }): Promise<{ echo?: string; protocolVersions: string[] }>;
  evaluate(params: { code: string; sessionId?: string }): Promise<{ value: { printString: string } }>;
  system: { info(params?: { sections?: string[] }): Promise<Record<string, unknown>> };
  session: {
    list(params?: object): Promise<{ sessions: { sessionId: string }[] }>;
    restore(params: { sessionId: string }): Promise<{ sessionId: string; protocolVersion: string }>;
  };
}
type Client = AnyApi & StuiClientControls;

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

const cells = CLIENTS.flatMap((client) => SERVERS.flatMap((server) => MODES.map((mode) => ({ client, server, mode }))));

describe.each(cells)("$client.label × $server.label × $mode", ({ client: under, server: served, mode }) => {
  const expected = served.versions.includes(under.newest) ? under.newest : "1.0";
  let server: TestServer;
  let client: Client;
  let strict: Client;

  beforeAll(async () => {
    server = await startTestServer({ endpoint: await uniqueAddress("tcp"), supportedVersions: served.versions, handlers: HANDLERS });
    client = (await connectWith(under.protocol, { endpoint: server.endpoint, mode, timeoutMs: 5000 })) as Client;
    strict = (await connectWith(under.protocol, { endpoint: server.endpoint, mode, timeoutMs: 5000, validate: false })) as Client;
  });
  afterAll(async () => {
    await client?.close();
    await strict?.close();
    server.assertNoViolations();
    await server?.close();
  });

  it(`negotiates ${expected} in session.create, and every later request carries it`, async () => {
    const session = await client.openSession({ clientName: `matrix-${under.newest}-${mode}` });
    expect(session.protocolVersion).toBe(expected);
    expect(client.protocolVersion).toBe(expected);
    const restored = await client.session.restore({ sessionId: session.id });
    expect(restored.protocolVersion).toBe(expected);
    const evaluated = await session.evaluate("3 + 4");
    expect(evaluated.value.printString).toBe("test double: 3 + 4");
    expect((await client.session.list()).sessions.map((s) => s.sessionId)).toContain(session.id);
    await session.close();
    const gone = await caught(client.session.restore({ sessionId: session.id }));
    expect(isRemoteError(gone, "sessionNotFound"), String(gone)).toBe(true);
  });

  it("ping tells the client every version the server speaks", async () => {
    const pong = await client.ping({ echo: "matrix" });
    expect(pong.echo).toBe("matrix");
    expect(pong.protocolVersions).toEqual(served.versions);
  });

  it("the server judges params by the negotiated version's schema (invalidParams with a pointer)", async () => {
    await strict.openSession();
    const e = await caught(strict.evaluate({ code: "" }));
    if (!isRemoteError(e, "invalidParams")) throw e;
    expect(e.data.errors.map((p) => p.path)).toContain("/code");
  });

  it("system.info with default sections is valid for this client (a 1.1 server leaves out what 1.0 lacks)", async () => {
    const info = await client.system.info({ sections: ["platform", "image"] });
    expect(info).toMatchObject({ platform: { os: "test-double" }, image: { name: "test-double" } });
    if (expected === "1.0") expect(info).not.toHaveProperty("security");
  });

  it.runIf(expected === "1.1")("1.1: the security section is the server's own fact (this client authenticated with CURVE)", async () => {
    const info = await client.system.info({ sections: ["security"] });
    expect(info).toEqual({ security: server.securityStats() });
    expect(info.security).toMatchObject({ authentication: "curve" });
  });

  it.runIf(under.newest === "1.1" && expected === "1.0")("a 1.1 client on a 1.0 server: what only 1.1 has fails locally with EVERSION, nothing sent", async () => {
    const before = server.stats.messages;
    const e = await caught(client.system.info({ sections: ["security"] }));
    if (!isStuiError(e, "EVERSION")) throw e;
    expect(e.requiredVersion).toBe("1.1");
    expect(e.message).toMatch(/need protocol 1\.1.*speaks 1\.0.*nothing was sent/);
    expect(server.stats.messages, "the server saw no request").toBe(before);
  });

  it.runIf(under.newest === "1.0")("a 1.0 client cannot even ask for the security section (its own schema rejects it)", async () => {
    const e = await caught(client.system.info({ sections: ["security"] }));
    expect(isStuiError(e, "EVALIDATION"), String(e)).toBe(true);
  });
});

describe("a client that never opened a session", () => {
  it("1.1 client, 1.0-only server: the first request is refused at the envelope, re-sent once in 1.0, and 1.0 is kept", async () => {
    //   client ──ping {stui: 1.1}──▶ server (1.0) ──unsupportedVersion {supported: [1.0]}
    //   client ──ping {stui: 1.0}──▶ server        ──pong
    const server = await startTestServer({ endpoint: await uniqueAddress("tcp"), supportedVersions: ["1.0"] });
    const client = (await connectWith(newestProtocol as GeneratedProtocol<unknown>, { endpoint: server.endpoint, timeoutMs: 5000 })) as Client;
    try {
      expect(client.protocolVersion).toBe("1.1");
      expect((await client.ping({ echo: "x" })).echo).toBe("x");
      expect(client.protocolVersion).toBe("1.0");
      expect(server.stats.errors.unsupportedVersion).toBe(1);
      expect(server.callsOf("ping")).toHaveLength(1);
      await client.ping();
      expect(server.stats.errors.unsupportedVersion).toBe(1);
    } finally {
      await client.close();
      await server.close();
    }
  });
});

describe("the client generated from 1.0 authenticates through the same runtime (connectWith takes connect's curve and home)", () => {
  //   1.0 client ──CURVE, keys of STUI_HOME────────▶ server: answers
  //   1.0 client ──curve: false / another home's key──▶ server: nothing; ECONNECTION; no call
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ endpoint: await uniqueAddress("tcp") });
  });
  afterAll(async () => {
    await server?.close();
  });

  async function pingWith(options: Parameters<typeof connectWith>[1]): Promise<{ client: Client; outcome: unknown }> {
    const client = (await connectWith(released10 as GeneratedProtocol<unknown>, { endpoint: server.endpoint, timeoutMs: 2000, retries: 0, ...options })) as Client;
    try {
      return { client, outcome: await client.ping({ echo: "1.0" }).catch((e: unknown) => e) };
    } finally {
      await client.close();
    }
  }

  it("by default with this STUI home's client key, which the server authorizes", async () => {
    const { client, outcome } = await pingWith({});
    expect(outcome).toMatchObject({ echo: "1.0" });
    expect(client.publicKey).toBe(clientKeysFor(server.endpoint).publicKey);
  });

  it("with curve: false, or the keys of another home, it gets nothing and the server runs nothing", async () => {
    const other = temporaryStuiHome();
    try {
      const calls = server.calls.length;
      for (const options of [{ curve: false as const }, { home: other.path }]) {
        const { outcome } = await pingWith(options);
        expect(isStuiError(outcome, "ECONNECTION"), String(outcome)).toBe(true);
      }
      expect(server.calls.length).toBe(calls);
      await expect.poll(() => server.securityStats().rejectedPeers, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    } finally {
      other.remove();
    }
  });
});
