/**
 * The version history as generate:check sees it, in a scratch repository: a released version
 * edited in place, a break hidden across two steps that each look minor, a directory that
 * disagrees with its version, and `--against` a git revision.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "./cli.js";
import { historyProblems, readHistory } from "./releases.js";

/**
 * The scratch history's 1.0: the released 1.0, stating the depth limit code generation needs (the
 * real 1.0 predates x-stui-limits.maxJsonDepth; a scratch repository generates from its own 1.0).
 */
const released = (() => {
  const s = JSON.parse(readFileSync(new URL("../../../protocol/v1/releases/1.0.schema.json", import.meta.url), "utf8"));
  s["x-stui-limits"].maxJsonDepth = 64;
  return JSON.stringify(s, null, 2) + "\n";
})();

let root: string;
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(root, { recursive: true, force: true });
});

/** A scratch repository with protocol/v1 released at 1.0 and a working schema edited by `edit`. */
function scratch(): string {
  root = mkdtempSync(join(tmpdir(), "stui-history-"));
  writeFileSync(join(root, "package.json"), JSON.stringify({ name: "scratch", private: true, workspaces: [] }));
  mkdirSync(join(root, "protocol/v1/releases"), { recursive: true });
  writeFileSync(join(root, "protocol/v1/releases/1.0.schema.json"), released);
  writeFileSync(join(root, "protocol/v1/stui.schema.json"), released);
  return root;
}

function schemaWith(version: string, edit: (s: any) => void = () => {}): string {
  const s = JSON.parse(released);
  s["x-stui-version"] = version;
  edit(s);
  return JSON.stringify(s, null, 2) + "\n";
}

function put(file: string, text: string) {
  mkdirSync(join(root, file, ".."), { recursive: true });
  writeFileSync(join(root, file), text);
}

/** Runs the CLI, answers its exit code and what it printed. */
async function run(...args: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
  const code = await main([...args, "--root", root]);
  vi.restoreAllMocks();
  return { code, out };
}

const dropEchoLimit = (s: any) => delete s.$defs.PingParams.properties.echo.maxLength; // widens a request: minor
const tightenEcho = (s: any) => (s.$defs.PingParams.properties.echo.maxLength = 10); // narrows a request: breaking

describe("the protocol history", () => {
  it("is clean for a release and an identical working schema; generate then --check passes", async () => {
    scratch();
    expect(historyProblems(readHistory(root)).problems).toEqual([]);
    expect((await run()).code).toBe(0);
    const checked = await run("--check");
    expect(checked.out).toContain("history ok");
    expect(checked.code).toBe(0);
  });

  it("fails --check on a breaking edit made in place in a released version", async () => {
    scratch();
    expect((await run()).code).toBe(0);
    put("protocol/v1/stui.schema.json", schemaWith("1.0", tightenEcho));
    await run(); // regenerate, so only the history can fail
    const { code, out } = await run("--check");
    expect(code).toBe(1);
    expect(out).toMatch(/released version 1\.0 was edited in place/);
    expect(out).toMatch(/breaking\s+ping params\.echo: maxLength 1024 → 10/);
  });

  it("fails --check on a breaking change hidden across two steps that each look minor", async () => {
    //   1.0 ─(drop a default: minor)─▶ 1.1 ─(add another default: minor)─▶ 1.2   but 1.0 → 1.2 changes it: breaking
    scratch();
    put("protocol/v1/releases/1.1.schema.json", schemaWith("1.1", (s) => delete s.$defs.EvaluateParams.properties.timeoutMs.default));
    put("protocol/v1/stui.schema.json", schemaWith("1.2", (s) => (s.$defs.EvaluateParams.properties.timeoutMs.default = 5000)));
    const { problems, verdicts } = historyProblems(readHistory(root));
    expect(verdicts.map((v) => `${v.older}→${v.newer} ${v.ok ? "ok" : "NOT OK"}`)).toEqual(["1.0→1.1 ok", "1.0→1.2 NOT OK", "1.1→1.2 ok"]);
    expect(problems.map((p) => p.message)).toEqual(["1.0 → 1.2 needs a major version bump, makes minor"]);
    await run();
    const { code, out } = await run("--check");
    expect(code).toBe(1);
    expect(out).toMatch(/breaking\s+evaluate params\.timeoutMs: default changed from 30000 to 5000/);
  });

  it("reports a directory whose name disagrees with its version, and a misnamed release", () => {
    scratch();
    put("protocol/v1/stui.schema.json", schemaWith("2.0"));
    put("protocol/v1/releases/1.1.schema.json", schemaWith("1.2", dropEchoLimit));
    const messages = historyProblems(readHistory(root)).problems.map((p) => p.message);
    expect(messages).toContain("x-stui-version 2.0 does not belong in directory v1 (major 1)");
    expect(messages).toContain("a frozen release must be named after its x-stui-version (1.2.schema.json)");
  });

  it("reports a served version whose requests nest deeper than the newest schema's depth limit, which applies to every version", () => {
    //   1.0 (no limit; requests nest 3 deep) ─▶ v2 working 2.0 with maxJsonDepth 2: the parser would refuse valid 1.0 requests
    scratch();
    put("protocol/v1/releases/1.0.schema.json", schemaWith("1.0", (s) => delete s["x-stui-limits"].maxJsonDepth));
    put("protocol/v1/stui.schema.json", schemaWith("1.0", (s) => delete s["x-stui-limits"].maxJsonDepth));
    put("protocol/v2/stui.schema.json", schemaWith("2.0", (s) => (s["x-stui-limits"].maxJsonDepth = 2)));
    const messages = historyProblems(readHistory(root)).problems.map((p) => p.message);
    expect(messages).toContain("requests of 1.0 may nest 3 deep, deeper than the parser's limit 2 (x-stui-limits.maxJsonDepth of protocol/v2/stui.schema.json), which applies to every version served");
    put("protocol/v2/stui.schema.json", schemaWith("2.0"));
    expect(historyProblems(readHistory(root)).problems).toEqual([]);
  });

  it("accepts a minor release with a minor change, and `release` freezes it and writes its changeset", async () => {
    scratch();
    mkdirSync(join(root, ".changeset"));
    put("protocol/v1/stui.schema.json", schemaWith("1.1", dropEchoLimit));
    expect(historyProblems(readHistory(root)).problems).toEqual([]);
    const { code, out } = await run("release");
    expect(code).toBe(0);
    expect(out).toContain("protocol/v1/releases/1.1.schema.json");
    expect(readFileSync(join(root, "protocol/v1/releases/1.1.schema.json"), "utf8")).toBe(readFileSync(join(root, "protocol/v1/stui.schema.json"), "utf8"));
    const changeset = readFileSync(join(root, ".changeset/protocol-1-1.md"), "utf8");
    expect(changeset).toContain('"@stui/client": minor');
    expect(changeset).toContain("`ping params.echo`: maxLength 1024 → none");
    expect((await run("release")).out).toContain("nothing to freeze");
  });

  it("--against a git revision catches a frozen file edited and a working schema edited under its released version", async () => {
    scratch();
    const git = (...args: string[]) => execFileSync("git", ["-C", root, ...args], { stdio: "pipe" });
    git("init", "-q");
    git("-c", "user.email=t@t", "-c", "user.name=t", "add", "-A");
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "1.0");
    await run();
    expect((await run("--check", "--against", "HEAD")).code).toBe(0);
    expect((await run("--check")).out).toContain("history ok (also against HEAD)");

    put("protocol/v1/releases/1.0.schema.json", released.replace("Liveness check", "Aliveness check"));
    const frozen = await run("--check", "--against", "HEAD");
    expect(frozen.code).toBe(1);
    expect(frozen.out).toContain("released at HEAD, changed now: a frozen release is never edited");
    const byDefault = await run("--check");
    expect(byDefault.code, "--check compares with HEAD when there is one").toBe(1);
    expect(byDefault.out).toContain("released at HEAD, changed now");

    put("protocol/v1/releases/1.0.schema.json", released);
    put("protocol/v1/stui.schema.json", schemaWith("1.0", dropEchoLimit));
    const inPlace = await run("--check", "--against", "HEAD");
    expect(inPlace.code).toBe(1);
    expect(inPlace.out).toMatch(/edited in place since HEAD/);

    expect((await run("--check", "--against", "no-such-ref")).code).toBe(2);
  });
});
