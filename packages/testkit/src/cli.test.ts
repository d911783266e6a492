/**
 * The stui-test-server CLI, run as a child process through its bin shim:
 *
 *   test ──spawn──▶ node bin/stui-test-server.js --endpoint tcp://127.0.0.1:* …
 *        ◀─stdout── "stui-test-server listening on tcp://127.0.0.1:<port> …"
 *   test ──DEALER──▶ server ◀─SIGTERM/SIGINT── test ──▶ exit code 0
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { ClientPool, envelope, expectError, expectResult } from "../../../test/helpers/index.js";
import { COMMAND_NAMES } from "@stui/client/protocol";
import { HELP, main } from "./cli.js";

const BIN = fileURLToPath(new URL("../bin/stui-test-server.js", import.meta.url));
const EXAMPLE = fileURLToPath(new URL("../examples/scripted-handlers.ts", import.meta.url));

const children: ChildProcessWithoutNullStreams[] = [];
const clients = new ClientPool();

afterEach(() => {
  clients.closeAll();
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function start(args: string[]): { child: ChildProcessWithoutNullStreams; output: { stdout: string; stderr: string }; exited: Promise<Run> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: "pipe" });
  children.push(child);
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<Run>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, ...output })));
  return { child, output, exited };
}

/** Waits for the "listening on" line (bounded by the test timeout) and answers the endpoint. */
async function listening(run: ReturnType<typeof start>): Promise<string> {
  for (;;) {
    const match = /listening on (\S+)/.exec(run.output.stdout);
    if (match) return match[1]!;
    const exited = await Promise.race([run.exited, new Promise<null>((r) => setTimeout(() => r(null), 50))]);
    if (exited) throw new Error(`stui-test-server exited early (${exited.code}): ${exited.stderr}`);
  }
}

describe("stui-test-server", () => {
  it("--help tells the truth: no Smalltalk image, what is real, the options", async () => {
    const run = await start(["--help"]).exited;
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(HELP);
    expect(run.stdout).toContain("It is NOT a Smalltalk image");
    expect(run.stdout.replace(/\s+/g, " ")).toContain('answers internalError "no Smalltalk image');
    // The commands it says need a handler are exactly the schema's Smalltalk commands (1.2's too).
    const listed = /Every Smalltalk command\s+\(([^)]*)\)/.exec(run.stdout)?.[1]?.split(/,\s+/);
    expect(listed).toEqual(COMMAND_NAMES.filter((m) => m !== "ping" && !m.startsWith("session.") && m !== "evaluate.cancel"));
    expect(listed).toContain("tests.run");
    for (const option of ["--endpoint", "--handlers", "--name", "--no-auth", "--help"]) expect(run.stdout).toContain(option);
    expect(run.stdout).toContain("authorized_keys");
    expect(run.stdout).toContain("default tcp://127.0.0.1:5555");
  });

  it("rejects an unknown option with exit code 2 and the help", async () => {
    const run = await start(["--bogus"]).exited;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Unknown option '--bogus'");
    expect(run.stderr).toContain("Usage: stui-test-server");
  });

  it("rejects a handlers module that is not one, with exit code 2", async () => {
    const run = await start(["--handlers", fileURLToPath(new URL("./wire.ts", import.meta.url))]).exited; // no default export
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("no default export of handlers");
  });

  it("serves on the endpoint it prints, with scripted handlers, and stops on SIGTERM", async () => {
    const run = start(["--endpoint", "tcp://127.0.0.1:*", "--handlers", EXAMPLE, "--name", "cli-test"]);
    const endpoint = await listening(run);
    expect(endpoint).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    const client = clients.open(endpoint);
    const ping = expectResult(await client.request(envelope("ping")), "ping");
    expect(ping.server).toEqual({ name: "cli-test", version: "0.1.0", implementation: "typescript-testkit" });
    expect(expectResult(await client.request(envelope("evaluate", { code: "3 + 4" })), "evaluate").value.printString).toBe("7");
    expect(expectError(await client.request(envelope("evaluate", { code: "Object new" })), "internalError").detail).toContain("scripted test double: no script");
    expect(expectError(await client.request(envelope("class.browse", { className: "Object" })), "classNotFound").className).toBe("Object");

    run.child.kill("SIGTERM");
    const exit = await run.exited;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain("stopped (SIGTERM)");
  });

  it("stops cleanly on SIGINT too", async () => {
    const run = start(["--endpoint", "tcp://127.0.0.1:*"]);
    await listening(run);
    run.child.kill("SIGINT");
    const exit = await run.exited;
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain("stopped (SIGINT)");
  });

  it("says it authenticates with the STUI home's keys, and a client without keys gets nothing", async () => {
    const run = start(["--endpoint", "tcp://127.0.0.1:*"]);
    const endpoint = await listening(run);
    expect(run.output.stdout).toContain(`authentication: CURVE, authorized_keys in ${process.env["STUI_HOME"]}`);
    expectResult(await clients.open(endpoint).request(envelope("ping")), "ping");
    const keyless = clients.open(endpoint, "dealer", { curve: false, receiveTimeoutMs: 300 });
    await expect(keyless.request(envelope("ping"))).rejects.toMatchObject({ code: "EAGAIN" });
  });

  it("--no-auth serves keyless clients on loopback, warning on stderr", async () => {
    const run = start(["--endpoint", "tcp://127.0.0.1:*", "--no-auth"]);
    const endpoint = await listening(run);
    expect(run.output.stdout).toContain("authentication: NONE");
    // stderr is another pipe: its line may arrive after stdout's.
    await expect.poll(() => run.output.stderr).toContain("WARNING: no authentication (--no-auth): every local user can drive this server");
    expectResult(await clients.open(endpoint, "dealer", { curve: false }).request(envelope("ping")), "ping");
  });

  it("--no-auth is refused beyond loopback (exit 1)", async () => {
    const run = await start(["--endpoint", "tcp://0.0.0.0:*", "--no-auth"]).exited;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("refusing to bind tcp://0.0.0.0:* without authentication");
  });

  it("main() answers 1 when it cannot bind", async () => {
    const errors: string[] = [];
    const code = await main(["--endpoint", "tcp://256.0.0.1:1"], { out: () => {}, err: (text) => errors.push(text) });
    expect(code).toBe(1);
    expect(errors.join("")).toContain("could not start");
  });
});
