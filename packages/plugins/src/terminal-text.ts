// Text that reaches a person's terminal from something stui does not trust (a plugin's
// declaration, a file name, a script's output) must not drive the terminal: an escape sequence
// can hide text (conceal, same colours), move the cursor over what stui printed, or leave the
// terminal in a state that hides what comes next (red team finding 7: a description with
// `\x1b[8m` hid the real "It asks for: read, eval, write, system" line of the approval
// question; a script's output forged a permission question).

/**
 * Characters that steer a terminal or reorder text instead of showing as themselves: C0 controls
 * (newline and tab included), DEL, C1 controls (0x9b is a one-byte CSI), the line and paragraph
 * separators, and the bidirectional overrides and isolates.
 */
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const CONTROL_CHARACTERS = new RegExp(CONTROL_CHARACTER.source, "g");
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** How a control character is shown: `\x1b`, `\u202e`. */
export function escapeCharacter(c: string): string {
  const code = c.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** `text` with every control character shown as an escape; `lines`: newlines and tabs kept (host messages of several lines). */
export function printable(text: string, options: { lines?: boolean } = {}): string {
  return text.replace(options.lines ? CONTROL_BUT_LINES : CONTROL_CHARACTERS, escapeCharacter);
}

/**
 * Written before a question: the terminal taken back from whatever a script printed. CAN (0x18)
 * ends an escape or control sequence in progress and ESC \ a string one (a title left open would
 * swallow the question); DECSTR (soft reset) restores scroll margins, origin, insert mode,
 * character sets and the cursor's visibility; SGR 0 plain attributes; G0 ASCII, shifted in.
 */
export const TAKE_BACK_TERMINAL = "\x18\x1b\\\x1b[!p\x1b[0m\x1b(B\x0f\x1b[?25h";

/**
 * The one function that writes stui's own messages to stderr (every CLI command's `err`, the
 * host's log): whatever they quote (a script's error message and stack, a path it asked for, a
 * server's answer) is shown with its control characters as escapes, never obeyed by the terminal
 * (red team 3, finding 1: `stui run` passed its own log and bypassed the host's escaping).
 */
export function writeHostText(text: string): void {
  const shown = printable(text, { lines: true });
  // On a terminal, plain attributes first: a script's SGR (kept by the filter, or its unfiltered
  // output) must not conceal or recolour stui's line (red team 3, finding 4).
  process.stderr.write(`${process.stderr.isTTY ? RESET_ATTRIBUTES : ""}${shown.endsWith("\n") ? shown : `${shown}\n`}`);
}

/** SGR 0: the only state the terminal filter lets a script's output leave behind (text attributes). */
export const RESET_ATTRIBUTES = "\x1b[0m";
