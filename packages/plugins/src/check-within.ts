// `stui run --check --timeout`: the type check in a child `stui check`, so the limit can stop it.
// TypeScript checks synchronously: in the host's own process no timer can fire until it is done,
// and a slow check (or a script file that blocks its reader) would hold the command past
// --timeout. The child is killed at the limit; what it printed is the report, as `stui check`
// prints it (diagnostics on stdout, the summary on stderr).

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The `stui` command of this package (bin/ sits beside src/ and dist/). */
const STUI_BIN = fileURLToPath(new URL("../bin/stui.js", import.meta.url));

export interface TypeCheckOutcome {
  ok: boolean;
  report: string;
  /** The check did not end within the limit: it was stopped, and says nothing about the script. */
  timedOut?: boolean;
}

export function checkWithin(script: string, limitMs: number): Promise<TypeCheckOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STUI_BIN, "check", script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve({ ok: false, report: "", timedOut: true });
    }, limitMs);
    child.on("error", (error) => (clearTimeout(timer), reject(error)));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0 || code === 1) resolve({ ok: code === 0, report: [out.trimEnd(), err.trimEnd()].filter(Boolean).join("\n") });
      else if (signal !== "SIGKILL") reject(new Error(`stui check ended with ${signal ?? `exit code ${code}`}: ${err.trim()}`));
    });
  });
}
