import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import type { Permission } from "@stui/client/protocol";
import { runScript, type RunOptions, type RunSummary } from "../src/host.js";
import { fakeServer, type FakeServer } from "./fake-connection.js";

export const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
export const fixture = (name: string): string => path.join(FIXTURES, name);

export function tempDir(prefix = "stui-test-"): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** One bundle cache for a test file: bundles are keyed by script path and content. */
export const cacheDir = tempDir("stui-cache-");

export interface Ran {
  summary: RunSummary;
  stdout: string;
  stderr: string;
  log: string[];
  server: FakeServer;
}

function collect(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

/** Run a script through the real host (real sandboxed child) against a fake connection. */
export async function runWithFake(
  script: string,
  options: Partial<Omit<RunOptions, "flags">> & { allow?: Permission[]; deny?: Permission[]; server?: FakeServer } = {},
): Promise<Ran> {
  const server = options.server ?? fakeServer();
  const out = collect();
  const err = collect();
  const log: string[] = [];
  const summary = await runScript({
    args: [],
    connect: server.connect,
    cacheDir,
    ...options,
    script,
    flags: { allow: new Set(options.allow ?? []), deny: new Set(options.deny ?? []) },
    output: { stdout: out.stream, stderr: err.stream },
    log: (line) => log.push(line),
  });
  // The child's pipes end with the child; give the PassThroughs their last chunks.
  await new Promise((resolve) => setImmediate(resolve));
  return { summary, stdout: out.text(), stderr: err.text(), log, server };
}
