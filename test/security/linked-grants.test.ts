// Red team 3, finding 2: the grant checks compared paths, so another name of a file or folder —
// a hard link, a bind mount — carried a write grant out of itself (into stui's own code, where
// the next stui command runs it unsandboxed) or a read grant into the STUI home. The grant walk
// now compares (device, inode): a hard-linked file in a write grant, a hard link to a home file
// in a read grant, and a folder that is stui's code or the home under another name are refused
// before anything runs. Observed from outside: the exit code, the victim file's bytes, the
// secret not printed; controls show each attack works when the grant is a plain copy.

import { spawnSync } from "node:child_process";
import { copyFileSync, linkSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ensureKeys } from "@stui/client/keys";
import { beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../packages/plugins/src/exit-codes.js";
import { REPO, STUI_BIN, stui } from "../../packages/plugins/test/cli-helpers.js";
import { at, hostile, tempDir } from "./harness.js";

const HOME = process.env.STUI_HOME!;
const KEY = path.join(HOME, "client.key_secret");
const ROOT = typeof process.getuid === "function" && process.getuid() === 0;
const UNSHARE = spawnSync("unshare", ["--version"]).status === 0;

beforeAll(() => {
  ensureKeys(HOME); // the home's keys are made on first use: make them now, so there is a secret to link to
});

/** A grant folder with `name` as a hard link to `target` (undefined when the two are on different file systems). */
function linkedGrant(target: string, name: string): string | undefined {
  const grant = tempDir("stui-sec-linked-");
  try {
    linkSync(target, path.join(grant, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EXDEV") return undefined;
    throw error;
  }
  return grant;
}

describe("hard links in grants (red team 3, finding 2)", () => {
  it(at("a write grant holding a hard link to a file outside it is refused (exit 2); the file is unchanged"), async () => {
    const outside = path.join(tempDir("stui-sec-victim-"), "victim.js");
    writeFileSync(outside, "// code the next command runs\n");
    const grant = linkedGrant(outside, "victim.js");
    if (!grant) return expect.unreachable("the temporary folders are on different file systems");
    const r = await stui(["run", hostile("linked-files.ts"), `--allow-fs-read=${grant}`, `--allow-fs-write=${grant}`, "--", `write:${path.join(grant, "victim.js")}`]);
    expect(r.code, r.stderr).toBe(EXIT.usage);
    expect(r.stderr).toContain("has 2 names (a hard link)");
    expect(readFileSync(outside, "utf8")).toBe("// code the next command runs\n");
  });

  it(at("control: the same script writes a plain copy in the same kind of grant"), async () => {
    const outside = path.join(tempDir("stui-sec-victim-"), "victim.js");
    writeFileSync(outside, "// code\n");
    const grant = tempDir("stui-sec-linked-");
    copyFileSync(outside, path.join(grant, "victim.js"));
    const r = await stui(["run", hostile("linked-files.ts"), `--allow-fs-read=${grant}`, `--allow-fs-write=${grant}`, "--", `write:${path.join(grant, "victim.js")}`]);
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(r.stdout).toContain("write");
    expect(readFileSync(path.join(grant, "victim.js"), "utf8")).toContain("written through another name");
    expect(readFileSync(outside, "utf8")).toBe("// code\n");
  });

  it(at("a read grant holding a hard link to the STUI home's secret key is refused; the key is not printed"), async () => {
    const grant = linkedGrant(KEY, "notes.txt");
    if (!grant) return expect.unreachable("the temporary folders are on different file systems");
    const secret = readFileSync(KEY, "utf8");
    const r = await stui(["run", hostile("linked-files.ts"), `--allow-fs-read=${grant}`, "--", `read:${path.join(grant, "notes.txt")}`]);
    expect(r.code, r.stderr).toBe(EXIT.usage);
    expect(r.stderr).toContain("is a hard link to a file of the STUI home");
    const secretLine = secret.split("\n").find((l) => l.includes("secret-key"))!;
    expect(r.stdout + r.stderr).not.toContain(secretLine.split('"')[1]!);
  });
});

/** `stui run …` inside a mount namespace of its own where `source` is bind-mounted read-only at `target` (root only). */
function runWithBind(source: string, target: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  mkdirSync(target, { recursive: true });
  const quoted = [process.execPath, STUI_BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const r = spawnSync("unshare", ["-m", "--propagation", "private", "sh", "-c", `mount --bind '${source}' '${target}' && mount -o remount,bind,ro '${target}' && exec ${quoted}`], { cwd: REPO, encoding: "utf8", env: process.env, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!ROOT || !UNSHARE)(`bind mounts in grants (red team 3, finding 2)${!ROOT ? " (skipped: only root can bind-mount)" : !UNSHARE ? " (skipped: no unshare)" : ""}`, () => {
  it(at("a write grant holding stui's own code under another name (a bind mount of @stui/client) is refused"), () => {
    const grant = tempDir("stui-sec-bind-");
    const r = runWithBind(path.join(REPO, "packages", "client"), path.join(grant, "client"), ["run", hostile("linked-files.ts"), `--allow-fs-read=${grant}`, `--allow-fs-write=${grant}`, "--", `write:${path.join(grant, "client", "src", "index.ts")}`]);
    expect(r.status, r.stderr).toBe(EXIT.usage);
    expect(r.stderr).toContain("the @stui/client package, which stui loads under another name (a bind mount)");
  });

  it(at("a read grant holding the STUI home under another name is refused; the key is not printed"), () => {
    const grant = tempDir("stui-sec-bind-");
    const r = runWithBind(HOME, path.join(grant, "home"), ["run", hostile("linked-files.ts"), `--allow-fs-read=${grant}`, "--", `read:${path.join(grant, "home", "client.key_secret")}`]);
    expect(r.status, r.stderr).toBe(EXIT.usage);
    expect(r.stderr).toContain("is the STUI home (keys, history, bundle cache) under another name (a bind mount)");
    expect(r.stdout).not.toContain("secret-key");
  });
});
