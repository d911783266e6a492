// `stui list` and `stui run <plugin name>` as a user runs them: the folder, the table, the JSON
// shape its help promises, broken plugins with their problem in full, duplicate names.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { startTestServer, type TestServer } from "@stui/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../src/exit-codes.js";
import { stui } from "./cli-helpers.js";
import { FIXTURES, tempDir } from "./helpers.js";
import { handlers } from "@stui/testkit/examples/scripted-handlers";

let server: TestServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startTestServer({ endpoint: "tcp://127.0.0.1:*", handlers });
  // STUI_HOME: the test file's own (test/setup/stui-home.ts), which the server authorizes too.
  env = { STUI_ENDPOINT: server.endpoint };
});
afterAll(async () => {
  server.assertNoViolations();
  await server.close();
});

interface Listed {
  folders: string[];
  source: string;
  plugins: Record<string, unknown>[];
  warnings: string[];
}

/** A project folder with package.json "stui": { "plugins": "tools" } and the given plugin files. */
function project(files: Record<string, string>): string {
  const dir = tempDir();
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "p", stui: { plugins: "tools" } }));
  mkdirSync(path.join(dir, "tools"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, "tools", name), text);
  return dir;
}

const plugin = (name: string, description = "does a thing"): string =>
  `import { definePlugin } from "@stui/plugins";\nexport default definePlugin({ name: ${JSON.stringify(name)}, description: ${JSON.stringify(description)}, permissions: ["read"], run() { console.log("RAN ${name}"); } });\n`;

describe("stui list", () => {
  it("--json has exactly the shape its help describes, and runs no plugin code", async () => {
    const r = await stui(["list", "--json"], { env: { ...env, STUI_PLUGIN_PATH: path.join(FIXTURES, "plugins") } });
    expect(r.code).toBe(EXIT.ok);
    const listed = JSON.parse(r.stdout) as Listed;
    expect(Object.keys(listed).sort()).toEqual(["folders", "plugins", "source", "warnings"]);
    expect(listed.source).toBe("STUI_PLUGIN_PATH");
    expect(listed.folders).toEqual([path.join(FIXTURES, "plugins")]);
    expect(listed.warnings).toEqual([]);
    for (const p of listed.plugins) {
      const keys = Object.keys(p).sort();
      expect([["description", "file", "name", "permissions"], ["error", "file"], ["column", "error", "file", "line"]]).toContainEqual(keys);
    }
    const byFile = Object.fromEntries(listed.plugins.map((p) => [path.basename(String(p.file)), p]));
    expect(byFile["evaluator.ts"]).toEqual({ file: path.join(FIXTURES, "plugins", "evaluator.ts"), name: "evaluator", description: "Evaluates 3 + 4 in a session", permissions: ["read", "eval"] });
    expect(byFile["reader.ts"]).toMatchObject({ name: "reader", permissions: ["read"] });
    expect(byFile["plain-script.ts"]?.error).toContain("not a plugin");
    expect(byFile["bad-permission.ts"]).toMatchObject({ error: "declares unknown permission classes: root", line: 2 });
    expect(r.stdout + r.stderr).not.toContain("PLAIN SCRIPT RAN");
    // The help says so, field by field.
    const help = (await stui(["list", "--help"])).stdout;
    for (const key of ['"folders"', '"source"', '"plugins"', '"warnings"', '"file"', '"name"', '"description"', '"permissions"', '"error"', '"line"', '"column"']) expect(help).toContain(key);
  });

  it("reads the folder from package.json \"stui\": { \"plugins\" } and prints a table", async () => {
    const dir = project({ "evaluator.ts": readFileSync(path.join(FIXTURES, "plugins", "evaluator.ts"), "utf8") });
    const r = await stui(["list"], { cwd: dir, env: { ...env, STUI_PLUGIN_PATH: "" } });
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain("(from package.json): tools");
    expect(r.stdout).toMatch(/^evaluator\s+read,eval\s+Evaluates 3 \+ 4 in a session$/m);
  });

  it("a plugin that does not parse is shown with its whole error: file:line:column, the message, the line", async () => {
    const dir = project({
      "good.ts": plugin("good"),
      "broken.ts": `import { definePlugin } from "@stui/plugins";\nexport default definePlugin({\n  name: "broken" description: "a comma is missing",\n  permissions: [],\n  run() {},\n});\n`,
    });
    const r = await stui(["list"], { cwd: dir, env: { ...env, STUI_PLUGIN_PATH: "" } });
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toMatch(/^good\s+read\s+does a thing$/m);
    expect(r.stdout).toContain("1 file is not a plugin stui can run:");
    expect(r.stdout).toMatch(/^ {2}tools\/broken\.ts:3:18: does not parse: Unexpected token, expected ","$/m); // one location, 1-based (the parser's own 0-based "(3:17)" is dropped)
    expect(r.stdout).toContain('      name: "broken" description: "a comma is missing",\n' + " ".repeat(6 + 17) + "^");
    const json = JSON.parse((await stui(["list", "--json"], { cwd: dir, env: { ...env, STUI_PLUGIN_PATH: "" } })).stdout) as Listed;
    expect(json.plugins.find((p) => String(p.file).endsWith("broken.ts"))).toMatchObject({ line: 3, column: 18 });
  });

  it("warns about two plugins with the same name, and `stui run <name>` refuses to guess", async () => {
    const dir = project({ "one.ts": plugin("same", "the first"), "two.ts": plugin("same", "the second") });
    const r = await stui(["list"], { cwd: dir, env: { ...env, STUI_PLUGIN_PATH: "" } });
    expect(r.code).toBe(EXIT.ok);
    expect(r.stderr).toContain('stui: warning: 2 plugins are named "same" (tools/one.ts, tools/two.ts)');
    const json = JSON.parse((await stui(["list", "--json"], { cwd: dir, env: { ...env, STUI_PLUGIN_PATH: "" } })).stdout) as Listed;
    expect(json.warnings).toHaveLength(1);
    const run = await stui(["run", "same", "--allow-read"], { cwd: dir, env: { ...env, STUI_PLUGIN_PATH: "" } });
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('2 plugins are named "same": tools/one.ts, tools/two.ts');
    expect(run.stdout).not.toContain("RAN");
  });
});

describe("stui run <name>", () => {
  it("finds a plugin in the plugin folder by its file name", async () => {
    const r = await stui(["run", "evaluator", "--allow-read", "--allow-eval"], { env: { ...env, STUI_PLUGIN_PATH: path.join(FIXTURES, "plugins") } });
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain("ANSWER 7");
  });

  it("finds a plugin by its declared name", async () => {
    const dir = project({ "file-name.ts": plugin("declared-name") });
    const r = await stui(["run", "declared-name", "--allow-read"], { cwd: dir, env: { ...env, STUI_PLUGIN_PATH: "" } });
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain("RAN declared-name");
  });
});
