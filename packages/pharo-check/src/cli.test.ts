import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { findRepoRoot, main } from "./cli.js";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..", "..");
const SUMMARY = /^pharo-check: \d+ methods, \d+ sends, \d+ unresolved, \d+ syntax errors, \d+ deprecated$/;

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { cwd: repoRoot, out: (l) => out.push(...l.split("\n")), err: (l) => err.push(...l.split("\n")) });
  return { code, out, err };
}

const fixture = (name: string): string => `packages/pharo-check/fixtures/${name}/src`;

describe("stui-pharo-check CLI", () => {
  it("finds the repo root through the workspaces package.json", () => {
    expect(findRepoRoot(here)).toBe(repoRoot);
  });

  it("passes the good fixture with exit 0 and the summary as the last line", async () => {
    const { code, out } = await run(["--root", fixture("good")]);
    expect(code).toBe(0);
    expect(out.at(-1)).toMatch(/^pharo-check: 25 methods, \d+ sends, 0 unresolved, 0 syntax errors, 0 deprecated$/);
    // Notes (the index used; the FFI check where /usr/include/zmq.h exists) and, on a machine
    // without that header, the FFI check's "skipped" line may precede it; problems may not.
    expect(out.filter((l) => !l.startsWith("pharo-check: note:") && !l.startsWith("pharo-check: skipped:"))).toHaveLength(1);
  });

  it("reads the index committed with the checker, not ../shared, and says which one and where it came from", async () => {
    const { out } = await run(["--root", fixture("good")]);
    expect(out[0]).toBe("pharo-check: note: index: packages/pharo-check/index/pharo12-symbols.json.gz (pharo-project/pharo Pharo12 @ 89d0e0e998e7)");
    expect(out.some((l) => l.includes("shared"))).toBe(false);
    expect(out.some((l) => l.startsWith("pharo-check: skipped: selector resolution"))).toBe(false);
  });

  it("reports problems as path:line:col: kind: message relative to the repo root, then exits 1", async () => {
    const { code, out } = await run(["--root", fixture("syntax-error"), "--no-index"]);
    expect(code).toBe(1);
    expect(out).toContain(
      "packages/pharo-check/fixtures/syntax-error/src/STUI-Core/STUIBroken.class.st:18:11: syntax-error: expression expected, found '.'",
    );
    expect(out.at(-1)).toBe("pharo-check: 3 methods, 1 sends, 0 unresolved, 1 syntax errors, 0 deprecated");
  });

  it("says which checks it skipped when it runs without the index", async () => {
    const { code, out } = await run(["--root", fixture("good"), "--no-index"]);
    expect(code).toBe(0);
    expect(out.some((l) => l.startsWith("pharo-check: skipped: selector resolution"))).toBe(true);
    expect(out.at(-1)).toMatch(SUMMARY);
  });

  it("sorts problems and counts them into U and D", async () => {
    const { code, out } = await run(["--root", fixture("bad-selector")]);
    expect(code).toBe(1);
    const problems = out.slice(0, -1);
    expect(problems).toEqual([...problems].sort((a, b) => Number(a.split(":")[1]) - Number(b.split(":")[1])));
    expect(out.at(-1)).toBe("pharo-check: 4 methods, 4 sends, 4 unresolved, 0 syntax errors, 0 deprecated");
    const dep = await run(["--root", fixture("deprecated")]);
    expect(dep.code).toBe(1);
    expect(dep.out.at(-1)).toBe("pharo-check: 2 methods, 2 sends, 0 unresolved, 0 syntax errors, 2 deprecated");
  });

  it("counts missing handlers and undeclared variables as unresolved", async () => {
    expect((await run(["--root", fixture("missing-handler"), "--no-index"])).out.at(-1)).toMatch(/ 2 unresolved,/);
    expect((await run(["--root", fixture("undeclared"), "--no-index"])).out.at(-1)).toMatch(/ 2 unresolved,/);
  });

  it("prints one JSON document with --json and sends the summary to stderr", async () => {
    const { code, out, err } = await run(["--root", fixture("undeclared"), "--no-index", "--json"]);
    expect(code).toBe(1);
    const doc = JSON.parse(out.join("\n")) as { methods: number; unresolved: number; problems: { file: string; line: number; kind: string }[] };
    expect(doc.methods).toBe(3);
    expect(doc.problems.map((p) => [p.file, p.line, p.kind])).toEqual([
      ["packages/pharo-check/fixtures/undeclared/src/STUI-Core/STUIShape.class.st", 14, "undeclared"],
      ["packages/pharo-check/fixtures/undeclared/src/STUI-Core/STUIShape.class.st", 20, "undeclared"],
    ]);
    expect(err.at(-1)).toMatch(SUMMARY);
  });

  it("is not an error when the root is missing, but says so", async () => {
    const missing = join(mkdtempSync(join(tmpdir(), "pharo-check-cli-")), "src");
    const { code, out } = await run(["--root", missing, "--no-index"]);
    expect(code).toBe(0);
    expect(out.some((l) => /does not exist: nothing to check/.test(l))).toBe(true);
    expect(out.at(-1)).toBe("pharo-check: 0 methods, 0 sends, 0 unresolved, 0 syntax errors, 0 deprecated");
  });

  it("exits 2 on bad options or a missing --index file, and prints help", async () => {
    expect((await run(["--bogus"])).code).toBe(2);
    expect((await run(["--index", "/nonexistent/pharo-symbols.json"])).code).toBe(2);
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out.join("\n")).toMatch(/--root DIR[\s\S]*--index FILE[\s\S]*--json/);
  });

  it("runs through the bin shim", async () => {
    const bin = join(here, "..", "bin", "stui-pharo-check.js");
    const { stdout } = await promisify(execFile)(process.execPath, [bin, "--root", fixture("good")], { cwd: repoRoot });
    expect(stdout.trimEnd().split("\n").at(-1)).toMatch(SUMMARY);
  });
});
