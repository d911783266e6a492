// The host end to end with a real sandboxed child and a fake connection: escape
// attempts, exit codes, timeouts, cleanup of sessions whatever the script does.

import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../src/exit-codes.js";
import { fakeServer } from "./fake-connection.js";
import { FIXTURES, fixture, runWithFake, tempDir } from "./helpers.js";

describe("escape attempts fail", () => {
  it("cannot write a file without --allow-fs-write: a permission denial (3) naming the path and the flag", async () => {
    const target = fixture("escaped.txt");
    const r = await runWithFake(fixture("write-file.ts"), { args: [target] });
    expect(r.summary.exitCode).toBe(EXIT.permissionDenied);
    expect(r.stdout).not.toContain("WROTE");
    expect(r.log.join("\n")).toContain(`permission denied: writing ${target} needs a write grant: run again with --allow-fs-write=${FIXTURES.replace(/\/$/, "")}`);
    expect(r.summary.denied).toEqual([expect.objectContaining({ permission: "fs-write", resource: target })]);
    expect(existsSync(target)).toBe(false);
  });

  it("writes a file under a folder granted with fsWrite, and only there", async () => {
    const dir = tempDir();
    const inside = await runWithFake(fixture("write-file.ts"), { args: [path.join(dir, "out.txt")], fsWrite: [dir] });
    expect(inside.summary.exitCode).toBe(EXIT.ok);
    expect(readFileSync(path.join(dir, "out.txt"), "utf8")).toBe("escaped");
    const outside = await runWithFake(fixture("write-file.ts"), { args: [fixture("escaped.txt")], fsWrite: [dir] });
    expect(outside.summary.exitCode).toBe(EXIT.permissionDenied);
    expect(existsSync(fixture("escaped.txt"))).toBe(false);
  });

  it("cannot spawn a process: a permission denial (3) naming --allow-run", async () => {
    const r = await runWithFake(fixture("spawn-process.ts"));
    expect(r.summary.exitCode).toBe(EXIT.permissionDenied);
    expect(r.stdout).not.toContain("SPAWNED");
    expect(r.log.join("\n")).toContain("starting a process (/bin/echo) needs a run grant: run again with --allow-run=echo");
  });

  it("cannot start a worker", async () => {
    const r = await runWithFake(fixture("worker.ts"));
    expect(r.summary.exitCode).toBe(EXIT.scriptError);
    expect(r.stdout).not.toContain("WORKER");
    expect(r.log.join("\n")).toContain("ERR_ACCESS_DENIED");
  });

  it("cannot import zeromq: refused when bundling", async () => {
    const r = await runWithFake(fixture("import-zeromq.ts"));
    expect(r.summary.status).toBe("buildError");
    expect(r.summary.exitCode).toBe(EXIT.scriptError);
    expect(r.log.join("\n")).toMatch(/import-zeromq\.ts:2:\d+: "zeromq" cannot be used in a stui script/);
  });

  it("cannot load zeromq at run time, by name or by absolute path", async () => {
    const zeromq = path.join(path.dirname(fileURLToPath(import.meta.resolve("zeromq"))), "index.js");
    const r = await runWithFake(fixture("import-zeromq-dynamic.ts"), { args: [zeromq] });
    expect(r.stdout).not.toContain("ZEROMQ-LOADED");
    expect(r.stdout.split("\n").filter((l) => l.includes(": ")).length).toBe(2);
  });

  it("cannot read files outside its folder", async () => {
    const outside = fileURLToPath(new URL("../package.json", import.meta.url));
    const r = await runWithFake(fixture("read-outside.ts"), { args: [outside] });
    expect(r.summary.exitCode).toBe(EXIT.permissionDenied);
    expect(r.stdout).not.toContain("READ");
    expect(r.log.join("\n")).toContain(`reading ${outside} needs a read grant: run again with --allow-fs-read=${path.dirname(outside)}`);
  });

  it("cannot read even its own folder without a grant; can with --allow-fs-read", async () => {
    const refused = await runWithFake(fixture("read-inside.ts"));
    expect(refused.summary.exitCode).toBe(EXIT.permissionDenied);
    expect(refused.stdout).not.toContain("inside-data");
    const granted = await runWithFake(fixture("read-inside.ts"), { fsRead: [FIXTURES] });
    expect(granted.summary.exitCode).toBe(EXIT.ok);
    expect(granted.stdout.trim()).toBe("inside-data");
  });

  describe("network", () => {
    let port = 0;
    let accepted = 0;
    const listener = createServer((socket) => {
      accepted++;
      socket.destroy();
    });
    beforeAll(async () => {
      await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
      port = (listener.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

    it("cannot open sockets, fetch, resolve names, listen, or signal the host", async () => {
      const r = await runWithFake(fixture("network.ts"), { args: [String(port)] });
      expect(r.summary.exitCode).toBe(EXIT.ok);
      const lines = r.stdout.trim().split("\n");
      expect(lines).toHaveLength(7);
      for (const line of lines) expect(line).toMatch(/: ERR_ACCESS_DENIED$/);
      expect(accepted).toBe(0);
    });
  });
});

describe("exit codes and cleanup", () => {
  it("0 when the script succeeds; the session it opened is closed by the host", async () => {
    const r = await runWithFake(fixture("evaluate.ts"), { allow: ["read", "eval"] });
    expect(r.summary.exitCode).toBe(EXIT.ok);
    expect(r.stdout).toContain("ANSWER 7");
    expect(r.summary.sessionsOpened).toBe(1);
    expect(r.summary.sessionsClosedByHost).toBe(1);
    expect(r.server.open.size).toBe(0);
    expect(r.server.closed).toBe(true);
  });

  it("1 when the script throws; its session is still closed", async () => {
    const r = await runWithFake(fixture("throws.ts"), { allow: ["read"] });
    expect(r.summary.exitCode).toBe(EXIT.scriptError);
    expect(r.log.join("\n")).toContain("script failed on purpose");
    expect(r.server.open.size).toBe(0);
    expect(r.server.calls.filter((c) => c.method === "session.close")).toHaveLength(1);
  });

  it("the script's own exit code maps to 1", async () => {
    const r = await runWithFake(fixture("exit-code.ts"));
    expect(r.summary.exitCode).toBe(EXIT.scriptError);
    expect(r.log.join("\n")).toContain("exited with code 7");
  });

  it("0 when the script exits early with a call in flight; the session is closed", async () => {
    const r = await runWithFake(fixture("exits-early.ts"), { allow: ["read", "eval"] });
    expect(r.summary.exitCode).toBe(EXIT.ok);
    expect(r.server.open.size).toBe(0);
  });

  it("124 when the script outlives --timeout; it is killed and its session closed", async () => {
    const r = await runWithFake(fixture("hang.ts"), { allow: ["read"], timeoutMs: 1500 });
    expect(r.stdout).toContain("HANGING");
    expect(r.summary.status).toBe("timeout");
    expect(r.summary.exitCode).toBe(EXIT.timeout);
    expect(r.server.open.size).toBe(0);
    expect(r.summary.sessionsClosedByHost).toBe(1);
  });

  it("130 when aborted (Ctrl-C); the session is closed", async () => {
    const controller = new AbortController();
    const server = fakeServer();
    const running = runWithFake(fixture("hang.ts"), { allow: ["read"], server, signal: controller.signal });
    // Abort once the session exists (bounded wait on a real event: the session.create call).
    for (let i = 0; i < 200 && server.open.size === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(server.open.size).toBe(1);
    controller.abort();
    const r = await running;
    expect(r.summary.exitCode).toBe(EXIT.interrupted);
    expect(server.open.size).toBe(0);
  });

  it("3 when a call is refused and the script does not catch it; the message names the flag", async () => {
    const r = await runWithFake(fixture("evaluate.ts"), { allow: ["read"] });
    expect(r.summary.exitCode).toBe(EXIT.permissionDenied);
    expect(r.log.join("\n")).toContain('evaluate needs the "eval" permission: run again with --allow-eval');
    expect(r.summary.denied).toEqual([{ method: "evaluate", permission: "eval", reason: "not-granted", message: 'permission denied: evaluate needs the "eval" permission: run again with --allow-eval' }]);
    expect(r.server.calls.map((c) => c.method)).not.toContain("evaluate");
    expect(r.server.open.size).toBe(0);
  });

  it("a method the schema does not define is refused by the host and never forwarded, whatever is granted", async () => {
    const r = await runWithFake(fixture("needs.ts"), { allow: ["read", "eval", "write", "system"], args: ["process.kill", "{}"] });
    expect(r.summary.exitCode).toBe(EXIT.scriptError);
    expect(r.log.join("\n")).toContain('unknown method "process.kill"');
    expect(r.server.calls.map((c) => c.method)).not.toContain("process.kill");
  });

  it("a refusal reaches the script as a typed permissionDenied error it can catch", async () => {
    const r = await runWithFake(fixture("catch-denied.ts"));
    expect(r.summary.exitCode).toBe(EXIT.ok);
    expect(r.stdout).toContain('DENIED permissionDenied {"kind":"permissionDenied","method":"evaluate","permission":"eval"}');
    expect(r.stdout).toContain("HAS-EVAL false");
  });

  it("4 when the server is unreachable", async () => {
    const r = await runWithFake(fixture("evaluate.ts"), { allow: ["read", "eval"], server: fakeServer({ unreachable: true }) });
    expect(r.summary.exitCode).toBe(EXIT.unreachable);
    expect(r.summary.status).toBe("unreachable");
  });

  it("1 with file:line:column when the script does not build", async () => {
    const r = await runWithFake(fixture("syntax-error.ts"));
    expect(r.summary.status).toBe("buildError");
    expect(r.summary.exitCode).toBe(EXIT.scriptError);
    expect(r.log.join("\n")).toMatch(/syntax-error\.ts:2:\d+: /);
  });
});

describe("plugins", () => {
  it("a plugin is never granted a class it did not declare, even with --allow-all", async () => {
    const r = await runWithFake(fixture("plugins/reader.ts"), { allow: ["read", "eval", "write", "system"] });
    expect(r.stdout).toContain("PINGED");
    expect(r.stdout).not.toContain("EVALUATED");
    expect(r.summary.exitCode).toBe(EXIT.permissionDenied);
    expect(r.summary.denied).toEqual([{ method: "evaluate", permission: "eval", reason: "undeclared", message: expect.stringContaining('plugin "reader" does not declare') }]);
    expect(r.log.join("\n")).toContain('plugin "reader" does not declare');
  });

  it("an approved declaration grants the declared classes", async () => {
    const questions: string[] = [];
    const r = await runWithFake(fixture("plugins/evaluator.ts"), {
      prompter: {
        ask: () => Promise.reject(new Error("no per-call question expected")),
        confirm: async (q) => (questions.push(q), true),
      },
    });
    expect(questions).toHaveLength(1);
    expect(questions[0]).toContain("read, eval");
    expect(r.summary.exitCode).toBe(EXIT.ok);
    expect(r.stdout).toContain("ANSWER 7");
    expect(r.summary.plugin).toEqual({ name: "evaluator", description: "Evaluates 3 + 4 in a session", permissions: ["read", "eval"] });
  });

  it("a declaration refused at the prompt grants nothing; deny flags beat the approval", async () => {
    const refused = await runWithFake(fixture("plugins/evaluator.ts"), {
      prompter: { ask: async () => "no", confirm: async () => false },
    });
    expect(refused.summary.exitCode).toBe(EXIT.permissionDenied);
    const denied = await runWithFake(fixture("plugins/evaluator.ts"), {
      deny: ["eval"],
      prompter: { ask: async () => "always", confirm: async () => true },
    });
    expect(denied.summary.exitCode).toBe(EXIT.permissionDenied);
    expect(denied.summary.denied[0]).toMatchObject({ permission: "eval", reason: "denied-by-flag" });
  });
});

describe("--json summary fields", () => {
  it("counts calls and lists the bundle's inputs", async () => {
    const r = await runWithFake(fixture("evaluate.ts"), { allow: ["read", "eval"], json: true });
    expect(r.summary.calls).toBe(2);
    expect(r.summary.inputs).toContain(fixture("evaluate.ts"));
    // With json, the script's stdout goes to stderr so stdout stays one JSON document.
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("ANSWER 7");
  });
});
