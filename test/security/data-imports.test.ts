// Red team finding 17: at bundle time the whole script folder was readable through
// `import x from "./.netrc" with { type: "text" }`: a script saved in ~ inlined ~/.netrc,
// though at run time it reads nothing without --allow-fs-read. Now data (text, bytes, JSON,
// .txt) is bundled only from folders granted with --allow-fs-read (and node_modules); code
// (.ts, .js) of the script's folder is bundled as before. Observed from outside: the secret
// shows neither in the output nor in any cached file; with the grant (control) the same import
// works; a bundle cached under a grant is not reused without it.

import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT } from "../../packages/plugins/src/exit-codes.js";
import { allText, at, runHostile, tempDir } from "./harness.js";

/** A folder standing for ~: a secret beside the script. */
function homeLike(importLine: string, secretName: string, secretText: string): { dir: string; script: string } {
  const dir = tempDir("stui-sec-tilde-");
  writeFileSync(path.join(dir, secretName), secretText);
  const script = path.join(dir, "report.ts");
  writeFileSync(script, `${importLine}\nconsole.log("bundled:", JSON.stringify(data));\n`);
  return { dir, script };
}

describe("data imports at bundle time (finding 17)", () => {
  for (const [kind, line, name] of [
    ["text", 'import data from "./.netrc" with { type: "text" };', ".netrc"],
    ["bytes", 'import data from "./.netrc" with { type: "bytes" };', ".netrc"],
    ["a .txt file", 'import data from "./notes.txt";', "notes.txt"],
    ["JSON", 'import data from "./config.json";', "config.json"],
  ] as const) {
    it(at(`${kind} beside the script, without --allow-fs-read: refused at build; the secret shows nowhere`), async () => {
      const secret = `FAKE-NETRC-PASSWORD-${process.pid}-${Math.random().toString(36).slice(2)}`;
      const { script } = homeLike(line, name, kind === "JSON" ? JSON.stringify({ password: secret }) : `machine example.com login alice password ${secret}\n`);
      const home = tempDir("stui-sec-home-");
      const r = await runHostile(script, { home });
      expect(r.summary.status).toBe("buildError");
      expect(r.summary.exitCode).toBe(EXIT.scriptError);
      expect(r.log.join("\n")).toMatch(/may bundle \S+ as data .* only from a folder granted with --allow-fs-read/);
      expect(r.stdout + r.stderr + r.log.join("\n")).not.toContain(secret);
      expect(allText(home)).not.toContain(secret);
    });
  }

  it(at("control: with --allow-fs-read of the folder the same import is bundled; the cached bundle is not reused once the grant is gone"), async () => {
    const secret = `GRANTED-${process.pid}`;
    const { dir, script } = homeLike('import data from "./notes.txt" with { type: "text" };', "notes.txt", secret);
    const home = tempDir("stui-sec-home-");
    const granted = await runHostile(script, { home, fsRead: [dir] });
    expect(granted.summary.status).toBe("ok");
    expect(granted.stdout).toContain(`bundled: "${secret}"`);
    const again = await runHostile(script, { home });
    expect(again.summary.status).toBe("buildError");
    expect(again.summary.bundleCached).not.toBe(true);
    expect(again.stdout).not.toContain(secret);
  });
});
