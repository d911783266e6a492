// A script's output on its way to a person's terminal, with everything removed that could change
// the terminal's state beyond the text on the screen (red team 2, finding 3: OSC 10/11 set the
// default colours to black on black, the take-back's SGR 0 then drew stui's real question in
// them, and a forged question printed in explicit white was all the person could read).
//
// Kept: text, newline, carriage return, tab, backspace and bell; SGR (colours and attributes,
// which the take-back's SGR 0 resets before a question); cursor moves and erases (progress bars),
// which cannot outlive the take-back either (the question is drawn after them, on a fresh line),
// but erase-display only below the cursor (not the screen above, the whole screen or the scrollback).
// Dropped whole: OSC, DCS, APC, PM and SOS strings (colours, palette, title, clipboard, fonts,
// hyperlinks), every other escape sequence (character sets, keypad modes, resets), CSI sequences
// with a private or intermediate byte (DECSET modes: the alternate screen, mouse reporting,
// bracketed paste; cursor style; DECSTR) or any final other than the kept ones (scroll margins,
// window operations, device reports), the other C0 controls (SO/SI, VT, FF, CAN, SUB…), DEL and
// the C1 controls (U+0080–U+009F, which some terminals obey as 8-bit ESC, CSI, OSC…).
// This is a filter, not a reset: a reset of the colours (OSC 104/110/111) would also undo the
// colours a person set themselves (a base16-shell theme is OSC 4/10/11 in the shell's start-up).
//
// The parser follows the VT500 state diagram (vt100.net/emu/dec_ansi_parser): ground, escape,
// CSI (parameters, intermediates, final), and control strings ended by ST (ESC \) or BEL; a
// sequence split across chunks is carried to the next one.

import { StringDecoder } from "node:string_decoder";

/** The CSI finals kept (without private or intermediate bytes): SGR, cursor moves, erases, cursor save/restore. */
const KEPT_CSI_FINALS = new Set("mABCDEFGHfJKsu");
/**
 * Erase-display kept only below the cursor (`CSI J`, `CSI 0J`, what progress output uses): the
 * whole screen (2J), above the cursor (1J) and the scrollback (3J) would wipe what stui printed
 * before the script, its isolation warning or an answered question (red team 3, finding 5).
 */
const ERASE_BELOW = new Set(["", "0"]);
/** C0 controls kept as they are: BEL, BS, HT, LF, CR. */
const KEPT_C0 = new Set([0x07, 0x08, 0x09, 0x0a, 0x0d]);
/**
 * A CSI sequence whose parameters are longer than this is dropped (and ends at its final byte as
 * usual). Only MAX_CSI + 1 characters are ever kept, the last marking it too long: an unterminated
 * `ESC [ 1111…` of 256 MiB crashed the host out of memory (red team 3, finding 3). Strings (OSC,
 * DCS…) are dropped and never buffered at all.
 */
export const MAX_CSI = 64;

type State = "ground" | "escape" | "csi" | "string" | "stringEscape";

export class TerminalFilter {
  readonly #decoder = new StringDecoder("utf8");
  #state: State = "ground";
  #csi = "";

  /** How many characters the filter holds for a sequence in progress: never more than MAX_CSI + 1. */
  get held(): number {
    return this.#csi.length;
  }

  /** The part of `chunk` that may reach the terminal (what ends mid-sequence waits for the next chunk). */
  write(chunk: Buffer): string {
    return this.#filter(this.#decoder.write(chunk));
  }

  #filter(text: string): string {
    let out = "";
    for (const c of text) {
      const code = c.codePointAt(0)!;
      switch (this.#state) {
        case "ground":
          if (code === 0x1b) this.#state = "escape";
          else if (code < 0x20 ? KEPT_C0.has(code) : code !== 0x7f && (code < 0x80 || code > 0x9f)) out += c;
          break;
        case "escape":
          if (c === "[") {
            this.#state = "csi";
            this.#csi = "";
          } else if (c === "]" || c === "P" || c === "_" || c === "^" || c === "X") this.#state = "string";
          else if (code === 0x1b) this.#state = "escape";
          else if (code >= 0x20 && code <= 0x2f) this.#state = "escape"; // an intermediate (ESC ( B, ESC # 8): its final is dropped next
          else this.#state = "ground"; // the final of an escape sequence (or a control that cancels it): dropped
          break;
        case "csi":
          if (code >= 0x40 && code <= 0x7e) {
            if (KEPT_CSI_FINALS.has(c) && /^[0-9;:]*$/.test(this.#csi) && this.#csi.length <= MAX_CSI && (c !== "J" || ERASE_BELOW.has(this.#csi))) out += `\x1b[${this.#csi}${c}`;
            this.#state = "ground";
          } else if (code === 0x1b) this.#state = "escape";
          else if (code === 0x18 || code === 0x1a) this.#state = "ground"; // CAN, SUB cancel it
          else if (code >= 0x20 && code <= 0x3f) {
            if (this.#csi.length <= MAX_CSI) this.#csi += c; // past the cap: too long already, to be dropped
          }
          // other controls inside a CSI are ignored, as terminals do
          break;
        case "string":
          if (code === 0x07) this.#state = "ground";
          else if (code === 0x1b) this.#state = "stringEscape";
          else if (code === 0x18 || code === 0x1a) this.#state = "ground";
          break;
        case "stringEscape":
          // ESC \ ends the string; ESC anything else ends it too and starts a new sequence.
          if (c === "\\") this.#state = "ground";
          else {
            this.#state = "escape";
            out += this.#filter(c);
          }
          break;
      }
    }
    return out;
  }
}
