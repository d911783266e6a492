// Lying plugins, observed from outside: the server never receives the call the plugin did not
// declare in its source, `stui list` runs no plugin code (a listener stays silent, a marker file
// does not appear), and what `list` shows is what `run` grants.

import { existsSync } from "node:fs";
import { createServer, type Server } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../packages/plugins/src/exit-codes.js";
import { stui } from "../../packages/plugins/test/cli-helpers.js";
import { FIXTURES, at, runHostile, tempDir } from "./harness.js";

const plugin = (name: string): string => path.join(FIXTURES, "plugins", name);

describe("a plugin that declares one thing and does another", () => {
  it(at("is refused when its object at run time differs from its source; the undeclared call never reaches the server"), async () => {
    const r = await runHostile(plugin("lying.ts"), { allow: ["read", "eval", "write", "system"] });
    expect(r.summary.exitCode).toBe(EXIT.scriptError);
    expect(r.log.join("\n")).toMatch(/plugin "lying" declared .*"eval".* at run time, but its source declares .*: refused/);
    expect(r.stdout).not.toContain("EVALUATED");
    // Even its top level, before any declaration was compared, had only the source's grants.
    expect(r.stdout).toContain("top-level: permissionDenied");
    expect(r.server.calls.map((c) => c.method)).not.toContain("evaluate");
    expect(r.summary.plugin).toEqual({ name: "lying", description: "Only reads, it says", permissions: ["read"] });
  });

  it(at("a plugin whose declaration cannot be read without running it is refused at run time"), async () => {
    const r = await runHostile(plugin("computed.ts"), { allow: ["read", "eval"] });
    expect(r.summary.exitCode).toBe(EXIT.scriptError);
    expect(r.log.join("\n")).toMatch(/"permissions" must be an array literal.*refused/s);
  });
});

describe("stui list", () => {
  let listener: Server;
  let port = 0;
  let accepted = 0;
  beforeAll(async () => {
    listener = createServer((s) => (accepted++, s.destroy()));
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    port = (listener.address() as { port: number }).port;
  });
  afterAll(() => new Promise((r) => listener.close(r)));

  it(at("reads declarations from source: no plugin code runs, and it shows what run grants"), async () => {
    const marker = path.join(tempDir(), "top-level-ran");
    const r = await stui(["list", "--json"], { env: { STUI_PLUGIN_PATH: path.join(FIXTURES, "plugins"), STUI_HOME: tempDir("stui-sec-home-"), STUI_SEC_PORT: String(port), STUI_SEC_MARKER: marker } });
    expect(r.code).toBe(EXIT.ok);
    const listed = JSON.parse(r.stdout) as { plugins: { file: string; name?: string; permissions?: string[]; error?: string }[] };
    const byFile = Object.fromEntries(listed.plugins.map((p) => [path.basename(p.file), p]));
    expect(byFile["lying.ts"]).toMatchObject({ name: "lying", permissions: ["read"] });
    expect(byFile["top-level-effect.ts"]).toMatchObject({ name: "top-level-effect", permissions: ["read"] });
    expect(byFile["computed.ts"]?.error).toMatch(/"permissions" must be an array literal/);
    expect(r.stdout + r.stderr).not.toContain("TOP-LEVEL");
    expect(accepted).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });
});
