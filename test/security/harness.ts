// The adversarial suite's harness. Hostile scripts (fixtures/) run through the real host
// (runScript: real bundling, real isolation, real child); every test then looks from OUTSIDE
// the sandbox: a listener that must stay silent, a file that must not appear, a process that
// must survive, a server whose message count must not move, an exit code.
//
// Each attack runs in two configurations:
//   production — every layer on, as `stui run` runs scripts;
//   OS alone   — Node's permission model and the network stubs switched OFF (RunOptions.testLayers),
//                so only the OS layer (namespaces) stands between the script and the machine.
//                Only at level "full": lower levels do not claim to hold without the inner layers.
// Test names carry the level they ran under. On Linux with CI=true, level.test.ts fails unless
// the level is "full".

import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import type { Permission } from "@stui/client/protocol";
import { detectIsolation } from "../../packages/plugins/src/isolation.js";
import { runScript, type RunOptions, type RunSummary } from "../../packages/plugins/src/host.js";
import { fakeServer, type FakeServer } from "../../packages/plugins/test/fake-connection.js";

export const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
export const hostile = (name: string): string => path.join(FIXTURES, name);

/** The isolation this machine gives scripts (what `stui run` would pick). */
export const ISOLATION = detectIsolation("auto");
export const LEVEL = ISOLATION.level;
export const FULL = LEVEL === "full";
/** Prefix for test names: the level the test ran under. */
export const at = (name: string): string => `[isolation: ${LEVEL}] ${name}`;
export const atOsAlone = (name: string): string => `[isolation: ${LEVEL}, OS layer alone] ${name}`;

export const OS_ALONE = { permissionModel: false, stubs: false } as const;

export function tempDir(prefix = "stui-sec-"): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export interface Ran {
  summary: RunSummary;
  stdout: string;
  stderr: string;
  log: string[];
  server: FakeServer;
}

export interface HostileOptions extends Partial<Omit<RunOptions, "flags" | "script">> {
  allow?: Permission[];
  server?: FakeServer;
  /** Called with each chunk of the script's stdout as it arrives. */
  onStdout?: (text: string) => void;
}

/** Run a hostile script through the real host; the host's own connection is a fake (no server is reached through it). */
export async function runHostile(script: string, options: HostileOptions = {}): Promise<Ran> {
  const server = options.server ?? fakeServer();
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.on("data", (c: Buffer) => {
    stdout += c.toString();
    options.onStdout?.(stdout);
  });
  err.on("data", (c: Buffer) => (stderr += c.toString()));
  const log: string[] = [];
  const home = options.home ?? tempDir("stui-sec-home-");
  const summary = await runScript({
    args: [],
    connect: server.connect,
    cacheDir: path.join(home, "cache", "bundles"),
    home,
    timeoutMs: 20_000,
    ...options,
    script,
    flags: { allow: new Set(options.allow ?? []), deny: new Set() },
    output: { stdout: out, stderr: err },
    log: (line) => log.push(line),
  });
  await new Promise((resolve) => setImmediate(resolve));
  return { summary, stdout, stderr, log, server };
}

/** Lines "label: result" the hostile scripts print, as a map. */
export function results(stdout: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const i = line.indexOf(": ");
    if (i > 0) map[line.slice(0, i)] = line.slice(i + 2);
  }
  return map;
}

/** Wait until `check()` holds (polling a real condition, bounded), or throw. */
export async function until(check: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every file under `dir`, read as text (a bundle cache after a run: a secret must not be in it). */
export function allText(dir: string): string {
  let text = "";
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile()) text += readFileSync(full, "utf8");
    }
  };
  walk(dir);
  return text;
}
