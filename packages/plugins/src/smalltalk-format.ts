// Smalltalk results and errors as text, for the REPL and `stui eval`: values with their class,
// syntax errors pointed at in the source, evaluation errors with their Smalltalk frames.

import type { ClassBrowseResult, EvaluateResult, InspectResult, MethodGetResult } from "@stui/client/protocol";

export interface RemoteError {
  code?: string;
  kind?: string;
  message: string;
  data?: unknown;
}

/** What the evaluation wrote to the Transcript (protocol 1.2's `output`), without its last newline; "" when nothing. */
export function formatOutput(result: EvaluateResult): string {
  if (!result.output) return "";
  return `${result.output.text.replace(/\r?\n$/, "")}${result.output.truncated ? " …(output truncated)" : ""}`;
}

export function formatValue(result: EvaluateResult): string {
  const v = result.value;
  return `${v.printString}${v.truncated ? " …(truncated)" : ""}  "${v.className}"`;
}

/** An error, with the line and column of Smalltalk syntax errors pointed at in the source. */
export function formatError(error: unknown, source?: string): string {
  const e = error as RemoteError;
  const data = (e.data ?? {}) as Record<string, unknown>;
  if (e.kind === "syntaxError" && typeof data.line === "number" && typeof data.column === "number") {
    const lines = [`Syntax error at line ${data.line}, column ${data.column}: ${String(data.description ?? e.message)}`];
    const line = source?.split("\n")[data.line - 1];
    if (line !== undefined) lines.push(`  ${line}`, `  ${" ".repeat(Math.max(0, data.column - 1))}^`);
    return lines.join("\n");
  }
  if (e.kind === "evaluationError") {
    const frames = Array.isArray(data.frames) ? (data.frames as { printString?: string; method?: string; line?: number }[]) : [];
    const doIt = frames.find((f) => f.line !== undefined && String(f.method ?? "").endsWith(">>DoIt"));
    const head = `${String(data.exceptionClass ?? "Error")}: ${String(data.messageText || data.description || e.message)}${doIt ? ` (line ${doIt.line})` : ""}`;
    const shown = frames.slice(0, 8).map((f) => `  ${f.printString ?? f.method ?? "?"}${f.line !== undefined ? `  line ${f.line}` : ""}`);
    return [head, ...shown, ...(frames.length > 8 ? [`  … ${frames.length - 8} more frames`] : [])].join("\n");
  }
  if (e.kind === "timeout") return `Timeout: the evaluation ran longer than ${String(data.timeoutMs ?? "its limit")}ms and was stopped`;
  if (e.kind === "internalError" && typeof data.detail === "string" && !e.message.includes(data.detail)) return `internalError: ${e.message}\n  server's detail: ${data.detail}`;
  if (e.kind) return `${e.kind}: ${e.message}`;
  return `${e.code ? `${e.code}: ` : ""}${e.message ?? String(error)}`;
}

export function formatInspect(r: InspectResult): string {
  const lines = [`${r.printString}  "${r.className}"  (handle ${r.handle}, identityHash ${r.identityHash})`];
  for (const s of r.namedSlots) lines.push(`  ${s.name}: ${s.value.printString}  "${s.value.className}"`);
  const indexed = r.indexed as { total?: number; offset?: number; elements?: { index?: number; value?: { printString: string; className: string } }[] };
  if ((indexed.total ?? 0) > 0) {
    lines.push(`  ${indexed.total} indexed element${indexed.total === 1 ? "" : "s"}:`);
    for (const [i, el] of (indexed.elements ?? []).entries()) {
      lines.push(`  [${el.index ?? (indexed.offset ?? 0) + i + 1}] ${el.value?.printString ?? "?"}  "${el.value?.className ?? "?"}"`);
    }
  }
  return lines.join("\n");
}

export function formatBrowse(r: ClassBrowseResult): string {
  const lines = [`${r.name}${r.side === "class" ? " class" : ""}  (package ${r.package})`, r.definition, ""];
  lines.push(`superclasses: ${r.superclasses.join(" → ") || "(none)"}`);
  lines.push(`subclasses: ${r.subclasses.join(", ") || "(none)"}`);
  lines.push(`comment: ${r.comment ?? "(no comment)"}`);
  for (const p of r.protocols) lines.push(`  ${p.name}: ${p.selectors.join(" ")}`);
  return lines.join("\n");
}

export function formatMethod(r: MethodGetResult): string {
  return [`${r.className}${r.side === "class" ? " class" : ""}>>${r.selector}  [${r.protocol}]  (package ${r.package}${r.isExtension ? ", extension" : ""})`, r.source].join("\n");
}
