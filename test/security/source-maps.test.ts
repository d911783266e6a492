// Red team finding 1: esbuild read files itself, outside the read guard, through input source
// maps (a `sourceMappingURL` comment naming a map file, or a data: URL whose `sources` name
// files), through tsconfig.json `extends`, and through package.json files met while resolving:
// the STUI home's key and the host's /proc/self/environ came out in the bundle, and /dev/zero
// grew esbuild by about 1 GB/s. Observed from outside: the script's output, every file of the
// cache, and the run ending well within its limit.

import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../packages/plugins/src/exit-codes.js";
import { allText, at, runHostile, tempDir } from "./harness.js";

/** Prints every `sources` entry of its own inline map with the content esbuild put beside it. */
const PRINT_OWN_MAP = `import { readFileSync } from "node:fs";
const own = readFileSync(process.argv[1]!, "utf8");
for (const m of own.matchAll(/sourceMappingURL=data:application\\/json;base64,([A-Za-z0-9+/=]+)/g)) {
  const map = JSON.parse(Buffer.from(m[1]!, "base64").toString());
  console.log("map:", JSON.stringify(map.sources), JSON.stringify(map.sourcesContent ?? []));
}
`;

const MARKER = `STUI-ENV-MARKER-${Math.random().toString(36).slice(2)}`;
beforeAll(() => {
  process.env.STUI_SOURCE_MAP_MARKER = MARKER;
});
afterAll(() => {
  delete process.env.STUI_SOURCE_MAP_MARKER;
});

/** A temporary STUI home holding a secret key. */
function homeWithKey(): { home: string; secret: string; key: string } {
  const home = tempDir("stui-sec-home-");
  mkdirSync(path.join(home, "keys"), { recursive: true });
  const secret = `STUI-HOME-KEY-${Math.random().toString(36).slice(2)}`;
  const key = path.join(home, "keys", "client.key_secret");
  writeFileSync(key, `${secret}\n`, { mode: 0o600 });
  return { home, secret, key };
}

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64");

function expectNothingLeaked(r: { stdout: string; stderr: string }, home: string, secret: string): void {
  expect(r.stdout + r.stderr).not.toContain(secret);
  expect(r.stdout + r.stderr).not.toContain(MARKER);
  const cached = allText(path.join(home, "cache"));
  expect(cached).not.toContain(secret);
  expect(cached).not.toContain(MARKER);
}

describe("bundle-time reads through source maps, tsconfig and package.json (finding 1)", () => {
  it(at("an inline data: map naming the STUI home's key and /proc/self/environ bundles neither"), async () => {
    const { home, secret, key } = homeWithKey();
    const dir = tempDir();
    const file = path.join(dir, "report.ts");
    writeFileSync(file, `${PRINT_OWN_MAP}//# sourceMappingURL=data:application/json;base64,${b64({ version: 3, mappings: "AAAA", sources: [key, "/proc/self/environ"] })}\n`);
    const r = await runHostile(file, { home });
    expectNothingLeaked(r, home, secret);
    expect(r.stdout).toContain("map:");
  });

  it(at("a map file beside the script, with or without sourcesContent, bundles none of what it names"), async () => {
    const { home, secret, key } = homeWithKey();
    const dir = tempDir();
    writeFileSync(path.join(dir, "evil.map"), JSON.stringify({ version: 3, mappings: "AAAA", sources: ["/proc/self/environ", key, "../../../../../../../../etc/hostname"] }));
    writeFileSync(path.join(dir, "with.map"), JSON.stringify({ version: 3, mappings: "AAAA", sources: ["x.ts"], sourcesContent: [readFileSync(key, "utf8")] }));
    writeFileSync(path.join(dir, "lib.ts"), `export const two = 2;\n/*# sourceMappingURL=with.map */\n`);
    const file = path.join(dir, "report.ts");
    writeFileSync(file, `import { two } from "./lib.ts";\n${PRINT_OWN_MAP}console.log("two:", two);\n//@ sourceMappingURL=evil.map\n`);
    const r = await runHostile(file, { home });
    expectNothingLeaked(r, home, secret);
    expect(r.stdout).toContain("two: 2");
  });

  it.runIf(process.platform === "linux")(at("/dev/zero and a FIFO named as source maps, a tsconfig extending /dev/zero, a package.json that is /dev/zero: no read, no hang"), async () => {
    const dir = tempDir();
    const fifo = path.join(dir, "map.fifo");
    execFileSync("mkfifo", [fifo]);
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ extends: "../../../../../../../../dev/zero" }));
    writeFileSync(path.join(dir, "zero.ts"), `export const z = 0;\n//# sourceMappingURL=../../../../../../../../dev/zero\n`);
    const file = path.join(dir, "main.ts");
    writeFileSync(file, `import { z } from "./zero.ts";\nconsole.log("ran:", z);\n//# sourceMappingURL=map.fifo\n`);
    // Unguarded, each of these held esbuild until the run's limit (growing ~1 GB/s on /dev/zero).
    const r = await runHostile(file, { timeoutMs: 15_000 });
    expect(r.summary.status).toBe("ok");
    expect(r.stdout).toContain("ran: 0");

    const pkg = tempDir();
    mkdirSync(path.join(pkg, "node_modules", "deep"), { recursive: true });
    symlinkSync("/dev/zero", path.join(pkg, "node_modules", "deep", "package.json"));
    writeFileSync(path.join(pkg, "main.ts"), `import "deep";\nconsole.log("never");\n`);
    const refused = await runHostile(path.join(pkg, "main.ts"), { timeoutMs: 15_000 });
    expect(refused.summary.status).toBe("buildError");
    expect(refused.summary.exitCode).toBe(EXIT.scriptError);
    expect(refused.log.join("\n")).toContain("not a regular file");
  });

  it(at("a script's own tsconfig.json still sets how it compiles (its compile options, read through the guard)"), async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "tsconfig.json"), `{\n  // decorators the old way\n  "compilerOptions": { "experimentalDecorators": true, },\n}\n`);
    const file = path.join(dir, "main.ts");
    writeFileSync(file, `function mark(_t: object, key: string) { console.log("decorated:", key); }\nclass A { @mark m() {} }\nnew A();\n`);
    const r = await runHostile(file);
    expect(r.stdout).toContain("decorated: m");
  });
});
