// Grants of the kernel's own file systems, and grants whose entries vanish while they are checked
// (red team 2, findings 8 and 7), through the real `stui run`, observed from outside: the exit
// code, a message and no stack trace, and the command line of a host process that must not come
// out. The control runs the same script with no isolation and no inner layers: it does read the
// host's command lines (the attack is real).
//
//   stui run proc-cmdlines.ts --allow-fs-read=/proc ─╳ (exit 2)   host process "…marker…"
//   unsandboxed control ─▶ /proc/*/cmdline ─────────────────────────▶ marker seen

import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../packages/plugins/src/exit-codes.js";
import { stui } from "../../packages/plugins/test/cli-helpers.js";
import { OS_ALONE, at, hostile, results, runHostile, tempDir } from "./harness.js";

const marker = `stui-sec-cmdline-${process.pid}-${Math.random().toString(36).slice(2)}`;
let victim: ChildProcess;
const env = { STUI_HOME: tempDir("stui-sec-home-") };

beforeAll(() => {
  victim = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", marker], { stdio: "ignore" });
});
afterAll(() => {
  victim.kill("SIGKILL");
});

describe("grants of /proc, /sys and /dev (finding 8)", () => {
  it(at("are refused before anything runs (exit 2, saying why), in them, over them and through a symlink; no command line comes out"), async () => {
    const link = path.join(tempDir(), "to-proc");
    symlinkSync("/proc", link);
    for (const grant of ["--allow-fs-read=/proc", "--allow-fs-read=/proc/self", `--allow-fs-read=/proc/${victim.pid}`, "--allow-fs-read=/sys", "--allow-fs-read=/sys/kernel", "--allow-fs-read=/dev", "--allow-fs-write=/dev/shm", `--allow-fs-read=${link}`]) {
      const r = await stui(["run", hostile("proc-cmdlines.ts"), grant, "--", marker], { env });
      expect(r.code, grant).toBe(EXIT.usage);
      expect(r.stderr, grant).toMatch(/is in \/(proc|sys|dev), which holds .* of the host; stui never grants it/);
      expect(r.stderr, grant).not.toMatch(/^\s+at /m);
      expect(r.stdout, grant).not.toContain("cmdlines");
    }
  });

  it("control: with no isolation and no inner layers, the script reads the host's command lines and finds the marker", async () => {
    const r = await runHostile(hostile("proc-cmdlines.ts"), { args: [marker], isolation: "permission-model", testLayers: OS_ALONE });
    expect(results(r.stdout).marker?.split(" ")).toContain(String(victim.pid));
  });
});

describe("a grant whose entries vanish while they are checked (finding 7)", () => {
  it(at("never crashes the host: a folder being emptied and refilled is checked, and the run goes on"), async () => {
    const dir = tempDir("stui-sec-churn-");
    mkdirSync(path.join(dir, "d"));
    for (let i = 0; i < 3000; i++) writeFileSync(path.join(dir, "d", `f${i}`), "");
    // Deletes and recreates every file, over and over, while stui walks the folder.
    const churn = spawn(process.execPath, ["-e", `const fs = require("fs"); const d = process.argv[1]; for (;;) for (let i = 0; i < 3000; i++) { const f = d + "/f" + i; try { fs.unlinkSync(f); } catch {} fs.writeFileSync(f, ""); }`, path.join(dir, "d")], { stdio: "ignore" });
    try {
      for (let i = 0; i < 3; i++) {
        const r = await stui(["run", hostile("says-hi.ts"), `--allow-fs-read=${dir}`], { env });
        expect(r.stderr).not.toMatch(/^\s+at /m);
        expect(r.stderr).not.toMatch(/ENOENT/);
        expect(r.code).toBe(EXIT.ok);
        expect(r.stdout).toBe("hi\n");
      }
    } finally {
      churn.kill("SIGKILL");
    }
  }, 60_000);
});
