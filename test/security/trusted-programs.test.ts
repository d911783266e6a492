// Finding 2 of the red team (docs/reviews/redteam-sandbox.md): the programs that build the sandbox
// (bwrap, unshare, setpriv) were looked up on PATH, which `npx` starts with node_modules/.bin.
// A `bwrap` there ran unsandboxed while --json said "full". Attack: fake programs that leave a
// marker file, first on PATH; observe from outside that the marker never appears and the run
// still reports the level the real programs give.

import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, stui } from "../../packages/plugins/test/cli-helpers.js";
import { untrustedBecause } from "../../packages/plugins/src/system-program.js";
import { ISOLATION, at, hostile, tempDir } from "./harness.js";

describe("programs that build the sandbox", () => {
  it(at("a bwrap, unshare or setpriv in node_modules/.bin first on PATH is never run"), async () => {
    const dir = tempDir("stui-sec-fakebin-");
    const bin = path.join(dir, "node_modules", ".bin");
    mkdirSync(bin, { recursive: true });
    const marker = path.join(dir, "FAKE-RAN");
    for (const name of ["bwrap", "unshare", "setpriv"]) {
      const file = path.join(bin, name);
      writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> ${marker}\nexit 1\n`);
      chmodSync(file, 0o755);
    }
    for (const isolation of ["auto", "unshare", "permission-model"]) {
      const env = { STUI_HOME: tempDir("stui-sec-home-"), STUI_ENDPOINT: `tcp://127.0.0.1:${await freePort()}`, STUI_CONNECT_TIMEOUT_MS: "300", STUI_ISOLATION: isolation, PATH: `${bin}:${process.env.PATH}` };
      if (isolation === "unshare" && ISOLATION.level === "none") continue;
      const r = await stui(["run", hostile("hang.ts"), "--json", "--timeout", "1s"], { env, cwd: dir });
      const summary = JSON.parse(r.stdout) as { isolation?: { level: string } };
      if (isolation === "auto") expect(summary.isolation?.level).toBe(ISOLATION.level);
      expect(existsSync(marker), `with STUI_ISOLATION=${isolation}`).toBe(false);
    }
  });

  it("a program in a folder others can write, or owned by another user, is not trusted", () => {
    const dir = tempDir("stui-sec-bin-");
    const file = path.join(dir, "bwrap");
    writeFileSync(file, "#!/bin/sh\n");
    chmodSync(file, 0o755);
    // tmpdir() is world-writable (sticky): everything under it is refused.
    expect(untrustedBecause(file)).toMatch(/writable by other users|belongs to uid/);
    expect(untrustedBecause("/usr/bin/env")).toBeUndefined();
  });
});
