// The host side of the keyring attack (os-layer.test.ts): started by python3 in a fresh session
// keyring holding one secret key, it runs fixtures/keyring.ts with the OS layer alone at each
// level given, then prints one line of JSON per run and, last, what its own session keyring
// holds afterwards (read by python3, outside the sandbox).
// args: <keyctl syscall number> <isolation>...

import { spawnSync } from "node:child_process";
import { OS_ALONE, hostile, results, runHostile } from "./harness.js";

const [keyctl = "", ...isolations] = process.argv.slice(2);
for (const isolation of isolations) {
  const r = await runHostile(hostile("keyring.ts"), { isolation: isolation as never, args: [keyctl], testLayers: OS_ALONE });
  console.log(JSON.stringify({ isolation, level: r.summary.isolation?.level, status: r.summary.status, seen: results(r.stdout), output: r.stdout + r.stderr }));
}
const after = spawnSync("python3", ["-c", `import ctypes\nl = ctypes.CDLL(None, use_errno=True)\nbuf = ctypes.create_string_buffer(4096); n = l.syscall(${keyctl}, 11, -3, buf, 4096)\nfor i in range(0, max(n, 0), 4):\n    k = int.from_bytes(buf.raw[i:i+4], "little"); v = ctypes.create_string_buffer(256); m = l.syscall(${keyctl}, 11, k, v, 256); print(v.raw[:max(m, 0)].decode("latin1"))`], { encoding: "utf8" });
console.log(JSON.stringify({ hostKeyring: after.stdout.trim().split("\n").filter(Boolean) }));
