// A script's failure as a person reads it: what failed (for a Smalltalk error: the exception,
// its message and the top Smalltalk frames; for a server's internal error: its detail), and the
// line of the script that made the failing call, with that line shown. The child's stack is
// source-mapped to the script's own files (bundle.ts), so the frames that matter are found by
// file name among the bundle's sources; the host's runtime and Node's internals are left out.

import { readFileSync } from "node:fs";
import path from "node:path";
import { isRuntimeFile } from "./bundle.js";
import type { SerializedError } from "./ipc.js";

export interface StackFrame {
  file: string;
  line: number;
  column: number;
  fn?: string;
}

const FRAME = /^\s*at (?:(.+?) \()?(?:file:\/\/)?(\/[^()]*?):(\d+):(\d+)\)?$/;

/** The frames of a V8 stack that name a file (`at fn (file:line:col)` or `at file:line:col`). */
export function stackFrames(stack: string | undefined): StackFrame[] {
  const frames: StackFrame[] = [];
  for (const line of (stack ?? "").split("\n")) {
    const m = FRAME.exec(line);
    if (!m) continue;
    const fn = m[1]?.replace(/^async /, "");
    frames.push({ file: decodeURIComponent(m[2]!), line: Number(m[3]), column: Number(m[4]), ...(fn && fn !== "<anonymous>" ? { fn } : {}) });
  }
  return frames;
}

export interface ErrorContext {
  /** The script's own source files (absolute): frames in them are the ones shown. */
  sources: readonly string[];
  /** Paths are shown relative to this folder. */
  cwd: string;
}

const MAX_SMALLTALK_FRAMES = 6;
const MAX_SCRIPT_FRAMES = 4;

function sourceLine(file: string, line: number): string | undefined {
  try {
    return readFileSync(file, "utf8").split("\n")[line - 1]?.replace(/\s+$/, "");
  } catch {
    return undefined;
  }
}

/** What the server said, for the protocol's error kinds that carry more than their message. */
function remoteDetail(e: SerializedError): string[] {
  const data = (e.data ?? {}) as Record<string, unknown>;
  switch (e.kind) {
    case "evaluationError": {
      const frames = Array.isArray(data.frames) ? (data.frames as { printString?: unknown; method?: unknown; line?: unknown }[]) : [];
      const text = String(data.messageText || data.description || "");
      const lines = [`Smalltalk ${String(data.exceptionClass ?? "Error")}${text ? `: ${text}` : ""}`];
      for (const f of frames.slice(0, MAX_SMALLTALK_FRAMES)) lines.push(`  ${String(f.printString ?? f.method ?? "?")}${typeof f.line === "number" ? `  (line ${f.line})` : ""}`);
      if (frames.length > MAX_SMALLTALK_FRAMES) lines.push(`  … ${frames.length - MAX_SMALLTALK_FRAMES} more Smalltalk frames`);
      return lines;
    }
    case "syntaxError":
      return [`Smalltalk syntax error at line ${String(data.line)}, column ${String(data.column)}: ${String(data.description ?? "")}`];
    case "internalError":
      return typeof data.detail === "string" && !e.message.includes(data.detail) ? [`server's detail: ${data.detail}`] : [];
    case "timeout":
      return [`the evaluation ran longer than its server-side limit${typeof data.timeoutMs === "number" ? ` of ${data.timeoutMs} ms` : ""} and was stopped`];
    default:
      return [];
  }
}

/** The text `stui run` prints for a script that failed. */
export function formatScriptError(e: SerializedError, context: ErrorContext): string {
  const lines = [`stui: script error: ${e.name}: ${e.message}`];
  for (const line of remoteDetail(e)) lines.push(`  ${line}`);
  const own = new Set(context.sources);
  const frames = stackFrames(e.stack);
  const scriptFrames = frames.filter((f) => own.has(f.file));
  const shown = (f: StackFrame): string => {
    const relative = path.relative(context.cwd, f.file);
    return `${relative && !relative.startsWith("..") ? relative : f.file}:${f.line}:${f.column}`;
  };
  if (scriptFrames.length > 0) {
    const [first, ...rest] = scriptFrames;
    lines.push(`  at ${shown(first!)}${first!.fn ? ` (${first!.fn})` : ""}`);
    const text = sourceLine(first!.file, first!.line);
    if (text !== undefined) lines.push(`    ${first!.line} | ${text}`, `    ${" ".repeat(String(first!.line).length)} | ${" ".repeat(Math.max(0, first!.column - 1))}^`);
    for (const f of rest.slice(0, MAX_SCRIPT_FRAMES - 1)) lines.push(`  at ${shown(f)}${f.fn ? ` (${f.fn})` : ""}`);
  } else if (frames.length > 0) {
    // Thrown outside the script's own files (a dependency): the stack as it is, without the host's runtime.
    for (const f of frames.filter((x) => !isRuntimeFile(x.file)).slice(0, MAX_SCRIPT_FRAMES)) lines.push(`  at ${shown(f)}${f.fn ? ` (${f.fn})` : ""}`);
  }
  if (e.code) lines.push(`  code: ${e.code}${e.kind ? ` (${e.kind})` : ""}`);
  if (e.cause) lines.push(`  cause: ${e.cause.name}: ${e.cause.message}${e.cause.code ? ` (${e.cause.code})` : ""}`);
  return lines.join("\n");
}
