// Attacks at bundle time (esbuild runs in the unrestricted host and inlines what it reads) and
// on the bundle cache, observed from outside: a secret must appear neither in the output nor in
// any cached file, a FIFO must not hang the run, and a tampered cached bundle must not run.

import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT } from "../../packages/plugins/src/exit-codes.js";
import { allText, at, runHostile, tempDir } from "./harness.js";

const hasMkfifo = (() => {
  try {
    execFileSync("mkfifo", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

function secretFile(): { file: string; secret: string } {
  const secret = `BUNDLE-SECRET-${Math.random().toString(36).slice(2)}`;
  const file = path.join(tempDir(), "secret.txt");
  writeFileSync(file, secret);
  return { file, secret };
}

/** A hostile script in a fresh folder. */
function script(source: string, name = "hostile.ts"): { dir: string; file: string } {
  const dir = tempDir();
  const file = path.join(dir, name);
  writeFileSync(file, source);
  return { dir, file };
}

async function expectRefusedAtBuild(file: string, secret: string | undefined, message: RegExp): Promise<void> {
  const home = tempDir("stui-sec-home-");
  const r = await runHostile(file, { home });
  expect(r.summary.status).toBe("buildError");
  expect(r.summary.exitCode).toBe(EXIT.scriptError);
  expect(r.log.join("\n")).toMatch(message);
  if (secret) {
    expect(r.stdout + r.stderr).not.toContain(secret);
    expect(allText(home)).not.toContain(secret);
  }
}

describe("what the bundler may read", () => {
  it(at("import of /proc/self/environ is refused; the host's environment is inlined nowhere"), async () => {
    const secret = `ENV-SECRET-${Math.random().toString(36).slice(2)}`;
    process.env.STUI_BUNDLE_SECRET = secret;
    try {
      const { file } = script(`import env from "/proc/self/environ" with { type: "text" };\nconsole.log(env);\n`);
      await expectRefusedAtBuild(file, secret, /may not bundle \/proc\/(self|\d+)\/environ: nothing under \/proc/);
    } finally {
      delete process.env.STUI_BUNDLE_SECRET;
    }
  });

  it(at("an absolute path and a ../ path out of the folder are refused"), async () => {
    const { file: secretPath, secret } = secretFile();
    await expectRefusedAtBuild(script(`import s from ${JSON.stringify(secretPath)} with { type: "text" };\nconsole.log(s);\n`).file, secret, /only files in the script's own folder/);
    const rel = path.relative(tempDir(), secretPath);
    const { dir } = script("");
    const inner = path.join(dir, "x.ts");
    writeFileSync(inner, `import s from ${JSON.stringify(`./${path.relative(dir, secretPath)}`)} with { type: "text" };\nconsole.log(s);\n`);
    expect(rel).toContain("..");
    await expectRefusedAtBuild(inner, secret, /only files in the script's own folder/);
  });

  it(at("a symlink beside the script that points out of its folder is refused"), async () => {
    const { file: secretPath, secret } = secretFile();
    const { dir, file } = script(`import s from "./data.txt" with { type: "text" };\nconsole.log(s);\n`);
    symlinkSync(secretPath, path.join(dir, "data.txt"));
    await expectRefusedAtBuild(file, secret, /may not bundle .*secret\.txt: only files in the script's own folder/);
  });

  it(at("a symlinked node_modules package that points out of the folder is refused"), async () => {
    const { file: secretPath, secret } = secretFile();
    const outside = path.dirname(secretPath);
    writeFileSync(path.join(outside, "index.js"), `export default ${JSON.stringify(secret)};\n`);
    writeFileSync(path.join(outside, "package.json"), JSON.stringify({ name: "evil", type: "module", main: "index.js" }));
    const { dir, file } = script(`import s from "evil";\nconsole.log(s);\n`);
    mkdirSync(path.join(dir, "node_modules"));
    symlinkSync(outside, path.join(dir, "node_modules", "evil"));
    await expectRefusedAtBuild(file, secret, /may not bundle .*index\.js: only files in the script's own folder/);
  });

  it(at("a file of the STUI home is refused even when the home lies inside the script's folder"), async () => {
    const { dir, file } = script(`import k from "./.stui/keys/client.key_secret" with { type: "text" };\nconsole.log(k);\n`);
    const home = path.join(dir, ".stui");
    mkdirSync(path.join(home, "keys"), { recursive: true });
    const secret = `HOME-SECRET-${Math.random().toString(36).slice(2)}`;
    writeFileSync(path.join(home, "keys", "client.key_secret"), secret);
    const r = await runHostile(file, { home });
    expect(r.summary.status).toBe("buildError");
    expect(r.log.join("\n")).toMatch(/nothing under .*\.stui is readable by scripts/);
    expect(r.stdout + r.stderr).not.toContain(secret);
    expect(allText(path.join(home, "cache"))).not.toContain(secret);
  });
});

describe.skipIf(!hasMkfifo)("FIFOs next to the script", () => {
  it(at("an imported FIFO is refused at once, not read"), async () => {
    const { dir, file } = script(`import s from "./pipe.txt" with { type: "text" };\nconsole.log(s);\n`);
    execFileSync("mkfifo", [path.join(dir, "pipe.txt")]);
    const started = Date.now();
    await expectRefusedAtBuild(file, undefined, /not a regular file/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it(at("a FIFO package.json beside the script is refused before the bundler starts"), async () => {
    const { dir, file } = script(`console.log("never");\n`);
    execFileSync("mkfifo", [path.join(dir, "package.json")]);
    await expectRefusedAtBuild(file, undefined, /package\.json is not a regular file/);
  });

  it(at("a FIFO deeper down (a dependency's package.json) is refused before esbuild would read it"), async () => {
    const { dir, file } = script(`import x from "deep";\nconsole.log(x);\n`);
    mkdirSync(path.join(dir, "node_modules", "deep"), { recursive: true });
    execFileSync("mkfifo", [path.join(dir, "node_modules", "deep", "package.json")]);
    const r = await runHostile(file, { timeoutMs: 15_000 });
    expect(r.summary.status).toBe("buildError");
    expect(r.summary.exitCode).toBe(EXIT.scriptError);
    expect(r.summary.durationMs).toBeLessThan(10_000);
    expect(r.summary.error?.message).toMatch(/package\.json is not a regular file/);
  });
});

describe("the bundle cache", () => {
  it(at("is owner-only: folders 0700, files 0600"), async () => {
    const home = tempDir("stui-sec-home-");
    const { file } = script(`console.log("hello");\n`);
    const r = await runHostile(file, { home });
    expect(r.stdout).toContain("hello");
    const cache = path.join(home, "cache", "bundles");
    const entries = readdirSync(cache);
    expect(entries).toHaveLength(1);
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(cache, entries[0]!)).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(path.join(cache, entries[0]!))) expect(statSync(path.join(cache, entries[0]!, f)).mode & 0o777).toBe(0o600);
  });

  it(at("a cached bundle changed behind stui's back is not run: its hash is checked, and it is rebuilt"), async () => {
    const home = tempDir("stui-sec-home-");
    const { file } = script(`console.log("ORIGINAL");\n`);
    const first = await runHostile(file, { home });
    expect(first.stdout).toContain("ORIGINAL");
    const cache = path.join(home, "cache", "bundles");
    const bundle = path.join(cache, readdirSync(cache)[0]!, "script.mjs");
    appendFileSync(bundle, `\nconsole.log("POISONED");\n`);
    const second = await runHostile(file, { home });
    expect(second.stdout).toContain("ORIGINAL");
    expect(second.stdout).not.toContain("POISONED");
    expect(second.summary.bundleCached).toBe(false);
    expect(second.log.join("\n")).toContain("does not match the hash its manifest recorded");
    const third = await runHostile(file, { home });
    expect(third.summary.bundleCached).toBe(true);
    expect(third.stdout).not.toContain("POISONED");
  });
});
