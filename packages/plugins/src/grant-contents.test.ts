// What a grant may hold (grant-contents.ts): sockets never, symlinks out of the grants not below
// "full". test/security/files.test.ts and sockets.test.ts attack through real runs.

import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { GrantError } from "./fs-grants.js";
import { MAX_ENTRIES, checkGrantContents, osRefusesUnixSockets } from "./grant-contents.js";

const dir = (): string => mkdtempSync(path.join(tmpdir(), "stui-grant-"));
const g = (p: string) => ({ real: p, given: p });

describe("symlinks in grants", () => {
  it("a dangling link that leads out is refused below full (a write through it would create the file outside)", () => {
    const grant = dir();
    symlinkSync("/nonexistent-stui-dir/x/y", path.join(grant, "later"));
    expect(() => checkGrantContents([], [g(grant)], "partial", false)).toThrow(/later is a symlink to \/nonexistent-stui-dir\/x\/y, outside every write grant/);
    expect(() => checkGrantContents([], [g(grant)], "none", false)).toThrow(GrantError);
    expect(() => checkGrantContents([], [g(grant)], "full", false)).not.toThrow();
  });

  it("a link in a write grant may lead into another write grant, not into a read-only one; a read grant's link may lead into either", () => {
    const [w1, w2, r] = [dir(), dir(), dir()];
    symlinkSync(w2, path.join(w1, "to-w2"));
    expect(() => checkGrantContents([g(r)], [g(w1), g(w2)], "partial", false)).not.toThrow();
    symlinkSync(path.join(r, "f"), path.join(w1, "to-r"));
    expect(() => checkGrantContents([g(r)], [g(w1), g(w2)], "partial", false)).toThrow(/to-r is a symlink/);
    const r2 = dir();
    symlinkSync(w2, path.join(r2, "to-w2"));
    expect(() => checkGrantContents([g(r2)], [g(w2)], "partial", false)).not.toThrow();
  });

  it("a link deep in a subfolder is found, and a chain of links is judged by where it ends", () => {
    const [grant, out, elsewhere] = [dir(), dir(), dir()];
    mkdirSync(path.join(grant, "a", "b"), { recursive: true });
    // grant/a/b/back -> elsewhere/hop -> grant/a: ends inside, fine.
    symlinkSync(path.join(grant, "a"), path.join(elsewhere, "hop"));
    symlinkSync(path.join(elsewhere, "hop"), path.join(grant, "a", "b", "back"));
    expect(() => checkGrantContents([g(grant)], [], "partial", false)).not.toThrow();
    symlinkSync(out, path.join(grant, "a", "b", "out"));
    expect(() => checkGrantContents([g(grant)], [], "partial", false)).toThrow(new RegExp(`${grant}/a/b/out is a symlink to ${out}, outside every grant`));
  });

  it("a grant too big to check is refused, but at full without --allow-net, where the OS layer refuses links out and unix sockets", () => {
    const grant = dir();
    for (let i = 0; i <= MAX_ENTRIES; i++) writeFileSync(path.join(grant, String(i)), "");
    expect(() => checkGrantContents([g(grant)], [], "partial", false)).toThrow(/too many entries to check/);
    if (osRefusesUnixSockets("full", false)) expect(() => checkGrantContents([g(grant)], [], "full", false)).not.toThrow();
    else expect(() => checkGrantContents([g(grant)], [], "full", false)).toThrow(/no seccomp filter/);
    // With --allow-net the filter lets socket(AF_UNIX) through (red team 2, finding 5).
    expect(() => checkGrantContents([g(grant)], [], "full", true)).toThrow(/too many entries to check \(over 10000 in all grants\)\. With --allow-net/);
  });
});

describe("entries that vanish or cannot be read (red team 2, finding 7)", () => {
  it("an entry deleted during the walk is skipped: /proc/self/fd lists the folder's own descriptor, closed before it is looked at", () => {
    // Below full every fd link leads out of the grant: a GrantError about a link, never a raw ENOENT.
    expect(() => checkGrantContents([g("/proc/self/fd")], [], "full", false)).not.toThrow();
    expect(() => checkGrantContents([g("/proc/self/fd")], [], "partial", false)).toThrow(GrantError);
  });

  it("an entry that cannot be read is a GrantError naming it, not a crash", () => {
    let thrown: unknown;
    try {
      checkGrantContents([g("/proc/1")], [], "partial", false);
    } catch (error) {
      thrown = error;
    }
    // /proc/1/cwd: EACCES for another user's process (or in a container); a link out of the grant otherwise.
    expect(thrown).toBeInstanceOf(GrantError);
    expect(String((thrown as Error).message)).toMatch(/--allow-fs-read \/proc\/1: (cannot check \/proc\/1\/\S+ \(EACCES\)|\/proc\/1\/\S+ is a symlink)/);
  });
});

describe("sockets in grants", () => {
  it("a unix socket anywhere in a grant is refused at every level", async () => {
    const grant = dir();
    mkdirSync(path.join(grant, "run"));
    const socket = path.join(grant, "run", "agent.sock");
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      for (const level of ["full", "partial", "none"] as const) {
        expect(() => checkGrantContents([g(grant)], [], level, false)).toThrow(new RegExp(`${socket} is a unix socket`));
        expect(() => checkGrantContents([], [g(grant)], level, false)).toThrow(GrantError);
      }
    } finally {
      server.close();
    }
  });
});
