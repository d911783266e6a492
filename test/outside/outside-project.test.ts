// STUI used from a project of one's own, as the README's "Use STUI from your own project" says:
// the publishable packages are built and packed (npm pack, which runs each one's build), a
// scratch project OUTSIDE the repository installs the tarballs, and there, with nothing of the
// repository in reach:
//   - plain Node ESM imports @stui/client and pings a reference server (npx stui-test-server);
//   - tsc type-checks a script that uses the global `stui` and @stui/client's types;
//   - npx stui run, check, eval, and list (the project's own plugin folder) work;
//   - with authentication on (CURVE, keys in the STUI home both share): another home is refused.
// The tarballs carry the build (dist/), not the TypeScript sources. Run by `npm run test:outside`
// and by .ci/run; it needs npm's registry or its cache (typescript, @types/node and the packages'
// dependencies are installed as a user would install them).
//
//   repo ──npm pack──▶ /tmp/…/*.tgz ──npm install──▶ /tmp/stui-outside-…/node_modules
//   /tmp/stui-outside-…: ping.mjs, report.ts, tools/greet.ts ──▶ npx stui-test-server (scripted)

import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@stui/testkit";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const PACKAGES = ["@stui/client", "@stui/testkit", "@stui/plugins"];
const run = promisify(execFile);

let project: string;
let tarballs: string[];
let server: ChildProcess | undefined;
let endpoint: string;
let env: NodeJS.ProcessEnv;

/** Run a command in the scratch project; never throws: the test reads the exit code. */
async function inProject(command: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: project, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

const npx = (...args: string[]) => inProject("npx", ["--no-install", ...args]);

beforeAll(async () => {
  const packs = mkdtempSync(path.join(tmpdir(), "stui-packs-"));
  await run("npm", ["pack", ...PACKAGES.flatMap((p) => ["-w", p]), "--pack-destination", packs], { cwd: REPO, maxBuffer: 64 * 1024 * 1024 });
  tarballs = readdirSync(packs).filter((f) => f.endsWith(".tgz")).map((f) => path.join(packs, f));

  project = mkdtempSync(path.join(tmpdir(), "stui-outside-"));
  writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "my-stui-scripts", private: true, type: "module", stui: { plugins: "tools" } }, null, 2));
  writeFileSync(
    path.join(project, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, types: ["node"] }, include: ["*.ts", "tools/*.ts"] }, null, 2),
  );
  writeFileSync(
    path.join(project, "ping.mjs"),
    [`import { connect } from "@stui/client";`, `const client = await connect();`, `const pong = await client.ping({ echo: "from outside" });`, `console.log(\`PONG \${pong.echo} \${pong.server.name}\`);`, `await client.close();`, ``].join("\n"),
  );
  writeFileSync(
    path.join(project, "report.ts"),
    [
      `/// <reference types="@stui/plugins/global" />`,
      `import { isRemoteError } from "@stui/plugins";`,
      `import type { EvaluateResult } from "@stui/client/protocol";`,
      `const sum: EvaluateResult = await stui.session.evaluate("3 + 4");`,
      `console.log(\`REPORT \${sum.value.printString}\`);`,
      `try { await stui.session.evaluate("1/0"); } catch (e) { if (isRemoteError(e, "evaluationError")) console.log(\`CAUGHT \${e.data.exceptionClass}\`); }`,
      ``,
    ].join("\n"),
  );
  mkdirSync(path.join(project, "tools"));
  writeFileSync(
    path.join(project, "tools", "greet.ts"),
    [
      `import { definePlugin } from "@stui/plugins";`,
      `export default definePlugin({`,
      `  name: "greet",`,
      `  description: "Pings the server and says hello",`,
      `  permissions: ["read"],`,
      `  run: async (stui) => console.log(\`HELLO \${(await stui.client.ping()).server.name}\`),`,
      `});`,
      ``,
    ].join("\n"),
  );
  // As a user would: the three tarballs (as if from the registry), and TypeScript for tsc.
  await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", ...tarballs, "typescript@^5.9.0", "@types/node@^20.19.0"], { cwd: project, maxBuffer: 64 * 1024 * 1024 });

  endpoint = `tcp://127.0.0.1:${await freePort()}`;
  env = { PATH: process.env.PATH, HOME: process.env.HOME, STUI_HOME: mkdtempSync(path.join(tmpdir(), "stui-outside-home-")), STUI_ENDPOINT: endpoint };
  const handlers = path.join(project, "node_modules", "@stui", "testkit", "dist", "examples", "scripted-handlers.js");
  // Its own process group: npx runs the server as a child, and both must stop at the end.
  server = spawn("npx", ["--no-install", "stui-test-server", "--endpoint", endpoint, "--handlers", handlers], { cwd: project, env, stdio: ["ignore", "pipe", "inherit"], detached: true });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    server!.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("listening on")) resolve();
    });
    server!.on("exit", (code) => reject(new Error(`stui-test-server exited ${code}: ${out}`)));
  });
});

afterAll(() => {
  if (server?.pid !== undefined) process.kill(-server.pid, "SIGTERM");
});

describe("the packed packages", () => {
  it("carry their build (JavaScript and declarations), not the TypeScript sources", async () => {
    for (const tarball of tarballs) {
      const { stdout } = await run("tar", ["-tzf", tarball]);
      const files = stdout.trim().split("\n");
      expect(files, tarball).toContain("package/dist/index.js");
      expect(files, tarball).toContain("package/dist/index.d.ts");
      expect(files.filter((f) => f.startsWith("package/src/")), tarball).toEqual([]);
    }
  });
});

describe("a project outside the repository", () => {
  it("plain Node ESM imports @stui/client and pings the reference server", async () => {
    const r = await inProject(process.execPath, ["ping.mjs"]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("PONG from outside stui-test-server");
  });

  it("with authentication on: a client with another STUI home (keys the server does not authorize) is not let in", async () => {
    const stranger = mkdtempSync(path.join(tmpdir(), "stui-outside-stranger-"));
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ["ping.mjs"], { cwd: project, env: { ...env, STUI_HOME: stranger }, stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      child.on("close", (code) => resolve({ code, stderr }));
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("StuiAuthenticationError");
  });

  it("tsc type-checks a script using the global stui, @stui/plugins and @stui/client's types", async () => {
    const r = await npx("tsc", "-p", ".");
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("npx stui run runs the script (sandboxed) against the server", async () => {
    const r = await npx("stui", "run", "report.ts", "--allow-read", "--allow-eval");
    expect(r.stdout).toBe("REPORT 7\nCAUGHT ZeroDivide\n");
    expect(r.code).toBe(0);
    // --check under --timeout type-checks in a child `stui check` of the installed package.
    const checked = await npx("stui", "run", "report.ts", "--check", "--timeout", "2m", "--allow-read", "--allow-eval");
    expect(checked.stdout).toBe("REPORT 7\nCAUGHT ZeroDivide\n");
    expect(checked.code).toBe(0);
  });

  it("a write grant over an installed package stui loads (@stui/client, found from the built dist/) is refused: exit 2", async () => {
    for (const dir of ["node_modules/@stui/client", "node_modules/@stui/client/dist"]) {
      const r = await npx("stui", "run", "report.ts", "--allow-read", "--allow-eval", `--allow-fs-write=${dir}`);
      expect(r.code, dir).toBe(2);
      // Named as the package itself (found by the installed dist/ code), not only as a node_modules folder.
      expect(r.stderr).toMatch(/the @stui\/client package, which stui loads; a script may never write stui's own code/);
      expect(r.stdout).toBe("");
    }
  });

  it("npx stui check, stui eval", async () => {
    const check = await npx("stui", "check", "report.ts", "tools/greet.ts");
    expect(check.stderr).toContain("stui: check: 2 files, no type errors");
    expect(check.code).toBe(0);
    const evaluated = await npx("stui", "eval", "3 + 4");
    expect(evaluated).toMatchObject({ code: 0, stdout: "7\n" });
  });

  it("npx stui list finds the project's own plugin folder, and stui run <name> runs its plugin", async () => {
    const list = await npx("stui", "list");
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("(from package.json): tools");
    expect(list.stdout).toMatch(/^greet\s+read\s+Pings the server and says hello$/m);
    const greet = await npx("stui", "run", "greet", "--allow-read");
    expect(greet.stdout).toBe("HELLO stui-test-server\n");
    expect(greet.code).toBe(0);
  });
});
