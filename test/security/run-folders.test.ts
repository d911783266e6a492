// Red team finding 5: each run's private folder (its verified bundle) was in $TMPDIR, where a
// concurrent script granted that folder could replace another run's bundle before it started,
// and so call the server with that run's grants. Now it is under the STUI home, which no grant
// may overlap. Attack: the red team's watcher, granted read+write on the TMPDIR of the runs it
// hunts; observed from outside: the server's evaluate count, the victims' output.

import { spawn } from "node:child_process";
import path from "node:path";
import { startTestServer, type TestServer } from "@stui/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STUI_BIN, stui } from "../../packages/plugins/test/cli-helpers.js";
import { at, hostile, tempDir, until } from "./harness.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ endpoint: "tcp://127.0.0.1:*", handlers: { evaluate: async () => ({ value: { printString: "7", className: "SmallInteger", truncated: false }, durationMs: 0 }) } });
});
afterAll(() => server.close());

describe("another run's private folder (finding 5)", () => {
  it(at("a script granted read+write on TMPDIR cannot replace a concurrent run's bundle"), async () => {
    const tmp = tempDir("stui-sec-tmpdir-");
    const env = { ...process.env, STUI_ENDPOINT: server.endpoint, TMPDIR: tmp };
    const hunter = spawn(process.execPath, [STUI_BIN, "run", hostile("run-hijack.ts"), `--allow-fs-read=${tmp}`, `--allow-fs-write=${tmp}`, "--timeout", "30s", "--", tmp, "12"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let hunted = "";
    hunter.stdout.on("data", (c: Buffer) => (hunted += c.toString()));
    const ended = new Promise((r) => hunter.on("close", r));
    await until(() => hunted.includes("WATCHING"), "the watcher to start", 15_000);
    const benign = path.join(tempDir(), "benign.ts");
    await import("node:fs").then((fs) => fs.writeFileSync(benign, 'console.log("benign script: nothing but a print");\n'));
    for (let i = 0; i < 4; i++) {
      const r = await stui(["run", benign, "--allow-read", "--allow-eval", "--json"], { env: { STUI_ENDPOINT: server.endpoint, TMPDIR: tmp } });
      expect(r.stderr + r.stdout).not.toContain("HIJACKED");
      expect(r.stderr).toContain("benign script");
      expect((JSON.parse(r.stdout) as { calls: number }).calls).toBe(0);
    }
    hunter.kill("SIGINT");
    await ended;
    expect(hunted).not.toContain("replaced:");
    expect(server.callsOf("evaluate")).toHaveLength(0);
  }, 60_000);
});
