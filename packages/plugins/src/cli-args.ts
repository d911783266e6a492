// What every `stui` command shares: the usage error, option parsing with messages a person can
// read, durations, the environment settings, and where output goes.

import { parseArgs, type ParseArgsConfig } from "node:util";
import { EXIT, type ExitCode } from "./exit-codes.js";
import { ISOLATION_PREFERENCES, type IsolationPreference } from "./isolation.js";
import { writeHostText } from "./terminal-text.js";

/** A bad command line: exit 2, with the message and a pointer to the command's --help. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const defaultIo: CliIo = {
  out: (t) => void process.stdout.write(t.endsWith("\n") ? t : `${t}\n`),
  err: writeHostText,
};

export const pad = (s: string, n: number): string => (s.length >= n ? `${s} ` : s + " ".repeat(n - s.length));

export function usage(command: string, message: string, err: (s: string) => void): ExitCode {
  err(`stui: ${message}\nRun 'stui ${command === "stui" ? "" : `${command} `}--help' for usage.`);
  return EXIT.usage;
}

export type Options = NonNullable<ParseArgsConfig["options"]>;

/** Edit distance, for "did you mean": small strings only. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** The closest known option to a mistyped one, when it is close. */
export function suggestOption(given: string, options: Options): string | undefined {
  const name = given.replace(/^-+/, "").split("=")[0] ?? "";
  let best: { option: string; d: number } | undefined;
  for (const option of Object.keys(options)) {
    const d = distance(name, option);
    if (!best || d < best.d) best = { option, d };
  }
  return best && best.d <= Math.max(2, Math.floor(name.length / 4)) ? `--${best.option}` : undefined;
}

/**
 * node:util parseArgs, strict, with its errors said again in our words (its own message for an
 * unknown option ends in an unbalanced quote, and names no alternative).
 */
export type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;

export function parse<T extends Options>(args: string[], options: T): Parsed<T> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const e = error as Error & { code?: string };
    if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const given = /'([^']+)'/.exec(e.message)?.[1] ?? e.message;
      const suggestion = suggestOption(given, options);
      throw new UsageError(`unknown option ${given}${suggestion ? ` (did you mean ${suggestion}?)` : ""}`);
    }
    if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      const flag = /'(-[^' ]+)/.exec(e.message)?.[1];
      const takes = flag && options[flag.replace(/^-+/, "")]?.type === "string";
      // "--timeout -1s": parseArgs will not take a value that starts with a dash after a space; say what it saw.
      const next = flag && /argument is ambiguous/.test(e.message) ? args[args.indexOf(flag) + 1] : undefined;
      if (next !== undefined) throw new UsageError(`option ${flag} needs a value, and "${next}" after it looks like an option; a value starting with a dash goes after "=": ${flag}=${next}`);
      throw new UsageError(flag ? (takes ? `option ${flag} needs a value (${flag}=<value>)` : `option ${flag} takes no value`) : e.message);
    }
    throw new UsageError(e.message);
  }
}

/** "30s", "500ms", "2m", "1h", "10" (seconds) → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m?.[1]) throw new UsageError(`invalid duration "${text}" (try 30s, 500ms, 2m)`);
  const n = Number(m[1]);
  const ms = n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  if (!(ms >= 1) || ms > 2_147_483_647) throw new UsageError(`duration out of range: "${text}"`);
  return Math.round(ms);
}

export function isolationPreference(): IsolationPreference {
  const text = process.env.STUI_ISOLATION;
  if (!text) return "auto";
  if (!(ISOLATION_PREFERENCES as readonly string[]).includes(text)) throw new UsageError(`STUI_ISOLATION must be one of ${ISOLATION_PREFERENCES.join(", ")}, not "${text}"`);
  return text as IsolationPreference;
}

export function connectTimeout(): number | undefined {
  const text = process.env.STUI_CONNECT_TIMEOUT_MS;
  if (!text) return undefined;
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 1) throw new UsageError(`STUI_CONNECT_TIMEOUT_MS must be a positive integer, not "${text}"`);
  return ms;
}

/** The endpoint a command uses (the option, else STUI_ENDPOINT, else the default), checked: tcp://host:port or ipc://path. */
export function endpointOption(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const [text, source] = option !== undefined ? [option, "--endpoint"] : env.STUI_ENDPOINT ? [env.STUI_ENDPOINT, "STUI_ENDPOINT"] : [DEFAULT_ENDPOINT, "the default"];
  const problem = endpointProblem(text);
  if (problem) throw new UsageError(`${source} ${JSON.stringify(text)} is not an endpoint: ${problem}`);
  return text;
}

export const DEFAULT_ENDPOINT = "tcp://127.0.0.1:5555";

/** Why `text` is not an endpoint a client can connect to, or undefined when it is one. */
export function endpointProblem(text: string): string | undefined {
  const scheme = /^([a-z]+):\/\//i.exec(text)?.[1];
  if (!scheme) return /^[\w.-]+:\d+$|^\[[\da-f:.]+\]:\d+$/i.test(text) ? `a TCP endpoint needs its scheme: tcp://${text}` : "expected tcp://<host>:<port> or ipc://<path>";
  if (scheme === "ipc") return text.length > "ipc://".length ? undefined : "ipc:// needs the path of the server's socket";
  if (scheme !== "tcp") return `the scheme must be tcp:// or ipc://, not ${scheme}://`;
  const m = /^tcp:\/\/(\[[\da-f:.]+\]|[^:/[\]]+):(\d+)$/i.exec(text);
  if (!m) return "expected tcp://<host>:<port>";
  if (m[1] === "*") return "a client connects to a host, not to * (that is for binding)";
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? undefined : `port ${m[2]} is out of range (1-65535)`;
}
