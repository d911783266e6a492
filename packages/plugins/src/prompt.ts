// Questions on the terminal, for grants nobody gave on the command line.
//
// A question always ends: with an answer; with Ctrl-D (end of input: "no", the run goes on and
// the call is refused, exit 3 unless the script catches it); with Ctrl-C (the run is
// interrupted, exit 130, as Ctrl-C anywhere else); or withdrawn by the host when the script is
// gone (timeout, crash) — never by crashing the host.

import { createInterface } from "node:readline/promises";
import type { Readable, Writable } from "node:stream";
import type { PromptAnswer, Prompter } from "./permissions.js";

/** Read one answer: y/yes → yes, a/always → always, anything else → no. */
export function parseAnswer(text: string): PromptAnswer {
  const a = text.trim().toLowerCase();
  if (a === "y" || a === "yes") return "yes";
  if (a === "a" || a === "always") return "always";
  return "no";
}

/**
 * Asks on a terminal. `onInterrupt` is what Ctrl-C at a question does (the host's own Ctrl-C
 * handling: readline takes the key in raw mode, so no SIGINT reaches the process by itself).
 */
export function ttyPrompter(input: Readable, output: Writable, onInterrupt: () => void = () => process.kill(process.pid, "SIGINT")): Prompter {
  const question = async (text: string, signal?: AbortSignal): Promise<string> => {
    const rl = createInterface({ input, output, terminal: true });
    const ended = new AbortController();
    const stop = (): void => ended.abort();
    signal?.addEventListener("abort", stop, { once: true });
    rl.on("SIGINT", () => {
      output.write("^C\n");
      stop();
      onInterrupt();
    });
    try {
      return await rl.question(`${text} `, { signal: ended.signal });
    } catch {
      // Ctrl-D (readline rejects "Aborted with Ctrl+D"), Ctrl-C, or withdrawn: no answer is "no".
      if (!ended.signal.aborted) output.write("\n(no answer: refused)\n");
      return "n";
    } finally {
      signal?.removeEventListener("abort", stop);
      rl.close();
    }
  };
  return {
    ask: async (text, signal) => parseAnswer(await question(`stui: ${text}`, signal)),
    confirm: async (text, signal) => parseAnswer(await question(`stui: ${text}`, signal)) !== "no",
  };
}

/** The prompter for this process: only when both stdin and stderr are terminals. */
export function defaultPrompter(): Prompter | undefined {
  return process.stdin.isTTY && process.stderr.isTTY ? ttyPrompter(process.stdin, process.stderr) : undefined;
}
