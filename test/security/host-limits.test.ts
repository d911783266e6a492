// The host's own limits, attacked by a script with no grants (red team findings 3, 4, 8, 9):
// nothing a script sends may crash the host, grow its memory without bound, pass for the
// host's own observation (exit 4), or keep the command past --timeout. Observed from outside:
// the exit code and --json summary of the real `stui` command, the host's RSS in /proc, the
// server's own session list, the run folders left on disk.

import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { connect } from "@stui/client";
import { startTestServer, type TestServer } from "@stui/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../packages/plugins/src/exit-codes.js";
import { MAX_DENIALS_KEPT } from "../../packages/plugins/src/broker.js";
import { STUI_BIN, stui } from "../../packages/plugins/test/cli-helpers.js";
import { at, hostile, tempDir } from "./harness.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ endpoint: "tcp://127.0.0.1:*" });
});
afterAll(() => server.close());

/** Every stui-run-* folder under `dirs` (the places a run's private folder may be). */
const runFolders = (...dirs: string[]): string[] => dirs.flatMap((d) => (existsSync(d) ? readdirSync(d).filter((n) => n.startsWith("stui-run-")) : []));

describe("an answer too big for the channel (finding 3)", () => {
  it(at("a 6.5 MiB method name gets an error answer; the host ends normally, closes the script's session and leaves no run folder"), async () => {
    const tmp = tempDir("stui-sec-tmp-");
    const home = process.env.STUI_HOME!;
    const r = await stui(["run", hostile("echo-too-big.ts"), "--allow-read", "--json", "--", "session"], { env: { STUI_ENDPOINT: server.endpoint, TMPDIR: tmp } });
    expect(r.stderr).not.toMatch(/ChannelError|Node\.js v|at .*sandbox-process/);
    expect(r.stderr).toContain("answered: EVALIDATION");
    expect(r.stderr).toMatch(/validation: E\w+ \d+ characters/);
    const summary = JSON.parse(r.stdout) as { status: string; sessionsOpened: number; sessionsClosedByHost: number };
    expect(r.code).toBe(EXIT.ok);
    expect(summary).toMatchObject({ status: "ok", sessionsOpened: 1, sessionsClosedByHost: 1 });
    // Seen by an independent client: no session of that run is left on the server.
    const client = await connect({ endpoint: server.endpoint });
    try {
      const listed = (await client.call("session.list", {})) as { sessions: { clientName: string }[] };
      expect(listed.sessions.filter((s) => s.clientName.includes("echo-too-big"))).toEqual([]);
    } finally {
      await client.close();
    }
    expect(runFolders(tmp, path.join(home, "runs"))).toEqual([]);
  });
});

/** VmRSS of a process, in MiB. */
const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

describe("a script that floods requests and never reads its answers (finding 4)", () => {
  it.runIf(process.platform === "linux")(at("the host's memory stays bounded, and only the first refusals are kept"), async () => {
    const run = (kind: string) =>
      new Promise<{ peakGrowth: number; stdout: string; stderr: string; code: number | null }>((resolve) => {
        const host = spawn(process.execPath, [STUI_BIN, "run", hostile("flood.ts"), "--json", "--", kind, "6"], { env: { ...process.env, STUI_ENDPOINT: server.endpoint }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        let base = 0;
        let peak = 0;
        host.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
        host.stderr.on("data", (c: Buffer) => {
          stderr += c.toString();
          if (!base && stderr.includes("FLOODING")) base = rssMiB(host.pid!);
        });
        const sampler = setInterval(() => {
          if (base) peak = Math.max(peak, rssMiB(host.pid!));
        }, 250);
        host.on("close", (code) => {
          clearInterval(sampler);
          resolve({ peakGrowth: peak - base, stdout, stderr, code });
        });
      });
    const has = await run("has");
    // Unbounded, the host grew ~25 MB/s here (150 MB in these 6 s); bounded, by its queue limit (1 MiB of answers) and a little more.
    expect(has.stderr).toContain("done: blocked");
    expect(has.peakGrowth).toBeLessThan(64);
    const denied = await run("denied");
    expect(denied.peakGrowth).toBeLessThan(64);
    const summary = JSON.parse(denied.stdout) as { denied: unknown[]; deniedOmitted?: number; calls: number };
    expect(summary.denied.length).toBeLessThanOrEqual(MAX_DENIALS_KEPT);
    expect(summary.deniedOmitted).toBeGreaterThan(0);
    expect(summary.denied.length + (summary.deniedOmitted ?? 0)).toBe(summary.calls);
    expect(denied.stdout.length).toBeLessThan(100_000);
  }, 60_000);
});

describe("per-call time limits chosen by the script (finding 8)", () => {
  it(at("1 ms, 0.5 ms and 1e308 limits never make a healthy server 'unreachable' (exit 4); the server still answers"), async () => {
    const r = await stui(["run", hostile("tiny-timeouts.ts"), "--allow-read", "--json"], { env: { STUI_ENDPOINT: server.endpoint } });
    expect(r.stderr).not.toMatch(/TimeoutOverflowWarning|Timeout duration was set/);
    expect(r.stderr).toMatch(/codes: \{/);
    expect(r.code).not.toBe(EXIT.unreachable);
    expect((JSON.parse(r.stdout) as { status: string }).status).not.toBe("unreachable");
    const client = await connect({ endpoint: server.endpoint });
    try {
      await expect(client.call("ping", {})).resolves.toMatchObject({ status: "running" });
    } finally {
      await client.close();
    }
  });
});

describe("--timeout while the server never answers (finding 9, the small case)", () => {
  it(at("the command ends at --timeout, not after the first ping's own limit, and durationMs says so"), async () => {
    // A TCP listener that accepts and never speaks ZMTP: the host's first ping waits its 5 s limit.
    const silent = createServer((socket) => socket.on("error", () => undefined));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const started = performance.now();
      const r = await stui(["run", hostile("hang.ts"), "--timeout", "1s", "--json"], { env: { STUI_ENDPOINT: `tcp://127.0.0.1:${port}`, STUI_CONNECT_TIMEOUT_MS: "5000" } });
      const wall = performance.now() - started;
      expect(r.code).toBe(EXIT.timeout);
      const summary = JSON.parse(r.stdout) as { durationMs: number };
      expect(summary.durationMs).toBeGreaterThanOrEqual(1000);
      expect(summary.durationMs).toBeLessThan(wall);
      // Node's own start-up is in the wall time; the ping's 5 s limit must not be.
      expect(wall).toBeLessThan(4500);
    } finally {
      silent.close();
    }
  });
});
