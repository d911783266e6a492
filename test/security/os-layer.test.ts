// Red team findings 13, 14 and 19 (reports/redteam-sandbox.md): the OS layer alone — Node's
// permission model and the network stubs switched off — must still hold the script in. Each
// attack is observed from outside: the STUI home's key never shows in anything the run printed.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { detectIsolation } from "../../packages/plugins/src/isolation.js";
import { OS_ALONE, hostile, results, runHostile, tempDir } from "./harness.js";

/** Whether a mechanism works here (why not, if not): the tests that need it say so when they skip. */
function available(mechanism: "bubblewrap" | "unshare"): string | undefined {
  try {
    detectIsolation(mechanism);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
const NO_UNSHARE = available("unshare");

describe("partial isolation (unshare), OS layer alone", () => {
  // Finding 14: the tmpfs that hides the STUI home was mounted by the sandbox's own shell, root in
  // its user namespace, and Node ran with every capability there: `umount` showed the key.
  it.skipIf(NO_UNSHARE !== undefined)(`[isolation: partial, OS layer alone] the tmpfs over the STUI home cannot be taken away${NO_UNSHARE ? ` (skipped: ${NO_UNSHARE})` : ""}`, async () => {
    const home = tempDir("stui-sec-home-");
    mkdirSync(path.join(home, "keys"), { mode: 0o700 });
    const key = path.join(home, "keys", "client.key_secret");
    const secret = `SECRET-KEY-${Math.random().toString(36).slice(2)}`;
    writeFileSync(key, secret, { mode: 0o600 });
    const r = await runHostile(hostile("unmount-home.ts"), { home, isolation: "unshare", args: [home, key], testLayers: OS_ALONE });
    expect(r.summary.isolation?.level).toBe("partial");
    const seen = results(r.stdout);
    expect(Object.keys(seen)).toEqual(["umount", "umount-lazy", "nested-userns", "read", "caps"]);
    for (const label of ["umount", "umount-lazy", "nested-userns", "read"]) expect(`${label}: ${seen[label]}`).not.toMatch(/: OPEN/);
    // No capability at all, not even in the bounding set (a later exec cannot regain one).
    expect(seen.caps).toMatch(/^OPEN CapEff:\s+0+\s+CapBnd:\s+0+\s*$/);
    expect(r.stdout + r.stderr).not.toContain(secret);
    expect(readFileSync(key, "utf8")).toBe(secret); // the key is really there, outside
  });
});
