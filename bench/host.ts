// Start-up cost of the scripting host: `stui run examples/hello.ts` (esbuild bundle,
// sandboxed child, IPC) against `tsx` running the same work with @stui/client
// directly. Both run against the real test server (@stui/testkit, scripted handlers),
// wall time of the whole command, median of several runs, after one warm-up each
// (the warm-up fills tsx's and stui's caches, as a second run by a user would).
// Target: host/tsx ≤ 1.5.
//
//   npx tsx bench/host.ts              print the figures
//   npx tsx bench/host.ts --direct     the tsx side: hello.ts's work, without the host

import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(import.meta.url);
const REPO = path.resolve(path.dirname(HERE), "..");
const RUNS = Number(process.env.STUI_BENCH_RUNS ?? 7);
const TARGET = 1.5;

/** What examples/hello.ts does, with @stui/client directly (no host, no sandbox). */
async function directHello(): Promise<void> {
  const { connect } = await import("@stui/client");
  const client = await connect();
  try {
    const pong = await client.ping({ echo: "hello" });
    console.log(`server: ${pong.server.name} ${pong.server.version} (${pong.status}), protocol ${pong.protocolVersions.join(", ")}`);
    const session = await client.openSession({ clientName: "bench" });
    try {
      const sum = await session.evaluate("3 + 4");
      console.log(`3 + 4 = ${sum.value.printString} (${sum.value.className})`);
      await session.evaluate("total := 3 + 4");
      console.log(`total * 2 = ${(await session.evaluate("total * 2")).value.printString}`);
    } finally {
      await session.close();
    }
  } finally {
    await client.close();
  }
}

function timeCommand(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ ms: performance.now() - started, code, output }));
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export async function runHostBench(): Promise<{ lines: string[]; hostOverTsx: number }> {
  const { startTestServer } = await import("@stui/testkit");
  const { handlers } = await import("@stui/testkit/examples/scripted-handlers");
  // One STUI home for the server and both children: the server authorizes its client key.
  const home = mkdtempSync(path.join(tmpdir(), "stui-bench-"));
  const server = await startTestServer({ endpoint: "tcp://127.0.0.1:*", handlers, home });
  const env = { STUI_ENDPOINT: server.endpoint, STUI_HOME: home };
  const tsx = path.join(REPO, "node_modules", ".bin", "tsx");
  const host = [process.execPath, [path.join(REPO, "packages/plugins/bin/stui.js"), "run", "examples/hello.ts", "--allow-read", "--allow-eval"]] as const;
  const direct = [tsx, ["--conditions=stui-source", HERE, "--direct"]] as const;
  const times = { host: [] as number[], tsx: [] as number[] };
  try {
    // Warm-up (fills the bundle cache and tsx's transform cache), then alternate.
    for (const [cmd, args] of [host, direct]) {
      const r = await timeCommand(cmd, [...args], env);
      if (r.code !== 0 || !r.output.includes("total * 2 = 14")) throw new Error(`${path.basename(cmd)} ${args.join(" ")} did not work:\n${r.output}`);
    }
    for (let i = 0; i < RUNS; i++) {
      for (const [side, [cmd, args]] of [["host", host], ["tsx", direct]] as const) {
        const r = await timeCommand(cmd, [...args], env);
        if (r.code !== 0) throw new Error(`${side} run ${i + 1} exited ${r.code}:\n${r.output}`);
        times[side].push(r.ms);
      }
    }
  } finally {
    await server.close();
  }
  const h = median(times.host);
  const t = median(times.tsx);
  const ratio = h / t;
  const lines = [
    `host: stui run examples/hello.ts  median ${h.toFixed(0)} ms over ${RUNS} runs (${times.host.map((x) => x.toFixed(0)).join(", ")})`,
    `host: tsx + @stui/client directly  median ${t.toFixed(0)} ms over ${RUNS} runs (${times.tsx.map((x) => x.toFixed(0)).join(", ")})`,
    `host/tsx=${ratio.toFixed(2)} (target ≤ ${TARGET}: ${ratio <= TARGET ? "met" : "MISSED"})`,
  ];
  return { lines, hostOverTsx: ratio };
}

if (process.argv[1] === HERE) {
  if (process.argv.includes("--direct")) await directHello();
  else for (const line of (await runHostBench()).lines) console.log(line);
}
