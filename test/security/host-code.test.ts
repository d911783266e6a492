// Red team finding 10: a write grant over stui's own code (the README's own
// `--allow-fs-write=.` from the repository root) let a script append to bin/stui.js, and the
// next `stui` command ran it unsandboxed; the same grant reached node_modules/esbuild and
// .git/hooks. Such grants are now refused like the STUI home (exit 2, before anything runs).
// Observed from outside: the exit code and message, and the files the script tried to plant
// do not appear; a dedicated output folder still works (control: the same script, the same
// kind of file, written).

import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { EXIT } from "../../packages/plugins/src/exit-codes.js";
import { hostCode, packageFolderOf } from "../../packages/plugins/src/host-code.js";
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

  it(at("node_modules, a package stui loads, the .git folder, Node's own folder and the global node_modules are refused as write grants too; read grants of them are not"), async () => {
    const git = hostCode().filter((c) => c.what.startsWith("the .git folder"));
    // The global node_modules holds npm and npx, which start stui (red team 2, finding 9).
    const global = hostCode().filter((c) => c.what.startsWith("the global node_modules") && existsSync(c.path));
    const dirs = [path.join(REPO, "node_modules"), path.join(REPO, "node_modules", "esbuild"), path.dirname(process.execPath), ...global.map((g) => g.path), ...git.map((g) => path.join(g.path, "hooks")).filter(existsSync)];
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

  it(at("a write grant over @stui/client as the host loads it (its sources in the repository, no dist/ needed) is refused; its index is unchanged and no later run runs planted code (red team 2, finding 2)"), async () => {
    // The folder the host runs the client from: Node's own lookup from bin/stui.js, whatever export condition picks the file.
    // Granted by its real path (node_modules/@stui/client is a symlink, and node_modules is refused on its own).
    const client = realpathSync(packageFolderOf("@stui/client", pathToFileURL(STUI_BIN).href)!);
    expect(client).toBe(path.join(REPO, "packages", "client"));
    const index = path.join(client, "src", "index.ts");
    const before = readFileSync(index);
    const ran = path.join(tempDir(), "planted-ran");
    try {
      for (const dir of [client, path.join(client, "src")]) {
        const r = await stui(["run", hostile("append-host-code.ts"), `--allow-fs-write=${dir}`, "--", index, ran]);
        expect(r.code, dir).toBe(EXIT.usage);
        expect(r.stderr).toMatch(/the @stui\/client package, which stui loads; a script may never write stui's own code/);
        expect(r.stderr).not.toContain("append ");
      }
      expect(readFileSync(index).equals(before)).toBe(true);
      const next = await stui(["run", hostile("plant-host-code.ts")]);
      expect(next.code).toBe(EXIT.ok);
      expect(existsSync(ran)).toBe(false);
    } finally {
      // Were the fix gone, the planted line must not stay in the repository.
      if (!readFileSync(index).equals(before)) writeFileSync(index, before);
    }
  });

  it(at("control: a dedicated output folder is granted, and the same script writes there"), async () => {
    const out = path.join(tempDir(), "out");
    mkdirSync(out);
    const r = await stui(["run", hostile("plant-host-code.ts"), `--allow-fs-write=${out}`, "--", path.join(out, `${marker}.js`)]);
    expect(r.code).toBe(EXIT.ok);
    expect(readFileSync(path.join(out, `${marker}.js`), "utf8")).toBe("planted by a sandboxed script\n");
  });
});
