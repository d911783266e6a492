import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const STUI_BIN = fileURLToPath(new URL("../bin/stui.js", import.meta.url));
export const REPO = fileURLToPath(new URL("../../../", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the real `stui` command (node bin/stui.js) with piped stdio. */
export function stui(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STUI_BIN, ...args], { cwd: options.cwd ?? REPO, env: { ...process.env, ...options.env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

export { freePort } from "@stui/testkit";

/**
 * stderr without the line a run below full isolation always prints ("stui: warning: … OS
 * isolation …", tested in test/security/level.test.ts), for tests that expect nothing else.
 */
export function hostNotes(stderr: string): string {
  return stderr
    .split("\n")
    .filter((line) => !/^stui: warning: (no|partial) OS isolation/.test(line))
    .join("\n");
}

/** util-linux `script`, which gives a command a pseudo-terminal. */
export const HAS_SCRIPT = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;

/**
 * Run a command line in a pseudo-terminal (util-linux `script`) and talk to it:
 * `expect(re)` waits for output matching `re` (it fails if the command exits first),
 * `send(text)` types. Nothing here sleeps: it waits for output or exit.
 */
export function pty(command: string, options: { env?: NodeJS.ProcessEnv; cwd?: string }) {
  return interactive("script", ["-q", "-e", "-c", command, "/dev/null"], { ...options, env: { TERM: "xterm", ...options.env } });
}

/** Like pty(), without a terminal: a command with piped stdio to talk to. */
export function interactive(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string }) {
  const child = spawn(command, args, { cwd: options.cwd ?? REPO, env: { ...process.env, ...options.env }, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  let exited: number | null | undefined;
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const l of [...listeners]) l();
  };
  child.stdout.on("data", (c: Buffer) => {
    output += c.toString();
    notify();
  });
  child.stderr.on("data", (c: Buffer) => {
    output += c.toString();
    notify();
  });
  const done = new Promise<number | null>((resolve) =>
    child.on("close", (code, signal) => {
      if (signal) output += `\n[killed by ${signal}]`;
      exited = code;
      notify();
      resolve(code);
    }),
  );
  let from = 0;
  return {
    get output() {
      return output;
    },
    /** Wait for output after the last match that matches `re`. */
    expect(re: RegExp): Promise<string> {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(output.slice(from));
          if (m) {
            listeners.delete(check);
            from += m.index + m[0].length;
            resolve(m[0]);
          } else if (exited !== undefined) {
            listeners.delete(check);
            reject(new Error(`exited (${exited}) before ${re}; output:\n${output}`));
          }
        };
        listeners.add(check);
        check();
      });
    },
    send(text: string): void {
      child.stdin.write(text);
    },
    end(): void {
      child.stdin.end();
    },
    kill(signal: NodeJS.Signals): void {
      child.kill(signal);
    },
    done,
  };
}
