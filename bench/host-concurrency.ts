// Concurrent calls through the scripting host: a script's Promise.all of 50 evaluations that each
// take 50 ms on the server, against one such evaluation, both timed inside the sandbox
// (bench/scripts/concurrent-evaluations.ts). A host that sent one call at a time would take
// 50 × 50 ms; a pipelined one about one call's time. Target: concurrent/one ≤ 3. The server is
// the reference test server whose "sleep 50 ms" is a TEST DOUBLE (it waits 50 ms and answers 1;
// nothing is evaluated).
//
//   npx tsx bench/host-concurrency.ts

import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(import.meta.url);
const REPO = path.resolve(path.dirname(HERE), "..");
const CALLS = 50;
const ROUNDS = Number(process.env.STUI_BENCH_RUNS ?? 5);
const TARGET = 3;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export async function runHostConcurrencyBench(): Promise<{ lines: string[]; concurrentOverOne: number }> {
  const { startTestServer } = await import("@stui/testkit");
  const { handlers } = await import("@stui/testkit/examples/scripted-handlers");
  // One STUI home for the server and the stui child: the server authorizes its client key.
  const home = mkdtempSync(path.join(tmpdir(), "stui-bench-"));
  const server = await startTestServer({
    endpoint: "tcp://127.0.0.1:*",
    home,
    handlers: {
      ...handlers,
      async evaluate(params, context) {
        if (params.code !== "sleep 50 ms") return handlers.evaluate!(params, context);
        await new Promise((resolve) => setTimeout(resolve, 50));
        return { value: { printString: "1", className: "SmallInteger", truncated: false }, durationMs: 50 };
      },
    },
  });
  try {
    const env = { ...process.env, STUI_ENDPOINT: server.endpoint, STUI_HOME: home };
    const args = [path.join(REPO, "packages/plugins/bin/stui.js"), "run", path.join(REPO, "bench/scripts/concurrent-evaluations.ts"), "--allow-read", "--allow-eval", "--", String(CALLS), String(ROUNDS)];
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, args, { cwd: REPO, env, stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`stui run exited ${code}:\n${out}`))));
    });
    const { one, all } = JSON.parse(output.trim().split("\n").at(-1)!) as { one: number[]; all: number[] };
    const ratio = median(all) / median(one);
    return {
      concurrentOverOne: ratio,
      lines: [
        `host: one evaluation of 50 ms through stui run  median ${median(one).toFixed(1)} ms over ${ROUNDS} rounds (${one.map((x) => x.toFixed(0)).join(", ")})`,
        `host: ${CALLS} of them at once (Promise.all)      median ${median(all).toFixed(1)} ms over ${ROUNDS} rounds (${all.map((x) => x.toFixed(0)).join(", ")}); one at a time would be ≥ ${CALLS * 50} ms`,
        `host concurrent/one=${ratio.toFixed(2)} (target ≤ ${TARGET}: ${ratio <= TARGET ? "met" : "MISSED"})`,
      ],
    };
  } finally {
    await server.close();
  }
}

if (process.argv[1] === HERE) for (const line of (await runHostConcurrencyBench()).lines) console.log(line);
