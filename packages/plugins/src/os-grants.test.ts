// The grants beyond the image, as data: flag values, decisions, what is never passed.
import { describe, expect, it } from "vitest";
import { NONE, OsGrantError, bareListFlags, deniedAddress, grantedEnv, nameList, netDecision, netRules, parseHostPort, runLayout } from "./os-grants.js";

describe("list flags", () => {
  it("a bare flag means all; values are comma-separated and repeatable", () => {
    expect(bareListFlags(["--allow-env", "--allow-net=a:1", "--deny-run", "x.ts", "--allow-envy"])).toEqual(["--allow-env=*", "--allow-net=a:1", "--deny-run=*", "x.ts", "--allow-envy"]);
    expect(nameList(["*"])).toEqual({ all: true });
    expect(nameList(["A,B", "B", "C"])).toEqual({ all: false, names: ["A", "B", "C"] });
    expect(nameList(undefined)).toEqual(NONE);
    expect(() => nameList(["A,,B"])).toThrow(OsGrantError);
  });
});

describe("--allow-env", () => {
  const env = { FOO: "1", BAR: "2", NODE_OPTIONS: "--require x", NODE_ENV: "production", LD_PRELOAD: "x.so", STUI_SANDBOX_STUBS: "off", PATH: "/bin" };
  it("passes only what is named; deny beats allow; nothing by default", () => {
    expect(grantedEnv(NONE, NONE, env)).toEqual({});
    expect(grantedEnv(nameList(["FOO"]), NONE, env)).toEqual({ FOO: "1" });
    expect(grantedEnv(nameList(["*"]), nameList(["BAR"]), env)).toEqual({ FOO: "1", NODE_ENV: "production", PATH: "/bin" });
    expect(grantedEnv(nameList(["FOO"]), nameList(["*"]), env)).toEqual({});
  });
  it("never passes what would configure the sandbox's Node, its loader or stui, and says so when it is named", () => {
    expect(Object.keys(grantedEnv(nameList(["*"]), NONE, env))).not.toEqual(expect.arrayContaining(["NODE_OPTIONS"]));
    for (const name of ["NODE_OPTIONS", "LD_PRELOAD", "STUI_SANDBOX_STUBS"]) expect(() => grantedEnv(nameList([name]), NONE, env)).toThrow(/never passed/);
  });
});

describe("--allow-net", () => {
  it("parses HOST, HOST:PORT and [IPv6]:PORT; refuses the rest", () => {
    expect(parseHostPort("Example.COM")).toEqual({ host: "example.com" });
    expect(parseHostPort("example.com:443")).toEqual({ host: "example.com", port: 443 });
    expect(parseHostPort("[::1]:8080")).toEqual({ host: "::1", port: 8080 });
    for (const bad of ["http://x", "x:0", "x:70000", "::1", "[nope]:1", "a b"]) expect(() => parseHostPort(bad), bad).toThrow(OsGrantError);
  });
  it("grants by name and port; a host without a port grants every port; deny beats allow", () => {
    const rules = netRules(nameList(["api.example.com:443,localhost"]), nameList(["localhost:22"]));
    expect(netDecision(rules, "api.example.com", 443)).toEqual({ ok: true });
    expect(netDecision(rules, "API.example.com", 443)).toEqual({ ok: true });
    expect(netDecision(rules, "api.example.com", 80)).toMatchObject({ ok: false, why: expect.stringContaining("--allow-net=api.example.com:80") });
    expect(netDecision(rules, "localhost", 8080)).toEqual({ ok: true });
    expect(netDecision(rules, "localhost", 22)).toMatchObject({ ok: false, why: expect.stringContaining("--deny-net") });
    // By name, as Deno does: an address is not its name.
    expect(netDecision(rules, "127.0.0.1", 8080).ok).toBe(false);
    expect(netDecision(netRules(nameList(["*"]), nameList(["*"])), "x", 1).ok).toBe(false);
  });
  it("compares addresses, not spellings: --deny-net holds for every spelling, and for a granted name that resolves to it", () => {
    const rules = netRules(nameList(["*"]), nameList(["127.0.0.1:22", "[::1]", "Evil.Example."]));
    for (const host of ["::ffff:7f00:1", "0:0:0:0:0:ffff:127.0.0.1", "2130706433", "0x7f.1", "127.1"]) expect(netDecision(rules, host, 22).ok, host).toBe(false);
    expect(netDecision(rules, "127.0.0.1", 23).ok).toBe(true);
    for (const host of ["0:0:0:0:0:0:0:1", "0::1", "[::0:1]"]) expect(netDecision(rules, host, 80).ok, host).toBe(false);
    expect(netDecision(rules, "EVIL.example", 80).ok).toBe(false);
    expect(netDecision(rules, "evil.example.", 80).ok).toBe(false);
    expect(deniedAddress(rules, "localhost", ["127.0.0.1"], 22)).toMatch(/--deny-net refuses 127.0.0.1:22, which localhost resolves to/);
    expect(deniedAddress(rules, "x.example", ["0:0:0:0:0:0:0:1"], 80)).toMatch(/refuses \[::1\]/);
    expect(deniedAddress(rules, "x.example", ["127.0.0.1"], 23)).toBeUndefined();
    expect(parseHostPort("[0:0:0:0:0:ffff:127.0.0.1]:8080")).toEqual({ host: "127.0.0.1", port: 8080 });
    expect(netDecision(netRules(nameList(["127.0.0.1:8080"]), NONE), "::ffff:7f00:1", 8080).ok).toBe(true);
  });
});

describe("--allow-run", () => {
  it("finds each command on PATH, with its real file; deny beats allow, also under another name", () => {
    const sh = runLayout(nameList(["sh"]), NONE, "/usr/bin:/bin");
    expect(sh?.all).toBe(false);
    expect(sh?.commands.map((c) => c.name)).toEqual(["sh"]);
    expect(sh?.commands[0]?.files[0]).toMatch(/\/sh$/);
    expect(runLayout(nameList(["sh"]), nameList(["sh"]), "/usr/bin:/bin")).toBeUndefined();
    expect(runLayout(NONE, NONE)).toBeUndefined();
    expect(() => runLayout(nameList(["no-such-command-here"]), NONE, "/usr/bin:/bin")).toThrow(/no such command on PATH/);
    const all = runLayout(nameList(["*"]), nameList(["sh"]), "/usr/bin:/bin");
    expect(all).toMatchObject({ all: true });
    expect(all?.denied.some((f) => f.endsWith("/sh") || f.endsWith("/dash") || f.endsWith("/bash"))).toBe(true);
  });
});
