// Red team finding 15: a unix socket inside a grant (a STUI server's ipc:// endpoint, docker.sock,
// an ssh agent) was reachable from the sandbox with the inner layers off: namespaces do not
// separate filesystem sockets bound in with their folder. Observed from outside: the server's
// request count must not move. The server here runs without authentication, so the sandbox is
// the only boundary; the control shows the same script does reach it without isolation.

import path from "node:path";
import { startTestServer, type TestServer } from "@stui/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { ISOLATION_PREFERENCES, detectIsolation, type IsolationPreference } from "../../packages/plugins/src/isolation.js";
import { seccompFilter } from "../../packages/plugins/src/seccomp.js";
import { OS_ALONE, hostile, results, runHostile, tempDir } from "./harness.js";

const LEVELS = (ISOLATION_PREFERENCES.filter((p) => p !== "auto") as IsolationPreference[]).flatMap((preference) => {
  try {
    return [{ preference, level: detectIsolation(preference).level }];
  } catch {
    return []; // not available here
  }
});
const FULL_HERE = LEVELS.find((l) => l.level === "full");
const NO_LATE_CASE = !FULL_HERE ? "bubblewrap is not available here" : seccompFilter() === undefined ? `no seccomp filter for ${process.arch}` : undefined;

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serverIn(dir: string): Promise<{ server: TestServer; socket: string }> {
  const socket = path.join(dir, "stui.sock");
  server = await startTestServer({ endpoint: `ipc://${socket}`, authentication: "none" });
  return { server, socket };
}

describe("unix sockets inside a grant", () => {
  const cases = LEVELS.flatMap(({ preference, level }) => [
    { preference, level, config: "every layer on", testLayers: undefined },
    ...(level === "full" ? [{ preference, level, config: "OS layer alone", testLayers: OS_ALONE }] : []),
  ]);
  it.each(cases)("[isolation: $level ($preference), $config] a grant holding a server's ipc:// socket is refused before anything runs", async ({ preference, testLayers }) => {
    const dir = tempDir("stui-sec-ipc-");
    const { server, socket } = await serverIn(dir);
    for (const grant of [{ fsRead: [dir] }, { fsWrite: [dir] }]) {
      await expect(runHostile(hostile("raw-zmtp.ts"), { isolation: preference, ...grant, args: [socket, "1"], testLayers })).rejects.toThrow(`${socket} is a unix socket`);
    }
    expect(server.requestCount).toBe(0);
  });

  it.skipIf(NO_LATE_CASE !== undefined)(`[isolation: full, OS layer alone] a socket that appears in a grant after the start is not reachable either (seccomp)${NO_LATE_CASE ? ` (skipped: ${NO_LATE_CASE})` : ""}`, async () => {
    const dir = tempDir("stui-sec-ipc-");
    let started: Promise<unknown> | undefined;
    const r = await runHostile(hostile("late-socket.ts"), {
      isolation: "bubblewrap",
      fsRead: [dir],
      args: [path.join(dir, "stui.sock"), "1"],
      testLayers: OS_ALONE,
      onStdout: (text) => {
        if (text.includes("WAITING")) started ??= serverIn(dir);
      },
    });
    await started;
    expect(r.summary.isolation?.level).toBe("full");
    expect(results(r.stdout).zmtp).toBe("EPERM");
    expect(server!.requestCount).toBe(0);
  });

  it("control: with no isolation and no inner layers, the same late socket is reached (the attack is real)", async () => {
    const dir = tempDir("stui-sec-ipc-");
    let started: Promise<unknown> | undefined;
    const r = await runHostile(hostile("late-socket.ts"), {
      isolation: "permission-model",
      fsRead: [dir],
      args: [path.join(dir, "stui.sock"), "1"],
      testLayers: OS_ALONE,
      onStdout: (text) => {
        if (text.includes("WAITING")) started ??= serverIn(dir);
      },
    });
    await started;
    expect(results(r.stdout).zmtp).toMatch(/^OPEN server answered/);
    expect(server!.requestCount).toBeGreaterThan(0);
  });
});
