// The `stui` command as a user runs it: watch, unreachable server,
// the REPL through piped stdin and through a pseudo-terminal, the permission prompt.

import { readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import path from "node:path";
import { authorizeClient, readKeyPair, trustServer } from "@stui/client/keys";
import { startTestServer, type TestServer } from "@stui/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../src/exit-codes.js";
import { HAS_SCRIPT, STUI_BIN, freePort, interactive, pty, stui } from "./cli-helpers.js";
import { tempDir } from "./helpers.js";
import { handlers } from "@stui/testkit/examples/scripted-handlers";

let server: TestServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  // The server authorizes the client key of the STUI home the `stui` child uses (created on first use).
  const home = tempDir("stui-home-");
  server = await startTestServer({ endpoint: "tcp://127.0.0.1:*", handlers, home });
  env = { STUI_ENDPOINT: server.endpoint, STUI_HOME: home };
});
afterAll(async () => {
  server.assertNoViolations();
  await server.close();
});

describe("stui run --watch", () => {
  it("runs the script again when it changes; Ctrl-C (SIGINT) stops it with exit 130", async () => {
    const dir = tempDir();
    const script = path.join(dir, "watched.ts");
    writeFileSync(script, `console.log("version 1");\n`);
    const run = interactive(process.execPath, [STUI_BIN, "run", "--watch", script], { env });
    await run.expect(/version 1/);
    await run.expect(/watching 1 file for changes/);
    writeFileSync(script, `console.log("version 2");\n`);
    await run.expect(/version 2/);
    await run.expect(/watching 1 file for changes/);
    run.kill("SIGINT");
    expect(await run.done).toBe(EXIT.interrupted);
  });
});

describe("server unreachable", () => {
  /** A TCP listener that accepts and says nothing (not a STUI server): only the ping's limit can end a wait on it. */
  async function silentListener(): Promise<{ endpoint: string; close(): Promise<void> }> {
    const sockets = new Set<Socket>();
    const listener = createServer((s) => void sockets.add(s));
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    return {
      endpoint: `tcp://127.0.0.1:${(listener.address() as { port: number }).port}`,
      close: () => new Promise((resolve) => (sockets.forEach((s) => s.destroy()), listener.close(() => resolve()))),
    };
  }

  it("stui run exits 4 at once when the connection is refused, and says where it looked", async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const r = await stui(["run", "examples/hello.ts", "--allow-all", "--endpoint", endpoint], { env: { ...env, STUI_CONNECT_TIMEOUT_MS: "600000" } });
    expect(r.code).toBe(EXIT.unreachable);
    expect(r.stderr).toContain(`connection refused: nothing listens at ${endpoint}`);
    expect(r.stderr).toContain(`is a STUI server running at ${endpoint}?`);
    expect(r.stderr).not.toContain("failed on authentication");
  });

  it("stui run exits 4 when something listens but no ping answer comes within STUI_CONNECT_TIMEOUT_MS", async () => {
    const silent = await silentListener();
    try {
      const r = await stui(["run", "examples/hello.ts", "--allow-all", "--endpoint", silent.endpoint], { env: { ...env, STUI_CONNECT_TIMEOUT_MS: "500" } });
      expect(r.code).toBe(EXIT.unreachable);
      expect(r.stderr).toContain("no answer to ping within 500 ms");
    } finally {
      await silent.close();
    }
  });

  it("stui run with a key the server does not authorize exits 4 and reads as a key problem, not a missing server", async () => {
    //   stui (a home the server does not know) ──CURVE──▶ server: ZAP 400 / wrong server key ──▶ nothing
    const stranger = tempDir("stui-home-stranger-");
    const calls = server.calls.length;
    const r = await stui(["run", "examples/hello.ts", "--allow-all"], { env: { ...env, STUI_HOME: stranger, STUI_CONNECT_TIMEOUT_MS: "3000" } });
    expect(r.code).toBe(EXIT.unreachable);
    expect(r.stderr).toMatch(/stui: server unreachable: ping: no answer from .*CURVE handshake failed/);
    expect(r.stderr).toContain(`stui: the connection to ${server.endpoint} failed on authentication: a key problem, not a missing server`);
    expect(r.stderr).not.toContain("is a STUI server running");
    expect(server.calls.length).toBe(calls);
    const json = await stui(["run", "examples/hello.ts", "--allow-all", "--json"], { env: { ...env, STUI_HOME: stranger, STUI_CONNECT_TIMEOUT_MS: "3000" } });
    expect(JSON.parse(json.stdout)).toMatchObject({ status: "unreachable", exitCode: EXIT.unreachable, error: { code: "ECONNECTION", authentication: true } });
  });

  it("stui repl with a key the server does not authorize exits 4 and says it is a key problem", async () => {
    const r = await stui(["repl"], { env: { ...env, STUI_HOME: tempDir("stui-home-stranger-"), STUI_CONNECT_TIMEOUT_MS: "3000" }, input: "3 + 4\n" });
    expect(r.code).toBe(EXIT.unreachable);
    expect(r.stderr).toContain(`stui: the connection to ${server.endpoint} failed on authentication (a key problem, not a missing server)`);
  });

  it("stui repl exits 4", async () => {
    const endpoint = `tcp://127.0.0.1:${await freePort()}`;
    const r = await stui(["repl", "--endpoint", endpoint], { env: { ...env, STUI_CONNECT_TIMEOUT_MS: "600000" }, input: "3 + 4\n" });
    expect(r.code).toBe(EXIT.unreachable);
    expect(r.stderr).toContain(`server unreachable at ${endpoint}: connection refused`);
  });
});

describe("stui repl, piped stdin", () => {
  it("evaluates entries, keeps variables, runs :commands, shows errors with line and column", async () => {
    const input = [
      "3 + 4",
      "total := 3 + 4",
      "1/0",
      ":inspect 3 @ 4",
      ":browse Point",
      ":method Point>>x",
      ":vars",
      ":help",
      // An unfinished entry at the end of input is sent as it is.
      "1 to: 3 do: [:i | i printString",
    ].join("\n");
    const r = await stui(["repl"], { env, input });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(EXIT.ok);
    const out = r.stdout;
    expect(out).toContain('7  "SmallInteger"');
    expect(out).toContain("ZeroDivide: ZeroDivide (scripted) (line 1)");
    expect(out).toContain('(3@4)  "Point"  (handle h1, identityHash 4242)');
    expect(out).toContain('  x: 3  "SmallInteger"');
    expect(out).toContain("Object subclass: #Point");
    expect(out).toContain("Point>>x  [accessing]");
    expect(out).toContain('total := 7  "SmallInteger"');
    expect(out).toContain(":inspect <expr>");
    expect(out).toContain("Syntax error at line 1, column 31: ']' expected (scripted)");
    expect(out).toContain("  1 to: 3 do: [:i | i printString\n" + " ".repeat(32) + "^");
    expect(server.sessions.list()).toHaveLength(0);
  });

  it("an empty line sends an unfinished entry, and the lines after it are read as new entries", async () => {
    const r = await stui(["repl"], { env, input: ["1 to: 3 do: [:i | i printString", "", "3 + 4", ":quit", "3 + 4"].join("\n") });
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain("Syntax error at line 1, column 31: ']' expected (scripted)");
    // 3 + 4 answered once: the entry before :quit, not the one after it.
    expect(r.stdout.split('7  "SmallInteger"')).toHaveLength(2);
  });

  it("multi-line entries are joined: an open bracket continues on the next line", async () => {
    // The scripted double knows no multi-line code; the error it answers quotes the
    // code it received, which shows the two lines arrived as one entry.
    const r = await stui(["repl", "--json"], { env, input: "#(1 2\n3)\n" });
    expect(r.code).toBe(EXIT.ok);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { input: string; ok: boolean; error?: { message: string } });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.input).toBe("#(1 2\n3)");
    expect(lines[0]?.error?.message).toContain('"#(1 2\\n3)"');
  });
});

describe.skipIf(!HAS_SCRIPT)("in a pseudo-terminal (util-linux script)", () => {
  it("the REPL prompts, prints results, saves history, and recalls it next time", async () => {
    const home = tempDir("stui-home-");
    // A home of its own (fresh history), set up as another machine's: the server's key trusted, its client key authorized.
    trustServer(server.endpoint, readKeyPair(env.STUI_HOME!, "server").publicKey, home);
    authorizeClient(readKeyPair(home, "client").publicKey, "repl history test", env.STUI_HOME!);
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(STUI_BIN)} repl`;
    const first = pty(command, { env: { ...env, STUI_HOME: home } });
    await first.expect(/st> /);
    first.send("3 + 4\r");
    await first.expect(/7 {2}"SmallInteger"/);
    await first.expect(/st> /);
    first.send(":quit\r");
    expect(await first.done).toBe(0);
    expect(readFileSync(path.join(home, "repl_history"), "utf8")).toContain("3 + 4");
    // Readable by no one else (red team finding 20: it was 0644 in a 0755 home).
    expect(statSync(path.join(home, "repl_history")).mode & 0o777).toBe(0o600);
    expect(statSync(home).mode & 0o077).toBe(0);

    const second = pty(command, { env: { ...env, STUI_HOME: home } });
    await second.expect(/st> /);
    second.send("\x1b[A\x1b[A\r"); // arrow up twice: past ":quit" to "3 + 4"
    await second.expect(/7 {2}"SmallInteger"/);
    second.send(":quit\r");
    expect(await second.done).toBe(0);
  });

  it("a missing grant asks once; 'a' (always) lets the script finish", async () => {
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(STUI_BIN)} run examples/hello.ts --allow-read`;
    const run = pty(command, { env });
    await run.expect(/needs the "eval" permission[\s\S]*Allow\?.*\[y\/n\/a\] /);
    run.send("a\r");
    await run.expect(/total \* 2 = 14/);
    expect(await run.done).toBe(EXIT.ok);
    expect(run.output.match(/Allow\?/g)).toHaveLength(1);
  });

  it("Ctrl-D at the question refuses (exit 3) without crashing the host; the script's session is closed", async () => {
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(STUI_BIN)} run examples/hello.ts --allow-read`;
    const run = pty(command, { env });
    await run.expect(/Allow\?.*\[y\/n\/a\] /);
    expect(server.sessions.list()).toHaveLength(1);
    run.send("\x04");
    expect(await run.done).toBe(EXIT.permissionDenied);
    expect(run.output).toContain("(no answer: refused)");
    expect(run.output).toContain('evaluate needs the "eval" permission');
    expect(run.output).not.toMatch(/AbortError|Aborted with Ctrl\+D/);
    expect(server.sessions.list()).toHaveLength(0);
  });

  it("Ctrl-C at the question interrupts the run (exit 130); the script's session is closed", async () => {
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(STUI_BIN)} run examples/hello.ts --allow-read`;
    const run = pty(command, { env });
    await run.expect(/Allow\?.*\[y\/n\/a\] /);
    run.send("\x03");
    expect(await run.done).toBe(EXIT.interrupted);
    expect(run.output).not.toMatch(/AbortError/);
    expect(server.sessions.list()).toHaveLength(0);
  });

  it("answering 'n' refuses: exit 3", async () => {
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(STUI_BIN)} run examples/hello.ts --allow-read`;
    const run = pty(command, { env });
    await run.expect(/Allow\?.*\[y\/n\/a\] /);
    run.send("n\r");
    expect(await run.done).toBe(EXIT.permissionDenied);
  });
});
