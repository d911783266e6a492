// The permission matrix: every permission class × allow / deny / both / none, over
// every command of the protocol (from the generated COMMANDS table, never by hand).

import { COMMANDS, COMMAND_NAMES, PERMISSIONS, permissionsFor, type CommandName, type Permission } from "@stui/client/protocol";
import { describe, expect, it } from "vitest";
import { Grants, PERMISSION_CLASSES, type PromptAnswer, type Prompter } from "./permissions.js";

type State = "allow" | "deny" | "both" | "none";
const STATES: State[] = ["allow", "deny", "both", "none"];

function grantsWith(state: State, permission: Permission, others: "allow" | "none" = "allow"): Grants {
  const allow = new Set<Permission>(others === "allow" ? PERMISSION_CLASSES.filter((p) => p !== permission) : []);
  const deny = new Set<Permission>();
  if (state === "allow" || state === "both") allow.add(permission);
  if (state === "deny" || state === "both") deny.add(permission);
  return new Grants({ allow, deny });
}

/** Params under which a command needs `permission` (e.g. inspect needs eval only with an expression). */
function paramsNeeding(method: CommandName, permission: Permission): object | undefined {
  if (COMMANDS[method].permission === permission) return {};
  const extra = Object.entries(COMMANDS[method].paramPermissions).find(([, p]) => p === permission);
  return extra ? { [extra[0]]: "x" } : undefined;
}

function scriptedPrompter(answer: PromptAnswer): Prompter & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    ask: async (q) => (asked.push(q), answer),
    confirm: async (q) => (asked.push(q), answer !== "no"),
  };
}

describe("the permission classes come from the schema", () => {
  it("are exactly the keys of the generated PERMISSIONS", () => {
    expect(PERMISSION_CLASSES).toEqual(Object.keys(PERMISSIONS));
    expect(PERMISSION_CLASSES.length).toBeGreaterThan(0);
  });

  it("every class is needed by at least one command, so the matrix below covers each", () => {
    for (const p of PERMISSION_CLASSES) expect(COMMAND_NAMES.some((m) => paramsNeeding(m, p) !== undefined)).toBe(true);
  });
});

describe("matrix: class × allow/deny/both/none × every command needing it (no TTY)", () => {
  for (const permission of PERMISSION_CLASSES) {
    for (const state of STATES) {
      it(`${permission}: ${state}`, async () => {
        let checked = 0;
        for (const method of COMMAND_NAMES) {
          const params = paramsNeeding(method, permission);
          if (!params) continue;
          checked++;
          const result = await grantsWith(state, permission).authorize(method, params, undefined);
          if (state === "allow") {
            expect(result, method).toEqual({ ok: true });
          } else {
            expect(result, method).toMatchObject({ ok: false, method, permission, reason: state === "none" ? "not-granted" : "denied-by-flag" });
            if (!result.ok) expect(result.message).toContain(state === "none" ? `--allow-${permission}` : `--deny-${permission}`);
          }
        }
        expect(checked).toBeGreaterThan(0);
      });
    }
  }
});

describe("deny beats allow", () => {
  it("--allow-all with --deny-X refuses X and grants the rest", async () => {
    for (const denied of PERMISSION_CLASSES) {
      const g = new Grants({ allow: new Set(PERMISSION_CLASSES), deny: new Set([denied]) });
      for (const p of PERMISSION_CLASSES) expect(g.has(p), `${denied} denied, ${p}`).toBe(p !== denied);
    }
  });

  it("a deny is never asked about, even when a person would say always", async () => {
    const prompter = scriptedPrompter("always");
    const g = new Grants({ allow: new Set(), deny: new Set(["eval"]) });
    const r = await g.authorize("evaluate", { code: "1" }, prompter);
    expect(r).toMatchObject({ ok: false, reason: "denied-by-flag" });
    expect(prompter.asked).toEqual([]);
  });

  it("an approved plugin declaration does not lift a deny", () => {
    const g = new Grants({ allow: new Set(), deny: new Set(["eval"]) });
    g.declare({ name: "p", description: "", permissions: ["read", "eval"] });
    g.approveDeclaration();
    expect(g.has("read")).toBe(true);
    expect(g.has("eval")).toBe(false);
  });
});

describe("calls needing several classes", () => {
  it("inspect with an expression needs read and eval; with a handle only read", async () => {
    expect(permissionsFor("inspect", { sessionId: "s", expression: "3" })).toEqual(["read", "eval"]);
    const readOnly = new Grants({ allow: new Set(["read"]), deny: new Set() });
    expect(await readOnly.authorize("inspect", { sessionId: "s", handle: "h1" }, undefined)).toEqual({ ok: true });
    expect(await readOnly.authorize("inspect", { sessionId: "s", expression: "3" }, undefined)).toMatchObject({ ok: false, permission: "eval" });
  });
});

describe("prompts (TTY)", () => {
  it("yes grants this call only: the next call asks again", async () => {
    const prompter = scriptedPrompter("yes");
    const g = new Grants({ allow: new Set(), deny: new Set() });
    expect(await g.authorize("evaluate", { code: "1" }, prompter)).toEqual({ ok: true });
    expect(await g.authorize("evaluate", { code: "2" }, prompter)).toEqual({ ok: true });
    expect(prompter.asked).toHaveLength(2);
    expect(prompter.asked[0]).toContain('"eval"');
  });

  it("always grants the class for the rest of the run: asked once", async () => {
    const prompter = scriptedPrompter("always");
    const g = new Grants({ allow: new Set(), deny: new Set() });
    for (let i = 0; i < 3; i++) expect(await g.authorize("evaluate", { code: String(i) }, prompter)).toEqual({ ok: true });
    expect(prompter.asked).toHaveLength(1);
    expect(g.has("eval")).toBe(true);
  });

  it("no refuses the class for the rest of the run: asked once", async () => {
    const prompter = scriptedPrompter("no");
    const g = new Grants({ allow: new Set(), deny: new Set() });
    for (let i = 0; i < 3; i++) expect(await g.authorize("evaluate", { code: String(i) }, prompter)).toMatchObject({ ok: false, reason: "refused-at-prompt" });
    expect(prompter.asked).toHaveLength(1);
  });

  it("concurrent calls share one question", async () => {
    const prompter = scriptedPrompter("always");
    const g = new Grants({ allow: new Set(), deny: new Set() });
    const results = await Promise.all([1, 2, 3].map((i) => g.authorize("evaluate", { code: String(i) }, prompter)));
    expect(results).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(prompter.asked).toHaveLength(1);
  });

  it("granted classes are not asked about", async () => {
    const prompter = scriptedPrompter("no");
    const g = new Grants({ allow: new Set(["read"]), deny: new Set() });
    expect(await g.authorize("classes.list", {}, prompter)).toEqual({ ok: true });
    expect(prompter.asked).toEqual([]);
  });
});

describe("plugins", () => {
  it("only declared classes can be granted, whatever the flags", () => {
    const g = new Grants({ allow: new Set(PERMISSION_CLASSES), deny: new Set() });
    g.declare({ name: "p", description: "", permissions: ["read"] });
    expect(g.has("read")).toBe(true);
    for (const p of PERMISSION_CLASSES.filter((p) => p !== "read")) expect(g.check(p)).toEqual({ kind: "denied", reason: "undeclared" });
  });

  it("declaredButNotGranted lists what approval would add", () => {
    const g = new Grants({ allow: new Set(["read"]), deny: new Set(["write"]) });
    g.declare({ name: "p", description: "", permissions: ["read", "eval", "write"] });
    expect(g.declaredButNotGranted()).toEqual(["eval"]);
    g.approveDeclaration();
    expect(g.declaredButNotGranted()).toEqual([]);
    expect([g.has("read"), g.has("eval"), g.has("write")]).toEqual([true, true, false]);
  });
});
