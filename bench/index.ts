// `npm run bench`: every benchmark of the repository, one table after another, and one summary
// line last:
//   bench: typed/raw=<ratio> pipelined/lockstep=<ratio> p99_5clients_ms=<number>
// preceded by `host/tsx=<ratio> host_concurrent/one=<ratio>` when the scripting host's benches
// (bench/host.ts, bench/host-concurrency.ts) are there.
// Not part of `npm test`: numbers depend on the machine and its load.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { temporaryStuiHome } from "@stui/testkit";
import { runClientBench } from "./client.js";

// Keys for the bench's servers and clients in a STUI home of its own, never your ~/.stui.
const home = temporaryStuiHome("stui-bench-home-");
process.env["STUI_HOME"] = home.path;
process.on("exit", () => home.remove());

const hostBench = fileURLToPath(new URL("./host.ts", import.meta.url));
const concurrencyBench = fileURLToPath(new URL("./host-concurrency.ts", import.meta.url));

let hostLine: string | undefined;
if (existsSync(hostBench)) {
  const { runHostBench } = (await import("./host.js")) as { runHostBench: () => Promise<{ lines: string[]; hostOverTsx: number }> };
  const host = await runHostBench();
  for (const line of host.lines) console.log(line);
  console.log("");
  hostLine = `host/tsx=${host.hostOverTsx.toFixed(2)}`;
}
if (existsSync(concurrencyBench)) {
  const { runHostConcurrencyBench } = (await import("./host-concurrency.js")) as { runHostConcurrencyBench: () => Promise<{ lines: string[]; concurrentOverOne: number }> };
  const concurrency = await runHostConcurrencyBench();
  for (const line of concurrency.lines) console.log(line);
  console.log("");
  hostLine = `${hostLine ?? ""} host_concurrent/one=${concurrency.concurrentOverOne.toFixed(2)}`.trim();
}

const client = await runClientBench();
for (const line of client.lines) console.log(line);
const { typedOverRaw, pipelinedOverLockstep, p99FiveClientsMs } = client.summary;
if (hostLine !== undefined) console.log(hostLine);
console.log(`bench: typed/raw=${typedOverRaw.toFixed(3)} pipelined/lockstep=${pipelinedOverLockstep.toFixed(2)} p99_5clients_ms=${p99FiveClientsMs.toFixed(3)}`);
