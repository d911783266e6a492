// Attacks on the host through its channel with the script (fd 3), observed from outside: the
// host survives and ends the child, its exit code is 1 (never a forged 3 or 4), no handle can
// be passed, and a session another run opened is neither used nor closed (the server never
// sees the call).
//
//   hostile script ──fd 3: garbage / 4 GiB header / forged verdict──▶ host (must stay up)

import path from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT } from "../../packages/plugins/src/exit-codes.js";
import { NONE, nameList, netRules, runLayout } from "../../packages/plugins/src/os-grants.js";
import { fakeServer } from "../../packages/plugins/test/fake-connection.js";
import { FULL, at, hostile, results, runHostile, tempDir } from "./harness.js";

describe("the host survives its child", () => {
  it(at("bytes that are not a frame end the child, not the host; the host then runs the next script"), async () => {
    const r = await runHostile(hostile("channel-raw-bytes.ts"));
    expect(r.summary.exitCode).toBe(EXIT.scriptError);
    expect(r.stdout).not.toContain("STILL RUNNING");
    expect(r.log.join("\n")).toMatch(/broke its channel to the host and was ended: a frame is not valid JSON/);
    const next = await runHostile(hostile("channel-handles.ts"), { allow: ["read"] });
    expect(results(next.stdout).ping).toMatch(/^OPEN/);
  });

  it(at("a frame announcing 4 GiB ends the child at once (nothing is buffered)"), async () => {
    const r = await runHostile(hostile("channel-oversize.ts"));
    expect(r.summary.exitCode).toBe(EXIT.scriptError);
    expect(r.stdout).not.toContain("STILL RUNNING");
    expect(r.log.join("\n")).toMatch(/a frame of 4294967295 bytes is over the channel's limit/);
  });

  it(at("no handle can be passed: there is no Node IPC channel in the child, and the host still answers"), async () => {
    const r = await runHostile(hostile("channel-handles.ts"), { allow: ["read"] });
    const seen = results(r.stdout);
    expect(seen["process.send"]).toBe("NO_IPC");
    expect(seen["process.channel"]).toBe("NO_IPC");
    expect(seen.ping).toMatch(/^OPEN/);
    expect(r.summary.exitCode).toBe(EXIT.ok);
    expect(r.server.calls.map((c) => c.method)).toEqual(["ping", "ping"]);
  });
});

describe("exit codes 3 and 4 come from what the host saw", () => {
  it(at("a forged permission refusal exits 1, not 3"), async () => {
    const r = await runHostile(hostile("channel-forged.ts"), { args: ["permissionDenied"] });
    expect(r.summary.denied).toEqual([]);
    expect(r.summary.exitCode).toBe(EXIT.scriptError);
  });

  it(at("a forged refusal of the sandbox's own layers exits 1 when the grants contradict it (a granted folder, a destination the proxy never refused, a granted command)"), async () => {
    const dir = tempDir();
    const write = await runHostile(hostile("channel-forged.ts"), { args: ["write", path.join(dir, "out.txt")], fsWrite: [dir] });
    expect(write.summary.exitCode).toBe(EXIT.scriptError);
    const net = await runHostile(hostile("channel-forged.ts"), { args: ["net", "example.com:443"], net: netRules(nameList(["example.com:443"]), NONE) });
    expect(net.summary.exitCode).toBe(EXIT.scriptError);
    expect(net.summary.denied).toEqual([]);
    if (FULL) {
      const run = await runHostile(hostile("channel-forged.ts"), { args: ["run", "sh"], run: runLayout(nameList(["sh"]), NONE) });
      expect(run.summary.exitCode).toBe(EXIT.scriptError);
    }
  });

  it(at("a forged unreachable server exits 1, not 4"), async () => {
    const r = await runHostile(hostile("channel-forged.ts"), { args: ["ECONNECTION"] });
    expect(r.summary.exitCode).toBe(EXIT.scriptError);
  });
});

describe("sessions", () => {
  it(at("a script can neither use nor close a session it did not open; the server never sees those calls"), async () => {
    const server = fakeServer();
    server.open.add("s-victim");
    const r = await runHostile(hostile("session-steal.ts"), { args: ["s-victim"], allow: ["read", "eval"], server });
    const seen = results(r.stdout);
    expect(seen).toEqual({ evaluate: "EREMOTE", restore: "EREMOTE", close: "EREMOTE" });
    expect(server.open.has("s-victim")).toBe(true);
    expect(server.calls.filter((c) => (c.params as { sessionId?: string } | undefined)?.sessionId === "s-victim")).toEqual([]);
  });
});
