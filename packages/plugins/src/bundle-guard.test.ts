import { closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ReadRefused, checkOpened, readPolicy } from "./bundle-guard.js";

describe("the read guard's check after the open (red team finding 16, the race)", () => {
  it.runIf(process.platform === "linux")("refuses a descriptor whose real path is not the one checked: a folder on the way was swapped for a symlink", () => {
    const base = mkdtempSync(path.join(tmpdir(), "stui-guard-"));
    const home = path.join(base, "home");
    mkdirSync(path.join(home, "keys"), { recursive: true });
    writeFileSync(path.join(home, "keys", "client.key_secret"), "SECRET");
    const folder = path.join(base, "script");
    mkdirSync(folder);
    const policy = readPolicy(path.join(folder, "s.ts"), { home, runtime: [] });
    // What the guard checked: script/sub/client.key_secret, with sub a real folder. What the
    // open met: sub swapped for a symlink to the home's keys (the racer's state at that moment).
    symlinkSync(path.join(home, "keys"), path.join(folder, "sub"));
    const checked = path.join(folder, "sub", "client.key_secret");
    const fd = openSync(checked, "r");
    try {
      expect(() => checkOpened(fd, checked, fstatSync(fd), policy)).toThrow(ReadRefused);
      expect(() => checkOpened(fd, checked, fstatSync(fd), policy)).toThrow(/a folder on its path was replaced \(it opened .*home\/keys\/client\.key_secret\)/);
    } finally {
      closeSync(fd);
    }
    // The same check passes for a file opened at the path checked.
    writeFileSync(path.join(folder, "ok.txt"), "fine");
    const ok = openSync(path.join(folder, "ok.txt"), "r");
    try {
      expect(() => checkOpened(ok, path.join(folder, "ok.txt"), fstatSync(ok), policy)).not.toThrow();
    } finally {
      closeSync(ok);
    }
  });
});
