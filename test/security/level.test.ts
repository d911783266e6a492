// The isolation level the whole suite ran under, and the rule CI holds it to: on Linux with
// CI=true it must be "full" (bubblewrap with user, PID, network and mount namespaces), so the
// attacks above ran against the real boundary, not against stubs. Elsewhere the level is
// printed, and the --json summary of a real `stui run` must report the same one.

import { describe, expect, it } from "vitest";
import { freePort, stui } from "../../packages/plugins/test/cli-helpers.js";
import { ISOLATION, LEVEL, at, hostile, tempDir } from "./harness.js";

describe("isolation level", () => {
  it.runIf(process.platform === "linux" && process.env.CI === "true")(at("Linux CI runs scripts with full OS isolation"), () => {
    expect(ISOLATION.reason).toBeUndefined();
    expect(LEVEL).toBe("full");
  });

  it(at("stui run --json reports the level this suite ran under, and says it on stderr when it is not full"), async () => {
    // Nothing listens at the endpoint (the script makes no call); the run ends on its timeout, after the sandbox started.
    const env = { STUI_HOME: tempDir("stui-sec-home-"), STUI_ENDPOINT: `tcp://127.0.0.1:${await freePort()}`, STUI_CONNECT_TIMEOUT_MS: "300" };
    const r = await stui(["run", hostile("hang.ts"), "--json", "--timeout", "1s"], { env });
    const summary = JSON.parse(r.stdout) as { isolation?: { level: string; mechanism: string } };
    expect(summary.isolation).toEqual(expect.objectContaining({ level: LEVEL, mechanism: ISOLATION.mechanism }));
    if (LEVEL === "full") expect(r.stderr).not.toContain("stui: warning:");
    else expect(r.stderr).toContain(`stui: warning: ${LEVEL === "none" ? "no OS isolation" : "partial OS isolation"}`);
  });

  it("a weaker level can be asked for, and is then said plainly", async () => {
    const env = { STUI_HOME: tempDir("stui-sec-home-"), STUI_ENDPOINT: `tcp://127.0.0.1:${await freePort()}`, STUI_CONNECT_TIMEOUT_MS: "300", STUI_ISOLATION: "permission-model" };
    const r = await stui(["run", hostile("hang.ts"), "--json", "--timeout", "1s"], { env });
    expect((JSON.parse(r.stdout) as { isolation: { level: string } }).isolation.level).toBe("none");
    expect(r.stderr).toContain("stui: warning: no OS isolation for this script");
  });

  it("an unknown STUI_ISOLATION is a usage error", async () => {
    const r = await stui(["run", hostile("hang.ts")], { env: { STUI_ISOLATION: "chroot" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("STUI_ISOLATION must be one of auto, bubblewrap, unshare, permission-model");
  });
});
