// File attacks at run time, observed from outside: the STUI home's key never comes out, a
// file must not appear through a symlink in a write grant, in /dev/shm or as a trace log, and
// grants that would open the STUI home are refused before anything runs.

import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { KEY_FILES, ensureKeys, readKeyPair } from "@stui/client/keys";
import { GrantError } from "../../packages/plugins/src/fs-grants.js";
import { ISOLATION_PREFERENCES, detectIsolation, type IsolationPreference } from "../../packages/plugins/src/isolation.js";
import { FULL, OS_ALONE, at, atOsAlone, hostile, results, runHostile, tempDir } from "./harness.js";

/** A STUI home holding a stand-in secret in a folder of its own (the real key files, made by ensureKeys, are attacked below). */
function homeWithKey(): { home: string; key: string; secret: string } {
  const home = tempDir("stui-sec-home-");
  const secret = `SECRET-KEY-${Math.random().toString(36).slice(2)}`;
  mkdirSync(path.join(home, "keys"), { mode: 0o700 });
  const key = path.join(home, "keys", "client.key_secret");
  writeFileSync(key, secret, { mode: 0o600 });
  return { home, key, secret };
}

function findFiles(dir: string, pattern: RegExp): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (pattern.test(e.name)) found.push(full);
      if (e.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return found;
}

describe("the STUI home", () => {
  for (const [config, layers] of [["production", undefined], ["OS alone", OS_ALONE]] as const) {
    const name = config === "production" ? at : atOsAlone;
    it.skipIf(config === "OS alone" && !FULL)(name("its keys cannot be read, listed or cat'ed"), async () => {
      const { home, key, secret } = homeWithKey();
      const r = await runHostile(hostile("read-files.ts"), { home, args: [key, home, path.join(home, "keys")], testLayers: layers });
      const seen = results(r.stdout);
      expect(Object.keys(seen)).toHaveLength(9);
      for (const [label, result] of Object.entries(seen)) expect(`${label}: ${result}`).not.toMatch(/: OPEN/);
      expect(r.stdout + r.stderr).not.toContain(secret);
    });
  }

  // Every isolation this machine can give (not only the one `stui run` picks), with the network
  // stubs off: the STUI home's real client secret key, as @stui/client/keys writes it, must not
  // be readable by the script — not by stat, read, listing, /proc, Node's internal fs binding or a
  // shell — and never appear in anything the run printed. Where there are namespaces (full,
  // partial) it must not even exist for the script with the permission model off too: the home
  // is not mounted (full) or hidden under an empty tmpfs (partial).
  const levels = (ISOLATION_PREFERENCES.filter((p) => p !== "auto") as IsolationPreference[]).flatMap((preference) => {
    try {
      return [{ preference, level: detectIsolation(preference).level }];
    } catch {
      return []; // not available on this machine (level.test.ts says which level CI must have)
    }
  });
  const keyCases = levels.flatMap(({ preference, level }) => [
    { preference, level, layers: "network stubs off", testLayers: { permissionModel: true, stubs: false } },
    ...(level === "none" ? [] : [{ preference, level, layers: "network stubs and permission model off", testLayers: OS_ALONE }]),
  ]);
  it.each(keyCases)("[isolation: $level ($preference), $layers] the client secret key is not visible", async ({ preference, level, testLayers }) => {
    const home = tempDir("stui-sec-home-");
    ensureKeys(home);
    const key = path.join(home, KEY_FILES.clientSecret);
    const secret = readKeyPair(home, "client").secretKey;
    expect(readFileSync(key, "utf8")).toContain(secret); // the file is really there, outside
    const r = await runHostile(hostile("read-keys.ts"), { home, isolation: preference, args: [home, key], testLayers });
    expect(r.summary.isolation?.level).toBe(level);
    const seen = results(r.stdout);
    expect(Object.keys(seen)).toEqual(["stat", "read", "list", "proc-self-root", "proc-1-root", "binding", "cat"]);
    // At level partial with the permission model off the home itself is there, as an empty tmpfs
    // holding only runs/<this run's own folder>, bound back in: listing it shows nothing else.
    for (const [label, result] of Object.entries(seen)) expect(`${label}: ${result}`).not.toMatch(label === "list" ? /: OPEN (?!runs$).+/ : /: OPEN/);
    expect(seen["stat"]).toBe(testLayers.permissionModel ? "ERR_ACCESS_DENIED" : "ENOENT");
    expect(r.stdout + r.stderr + r.log.join("\n")).not.toContain(secret);
  });

  it(at("a read or write grant that contains the home, or lies in it, is refused before anything runs"), async () => {
    const { home } = homeWithKey();
    const parent = path.dirname(home);
    for (const [fsRead, fsWrite] of [[[parent], []], [[], [home]], [[path.join(home, "keys")], []], [[], [path.join(home, "cache")]]] as const) {
      if (!existsSync(path.join(home, "cache"))) mkdirSync(path.join(home, "cache"));
      await expect(runHostile(hostile("hang.ts"), { home, fsRead, fsWrite })).rejects.toThrow(GrantError);
    }
  });
});

/** Every isolation this machine can give (not only the one `stui run` picks). */
const LEVELS = (ISOLATION_PREFERENCES.filter((p) => p !== "auto") as IsolationPreference[]).flatMap((preference) => {
  try {
    return [{ preference, level: detectIsolation(preference).level }];
  } catch {
    return []; // not available on this machine (level.test.ts says which level CI must have)
  }
});

describe("writes outside the grants", () => {
  let outside: string;

  // Red team finding 11: at "partial" (and "none") the sandbox sees the host's filesystem and Node's
  // permission model follows symlinks, so a link in a write grant carried the write out of it. There
  // such a grant is refused before anything runs; at "full" the link resolves inside the sandbox.
  const symlinkCases = [
    ...LEVELS.map(({ preference, level }) => ({ preference, level, config: "every layer on", testLayers: undefined })),
    ...LEVELS.filter((l) => l.level === "full").map(({ preference, level }) => ({ preference, level, config: "OS layer alone", testLayers: OS_ALONE })),
  ];
  it.each(symlinkCases)("[isolation: $level ($preference), $config] a symlink inside a write grant does not carry a write out of it", async ({ preference, level, testLayers }) => {
    const grant = tempDir();
    outside = tempDir();
    symlinkSync(outside, path.join(grant, "escape"));
    symlinkSync(path.join(outside, "direct.txt"), path.join(grant, "direct-link.txt"));
    const options = { isolation: preference, fsWrite: [grant], args: [path.join(grant, "escape", "through-dir.txt"), path.join(grant, "direct-link.txt"), path.join(grant, "inside.txt")], testLayers };
    if (level !== "full") {
      await expect(runHostile(hostile("write-files.ts"), options)).rejects.toThrow(new RegExp(`--allow-fs-write ${grant}: ${grant}/(escape|direct-link.txt) is a symlink to ${outside}`));
      expect(readdirSync(outside)).toEqual([]);
      return;
    }
    const r = await runHostile(hostile("write-files.ts"), options);
    const seen = results(r.stdout);
    expect(seen["write 0"]).not.toBe("OPEN");
    expect(seen["write 1"]).not.toBe("OPEN");
    expect(readdirSync(outside)).toEqual([]);
    // The grant itself works: the file written straight into it is there.
    expect(seen["write 2"]).toBe("OPEN");
    expect(existsSync(path.join(grant, "inside.txt"))).toBe(true);
  });

  it.each(LEVELS)("[isolation: $level ($preference)] a symlink inside a read grant does not carry a read out of it", async ({ preference, level }) => {
    const grant = tempDir();
    outside = tempDir();
    const secret = `OUTSIDE-SECRET-${Math.random().toString(36).slice(2)}`;
    writeFileSync(path.join(outside, "secret.txt"), secret);
    symlinkSync(path.join(outside, "secret.txt"), path.join(grant, "link.txt"));
    const options = { isolation: preference, fsRead: [grant], args: [path.join(grant, "link.txt")] };
    if (level !== "full") {
      await expect(runHostile(hostile("read-files.ts"), options)).rejects.toThrow(/link\.txt is a symlink to .*secret\.txt, outside every grant/);
      return;
    }
    const r = await runHostile(hostile("read-files.ts"), options);
    expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it("a symlink that stays inside the grants is fine at every level, and the run goes on", async () => {
    const grant = tempDir();
    mkdirSync(path.join(grant, "sub"));
    symlinkSync("sub", path.join(grant, "inner"));
    for (const { preference } of LEVELS) {
      const r = await runHostile(hostile("write-files.ts"), { isolation: preference, fsWrite: [grant], args: [path.join(grant, "inner", `via-link-${preference}.txt`)] });
      expect(results(r.stdout)["write 0"]).toBe("OPEN");
      expect(existsSync(path.join(grant, "sub", `via-link-${preference}.txt`))).toBe(true);
    }
  });

  for (const [config, layers] of [["production", undefined], ["OS alone", OS_ALONE]] as const) {
    const name = config === "production" ? at : atOsAlone;
    it.skipIf(config === "OS alone" && !FULL)(name("nothing written to /dev/shm or the working folder reaches the host"), async () => {
      const name = `stui-sec-${process.pid}-${Math.random().toString(36).slice(2)}`;
      const r = await runHostile(hostile("write-files.ts"), { args: [`/dev/shm/${name}`, `./${name}`, `/tmp/${name}`], testLayers: layers });
      expect(Object.keys(results(r.stdout))).toHaveLength(3);
      expect(existsSync(`/dev/shm/${name}`)).toBe(false);
      expect(existsSync(`/tmp/${name}`)).toBe(false);
      expect(existsSync(path.join(process.cwd(), name))).toBe(false);
    });
  }
});

describe("trace_events and diagnostic reports", () => {
  for (const [config, layers] of [["production", undefined], ["OS alone", OS_ALONE]] as const) {
    const name = config === "production" ? at : atOsAlone;
    it.skipIf(config === "OS alone" && !FULL)(name("no trace log or report file appears anywhere the host can see while the script runs"), async () => {
      // The run's private folders live under TMPDIR: point it at a fresh folder and keep searching
      // it (and the host's working folder, and the script's) for as long as the script runs.
      const tmp = tempDir();
      const saved = process.env.TMPDIR;
      process.env.TMPDIR = tmp;
      const found = new Set<string>();
      const scan = (): void => {
        for (const f of [...findFiles(tmp, /node_trace|stui-report/), ...readdirSync(process.cwd()).filter((f) => /^node_trace|^stui-report/.test(f)), ...findFiles(path.dirname(hostile("x")), /node_trace|stui-report/)]) found.add(f);
      };
      const scanner = setInterval(scan, 50);
      const controller = new AbortController();
      try {
        // With the permission model off, Node itself tries to open the trace file in the read-only
        // working folder, fails and stalls the script: the run then ends by --timeout.
        const r = await runHostile(hostile("trace-events.ts"), {
          testLayers: layers,
          signal: controller.signal,
          timeoutMs: 4000,
          onStdout: (text) => {
            if (text.includes("TRACED")) controller.abort();
          },
        });
        scan();
        expect(r.summary.status === "interrupted" || r.summary.status === "timeout").toBe(true);
        if (config === "production") expect(results(r.stdout).trace).toBe("ERR_ACCESS_DENIED");
        else expect(r.stderr).toMatch(/Could not open trace file .*read-only file system/);
      } finally {
        clearInterval(scanner);
        if (saved === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = saved;
      }
      expect([...found]).toEqual([]);
    });
  }
});
