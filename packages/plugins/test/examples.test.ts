// The examples, run by the real `stui` command against the real test server
// (@stui/testkit) whose Smalltalk tier is SCRIPTED test doubles (@stui/testkit/examples/scripted-handlers):
// fixed answers, no Smalltalk is evaluated.

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { startTestServer, type TestServer } from "@stui/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../src/exit-codes.js";
import { REPO, hostNotes, stui } from "./cli-helpers.js";
import { tempDir } from "./helpers.js";
import { handlers } from "@stui/testkit/examples/scripted-handlers";

let server: TestServer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  // The server authorizes the client key of the STUI home the `stui` child uses (created on first use).
  const home = tempDir("stui-home-");
  server = await startTestServer({ endpoint: "tcp://127.0.0.1:*", handlers, home });
  env = { STUI_ENDPOINT: server.endpoint, STUI_HOME: home };
});
afterAll(async () => {
  server.assertNoViolations();
  await server.close();
});

const liveSessions = (): number => server.sessions.list().length;

describe("examples/hello.ts", () => {
  it("pings, evaluates, keeps a workspace variable; the host closes the session", async () => {
    const r = await stui(["run", "examples/hello.ts", "--allow-read", "--allow-eval"], { env });
    expect(hostNotes(r.stderr)).toBe("");
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain("server: stui-test-server");
    expect(r.stdout).toContain("3 + 4 = 7 (SmallInteger)");
    expect(r.stdout).toContain("total * 2 = 14");
    expect(liveSessions()).toBe(0);
  });

  it("without --allow-eval and without a terminal: exit 3, and the message names the flag", async () => {
    const r = await stui(["run", "examples/hello.ts", "--allow-read"], { env });
    expect(r.code).toBe(EXIT.permissionDenied);
    expect(r.stderr).toContain("--allow-eval");
    expect(liveSessions()).toBe(0);
  });

  it("--allow-all --deny-eval: deny wins (exit 3)", async () => {
    const r = await stui(["run", "examples/hello.ts", "--allow-all", "--deny-eval"], { env });
    expect(r.code).toBe(EXIT.permissionDenied);
    expect(r.stderr).toContain("--deny-eval refuses");
  });

  it("--json prints one JSON summary on stdout", async () => {
    const r = await stui(["run", "examples/hello.ts", "--allow-read", "--allow-eval", "--json"], { env });
    expect(r.code).toBe(EXIT.ok);
    const summary = JSON.parse(r.stdout) as { status: string; exitCode: number; calls: number; sessionsOpened: number; endpoint: string };
    expect(summary).toMatchObject({ status: "ok", exitCode: 0, calls: 5, sessionsOpened: 1, endpoint: server.endpoint });
    expect(r.stderr).toContain("total * 2 = 14");
  });
});

describe("examples/plugins/uncommented-classes.ts", () => {
  it("lists the classes of a package without a comment", async () => {
    const r = await stui(["run", "examples/plugins/uncommented-classes.ts", "--allow-read", "--", "Collections-Abstract"], { env });
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toBe(["Collections-Abstract: 2 of 4 classes have no comment", "  ArrayedCollection", "  HashedCollection", ""].join("\n"));
  });

  it("as a plugin it is refused what it did not declare, and needs its args", async () => {
    const r = await stui(["run", "examples/plugins/uncommented-classes.ts", "--allow-read"], { env });
    expect(r.code).toBe(EXIT.scriptError);
    expect(r.stderr).toContain("usage: stui run examples/plugins/uncommented-classes.ts");
  });
});

describe("examples/class-diagram.ts", () => {
  it("writes the hierarchy as a Mermaid file under the granted folder", async () => {
    const dir = tempDir();
    const out = path.join(dir, "collection.mmd");
    const r = await stui(["run", "examples/class-diagram.ts", "--allow-read", `--allow-fs-write=${dir}`, "--", "Collection", out], { env });
    expect(hostNotes(r.stderr)).toBe("");
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toContain("wrote collection.mmd: 7 classes under Collection");
    expect(readFileSync(out, "utf8")).toBe(
      [
        "classDiagram",
        "  class Collection",
        "  Collection <|-- HashedCollection",
        "  Collection <|-- SequenceableCollection",
        "  class HashedCollection",
        "  HashedCollection : tally",
        "  HashedCollection : array",
        "  HashedCollection <|-- Set",
        "  class SequenceableCollection",
        "  SequenceableCollection <|-- ArrayedCollection",
        "  SequenceableCollection <|-- OrderedCollection",
        "  class Set",
        "  class ArrayedCollection",
        "  ArrayedCollection <|-- Array",
        "  class OrderedCollection",
        "  OrderedCollection : array",
        "  OrderedCollection : firstIndex",
        "  OrderedCollection : lastIndex",
        "  class Array",
        "",
      ].join("\n"),
    );
  });

  it("without the file-system grant it cannot write: a STUI permission denial (exit 3) naming the path and the flag; no file", async () => {
    const dir = tempDir();
    const out = path.join(dir, "collection.mmd");
    const r = await stui(["run", "examples/class-diagram.ts", "--allow-read", "--", "Collection", out], { env });
    expect(r.code).toBe(EXIT.permissionDenied);
    expect(r.stderr).toContain(`stui: permission denied: writing ${out} needs a write grant: run again with --allow-fs-write=${dir}`);
    expect(r.stderr).not.toContain("ERR_ACCESS_DENIED");
    expect(existsSync(out)).toBe(false);
  });

  it("as the README says: mkdir -p out, --allow-fs-write=out, an absolute output file", async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, "out"));
    const r = await stui(["run", path.join(REPO, "examples/class-diagram.ts"), "--allow-read", "--allow-fs-write=out", "--", "Collection", path.join(dir, "out", "collection.mmd")], { env, cwd: dir });
    expect(hostNotes(r.stderr)).toBe("");
    expect(r.code).toBe(EXIT.ok);
    expect(readFileSync(path.join(dir, "out", "collection.mmd"), "utf8")).toContain("Collection <|-- HashedCollection");
  });

  it("--allow-fs-write=. in a folder that is not a project with stui, and a relative output file", async () => {
    const dir = tempDir();
    const r = await stui(["run", path.join(REPO, "examples/class-diagram.ts"), "--allow-read", "--allow-fs-write=.", "--", "Collection", "collection.mmd"], { env, cwd: dir });
    expect(hostNotes(r.stderr)).toBe("");
    expect(r.code).toBe(EXIT.ok);
    expect(readFileSync(path.join(dir, "collection.mmd"), "utf8")).toContain("Collection <|-- HashedCollection");
  });

  it("a relative output file from the repository root (which cannot be granted): exit 3, and the message says what to do instead", async () => {
    const r = await stui(["run", "examples/class-diagram.ts", "--allow-read", `--allow-fs-write=${tempDir()}`, "--", "Collection", "collection.mmd"], { env, cwd: REPO });
    expect(r.code).toBe(EXIT.permissionDenied);
    expect(r.stderr).toContain("writing collection.mmd (a relative path): the script works in an empty folder of the sandbox because the current folder is not granted; pass an absolute path under a granted folder");
    expect(existsSync(path.join(REPO, "collection.mmd"))).toBe(false);
  });

  it("a relative output file without a grant for the current folder: exit 3, and the message says why", async () => {
    const dir = tempDir();
    const r = await stui(["run", path.join(REPO, "examples/class-diagram.ts"), "--allow-read", "--", "Collection", "collection.mmd"], { env, cwd: dir });
    expect(r.code).toBe(EXIT.permissionDenied);
    expect(r.stderr).toContain("writing collection.mmd (a relative path): the script works in an empty folder of the sandbox because the current folder is not granted; run again with --allow-fs-write=.");
    expect(existsSync(path.join(dir, "collection.mmd"))).toBe(false);
  });
});

describe("examples/method-source.ts (takes arguments)", () => {
  it("prints each method named, reports unknown ones, exits 1 if any failed", async () => {
    const r = await stui(["run", "examples/method-source.ts", "--allow-read", "--", "Point>>x", "Point>>nope", "--no-source"], { env });
    expect(r.code).toBe(EXIT.scriptError);
    expect(r.stdout).toBe("Point>>x  [accessing]  Kernel-BasicObjects\n");
    expect(r.stderr).toContain("Point>>nope: selectorNotFound");
  });

  it("prints the source without --no-source", async () => {
    const r = await stui(["run", "examples/method-source.ts", "--allow-read", "--", "Point>>y"], { env });
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toBe("Point>>y  [accessing]  Kernel-BasicObjects\n    y\n    \t^ y\n");
  });
});
