// Red team finding 5: each run's private folder (its verified bundle) was in $TMPDIR, where a
// concurrent script granted that folder could replace another run's bundle before it started,
// and so call the server with that run's grants. Now it is under the STUI home, which no grant
// may overlap. Attack: the red team's watcher, granted read+write on the TMPDIR of the runs it
// hunts; observed from outside: the server's evaluate count, the victims' output.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { startTestServer, type TestServer } from "@stui/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STUI_BIN, stui } from "../../packages/plugins/test/cli-helpers.js";
import { runFolderPrefix } from "../../packages/plugins/src/run-folders.js";
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

// Red team 2, finding 9: the folders of hosts killed by SIGKILL (which no host can catch)
// accumulated in $STUI_HOME/runs. Observed from outside: the folders on disk.
describe("run folders of dead hosts", () => {
  it(at("a SIGKILLed host's run folder is swept by the next run; a live host's and another machine's are kept"), async () => {
    const home = tempDir("stui-sec-home-");
    const runs = path.join(home, "runs");
    const env = { ...process.env, STUI_HOME: home };
    const host = spawn(process.execPath, [STUI_BIN, "run", hostile("hang.ts")], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    host.stdout.on("data", (c: Buffer) => (out += c.toString()));
    const closed = new Promise((r) => host.on("close", r));
    await until(() => out.includes("HANGING"), "the script to start", 30_000);
    const left = readdirSync(runs);
    expect(left).toHaveLength(1);
    expect(left[0]!.startsWith(runFolderPrefix(host.pid))).toBe(true);
    host.kill("SIGKILL");
    await closed;
    expect(readdirSync(runs)).toEqual(left); // control: the killed host could not remove it
    // Kept: a folder of a live host of this machine (this test's own pid) and one of another machine.
    const live = path.join(runs, `${runFolderPrefix()}abcdef`);
    const foreign = path.join(runs, `stui-run-another-machine-${host.pid}-abcdef`);
    for (const d of [live, foreign]) mkdirSync(d);
    const next = await stui(["run", hostile("hang.ts"), "--timeout", "1s"], { env: { STUI_HOME: home } });
    expect(next.stdout).toContain("HANGING");
    expect(existsSync(path.join(runs, left[0]!))).toBe(false);
    expect(readdirSync(runs).sort()).toEqual([path.basename(foreign), path.basename(live)].sort());
  }, 60_000);
});
