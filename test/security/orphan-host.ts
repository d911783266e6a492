// The host side of the orphan attack (processes.test.ts): runs fixtures/orphan.ts at level "none"
// as a machine without setpriv would (no parent-death signal), passing the script's output on,
// so the test can SIGKILL this process and watch what becomes of the script.

import { hostile, runHostile } from "./harness.js";

await runHostile(hostile("orphan.ts"), {
  isolation: "permission-model",
  testLayers: { permissionModel: true, stubs: true, parentDeathSignal: false },
  timeoutMs: 60_000,
  onStdout: (text) => process.stdout.write(text.slice(-200)),
});
