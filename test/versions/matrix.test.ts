/**
 * The version matrix: {client generated from 1.0, from 1.1, from 1.2 (the newest)}
 *                   × {server supporting 1.0 only, 1.0 + 1.1, 1.0 + 1.1 + 1.2}
 *                   × {lock-step, pipelined}.
 *
 * The 1.0 and 1.1 clients are test/fixtures/clients/<X.Y>: real code that stui-codegen generated
 * from the released protocol/v1/releases/<X.Y>.schema.json (kept fresh by generate:check), run on
 * the same client runtime (connectWith), which authenticates it with CURVE like any client (the
 * test's STUI_HOME keys). Every cell runs the protocol tier through the generated client in the
 * version it negotiated, and every reply it accepts was checked by that client's own validators — an older client's closed result types refuse a member they do not know, so a reply
 * that carried one (evaluate's `output`, 1.2) would fail the call.
 *
 *   client (1.0 | 1.1 | 1.2) ──session.create {protocolVersions}──▶ server (1.0 | …1.1 | …1.2)
 *                            ◀──{protocolVersion: best common}────
 *                            ──requests {stui: negotiated}───────▶ validated in that version
 *                            ◀──replies shaped for that version──
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectWith, isRemoteError, isStuiError, type GeneratedProtocol, type StuiClientControls } from "@stui/client";
import * as newestProtocol from "@stui/client/protocol";
import { clientKeysFor } from "@stui/client/keys";
import { startTestServer, temporaryStuiHome, uniqueAddress, type TestHandlers, type TestServer } from "@stui/testkit";
import * as released10 from "../fixtures/clients/1.0/index.js";
import * as released11 from "../fixtures/clients/1.1/index.js";
import { ok, startRouterDouble } from "../../packages/client/src/test-support.js";

/** Scripted Smalltalk for the matrix: a test double that evaluates nothing. */
const HANDLERS: TestHandlers = {
  // Always answers output (1.2): the server must leave it out for 1.0 and 1.1 requests.
  evaluate: (params, context) => {
    context.requireSession();
    return { value: { printString: `test double: ${params.code}`, className: "String", truncated: false }, durationMs: 0, output: { text: "written to the Transcript\n", truncated: false } };
  },
  "system.info": (params) => ({
    ...(params.sections?.includes("platform") ? { platform: { os: "test-double" } } : {}),
    ...(params.sections?.includes("image") ? { image: { formatVersion: 0, name: "test-double" } } : {}),
  }),
  "packages.list": () => ({ total: 1, offset: 0, packages: [{ name: "TestDouble", classCount: 0, tags: [] }] }),
};

interface ClientUnderTest {
  label: string;
  protocol: GeneratedProtocol<unknown>;
  newest: string;
}

const CLIENTS: ClientUnderTest[] = [
  { label: "client generated from 1.0", protocol: released10 as GeneratedProtocol<unknown>, newest: "1.0" },
  { label: "client generated from 1.1", protocol: released11 as GeneratedProtocol<unknown>, newest: "1.1" },
  { label: "client generated from 1.2", protocol: newestProtocol as GeneratedProtocol<unknown>, newest: "1.2" },
];
const SERVERS = [
  { label: "server supporting 1.0 only", versions: ["1.0"] },
  { label: "server supporting 1.0 + 1.1", versions: ["1.0", "1.1"] },
  { label: "server supporting 1.0 + 1.1 + 1.2", versions: ["1.0", "1.1", "1.2"] },
];
const MODES = ["lockstep", "pipelined"] as const;
const minor = (v: string) => Number(v.split(".")[1]);

/** The commands 1.2 added, with valid params for each (what a 1.2 client may call). */
const NEW_IN_12: [string, object][] = [
  ["evaluate.cancel", { sessionId: "s-1" }],
  ["code.search", { kind: "senders", query: "printOn:" }],
  ["code.complete", { source: "Tra", position: 3 }],
  ["packages.list", {}],
  ["class.define", { className: "Counter", superclass: "Object", package: "MyApp" }],
  ["class.remove", { className: "Counter" }],
  ["method.remove", { className: "Counter", selector: "reset" }],
  ["tests.run", { packages: ["MyApp-Tests"] }],
  ["project.load", { baseline: "MyApp", repository: "tonel:///tmp/myapp" }],
  ["image.save", {}],
];

/** The calls every generated client has (1.0 commands), typed loosely across the generations. */
interface AnyApi {
  ping(params?: { echo?: string }): Promise<{ echo?: string; protocolVersions: string[] }>;
  evaluate(params: { code: string; sessionId?: string }): Promise<{ value: { printString: string }; output?: { text: string } }>;
  system: { info(params?: { sections?: string[] }): Promise<Record<string, unknown>> };
  session: {
    list(params?: object): Promise<{ sessions: { sessionId: string }[] }>;
    restore(params: { sessionId: string }): Promise<{ sessionId: string; protocolVersion: string }>;
  };
  method: { compile(params: object): Promise<unknown> };
}
type Client = AnyApi & StuiClientControls & { call(method: string, params: object): Promise<unknown> };

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
  const expected = [...served.versions].reverse().find((v) => minor(v) <= minor(under.newest))!;
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

  it(`negotiates ${expected} in session.create, and every later request carries it; evaluate carries output only in 1.2`, async () => {
    const session = await client.openSession({ clientName: `matrix-${under.newest}-${mode}` });
    expect(session.protocolVersion).toBe(expected);
    expect(client.protocolVersion).toBe(expected);
    const restored = await client.session.restore({ sessionId: session.id });
    expect(restored.protocolVersion).toBe(expected);
    const evaluated = await session.evaluate("3 + 4");
    expect(evaluated.value.printString).toBe("test double: 3 + 4");
    if (expected === "1.2") expect(evaluated).toHaveProperty("output", { text: "written to the Transcript\n", truncated: false });
    else expect(evaluated).not.toHaveProperty("output");
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

  it("system.info with default sections is valid for this client (a newer server leaves out what 1.0 lacks)", async () => {
    const info = await client.system.info({ sections: ["platform", "image"] });
    expect(info).toMatchObject({ platform: { os: "test-double" }, image: { name: "test-double" } });
    if (expected === "1.0") expect(info).not.toHaveProperty("security");
  });

  it.runIf(minor(expected) >= 1)("1.1 and later: the security section is the server's own fact (this client authenticated with CURVE)", async () => {
    const info = await client.system.info({ sections: ["security"] });
    expect(info).toEqual({ security: server.securityStats() });
    expect(info.security).toMatchObject({ authentication: "curve" });
  });

  it.runIf(minor(under.newest) >= 1 && expected === "1.0")("a newer client on a 1.0 server: the security section fails locally with EVERSION, nothing sent", async () => {
    const before = server.stats.messages;
    const e = await caught(client.system.info({ sections: ["security"] }));
    if (!isStuiError(e, "EVERSION")) throw e;
    expect(e.requiredVersion).toBe("1.1");
    expect(e.message).toMatch(/need protocol 1\.1.*speaks 1\.0.*nothing was sent/);
    expect(server.stats.messages, "the server saw no request").toBe(before);
  });

  it.runIf(under.newest === "1.2" && expected !== "1.2")(`a 1.2 client on a ${expected} server: each 1.2 command and 1.2 param fails locally with EVERSION naming 1.2, nothing sent`, async () => {
    await client.openSession();
    const before = server.stats.messages;
    for (const [method, params] of NEW_IN_12) {
      const e = await caught(client.call(method, params));
      if (!isStuiError(e, "EVERSION")) throw e;
      expect(e.requiredVersion, method).toBe("1.2");
      expect(e.message).toBe(`${method} needs protocol 1.2, and this connection speaks ${expected} (the best version this server and client share); nothing was sent`);
    }
    // A 1.2 param of a 1.0 command: method.compile's dryRun.
    const dry = await caught(client.method.compile({ className: "Point", source: "x ^ x", dryRun: true }));
    if (!isStuiError(dry, "EVERSION")) throw dry;
    expect(dry.requiredVersion).toBe("1.2");
    expect(server.stats.messages, "the server saw no request").toBe(before);
  });

  it.runIf(expected === "1.2")("1.2 on a 1.2 server: a 1.2 command goes through", async () => {
    expect(await client.call("packages.list", {})).toEqual({ total: 1, offset: 0, packages: [{ name: "TestDouble", classCount: 0, tags: [] }] });
  });

  it.runIf(under.newest === "1.0")("a 1.0 client cannot even ask for the security section (its own schema rejects it)", async () => {
    const e = await caught(client.system.info({ sections: ["security"] }));
    expect(isStuiError(e, "EVALIDATION"), String(e)).toBe(true);
  });
});

describe.each([
  { versions: ["1.0"], best: "1.0" },
  { versions: ["1.0", "1.1"], best: "1.1" },
])("the newest client that never opened a session, server supporting $versions", ({ versions, best }) => {
  it(`the first request is refused at the envelope, re-sent once in ${best}, and ${best} is kept`, async () => {
    //   client ──ping {stui: 1.2}──▶ server (older) ──unsupportedVersion {supported}
    //   client ──ping {stui: best}─▶ server         ──pong
    const server = await startTestServer({ endpoint: await uniqueAddress("tcp"), supportedVersions: versions });
    const client = (await connectWith(newestProtocol as GeneratedProtocol<unknown>, { endpoint: server.endpoint, timeoutMs: 5000 })) as Client;
    try {
      expect(client.protocolVersion).toBe("1.2");
      expect((await client.ping({ echo: "x" })).echo).toBe("x");
      expect(client.protocolVersion).toBe(best);
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

describe("the check that older clients never receive output can fail", () => {
  it.each([
    { label: "1.0", protocol: released10 },
    { label: "1.1", protocol: released11 },
  ])("a $label client refuses an evaluate reply that carries output (a server that does not shape)", async ({ protocol }) => {
    //   client ──evaluate {stui: 1.x}──▶ raw double (not the reference server) ──▶ result + output
    const double = await startRouterDouble(await uniqueAddress("tcp"), (request) =>
      ok(request, { value: { printString: "42", className: "SmallInteger", truncated: false }, durationMs: 0, output: { text: "leaked", truncated: false } }),
    );
    const client = (await connectWith(protocol as GeneratedProtocol<unknown>, { endpoint: double.endpoint, timeoutMs: 5000, retries: 0 })) as Client;
    try {
      const e = await caught(client.evaluate({ code: "42" }));
      expect(isStuiError(e, "EPROTOCOL"), String(e)).toBe(true);
      expect(String((e as Error).message)).toMatch(/output/);
    } finally {
      await client.close();
      await double.close();
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
