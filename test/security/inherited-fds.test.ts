// Red team finding 6: descriptors the program that started stui left open (no close-on-exec:
// a shell's `exec 9<>…`, a make jobserver pipe, a supervisor's socket) reached the sandbox,
// since neither Node's spawn nor bubblewrap nor unshare closes them; a socket to the server let
// the script call evaluate behind the host's back. Attack: the real `stui` command started with
// a file holding a secret on fd 27 and a TCP connection to a listener on fd 29 (extra stdio
// entries of the spawn: inherited without close-on-exec, exactly as a shell leaves them).
// Observed from outside: the listener receives nothing, the secret is not printed, --json
// counts no call. A plain child started the same way proves the two descriptors were there.

import { spawn, type StdioOptions } from "node:child_process";
import { closeSync, openSync, writeFileSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { detectIsolation, type IsolationMechanism } from "../../packages/plugins/src/isolation.js";
import { STUI_BIN } from "../../packages/plugins/test/cli-helpers.js";
import { hostile, results, tempDir, until } from "./harness.js";

const FILE_FD = 27;
const SOCKET_FD = 29;

let listener: Server;
let received: string;
let client: Socket;
let fileFd: number;
let secret: string;

beforeEach(async () => {
  received = "";
  listener = createServer((s) => s.on("data", (c: Buffer) => (received += c.toString())));
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  client = connect((listener.address() as { port: number }).port, "127.0.0.1");
  await new Promise((resolve) => client.once("connect", resolve));
  secret = `TOPSECRET-FD-${process.pid}-${Date.now()}`;
  const file = path.join(tempDir(), "secret.txt");
  writeFileSync(file, `${secret}\n`);
  fileFd = openSync(file, "r");
});
afterEach(async () => {
  closeSync(fileFd);
  client.destroy();
  await new Promise((resolve) => listener.close(resolve));
});

/** stdio with the file on FILE_FD and the socket on SOCKET_FD: in the child, both without close-on-exec. */
const leakyStdio = (): StdioOptions => {
  const stdio: StdioOptions = ["ignore", "pipe", "pipe"];
  while (stdio.length < SOCKET_FD) stdio.push("ignore");
  stdio[FILE_FD] = fileFd;
  stdio[SOCKET_FD] = client;
  return stdio;
};

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: leakyStdio() });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Everything the sandbox could have written is before this marker (one TCP stream, in order). */
async function receivedBeforeMarker(): Promise<string> {
  client.write("END-OF-TEST\n");
  await until(() => received.includes("END-OF-TEST\n"), "the listener to get the test's own marker");
  return received.slice(0, received.indexOf("END-OF-TEST\n"));
}

describe("descriptors inherited by stui (finding 6)", () => {
  it("control: a plain child started the same way reads the file and writes to the listener", async () => {
    const code = `const fs = require("node:fs"); const b = Buffer.alloc(200); console.log(b.subarray(0, fs.readSync(${FILE_FD}, b, 0, 200, 0)).toString().trim()); fs.writeSync(${SOCKET_FD}, "FROM-A-PLAIN-CHILD\\n");`;
    const r = await run(process.execPath, ["-e", code], {});
    expect(r.stdout).toContain(secret);
    expect(await receivedBeforeMarker()).toBe("FROM-A-PLAIN-CHILD\n");
  });

  const mechanisms: IsolationMechanism[] = ["bubblewrap", "unshare", "permission-model"];
  for (const mechanism of mechanisms) {
    let level: string | undefined;
    try {
      level = detectIsolation(mechanism).level;
    } catch {
      level = undefined;
    }
    it.skipIf(level === undefined)(`[isolation: ${level ?? `${mechanism} unavailable here`}] the script finds /dev/null on those numbers: the listener stays silent, the file is not printed, no call`, async () => {
      const r = await run(process.execPath, [STUI_BIN, "run", hostile("inherited-fds.ts"), "--json", "--timeout", "20s", "--", String(FILE_FD), String(SOCKET_FD)], {
        STUI_ISOLATION: mechanism,
        STUI_ENDPOINT: "tcp://127.0.0.1:1",
      });
      const attempts = results(r.stderr);
      expect(attempts["read fd"], r.stderr).toBeDefined();
      expect(r.stdout + r.stderr).not.toContain(secret);
      expect(attempts["socket fd"]).not.toMatch(/^OPEN/);
      expect(await receivedBeforeMarker()).toBe("");
      expect(JSON.parse(r.stdout)).toMatchObject({ status: "ok", calls: 0, isolation: { level } });
    });
  }
});
