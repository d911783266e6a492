// On a terminal the script's stdout and stderr pass through the host instead of going to the
// terminal directly, so that no output of the script can be on the screen while stui asks a
// question: while a question is up the gate holds them (the child's pipes fill and its writes
// wait), and before the question it takes the terminal back (terminal-text.ts) on a fresh line.
// Output bound for a terminal is filtered on the way (terminal-filter.ts): it cannot change the
// terminal's colours, modes or title, which no take-back can reliably undo.

import type { Readable, Writable } from "node:stream";
import type { Prompter } from "./permissions.js";
import { TerminalFilter } from "./terminal-filter.js";
import { RESET_ATTRIBUTES, TAKE_BACK_TERMINAL } from "./terminal-text.js";

export class OutputGate {
  readonly #sources: Readable[] = [];
  #held = 0;
  /** Whether the last byte forwarded was a newline (the cursor starts a line). */
  #atLineStart = true;

  /** Copy `source` to `target` unless held; filtered when `target` is a terminal. */
  forward(source: Readable | null | undefined, target: Writable): void {
    if (!source) return;
    this.#sources.push(source);
    const filter = (target as { isTTY?: boolean }).isTTY ? new TerminalFilter() : undefined;
    let wrote = false;
    source.on("data", (chunk: Buffer) => {
      const out = filter ? filter.write(chunk) : chunk;
      if (out.length === 0) return;
      wrote = true;
      this.#atLineStart = typeof out === "string" ? out.endsWith("\n") : out[out.length - 1] === 0x0a;
      target.write(out);
    });
    // The script's attributes end with its output: what follows (stui's lines, the shell's prompt)
    // is drawn plain, not concealed (red team 3, finding 4). SGR is all the filter lets persist.
    if (filter) source.on("end", () => void (wrote && target.write(RESET_ATTRIBUTES)));
    if (this.#held > 0) source.pause();
  }

  /** Hold the script's output and take the terminal back, until the returned release is called. */
  hold(terminal: Writable): () => void {
    if (this.#held++ === 0) for (const s of this.#sources) s.pause();
    terminal.write(`${TAKE_BACK_TERMINAL}${this.#atLineStart ? "" : "\n"}\r\x1b[J`);
    this.#atLineStart = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#held === 0) for (const s of this.#sources) s.resume();
    };
  }
}

/** `prompter` whose every question holds the script's output and takes the terminal back first. */
export function gatedPrompter(prompter: Prompter, gate: OutputGate, terminal: Writable): Prompter {
  const held = async <T>(ask: () => Promise<T>): Promise<T> => {
    const release = gate.hold(terminal);
    try {
      return await ask();
    } finally {
      release();
    }
  };
  return {
    ask: (question, signal) => held(() => prompter.ask(question, signal)),
    confirm: (question, signal) => held(() => prompter.confirm(question, signal)),
  };
}
