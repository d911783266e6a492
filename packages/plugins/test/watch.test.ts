// --watch: a change to the script runs it again. Driven by events (each run's
// summary), never by sleeping; the test's own timeout bounds it.

import { writeFileSync } from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { EXIT } from "../src/exit-codes.js";
import { runScript, type RunSummary } from "../src/host.js";
import { watchScript } from "../src/watch.js";
import { fakeServer } from "./fake-connection.js";
import { cacheDir, tempDir } from "./helpers.js";

describe("stui run --watch", () => {
  it("runs again after the script changes, and stops on Ctrl-C", async () => {
    const dir = tempDir();
    const script = path.join(dir, "watched.ts");
    writeFileSync(script, `console.log("version 1");\n`);
    const stdout = new PassThrough();
    let printed = "";
    stdout.on("data", (c: Buffer) => (printed += c.toString()));
    const stop = new AbortController();
    const server = fakeServer();
    const runs: RunSummary[] = [];
    const log: string[] = [];

    const code = await watchScript({
      script,
      signal: stop.signal,
      log: (line) => log.push(line),
      run: (signal, onInputs) =>
        runScript({ script, args: [], flags: { allow: new Set(), deny: new Set() }, connect: server.connect, cacheDir, signal, onInputs, output: { stdout, stderr: stdout }, log: (l) => log.push(l) }),
      onRun: (summary, index) => {
        runs.push(summary);
        if (index === 1) writeFileSync(script, `console.log("version 2");\n`);
        if (index === 2) stop.abort();
        if (index > 2) throw new Error("ran more often than the file changed");
      },
    });

    expect(code).toBe(EXIT.interrupted);
    expect(runs.map((r) => r.exitCode)).toEqual([EXIT.ok, EXIT.ok]);
    expect(runs[0]?.inputs).toContain(script);
    expect(printed).toContain("version 1");
    expect(printed).toContain("version 2");
    expect(printed.indexOf("version 1")).toBeLessThan(printed.indexOf("version 2"));
    expect(log.some((l) => l.includes("change detected"))).toBe(true);
  });
});
