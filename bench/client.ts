// Throughput and latency of the client runtime (@stui/client) against one reference server
// (@stui/testkit's stui-test-server CLI in a child process, on loopback tcp):
//
//   raw          zeromq.js REQ socket, JSON.stringify a ping request (fresh id), JSON.parse the reply;
//                no validation, no timers: the floor under any client
//   lock-step    the typed client, `await client.ping()` in a loop (REQ, validation on both sides)
//   pipelined    the typed client in pipelined mode (DEALER), 64 pings in flight
//   5 clients    five lock-step typed clients pinging at once; p50/p99 of every call's latency
//   CURVE        what authentication costs: raw REQ pings against a second server started with
//                --no-auth, in slices alternating with the CURVE one; and connect + first ping
//                (the handshake, ZAP included) on fresh sockets, with and without CURVE
//
// Targets: typed/raw ≥ 0.90, pipelined/lock-step ≥ 5, 5-client p99 < 2 ms. Raw and lock-step
// are measured in alternating slices so drift on the machine hits both alike.
//
//   npx tsx bench/client.ts     (or `npm run bench` for everything)

import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as zmq from "zeromq";
import { connect, type StuiClient } from "@stui/client";
import { clientKeysFor } from "@stui/client/keys";
import { freePort } from "@stui/testkit";
// The codec is internal to the package; the bench measures it in isolation.
import { checkResult, decodeReply, encodeRequest } from "../packages/client/src/codec.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CLI = fileURLToPath(new URL("../packages/testkit/bin/stui-test-server.js", import.meta.url));
const SECONDS = Number(process.env["STUI_BENCH_SECONDS"] ?? 3);
const WARMUP_MS = 1000;
const IN_FLIGHT = 64;
const TARGETS = { typedOverRaw: 0.9, pipelinedOverLockstep: 5, p99FiveClientsMs: 2 };

export interface ClientBenchResult {
  lines: string[];
  summary: { typedOverRaw: number; pipelinedOverLockstep: number; p99FiveClientsMs: number };
}


async function startServer(endpoint: string, extra: string[] = []): Promise<ChildProcess> {
  // stderr is kept for the error message only (a --no-auth server warns there on purpose).
  const child = spawn(process.execPath, [CLI, "--endpoint", endpoint, "--name", "bench", ...extra], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`stui-test-server did not start in 15 s: ${err}`)), 15_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("listening on")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`stui-test-server exited with ${code}: ${err}`));
    });
  });
  return child;
}

/** Runs `op` back to back for `ms`; answers how many completed. */
async function loopFor(ms: number, op: () => Promise<unknown>): Promise<number> {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    await op();
    n++;
  }
  return n;
}

/** CURVE options for a raw socket: the STUI home's client keys (what connect() uses), or none. */
function curveOptions(endpoint: string, curve: boolean): { curveServerKey?: string; curvePublicKey?: string; curveSecretKey?: string } {
  if (!curve) return {};
  const keys = clientKeysFor(endpoint);
  return { curveServerKey: keys.serverKey, curvePublicKey: keys.publicKey, curveSecretKey: keys.secretKey };
}

/** The raw floor: a bare REQ socket speaking the same JSON (with CURVE unless told otherwise). */
class RawPing {
  readonly socket: zmq.Request;
  #n = 0;
  constructor(endpoint: string, curve = true) {
    this.socket = new zmq.Request({ linger: 0, ...curveOptions(endpoint, curve) });
    this.socket.connect(endpoint);
  }
  async ping(): Promise<unknown> {
    await this.socket.send(JSON.stringify({ jsonrpc: "2.0", id: `raw-${++this.#n}`, stui: "1.0", method: "ping", params: {} }));
    const [reply] = await this.socket.receive();
    return JSON.parse(reply!.toString());
  }
}

/** The codec's share of a call, measured without sockets: validation and JSON, per ping. */
function codecCost(): { encodeUs: number; decodeUs: number; parseUs: number } {
  const reply = Buffer.from(
    JSON.stringify({ jsonrpc: "2.0", id: "ab-1", result: { status: "running", uptimeMs: 1, server: { name: "bench", version: "0.1.0", implementation: "typescript-testkit" }, protocolVersions: ["1.0"], sessions: 0 } }),
  );
  const time = (f: () => void): number => {
    for (let i = 0; i < 20_000; i++) f();
    const n = 200_000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) f();
    return ((performance.now() - t0) * 1000) / n;
  };
  return {
    encodeUs: time(() => encodeRequest("ping", {}, "ab-1", true)),
    decodeUs: time(() => {
      const r = decodeReply(reply);
      if (r.ok) checkResult("ping", r.result, "ab-1");
    }),
    parseUs: time(() => JSON.parse(reply.toString())),
  };
}

/** The server's ceiling: a bare DEALER keeping IN_FLIGHT pings in flight, JSON only. */
async function rawPipelined(endpoint: string, ms: number): Promise<number> {
  const socket = new zmq.Dealer({ linger: 0, ...curveOptions(endpoint, true) });
  socket.connect(endpoint);
  let n = 0;
  let received = 0;
  const send = (): Promise<void> => socket.send(["", JSON.stringify({ jsonrpc: "2.0", id: `rawp-${++n}`, stui: "1.0", method: "ping", params: {} })]);
  try {
    for (let i = 0; i < IN_FLIGHT; i++) await send();
    const end = performance.now() + ms;
    for await (const frames of socket) {
      JSON.parse(frames[frames.length - 1]!.toString());
      received++;
      if (performance.now() >= end) break;
      await send();
    }
  } finally {
    socket.close();
  }
  return received / (ms / 1000);
}

/** Median time of connect + first ping on a fresh REQ socket (the handshake included), over `n` sockets. */
async function firstPingMs(endpoint: string, curve: boolean, n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const raw = new RawPing(endpoint, curve);
    try {
      await raw.ping();
    } finally {
      raw.socket.close();
    }
    times.push(performance.now() - t0);
  }
  return percentile(Float64Array.from(times).sort(), 50);
}

/** Raw REQ pings with CURVE (against `curveEndpoint`) and without (against `plainEndpoint`), alternating slices. */
async function curveCost(curveEndpoint: string, plainEndpoint: string): Promise<{ curvePerS: number; plainPerS: number; handshakeCurveMs: number; handshakePlainMs: number }> {
  const withCurve = new RawPing(curveEndpoint, true);
  const without = new RawPing(plainEndpoint, false);
  try {
    await loopFor(WARMUP_MS / 2, () => withCurve.ping());
    await loopFor(WARMUP_MS / 2, () => without.ping());
    const slices = Math.max(2, Math.round((SECONDS * 2) / 0.5 / 2));
    let curveCount = 0;
    let plainCount = 0;
    for (let i = 0; i < slices; i++) {
      curveCount += await loopFor(500, () => withCurve.ping());
      plainCount += await loopFor(500, () => without.ping());
    }
    const seconds = (slices * 500) / 1000;
    return {
      curvePerS: curveCount / seconds,
      plainPerS: plainCount / seconds,
      handshakeCurveMs: await firstPingMs(curveEndpoint, true, 20),
      handshakePlainMs: await firstPingMs(plainEndpoint, false, 20),
    };
  } finally {
    withCurve.socket.close();
    without.socket.close();
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const fmt = (x: number, digits = 0): string => x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const met = (ok: boolean): string => (ok ? "met" : "MISSED");

export async function runClientBench(): Promise<ClientBenchResult> {
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;
  const server = await startServer(endpoint);
  const clients: StuiClient[] = [];
  const raw = new RawPing(endpoint);
  try {
    const lockstep = await connect({ endpoint, mode: "lockstep", timeoutMs: 5000 });
    const pipelined = await connect({ endpoint, mode: "pipelined", timeoutMs: 5000 });
    clients.push(lockstep, pipelined);

    // Warm-up: JIT, connections, the server's caches.
    await loopFor(WARMUP_MS / 2, () => raw.ping());
    await loopFor(WARMUP_MS / 2, () => lockstep.ping());
    await Promise.all(Array.from({ length: IN_FLIGHT }, () => loopFor(WARMUP_MS / 2, () => pipelined.ping())));

    // raw vs typed lock-step, alternating slices of 500 ms.
    const slices = Math.max(2, Math.round((SECONDS * 2) / 0.5 / 2));
    let rawCount = 0;
    let typedCount = 0;
    let rawCpuUs = 0;
    let typedCpuUs = 0;
    for (let i = 0; i < slices; i++) {
      let cpu = process.cpuUsage();
      rawCount += await loopFor(500, () => raw.ping());
      cpu = process.cpuUsage(cpu);
      rawCpuUs += cpu.user + cpu.system;
      cpu = process.cpuUsage();
      typedCount += await loopFor(500, () => lockstep.ping());
      cpu = process.cpuUsage(cpu);
      typedCpuUs += cpu.user + cpu.system;
    }
    const sliceSeconds = (slices * 500) / 1000;
    const rawPerS = rawCount / sliceSeconds;
    const typedPerS = typedCount / sliceSeconds;

    // pipelined: IN_FLIGHT workers on one DEALER client.
    const pipeCounts = await Promise.all(Array.from({ length: IN_FLIGHT }, () => loopFor(SECONDS * 1000, () => pipelined.ping())));
    const pipelinedPerS = pipeCounts.reduce((a, b) => a + b, 0) / SECONDS;

    // The same load on a bare DEALER: how fast the server itself can go.
    await rawPipelined(endpoint, WARMUP_MS / 2);
    const rawPipelinedPerS = await rawPipelined(endpoint, SECONDS * 1000);

    // five lock-step clients at once; every call's latency.
    const five: StuiClient[] = [];
    for (let i = 0; i < 5; i++) five.push(await connect({ endpoint, mode: "lockstep", timeoutMs: 5000 }));
    clients.push(...five);
    await Promise.all(five.map((c) => loopFor(WARMUP_MS / 2, () => c.ping())));
    const latencies: number[] = [];
    const end = performance.now() + SECONDS * 1000;
    await Promise.all(
      five.map(async (c) => {
        while (performance.now() < end) {
          const t0 = performance.now();
          await c.ping();
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const sorted = Float64Array.from(latencies).sort();
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    const fivePerS = latencies.length / SECONDS;

    // What authentication costs: the same raw pings against a server without it.
    const plainEndpoint = `tcp://127.0.0.1:${await freePort()}`;
    const plainServer = await startServer(plainEndpoint, ["--no-auth"]);
    let curve: Awaited<ReturnType<typeof curveCost>>;
    try {
      curve = await curveCost(endpoint, plainEndpoint);
    } finally {
      await stop(plainServer);
    }
    const curveUs = 1e6 / curve.curvePerS - 1e6 / curve.plainPerS;

    const codec = codecCost();
    const typedOverRaw = typedPerS / rawPerS;
    const pipelinedOverLockstep = pipelinedPerS / typedPerS;
    const lines = [
      `client bench: stui-test-server (child process) on ${endpoint}; ${SECONDS} s per measurement after ${WARMUP_MS} ms warm-up`,
      `| measurement                         | result                         | target          | status |`,
      `| ----------------------------------- | ------------------------------ | --------------- | ------ |`,
      `| raw zeromq.js REQ ping (JSON only)  | ${fmt(rawPerS).padStart(8)} round trips/s        |                 |        |`,
      `| typed client ping, lock-step (REQ)  | ${fmt(typedPerS).padStart(8)} calls/s             | ≥ 0.90 × raw    |        |`,
      `| typed client ping, pipelined (${IN_FLIGHT})   | ${fmt(pipelinedPerS).padStart(8)} calls/s             | ≥ 5 × lock-step |        |`,
      `| raw zeromq.js DEALER, ${IN_FLIGHT} in flight   | ${fmt(rawPipelinedPerS).padStart(8)} round trips/s        | (server ceiling) |       |`,
      `|   raw pipelined/raw lock-step       | ${fmt(rawPipelinedPerS / rawPerS, 2).padStart(8)}                       |                 |        |`,
      `| 5 lock-step clients, ping latency   | p50 ${fmt(p50, 3)} ms, p99 ${fmt(p99, 3)} ms | p99 < 2 ms      |        |`,
      `|   (5 clients together)              | ${fmt(fivePerS).padStart(8)} calls/s             |                 |        |`,
      `| client CPU per call: raw / typed    | ${fmt(rawCpuUs / rawCount, 1)} / ${fmt(typedCpuUs / typedCount, 1)} µs               |                 |        |`,
      `|   of which codec (in-process)       | encode+validate ${fmt(codec.encodeUs, 2)} µs, decode+validate ${fmt(codec.decodeUs, 2)} µs (JSON.parse alone ${fmt(codec.parseUs, 2)} µs) | |  |`,
      `| raw REQ ping: CURVE / no auth       | ${fmt(curve.curvePerS)} / ${fmt(curve.plainPerS)} round trips/s (alternating) |       |        |`,
      `|   CURVE cost per round trip         | ${fmt(curveUs, 1)} µs (${fmt((100 * curveUs * curve.plainPerS) / 1e6, 1)} %)        |                 |        |`,
      `| connect + first ping: CURVE / none  | ${fmt(curve.handshakeCurveMs, 2)} / ${fmt(curve.handshakePlainMs, 2)} ms (median of 20, handshake and ZAP included) | |  |`,
      `| typed/raw                           | ${fmt(typedOverRaw, 3).padStart(8)}                       | ≥ ${TARGETS.typedOverRaw}          | ${met(typedOverRaw >= TARGETS.typedOverRaw).padEnd(6)} |`,
      `| pipelined/lock-step                 | ${fmt(pipelinedOverLockstep, 2).padStart(8)}                       | ≥ ${TARGETS.pipelinedOverLockstep}             | ${met(pipelinedOverLockstep >= TARGETS.pipelinedOverLockstep).padEnd(6)} |`,
      `| p99, 5 clients                      | ${fmt(p99, 3).padStart(8)} ms                    | < ${TARGETS.p99FiveClientsMs} ms          | ${met(p99 < TARGETS.p99FiveClientsMs).padEnd(6)} |`,
    ];
    return { lines, summary: { typedOverRaw, pipelinedOverLockstep, p99FiveClientsMs: p99 } };
  } finally {
    raw.socket.close();
    for (const c of clients) await c.close();
    await stop(server);
  }
}

async function stop(server: ChildProcess): Promise<void> {
  server.kill("SIGTERM");
  await new Promise<void>((resolve) => (server.exitCode !== null || server.signalCode !== null ? resolve() : server.once("exit", () => resolve())));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { lines } = await runClientBench();
  for (const line of lines) console.log(line);
}
