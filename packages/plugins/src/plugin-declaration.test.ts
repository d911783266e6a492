import { describe, expect, it } from "vitest";
import { readDeclaration, sameDeclaration } from "./plugin-declaration.js";

const plugin = (body: string, imports = `import { definePlugin } from "@stui/plugins";\n`): ReturnType<typeof readDeclaration> => readDeclaration(`${imports}${body}`, "p.ts");

describe("reading a plugin declaration without running it", () => {
  it("reads the definePlugin call of the default export, in TypeScript, with as const / satisfies", () => {
    expect(plugin(`export default definePlugin({ name: "a", description: \`b\`, permissions: ["read", "eval"] as const, async run(s: unknown) {} });`)).toEqual({ kind: "plugin", plugin: { name: "a", description: "b", permissions: ["read", "eval"] } });
    expect(plugin(`const p = definePlugin({ "name": "a", description: "b", permissions: [] }) satisfies object;\nexport default p;`)).toEqual({ kind: "plugin", plugin: { name: "a", description: "b", permissions: [] } });
    expect(plugin(`export default dp({ name: "a", description: "b", permissions: ["read"], run() {} });`, `import { definePlugin as dp } from "@stui/plugins";\n`)).toMatchObject({ kind: "plugin" });
  });

  it("is not fooled by comments, strings or a second definePlugin", () => {
    const r = plugin(`// export default definePlugin({ name: "x", description: "", permissions: ["system"] })\nconst s = 'definePlugin({ permissions: ["write"] })';\nexport default definePlugin({ name: "a", description: "b", permissions: ["read"], run() {} });`);
    expect(r).toEqual({ kind: "plugin", plugin: { name: "a", description: "b", permissions: ["read"] } });
  });

  it("refuses control characters, newlines and bidi overrides in the name and description (they would drive the terminal that shows them)", () => {
    const cases: [string, RegExp][] = [
      [`name: "row\\u001b[8m", description: "b"`, /"name" holds a control character \(\\x1b at character 4\)/],
      [`name: "a", description: "Lists classes\\nIt asks for: read"`, /"description" holds a control character \(\\x0a at character 14\)/],
      [`name: "a", description: \`two\nlines\``, /"description" holds a control character \(\\x0a/],
      [`name: "a", description: "x\\u009b2J"`, /\\x9b/],
      [`name: "a", description: "tab\\there"`, /\\x09/],
      [`name: "a\\u202eevil", description: "b"`, /\\u202e/],
      [`name: "a", description: "b\\u0000"`, /\\x00/],
    ];
    for (const [fields, message] of cases) {
      const r = plugin(`export default definePlugin({ ${fields}, permissions: ["read"], run() {} });`);
      expect(r, fields).toMatchObject({ kind: "unreadable", error: expect.stringMatching(message) as unknown, line: 2 });
    }
    // Plain text of any script is fine.
    expect(plugin(`export default definePlugin({ name: "grüße-日本", description: "Ünïcödé — “quoted” 🙂", permissions: [], run() {} });`)).toMatchObject({ kind: "plugin" });
  });

  it("a module without a default export is a plain script", () => {
    expect(plugin(`console.log(1);`)).toEqual({ kind: "script" });
  });

  it("refuses what it cannot read without running code", () => {
    const cases: [string, RegExp][] = [
      [`const perms = ["read"] as const;\nexport default definePlugin({ name: "a", description: "b", permissions: perms, run() {} });`, /"permissions" must be an array literal/],
      [`export default definePlugin({ name: "a", description: "b", permissions: ["re" + "ad"], run() {} });`, /only string literals/],
      [`const base = { permissions: ["eval"] };\nexport default definePlugin({ name: "a", description: "b", permissions: [], ...base, run() {} });`, /spread/],
      [`export default definePlugin({ name: "a", description: "b", permissions: ["read"], permissions: ["eval"], run() {} });`, /twice/],
      [`export default definePlugin({ ["name"]: "a", description: "b", permissions: [], run() {} });`, /computed key/],
      [`export default definePlugin({ name: "a", description: "b", permissions: ["root"], run() {} });`, /unknown permission classes: root/],
      [`const definePlugin = (x: unknown) => x;\nexport default definePlugin({ name: "a", description: "b", permissions: [] });`, /not a call of definePlugin imported from "@stui\/plugins"/],
      [`export default makePlugin();`, /not a call of definePlugin/],
      [`export { default } from "./other.ts";`, /re-exports its default export/],
      [`export default definePlugin({ name: "a", description: "b", permissions: [ }`, /does not parse/],
    ];
    for (const [body, message] of cases) {
      const r = body.startsWith("const definePlugin") || body.startsWith("export default makePlugin") || body.startsWith("export {") ? readDeclaration(body, "p.ts") : plugin(body);
      expect(r.kind, body).toBe("unreadable");
      expect(r.kind === "unreadable" ? r.error : "", body).toMatch(message);
    }
  });

  it("compares a run-time declaration with the source's, order aside", () => {
    const source = { name: "a", description: "b", permissions: ["read", "eval"] as ("read" | "eval")[] };
    expect(sameDeclaration(source, { name: "a", description: "b", permissions: ["eval", "read"] })).toBe(true);
    expect(sameDeclaration(source, { name: "a", description: "b", permissions: ["read", "eval", "write"] })).toBe(false);
    expect(sameDeclaration(source, { name: "a", description: "c", permissions: ["read", "eval"] })).toBe(false);
    expect(sameDeclaration(source, { name: "a", description: "b", permissions: ["read", "eval", "eval"] })).toBe(false);
  });
});
