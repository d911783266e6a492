/**
 * The reference server (@stui/testkit) in a child process, through its CLI, so a test can kill
 * it for real (SIGKILL: no goodbye on the wire) and start it again on the same endpoint.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = fileURLToPath(new URL("../../packages/testkit/bin/stui-test-server.js", import.meta.url));
const HANDLERS = fileURLToPath(new URL("./scripted-handlers.ts", import.meta.url));

export interface ServerProcess {
  readonly endpoint: string;
  readonly child: ChildProcess;
  /** performance.now() when the server said it listens. */
  readonly readyAt: number;
  /** Sends the signal and waits for the process to end. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startServerProcess(endpoint: string, env: Record<string, string> = {}, startTimeoutMs = 15_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, [CLI, "--endpoint", endpoint, "--handlers", HANDLERS], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const readyAt = await new Promise<number>((resolve, reject) => {
    let stdout = "";
    const onExit = (code: number | null): void => fail(new Error(`stui-test-server exited with ${code} before listening: ${stderr}`));
    const timer = setTimeout(() => fail(new Error(`stui-test-server did not start within ${startTimeoutMs} ms: ${stderr}`)), startTimeoutMs);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(e);
    };
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes("listening on")) {
        clearTimeout(timer);
        child.off("exit", onExit);
        resolve(performance.now());
      }
    });
    child.once("exit", onExit);
  });
  return {
    endpoint,
    child,
    readyAt,
    async kill(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
