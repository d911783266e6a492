/**
 * A worked 2.0, in a scratch copy of protocol/ (inside the repository, so generated code resolves
 * its packages; `.tmp-*` is git-ignored and removed afterwards):
 *
 *   protocol/v1/releases/1.0, 1.1 + v1/stui.schema.json (1.2)   major 1, as in this repo
 *   protocol/v2/stui.schema.json (2.0)                          1.2 with ping's echo limited to 64 characters
 *
 * The checker calls the change breaking (so it needs the new major), stui-codegen generates one set
 * of tables for every version of both majors, and one reference server built from them answers a
 * client generated from 1.0, one from 1.1, one from 1.2 and one from 2.0 side by side, each in its
 * own version.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { connect, connectWith, isRemoteError, type GeneratedProtocol, type StuiClientControls } from "@stui/client";
import { main as codegen, parseProtocolSchema, verdict, historyProblems, readHistory } from "@stui/codegen";
import { startTestServer, uniqueAddress, type TestServer } from "@stui/testkit";
import type { VersionInfo } from "@stui/client/protocol";
import * as released10 from "../fixtures/clients/1.0/index.js";
import * as released11 from "../fixtures/clients/1.1/index.js";

const repo = join(import.meta.dirname, "../..");
const scratch = join(import.meta.dirname, `.tmp-major2-${process.pid}`);
const working1 = readFileSync(join(repo, "protocol/v1/stui.schema.json"), "utf8");

function v2Schema(): string {
  const s = JSON.parse(working1);
  s["x-stui-version"] = "2.0";
  s.$id = "https://stui.dev/protocol/v2/stui.schema.json";
  s.$defs.PingParams.properties.echo.maxLength = 64;
  for (const c of Object.values(s["x-stui-commands"]) as { examples: { request: { stui: string } }[] }[]) {
    for (const e of c.examples) e.request.stui = "2.0";
  }
  return JSON.stringify(s, null, 2) + "\n";
}

interface PingApi {
  ping(params?: { echo?: string }): Promise<{ echo?: string; protocolVersions: string[] }>;
}
type Client = PingApi & StuiClientControls;

describe("a worked major version 2.0 beside 1.x", () => {
  let server: TestServer;
  let generated: GeneratedProtocol<unknown> & { VERSIONS: Record<string, VersionInfo>; SERVED_VERSIONS: readonly string[] };
  const clients: Client[] = [];

  beforeAll(async () => {
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(join(scratch, "protocol/v2"), { recursive: true });
    writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "scratch", private: true, workspaces: [] }));
    cpSync(join(repo, "protocol/v1"), join(scratch, "protocol/v1"), { recursive: true });
    writeFileSync(join(scratch, "protocol/v2/stui.schema.json"), v2Schema());
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const code = await codegen(["--root", scratch, "-q"]);
    vi.restoreAllMocks();
    expect(code).toBe(0);
    generated = await import(pathToFileURL(join(scratch, "packages/client/src/gen/index.ts")).href);
    server = await startTestServer({ endpoint: await uniqueAddress("tcp"), tables: generated });
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) await c.close();
    await server?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("the checker calls the change breaking: 2.0 is honest, a 1.3 with the same change is not", () => {
    const v12 = parseProtocolSchema(working1, "v1");
    const v20 = parseProtocolSchema(v2Schema(), "v2");
    const result = verdict(v12, v20);
    expect(result.changes.filter((c) => c.severity === "breaking").map((c) => `${c.where}: ${c.message}`)).toEqual(["ping params.echo: maxLength 1024 → 64"]);
    expect(result).toMatchObject({ needed: "major", made: "major", ok: true });
    const as13 = parseProtocolSchema(v2Schema().replace('"x-stui-version": "2.0"', '"x-stui-version": "1.3"'), "v1.3");
    expect(verdict(v12, as13)).toMatchObject({ needed: "major", made: "minor", ok: false });
    expect(historyProblems(readHistory(scratch)).problems).toEqual([]);
  });

  it("generates one table per served version of both majors; the typed client speaks 2.x only", () => {
    expect(generated.SERVED_VERSIONS).toEqual(["1.0", "1.1", "1.2", "2.0"]);
    expect(generated.CLIENT_VERSIONS).toEqual(["2.0"]);
  });

  it("one server answers 1.0, 1.1, 1.2 and 2.0 clients side by side, each in its own version", async () => {
    const c10 = (await connectWith(released10 as GeneratedProtocol<unknown>, { endpoint: server.endpoint })) as Client;
    const c11 = (await connectWith(released11 as GeneratedProtocol<unknown>, { endpoint: server.endpoint })) as Client;
    const c12 = (await connect({ endpoint: server.endpoint })) as unknown as Client;
    const c20 = (await connectWith(generated, { endpoint: server.endpoint })) as Client;
    clients.push(c10, c11, c12, c20);
    const sessions = await Promise.all([c10, c11, c12, c20].map((c) => c.openSession()));
    expect(sessions.map((s) => s.protocolVersion)).toEqual(["1.0", "1.1", "1.2", "2.0"]);
    const pongs = await Promise.all([c10, c11, c12, c20].map((c) => c.ping({ echo: "side by side" })));
    for (const pong of pongs) expect(pong.protocolVersions).toEqual(["1.0", "1.1", "1.2", "2.0"]);

    // 100 characters: within 1.x's limit, over 2.0's. The server judges each request by its version.
    const long = "x".repeat(100);
    expect((await c12.ping({ echo: long })).echo).toBe(long);
    expect((await c11.ping({ echo: long })).echo).toBe(long);
    expect((await c10.ping({ echo: long })).echo).toBe(long);
    const c20raw = (await connectWith(generated, { endpoint: server.endpoint, validate: false })) as Client;
    clients.push(c20raw);
    await c20raw.openSession();
    const refused = await c20raw.ping({ echo: long }).catch((e: unknown) => e);
    if (!isRemoteError(refused, "invalidParams")) throw refused;
    expect(refused.data.errors.map((p) => p.path)).toContain("/echo");
    server.assertNoViolations();
  });
});
