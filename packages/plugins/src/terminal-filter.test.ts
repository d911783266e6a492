import { describe, expect, it } from "vitest";
import { MAX_CSI, TerminalFilter } from "./terminal-filter.js";

/** `chunks` through one filter, as the script's pipe delivers them. */
const filtered = (...chunks: (string | Buffer)[]): string => {
  const f = new TerminalFilter();
  return chunks.map((c) => f.write(typeof c === "string" ? Buffer.from(c) : c)).join("");
};

describe("TerminalFilter", () => {
  it("keeps text, line controls, SGR colours, cursor moves and erases", () => {
    const kept = "plain ünïcode 表 ✓\ttab\r\n\x1b[1;38;2;255;255;255;48;5;0mwhite\x1b[0m \x1b[2K\r50%\x1b[3A\x1b[10;4H\x1b[J\x1b[s\x1b[u\x07\b";
    expect(filtered(kept)).toBe(kept);
  });

  it("drops OSC, DCS, APC, PM and SOS strings, ended by BEL or ST", () => {
    expect(filtered("a\x1b]10;rgb:00/00/00\x07b\x1b]11;rgb:00/00/00\x1b\\c\x1b]4;1;#000000\x07d")).toBe("abcd");
    expect(filtered("a\x1bPq#0;2;0;0;0\x1b\\b\x1b_apc\x1b\\c\x1b^pm\x07d\x1bXsos\x1b\\e")).toBe("abcde");
    expect(filtered("\x1b]0;forged title\x07\x1b]8;;https://x\x07link\x1b]8;;\x07")).toBe("link");
  });

  it("drops private modes, intermediates, other CSI finals and plain escape sequences", () => {
    expect(filtered("\x1b[?1049h\x1b[?1000h\x1b[?25l\x1b[?5h\x1b[>4;1m\x1b[!p\x1b[2 q\x1b[1;2r\x1b[8;5;5t\x1b[6n\x1b[4h|")).toBe("|");
    expect(filtered("\x1b(0\x1b)0\x1bc\x1b#8\x1b=\x1b7\x1b8\x1bM|")).toBe("|");
    expect(filtered(`\x1b[${"1;".repeat(40)}1m|`)).toBe("|");
  });

  it("drops other C0 controls, DEL and C1 controls (8-bit CSI, OSC as U+009B, U+009D)", () => {
    expect(filtered("a\x0eb\x0fc\x0bd\x0ce\x00f\x7fg\u009b31mh\u009d11;x\u009ci")).toBe("abcdefg31mh11;xi");
  });

  it("carries a sequence and a UTF-8 character split across chunks", () => {
    expect(filtered("a\x1b", "]11;rgb:00/", "00/00\x1b", "\\b\x1b[", "31", "mc")).toBe("ab\x1b[31mc");
    const snow = Buffer.from("☃");
    expect(filtered(snow.subarray(0, 1), snow.subarray(1))).toBe("☃");
  });

  it("an ESC inside a string ends it and starts the next sequence; CAN cancels one", () => {
    expect(filtered("\x1b]11;x\x1b[31mred")).toBe("\x1b[31mred");
    expect(filtered("\x1b]11;x\x18after\x1b[3\x18after")).toBe("afterafter");
  });

  // Red team 3, finding 3: 48 MiB of parameters took the host to 1.8 GB, 256 MiB crashed it.
  it("holds at most MAX_CSI + 1 characters of an unterminated sequence's parameters (64 MiB fed), then drops the sequence whole", () => {
    const f = new TerminalFilter();
    expect(f.write(Buffer.from("a\x1b["))).toBe("a");
    const chunk = Buffer.from("1;".repeat(32 * 1024));
    let out = "";
    for (let i = 0; i < 1024; i++) {
      out += f.write(chunk);
      expect(f.held).toBeLessThanOrEqual(MAX_CSI + 1);
    }
    expect(f.held).toBe(MAX_CSI + 1);
    out += f.write(Buffer.from("mb\x1b[1mc"));
    expect(out).toBe("b\x1b[1mc");
  });

  it("buffers nothing of a dropped string (OSC) however long", () => {
    const f = new TerminalFilter();
    f.write(Buffer.from("\x1b]11;"));
    for (let i = 0; i < 256; i++) f.write(Buffer.alloc(64 * 1024, 0x41));
    expect(f.held).toBe(0);
    expect(f.write(Buffer.from("\x07ok"))).toBe("ok");
  });

  // Red team 3, finding 5: CSI 3J H 2J wiped stui's isolation warning from the screen and the scrollback.
  it("keeps erase-display below the cursor only: drops erase above (1J), the whole screen (2J) and the scrollback (3J)", () => {
    expect(filtered("a\x1b[3J\x1b[H\x1b[2J\x1b[1J\x1b[2;3Jb\x1b[J\x1b[0Jc")).toBe("a\x1b[Hb\x1b[J\x1b[0Jc");
  });
});
