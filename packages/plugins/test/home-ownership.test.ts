// A STUI home whose bundle cache belongs to another user (a home shared by mistake, or created by
// root for someone else): stui must refuse to keep bundles there with a clear error (exit 2), not
// crash with a stack trace, and must not write into it.
import { chownSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT } from "../src/exit-codes.js";
import { stui } from "./cli-helpers.js";
import { FIXTURES } from "./helpers.js";

const ROOT = typeof process.getuid === "function" && process.getuid() === 0;
const home = process.env.STUI_HOME!;
const cache = path.join(home, "cache", "bundles");

afterAll(() => rmSync(cache, { recursive: true, force: true }));

describe("a bundle cache owned by another user", () => {
  // Only root can give a folder to another user; as anyone else this cannot be set up.
  it.skipIf(!ROOT)("is refused with exit 2 and a sentence naming the folder; nothing is written there", async () => {
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache, { recursive: true, mode: 0o755 });
    chownSync(cache, 65534, 65534);
    const r = await stui(["run", path.join(FIXTURES, "exit-code.ts")], { env: { STUI_HOME: home } });
    expect(r.stderr).toContain(`stui: ${cache} belongs to another user (uid 65534): stui will not keep bundles there`);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.code).toBe(EXIT.usage);
    expect(readdirSync(cache)).toEqual([]);
  });
});
