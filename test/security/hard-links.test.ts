// Red team finding 16: the bundler's read guard decides by path, so a hard link to the STUI
// home's key beside a script (`import k from "./notes.txt" with { type: "text" }`) bundled the
// key (with the folder granted for reading: data imports need that since finding 17), and a folder swapped for a symlink between the guard's check and its open (a race) did
// too, once in 300 tries. Now the opened descriptor is checked after the open (its path on
// Linux, its device and inode against the home's files, its link count). Observed from
// outside: the secret appears neither in the script's output nor in any cached file; a copy
// of an ordinary file (control) is bundled as before. The race itself is not run here (it
// needs hundreds of tries to hit): the post-open check it meets is unit-tested with a
// descriptor opened through a swapped folder (packages/plugins/src/bundle-guard.test.ts).

import { linkSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT } from "../../packages/plugins/src/exit-codes.js";
import { allText, at, runHostile, tempDir } from "./harness.js";

const IMPORT_NOTES = 'import notes from "./notes.txt" with { type: "text" };\nconsole.log("bundled:", notes);\n';

describe("hard links beside a script (finding 16)", () => {
  it(at("a hard link to the STUI home's key is refused (by the grant check, before the build); the key shows nowhere"), async () => {
    const home = tempDir("stui-sec-home-");
    const secret = `HOME-KEY-SECRET-${process.pid}-${Date.now()}`;
    mkdirSync(path.join(home, "keys"));
    writeFileSync(path.join(home, "keys", "client.key_secret"), secret, { mode: 0o600 });
    const dir = tempDir();
    linkSync(path.join(home, "keys", "client.key_secret"), path.join(dir, "notes.txt"));
    writeFileSync(path.join(dir, "hostile.ts"), IMPORT_NOTES);
    // The data import needs the folder granted for reading, and the grant check (red team 3,
    // finding 2) sees the link first; the bundler's own check is the next test.
    await expect(runHostile(path.join(dir, "hostile.ts"), { home, fsRead: [dir] })).rejects.toThrow(/notes\.txt is a hard link to a file of the STUI home/);
    expect(allText(path.join(home, "cache"))).not.toContain(secret);
  });

  it(at("a hard link to the STUI home's key imported as code, with no grant, is refused at build; the key shows nowhere"), async () => {
    const home = tempDir("stui-sec-home-");
    const secret = `HOME-KEY-SECRET-${process.pid}-${Date.now()}`;
    mkdirSync(path.join(home, "keys"));
    writeFileSync(path.join(home, "keys", "client.key_secret"), secret, { mode: 0o600 });
    const dir = tempDir();
    linkSync(path.join(home, "keys", "client.key_secret"), path.join(dir, "notes.ts"));
    writeFileSync(path.join(dir, "hostile.ts"), 'import "./notes.ts";\n');
    const r = await runHostile(path.join(dir, "hostile.ts"), { home });
    expect(r.summary.status).toBe("buildError");
    expect(r.summary.exitCode).toBe(EXIT.scriptError);
    expect(r.log.join("\n")).toMatch(/notes\.ts: it is a hard link to a file of the STUI home/);
    expect(r.stdout + r.stderr + r.log.join("\n")).not.toContain(secret);
    expect(allText(path.join(home, "cache"))).not.toContain(secret);
  });

  it(at("a hard link to any other file (its other name may be anywhere) is refused; a copy is bundled (control)"), async () => {
    const elsewhere = path.join(tempDir(), "private.txt");
    const secret = `ELSEWHERE-${process.pid}-${Date.now()}`;
    writeFileSync(elsewhere, secret);
    const linked = tempDir();
    linkSync(elsewhere, path.join(linked, "notes.txt"));
    writeFileSync(path.join(linked, "hostile.ts"), IMPORT_NOTES);
    const refused = await runHostile(path.join(linked, "hostile.ts"), { fsRead: [linked] });
    expect(refused.summary.status).toBe("buildError");
    expect(refused.log.join("\n")).toMatch(/notes\.txt: it has 2 names \(hard links\)/);
    expect(refused.stdout + refused.stderr).not.toContain(secret);

    const copied = tempDir();
    writeFileSync(path.join(copied, "notes.txt"), secret);
    writeFileSync(path.join(copied, "hostile.ts"), IMPORT_NOTES);
    const bundled = await runHostile(path.join(copied, "hostile.ts"), { fsRead: [copied] });
    expect(bundled.summary.status).toBe("ok");
    expect(bundled.stdout).toContain(`bundled: ${secret}`);
  });
});
