// Red team finding 10: a write grant over stui's own code (the README's own
// `--allow-fs-write=.` from the repository root) let a script append to bin/stui.js, and the
// next `stui` command ran it unsandboxed; the same grant reached node_modules/esbuild and
// .git/hooks. Such grants are now refused like the STUI home (exit 2, before anything runs).
// Observed from outside: the exit code and message, and the files the script tried to plant
// do not appear; a dedicated output folder still works (control: the same script, the same
// kind of file, written).

import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EXIT } from "../../packages/plugins/src/exit-codes.js";
import { hostCode } from "../../packages/plugins/src/host-code.js";
import { REPO, STUI_BIN, stui } from "../../packages/plugins/test/cli-helpers.js";
import { at, hostile, tempDir } from "./harness.js";

const marker = `stui-sec-planted-${process.pid}`;
const planted: string[] = [];
afterEach(() => {
  // Were the fix gone, this test must not leave its plants in the repository.
  for (const f of planted.splice(0)) rmSync(f, { force: true });
});

/** Where the script tries to plant code, for a grant of `dir`. */
function targets(): string[] {
  const gitCommon = hostCode().find((c) => c.path.endsWith(".git") || c.path.includes(`${path.sep}.git${path.sep}`));
  const files = [path.join(path.dirname(STUI_BIN), `${marker}.js`), path.join(REPO, "node_modules", "esbuild", `${marker}.js`)];
  if (gitCommon) files.push(path.join(gitCommon.path, "hooks", marker));
  planted.push(...files);
  return files;
}

describe("write grants over stui's own code (finding 10)", () => {
  it(at("--allow-fs-write=. from the repository root is refused (exit 2, saying why); nothing is planted and bin/stui.js is unchanged"), async () => {
    const before = readFileSync(STUI_BIN);
    const files = targets();
    const r = await stui(["run", hostile("plant-host-code.ts"), "--allow-fs-write=.", "--", ...files], { cwd: REPO });
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/--allow-fs-write \.: contains \S+, the @stui\/plugins package \(stui itself\); a script may never write stui's own code/);
    expect(r.stderr).not.toContain("plant ");
    for (const f of files) expect(existsSync(f), f).toBe(false);
    expect(readFileSync(STUI_BIN).equals(before)).toBe(true);
  });

  it(at("node_modules, a package stui loads, the .git folder and Node's own folder are refused as write grants too; read grants of them are not"), async () => {
    const git = hostCode().filter((c) => c.what.startsWith("the .git folder"));
    const dirs = [path.join(REPO, "node_modules"), path.join(REPO, "node_modules", "esbuild"), path.dirname(process.execPath), ...git.map((g) => path.join(g.path, "hooks")).filter(existsSync)];
    for (const dir of dirs) {
      const r = await stui(["run", hostile("plant-host-code.ts"), `--allow-fs-write=${dir}`, "--", path.join(dir, marker)]);
      planted.push(path.join(dir, marker));
      expect(r.code, dir).toBe(EXIT.usage);
      expect(r.stderr).toMatch(/a script may never write stui's own code/);
      expect(existsSync(path.join(dir, marker))).toBe(false);
    }
    // A read grant of stui's own code is fine. (Not node_modules as a whole: its workspace links
    // lead out of it, which below full isolation refuses any grant; the grant-contents tests.)
    const read = await stui(["run", hostile("plant-host-code.ts"), `--allow-fs-read=${path.join(REPO, "node_modules", "esbuild")}`]);
    expect(read.code, read.stderr).toBe(EXIT.ok);
  });

  it(at("control: a dedicated output folder is granted, and the same script writes there"), async () => {
    const out = path.join(tempDir(), "out");
    mkdirSync(out);
    const r = await stui(["run", hostile("plant-host-code.ts"), `--allow-fs-write=${out}`, "--", path.join(out, `${marker}.js`)]);
    expect(r.code).toBe(EXIT.ok);
    expect(readFileSync(path.join(out, `${marker}.js`), "utf8")).toBe("planted by a sandboxed script\n");
  });
});
