// --allow-env, --allow-net and --allow-run through the real `stui` command: what a grant lets
// through, and what its absence refuses (exit 3, naming the flag). The attacks on them, from
// outside the sandbox, are in test/security/grants.test.ts.

import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { createServer, type Server } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectIsolation } from "../src/isolation.js";
import { EXIT } from "../src/exit-codes.js";
import { hostNotes, stui } from "./cli-helpers.js";
import { FIXTURES, tempDir } from "./helpers.js";

const daily = (name: string): string => path.join(FIXTURES, "daily", name);
const FULL = detectIsolation("auto").level === "full";
const key = readFileSync(path.join(FIXTURES, "tls", "test-only-key.pem"));
const cert = readFileSync(path.join(FIXTURES, "tls", "test-only-cert.pem"));
const ca = cert.toString("base64");
const env = { STUI_HOME: tempDir("stui-home-"), STUI_ENDPOINT: "tcp://127.0.0.1:1" };

const listen = async <S extends Server | HttpServer | HttpsServer | TlsServer>(server: S): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
};
const http = createHttpServer((_, res) => res.end("hello over http"));
const https = createHttpsServer({ key, cert }, (_, res) => res.end("hello over https"));
/** Connections the echo listener accepted: one refused by the sandbox must not move it. */
let echoed = 0;
const echo = createServer((s) => (echoed++, s.once("data", () => s.end("pong over tcp"))));
const tls = createTlsServer({ key, cert }, (s) => s.once("data", () => s.end("pong over tls")));
const ports = { http: 0, https: 0, echo: 0, tls: 0 };

beforeAll(async () => {
  [ports.http, ports.https, ports.echo, ports.tls] = await Promise.all([listen(http), listen(https), listen(echo), listen(tls)]);
});
afterAll(() => Promise.all([http, https, echo, tls].map((s) => new Promise((resolve) => s.close(resolve)))));

describe("--allow-env", () => {
  it("passes the variables named, none by default; --deny-env beats --allow-env", async () => {
    const run = (...flags: string[]) => stui(["run", daily("env.ts"), ...flags, "--", "TEST_FOO", "TEST_BAR"], { env: { ...env, TEST_FOO: "foo", TEST_BAR: "bar" } });
    expect((await run()).stdout.trim()).toBe('{"TEST_FOO":null,"TEST_BAR":null}');
    expect((await run("--allow-env=TEST_FOO")).stdout.trim()).toBe('{"TEST_FOO":"foo","TEST_BAR":null}');
    expect((await run("--allow-env", "--deny-env=TEST_BAR")).stdout.trim()).toBe('{"TEST_FOO":"foo","TEST_BAR":null}');
  });

  it("refuses to pass what would configure the sandbox's own Node (usage error)", async () => {
    const r = await stui(["run", daily("env.ts"), "--allow-env=NODE_OPTIONS"], { env });
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain("NODE_OPTIONS is never passed to a script");
  });
});

describe("--allow-net", () => {
  it("fetch, https (TLS end to end), net.connect and tls.connect reach a granted destination", async () => {
    const grant = `--allow-net=127.0.0.1:${ports.http},localhost:${ports.https},127.0.0.1:${ports.echo},localhost:${ports.tls}`;
    const cases = [
      [["fetch", `http://127.0.0.1:${ports.http}/`], "fetch 200 hello over http"],
      [["https", `https://localhost:${ports.https}/`, ca], "https 200 hello over https"],
      [["net", `127.0.0.1:${ports.echo}`], "net pong over tcp"],
      [["tls", `localhost:${ports.tls}`, ca], "tls pong over tls"],
    ] as const;
    for (const [args, expected] of cases) {
      const r = await stui(["run", daily("net.ts"), grant, "--", ...args], { env });
      expect(hostNotes(r.stderr), args[0]).toBe("");
      expect(r.stdout.trim()).toBe(expected);
      expect(r.code).toBe(EXIT.ok);
    }
  });

  it("a destination not granted is a permission denial (exit 3) naming the flag to add", async () => {
    const r = await stui(["run", daily("net.ts"), `--allow-net=127.0.0.1:${ports.echo}`, "--", "fetch", `http://127.0.0.1:${ports.http}/`], { env });
    expect(r.code).toBe(EXIT.permissionDenied);
    expect(r.stderr).toContain(`stui: permission denied: 127.0.0.1:${ports.http} is not granted: run again with --allow-net=127.0.0.1:${ports.http}`);
  });

  it("--deny-net beats --allow-net", async () => {
    const r = await stui(["run", daily("net.ts"), "--allow-net", "--deny-net=127.0.0.1", "--", "net", `127.0.0.1:${ports.echo}`], { env });
    expect(r.code).toBe(EXIT.permissionDenied);
    expect(r.stderr).toContain(`--deny-net refuses 127.0.0.1:${ports.echo}`);
  });

  it("without the grant, the network stays closed: a permission denial (exit 3) naming the flag; the listener hears nothing", async () => {
    const before = echoed;
    for (const [mode, target, what] of [["net", `127.0.0.1:${ports.echo}`, "node:net connect"], ["fetch", `http://127.0.0.1:${ports.http}/`, "The global fetch"]] as const) {
      const r = await stui(["run", daily("net.ts"), "--json", "--", mode, target], { env });
      expect(r.code, mode).toBe(EXIT.permissionDenied);
      expect(r.stderr).toContain(`permission denied: ${what} is not allowed in a stui script without --allow-net: run again with --allow-net=<host>:<port>`);
      expect(JSON.parse(r.stdout).denied).toContainEqual(expect.objectContaining({ permission: "net", resource: what }));
    }
    expect(echoed).toBe(before);
  });
});

describe("--allow-run", () => {
  it.skipIf(!FULL)("a granted command runs (inside the sandbox); another is a permission denial naming the flag", async () => {
    const ok = await stui(["run", daily("run.ts"), "--allow-run=sh", "--", "sh", "-c", "echo from sh"], { env });
    expect(hostNotes(ok.stderr)).toBe("");
    expect(ok.stdout.trim()).toBe("OUT from sh");
    const refused = await stui(["run", daily("run.ts"), "--allow-run=sh", "--", "ls", "/"], { env });
    expect(refused.code).toBe(EXIT.permissionDenied);
    expect(refused.stderr).toContain("permission denied: ls is not among the granted commands (sh): run again with --allow-run=sh,ls");
  });

  it("without the grant: a permission denial naming the command", async () => {
    const r = await stui(["run", daily("run.ts"), "--", "ls", "/"], { env });
    expect(r.code).toBe(EXIT.permissionDenied);
    expect(r.stderr).toContain("starting a process (ls) needs a run grant: run again with --allow-run=ls");
  });

  it("below full isolation it is refused before anything runs (exit 2)", async () => {
    const r = await stui(["run", daily("run.ts"), "--allow-run=sh", "--", "sh", "-c", "echo x"], { env: { ...env, STUI_ISOLATION: "permission-model" } });
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain('--allow-run needs full isolation (bubblewrap): at level "none"');
  });
});
