// Questions on the terminal, for grants nobody gave on the command line.

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

export function ttyPrompter(input: Readable, output: Writable): Prompter {
  const question = async (text: string): Promise<string> => {
    const rl = createInterface({ input, output, terminal: true });
    try {
      return await rl.question(`${text} `);
    } finally {
      rl.close();
    }
  };
  return {
    ask: async (text) => parseAnswer(await question(`stui: ${text}`)),
    confirm: async (text) => parseAnswer(await question(`stui: ${text}`)) !== "no",
  };
}

/** The prompter for this process: only when both stdin and stderr are terminals. */
export function defaultPrompter(): Prompter | undefined {
  return process.stdin.isTTY && process.stderr.isTTY ? ttyPrompter(process.stdin, process.stderr) : undefined;
}
