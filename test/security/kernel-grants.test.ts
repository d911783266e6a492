// Grants whose entries vanish while they are checked (red team 2, finding 7), through the real
// `stui run`, observed from outside: the exit code, the script's output, and no stack trace.

import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT } from "../../packages/plugins/src/exit-codes.js";
import { stui } from "../../packages/plugins/test/cli-helpers.js";
import { at, hostile, tempDir } from "./harness.js";

const env = { STUI_HOME: tempDir("stui-sec-home-") };

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
