// Red team finding 7: terminal escapes forged stui's questions. A plugin's description hid the
// real "It asks for: read, eval, write, system" line of the approval question and redrew a
// `stui list` row as a harmless reader; a script's own output printed a forged "read" question
// and concealed the real "write" one, and the person's "a" granted write. Attacked through a
// real pseudo-terminal (util-linux `script`); what the person would see is the output rendered
// by a terminal emulator (@xterm/headless), reading only cells that show (concealed text and
// text in its background's colour do not count). Observed from outside as well: the server's
// call log.

import xterm from "@xterm/headless";
import path from "node:path";
import { startTestServer, type TestServer } from "@stui/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../packages/plugins/src/exit-codes.js";
import { HAS_SCRIPT, STUI_BIN, pty, stui } from "../../packages/plugins/test/cli-helpers.js";
import { FIXTURES, at, hostile, tempDir } from "./harness.js";

const COLS = 120;
const ROWS = 40;

/** The screen a terminal shows after `output`: one string per line, blank where a cell does not show. */
async function screen(output: string): Promise<string[]> {
  const term = new xterm.Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true, scrollback: 1000 });
  await new Promise<void>((resolve) => term.write(output.replace(/\r?\n/g, "\r\n"), resolve));
  const buffer = term.buffer.active;
  const rows: string[] = [];
  // What the person sees: the rows on the screen, not the scrollback.
  for (let y = buffer.viewportY; y < buffer.viewportY + ROWS; y++) {
    const line = buffer.getLine(y)!;
    let text = "";
    for (let x = 0; x < COLS; x++) {
      const cell = line.getCell(x);
      if (!cell || cell.getWidth() === 0) continue;
      const hidden = cell.isInvisible() !== 0 || (!cell.isFgDefault() && cell.getFgColorMode() === cell.getBgColorMode() && cell.getFgColor() === cell.getBgColor());
      text += hidden ? " " : cell.getChars() || " ";
    }
    // A row the terminal wrapped continues the one above (one logical line).
    if (line.isWrapped && rows.length > 0) rows[rows.length - 1] = rows.at(-1)!.padEnd(COLS) + text.trimEnd();
    else rows.push(text.trimEnd());
  }
  term.dispose();
  return rows;
}

/** The shown screen as one text. */
const shown = async (output: string): Promise<string> => (await screen(output)).join("\n");

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ endpoint: "tcp://127.0.0.1:*" });
});
afterAll(() => server.close());

const stuiCommand = (...args: string[]): string => [process.execPath, STUI_BIN, ...args].map((a) => JSON.stringify(a)).join(" ");
const PLUGINS = path.join(FIXTURES, "terminal-plugins");

describe.skipIf(!HAS_SCRIPT)("terminal escapes (finding 7), in a pseudo-terminal (util-linux script)", () => {
  it("stui list shows no forged row: declarations with control characters are listed as not plugins, their text escaped", async () => {
    const list = pty(stuiCommand("list"), { env: { STUI_PLUGIN_PATH: PLUGINS } });
    expect(await list.done).toBe(EXIT.ok);
    const seen = await shown(list.output);
    expect(seen).not.toMatch(/^row\s+read\s+a harmless reader/m);
    expect(seen).not.toMatch(/^It asks for/m);
    expect(seen).toContain("No plugins found.");
    expect(seen).toMatch(/innocent\.ts:6:\d+: "description" holds a control character \(\\x0a at character 14\)/);
    expect(seen).toMatch(/row\.ts:5:\d+: "name" holds a control character \(\\x1b at character 4\)/);
    // The offending source line is shown as written, its escapes as text.
    expect(seen).toContain('name: "row\\u001b[8m"');
  });

  it(at("a plugin whose description forges the approval question is refused before anything is asked; the server gets no evaluate"), async () => {
    const run = pty(stuiCommand("run", path.join(PLUGINS, "innocent.ts")), { env: { STUI_ENDPOINT: server.endpoint } });
    expect(await run.done).toBe(EXIT.scriptError);
    const seen = await shown(run.output);
    expect(seen).not.toContain("Allow");
    expect(seen).toMatch(/its source declares none that stui can read \("description" holds a control character/);
    expect(server.callsOf("evaluate")).toEqual([]);
  });

  for (const how of ["conceal", "margins", "overwrite"]) {
    it(at(`a script's output cannot hide or forge the real question (${how}): the screen shows method.compile and "write"; 'n' refuses and the server gets nothing`), async () => {
      const run = pty(stuiCommand("run", hostile("terminal-forge.ts"), "--", how), { env: { STUI_ENDPOINT: server.endpoint } });
      await run.expect(/method\.compile, which needs the "write" permission[\s\S]*\[y\/n\/a\] /);
      // The attack's window: the question is up, and an unheld script redraws over it every 10 ms (30 times here).
      await new Promise((resolve) => setTimeout(resolve, 300));
      const rows = await screen(run.output);
      const seen = rows.join("\n");
      expect(seen).toMatch(/stui: The script calls method\.compile, which needs the "write" permission/);
      // The real question is the last thing on the screen: the line the cursor waits on.
      expect(rows.filter((r) => r.trim() !== "").at(-1)).toMatch(/^Allow\? y = this call, n = refuse for this run, a = always for this run \[y\/n\/a\]$/);
      run.send("n\r");
      expect(await run.done).toBe(EXIT.permissionDenied);
      expect(server.callsOf("method.compile")).toEqual([]);
    });
  }

  // Red team 2, finding 3: the emulator here draws default-colour cells as visible whatever OSC
  // 10/11 set, so the screen cannot show this attack; the raw bytes the terminal got can.
  it(at("a script's output cannot set the terminal's colours, palette or modes (OSC 10/11/12/4, DCS, alternate screen, mouse): none of it reaches the terminal; its SGR colours do"), async () => {
    const run = pty(stuiCommand("run", hostile("terminal-forge.ts"), "--", "colours"), { env: { STUI_ENDPOINT: server.endpoint } });
    await run.expect(/method\.compile, which needs the "write" permission[\s\S]*\[y\/n\/a\] /);
    const raw = run.output;
    // Control: the script's output did reach the terminal, forged line and explicit colours included.
    expect(raw).toContain("\x1b[38;2;255;255;255;48;2;0;0;0mstui: The script calls classes.list");
    const question = raw.indexOf("stui: The script calls method.compile");
    const before = raw.slice(0, question);
    for (const state of ["\x1b]", "\x1bP", "\x1b[?1049h", "\x1b[?1000h"]) expect(before, JSON.stringify(state)).not.toContain(state);
    run.send("n\r");
    expect(await run.done).toBe(EXIT.permissionDenied);
    expect(run.output).not.toContain("\x1b]");
    expect(server.callsOf("method.compile")).toEqual([]);
  });
});

// Red team 3, finding 1: stui's own lines quote what the script chose (its error's message and
// code, the path a denial names); `stui run` wrote them raw. Piped stderr: the escaping does not
// depend on a terminal.
describe("stui's own messages about a script (red team 3, finding 1), through the real CLI", () => {
  const RAW = ["\x1b]11;", "\x1b[?1049h", "\x1b[8m", "\u009b", "\x1b", "\x07"];
  for (const how of ["message", "path"]) {
    it(at(`a script's ${how === "message" ? "error message and code" : "denied path"} with OSC 11, the alternate screen, SGR 8 and an 8-bit CSI: stderr shows them escaped, none raw`), async () => {
      const run = await stui(["run", hostile("terminal-error.ts"), "--", how], { env: { STUI_ENDPOINT: server.endpoint } });
      expect(run.code).toBe(how === "message" ? EXIT.scriptError : EXIT.permissionDenied);
      for (const raw of RAW) expect(run.stderr, JSON.stringify(raw)).not.toContain(raw);
      expect(run.stderr).toContain("\\x1b]11;#000000\\x07\\x1b[?1049h\\x1b[8m\\x9b8m");
      if (how === "message") expect(run.stderr).toMatch(/script error: Error: x\\x1b\]11;.*y/);
      if (how === "message") expect(run.stderr).toContain("code: C\\x1b]11;");
    });
  }
});

// Red team 3, finding 4: after `ESC[8m` the script's attributes outlived it, and stui's verdict
// line (and the shell prompt after it) were concealed; only the script's forged "Done" showed.
describe.skipIf(!HAS_SCRIPT)("the script's text attributes end with it (red team 3, finding 4), in a pseudo-terminal", () => {
  it(at("a script that leaves SGR 8 (conceal) on and throws: stui's \"script error\" line is visible on the rendered screen, and the output ends in plain attributes"), async () => {
    const run = pty(stuiCommand("run", hostile("terminal-error.ts"), "--", "conceal"), { env: { STUI_ENDPOINT: server.endpoint } });
    expect(await run.done).toBe(EXIT.scriptError);
    const seen = await shown(run.output);
    // Control: the script's own line came through, and its SGR 8 reached the terminal.
    expect(seen).toContain("Done: 3 classes updated.");
    expect(run.output).toContain("\x1b[8m");
    expect(seen).toMatch(/^stui: script error: Error: boom/m);
    // What the shell draws next is not concealed: the last SGR the terminal got is a reset.
    expect(run.output.slice(run.output.lastIndexOf("\x1b[8m"))).toContain("\x1b[0m");
    expect([...run.output.matchAll(/\x1b\[[0-9;:]*m/g)].at(-1)?.[0]).toBe("\x1b[0m");
  });
});

// Red team 3, finding 5: CSI 3J, H, 2J wiped what stui had printed before the script (its
// isolation warning, an answered question) from the screen and the scrollback.
describe.skipIf(!HAS_SCRIPT)("a script cannot wipe the screen or the scrollback (red team 3, finding 5), in a pseudo-terminal", () => {
  it(at("a script that prints a line and then erases scrollback, screen and above (3J, 2J, 1J): the line is still on the rendered screen"), async () => {
    const run = pty(stuiCommand("run", hostile("terminal-error.ts"), "--", "wipe"), { env: { STUI_ENDPOINT: server.endpoint } });
    expect(await run.done).toBe(EXIT.ok);
    const seen = await shown(run.output);
    expect(seen).toContain("all clear");
    expect(seen).toContain("earlier line");
    for (const wipe of ["\x1b[3J", "\x1b[2J", "\x1b[1J"]) expect(run.output, JSON.stringify(wipe)).not.toContain(wipe);
  });
});

// Red team 3, finding 7: with stdin a terminal and stderr redirected (no questions), the script
// was given the terminal as its stdin: it could read keystrokes and write escapes through fd 0.
describe.skipIf(!HAS_SCRIPT)("a terminal on stdin is never the script's (red team 3, finding 7), in a pseudo-terminal", () => {
  it(at("stdin a terminal, stderr to a file: the script's stdin is not a terminal and nothing it writes to fd 0 reaches the terminal"), async () => {
    const errLog = path.join(tempDir("stui-rt3-stdin-"), "err.log");
    const run = pty(`${stuiCommand("run", hostile("terminal-stdin.ts"))} 2>${JSON.stringify(errLog)}`, { env: { STUI_ENDPOINT: server.endpoint } });
    expect(await run.done).toBe(EXIT.ok);
    expect(run.output).toContain("stdin is a terminal: false");
    expect(run.output).not.toContain("PWNED-TITLE");
    expect(run.output).not.toContain("written to fd 0");
  });
});
