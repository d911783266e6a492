// `stui repl`: a Smalltalk workspace on one session. Lines are gathered until the
// brackets, strings and comments balance, then evaluated; `:commands` inspect and
// browse. History persists in $STUI_HOME/repl_history (~/.stui by default).

import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { CLIENT_VERSIONS, createApi, type StuiApi } from "@stui/client/protocol";
import { stuiHome } from "@stui/client/keys";
import { firstPing, isAuthenticationFailure, type Connector } from "./connection.js";
import { EXIT, type ExitCode } from "./exit-codes.js";
import { formatBrowse, formatError, formatInspect, formatMethod, formatOutput, formatValue, type RemoteError } from "./smalltalk-format.js";


export const REPL_HELP = `Type Smalltalk and press Enter; unfinished brackets, strings or comments continue on the next line
(an empty line sends an unfinished entry as it is; Ctrl-C drops it, or stops a running evaluation).
Tab completes variables, class names and selectors (the server's code.complete, protocol 1.2).
Workspace variables persist:  total := 3 + 4   then   total * 2
Commands:
  :inspect <expr>        inspect the value of an expression (class, slots, elements)
  :browse <Class>        class definition, comment, hierarchy, protocols (add " class" for the class side)
  :method <Class>>sel    a method's source (Class class>>sel for the class side)
  :vars                  the session's workspace variables
  :help                  this text
  :quit                  close the session and leave (also Ctrl-D)`;

/**
 * True when `source` can be sent as it is: no open string, comment or bracket.
 * Smalltalk: 'strings' ('' inside), "comments", $c character literals, ( [ {.
 */
export function isComplete(source: string): boolean {
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "'") {
      const end = source.indexOf("'", i + 1);
      if (end < 0) return false;
      i = end;
      // '' is a quote inside the string: keep scanning the same string.
      while (source[i + 1] === "'") {
        const next = source.indexOf("'", i + 2);
        if (next < 0) return false;
        i = next;
      }
    } else if (c === '"') {
      const end = source.indexOf('"', i + 1);
      if (end < 0) return false;
      i = end;
    } else if (c === "$") {
      i++;
    } else if (c === "(" || c === "[" || c === "{") {
      depth++;
    } else if (c === ")" || c === "]" || c === "}") {
      depth--;
    }
  }
  return depth <= 0;
}

/** "Point>>x", "Point class>>new", "Point >> #x" → class, selector, side. */
export function parseMethodRef(text: string): { className: string; selector: string; side: "instance" | "class" } | undefined {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)(\s+class)?\s*>>\s*#?(\S+)\s*$/.exec(text);
  if (!m?.[1] || !m[3]) return undefined;
  return { className: m[1], selector: m[3], side: m[2] ? "class" : "instance" };
}

type Completer = (line: string, callback: (error: null, result: [string[], string]) => void) => void;

/**
 * Tab: the server's completions for the word before the cursor (code.complete), with the
 * unfinished entry's earlier lines as context. Nothing when the server speaks no 1.2 (EVERSION)
 * or fails: Tab then does nothing.
 */
export function completerFor(api: StuiApi, sessionId: string, pending: () => string): Completer {
  return (line, callback) => {
    const source = pending() ? `${pending()}\n${line}` : line;
    if (source.trimStart().startsWith(":")) return callback(null, [[], line]);
    api.code
      .complete({ sessionId, source, position: [...source].length, limit: 200 })
      .then((r) => callback(null, [r.completions.map((c) => c.text), r.prefix]))
      .catch(() => callback(null, [[], line]));
  };
}

export interface ReplOptions {
  connect: Connector;
  endpoint: string;
  input: Readable;
  output: Writable;
  errorOutput: Writable;
  /** Show prompts, keep history: true when stdin is a terminal. */
  terminal: boolean;
  json?: boolean;
  /** How long the first ping may take before the server counts as unreachable. */
  connectTimeoutMs?: number | undefined;
  /** Where history persists; defaults to $STUI_HOME/repl_history. */
  historyFile?: string;
}

function loadHistory(file: string): string[] {
  try {
    // The file is oldest first; readline wants newest first.
    return readFileSync(file, "utf8").split("\n").filter(Boolean).reverse();
  } catch {
    return [];
  }
}

export async function runRepl(options: ReplOptions): Promise<ExitCode> {
  const out = (text: string): void => void options.output.write(`${text}\n`);
  const err = (text: string): void => void options.errorOutput.write(`${text}\n`);
  let conn;
  try {
    conn = await options.connect();
    await firstPing(conn, options.connectTimeoutMs ?? 5000);
  } catch (error) {
    await conn?.close().catch(() => undefined);
    err(
      isAuthenticationFailure(error)
        ? `stui: the connection to ${options.endpoint} failed on authentication (a key problem, not a missing server): ${(error as Error).message}`
        : `stui: server unreachable at ${options.endpoint}: ${(error as Error).message}`,
    );
    return EXIT.unreachable;
  }
  const api: StuiApi = createApi(conn);
  let sessionId: string;
  try {
    sessionId = (await api.session.create({ clientName: "stui repl", protocolVersions: [...CLIENT_VERSIONS] })).sessionId;
  } catch (error) {
    await conn.close().catch(() => undefined);
    err(`stui: could not open a session: ${formatError(error)}`);
    return EXIT.scriptError;
  }

  const historyFile = options.historyFile ?? path.join(stuiHome(), "repl_history");
  let buffer = "";
  const rl = createInterface({
    ...(options.terminal ? { completer: completerFor(api, sessionId, () => buffer) } : {}),
    input: options.input,
    output: options.terminal ? options.output : undefined,
    terminal: options.terminal,
    history: options.terminal ? loadHistory(historyFile) : [],
    historySize: 1000,
    prompt: "st> ",
  });
  if (options.terminal) {
    rl.on("history", (history: string[]) => {
      try {
        // What was typed (code, perhaps secrets) is the person's alone: the folder 0700 when made here, the file 0600 (red team finding 20).
        mkdirSync(path.dirname(historyFile), { recursive: true, mode: 0o700 });
        writeFileSync(historyFile, [...history].reverse().join("\n") + "\n", { mode: 0o600 });
        chmodSync(historyFile, 0o600);
      } catch (error) {
        err(`stui: could not save history to ${historyFile}: ${(error as Error).message}`);
      }
    });
    out(`Connected to ${options.endpoint}, session ${sessionId}. :help for commands, :quit to leave.`);
  }

  let evaluating = false;
  rl.on("SIGINT", () => {
    // Ctrl-C stops a running evaluation (evaluate.cancel, protocol 1.2), drops an unfinished
    // entry, and on an empty line leaves.
    if (evaluating) {
      out("(stopping the evaluation)");
      api.evaluate.cancel({ sessionId }).catch((error: unknown) => out(`(cannot stop it: ${formatError(error)})`));
    } else if (buffer) {
      buffer = "";
      out("(cancelled)");
      rl.setPrompt("st> ");
      rl.prompt();
    } else rl.close();
  });

  const report = (input: string, result: { ok: true; value: unknown; text: string } | { ok: false; error: unknown }): void => {
    if (options.json) {
      const e = result.ok ? undefined : (result.error as RemoteError);
      out(JSON.stringify(result.ok ? { input, ok: true, result: result.value } : { input, ok: false, error: { code: e?.code, kind: e?.kind, message: e?.message ?? String(result.error), data: e?.data } }));
    } else if (result.ok) out(result.text);
    else out(formatError(result.error, input));
  };

  const run = async (input: string): Promise<boolean> => {
    const trimmed = input.trim();
    if (!trimmed) return true;
    if (trimmed.startsWith(":")) {
      const [command = "", ...rest] = trimmed.slice(1).split(/\s+/);
      const arg = trimmed.slice(1 + command.length).trim();
      try {
        switch (command) {
          case "q":
          case "quit":
          case "exit":
            return false;
          case "help":
          case "h":
            out(REPL_HELP);
            return true;
          case "inspect":
          case "i": {
            if (!arg) return out("usage: :inspect <expression>"), true;
            const r = await api.inspect({ sessionId, expression: arg });
            report(arg, { ok: true, value: r, text: formatInspect(r) });
            return true;
          }
          case "browse":
          case "b": {
            const m = /^([A-Za-z_][A-Za-z0-9_]*)(\s+class)?$/.exec(arg);
            if (!m?.[1]) return out("usage: :browse <Class> [class]"), true;
            const r = await api.class.browse({ className: m[1], side: m[2] ? "class" : "instance" });
            report(arg, { ok: true, value: r, text: formatBrowse(r) });
            return true;
          }
          case "method":
          case "m": {
            const ref = parseMethodRef(arg);
            if (!ref) return out("usage: :method <Class>>selector  (or <Class> class>>selector)"), true;
            const r = await api.method.get(ref);
            report(arg, { ok: true, value: r, text: formatMethod(r) });
            return true;
          }
          case "vars": {
            const r = await api.session.restore({ sessionId });
            const text = r.variables.length ? r.variables.map((v) => `${v.name} := ${v.value.printString}  "${v.value.className}"`).join("\n") : "(no workspace variables)";
            report(trimmed, { ok: true, value: r.variables, text });
            return true;
          }
          default:
            out(`unknown command :${command}${rest.length ? "" : ""} (try :help)`);
            return true;
        }
      } catch (error) {
        report(arg, { ok: false, error });
        return true;
      }
    }
    evaluating = true;
    try {
      const r = await api.evaluate({ sessionId, code: input });
      report(input, { ok: true, value: r, text: [formatOutput(r), formatValue(r)].filter(Boolean).join("\n") });
    } catch (error) {
      report(input, { ok: false, error });
    } finally {
      evaluating = false;
    }
    return true;
  };

  let keepGoing = true;
  if (options.terminal) rl.prompt();
  for await (const line of rl) {
    // An empty line sends an unfinished entry as it is (the server says what is wrong), so an
    // unbalanced bracket never swallows the lines after it.
    const sendAsIs = line.trim() === "" && buffer.trim() !== "";
    if (!sendAsIs) buffer = buffer ? `${buffer}\n${line}` : line;
    if (!sendAsIs && !buffer.trim().startsWith(":") && !isComplete(buffer)) {
      rl.setPrompt("... ");
      if (options.terminal) rl.prompt();
      continue;
    }
    const input = buffer;
    buffer = "";
    rl.setPrompt("st> ");
    keepGoing = await run(input);
    if (!keepGoing) break;
    if (options.terminal) rl.prompt();
  }
  // End of input in the middle of an entry: send what there is (the server says what is wrong).
  if (keepGoing && buffer.trim()) await run(buffer);
  rl.close();
  await api.session.close({ sessionId }).catch(() => undefined);
  await conn.close().catch(() => undefined);
  return EXIT.ok;
}
