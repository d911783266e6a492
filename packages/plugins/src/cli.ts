// The `stui` command line: run, repl, list. Every command answers --help; exit codes
// are the EXIT table (exit-codes.ts), printed by `stui --help`.

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { PERMISSIONS, PROTOCOL_VERSION, type Permission } from "@stui/client/protocol";
import { EXIT, EXIT_CODES_HELP, type ExitCode } from "./exit-codes.js";
import { ISOLATION_PREFERENCES, type IsolationPreference } from "./isolation.js";
import { keysCommand } from "./keys-command.js";
import { PERMISSION_CLASSES, allowFlag, denyFlag } from "./permissions.js";

export const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

const pad = (s: string, n: number): string => (s.length >= n ? `${s} ` : s + " ".repeat(n - s.length));

const MAIN_HELP = `stui ${VERSION}: run TypeScript automation scripts against a live Pharo image (STUI protocol ${PROTOCOL_VERSION})

Usage:
  stui run <script.ts|.js|plugin-name> [options] [-- script args]
  stui repl [--endpoint <url>] [--json]
  stui list [--json]
  stui keys [show | authorize | revoke | trust]
  stui help [command]

Commands:
  run     run a script or plugin in a sandbox; it reaches Pharo only through this host,
          which checks every call against the permissions you grant
  repl    an interactive Smalltalk workspace on a session
  list    the plugins in the project's plugin folder, with their declared permissions
  keys    this machine's CURVE keys, and which clients and servers it trusts (stui keys --help)

Options:
  -h, --help     help for stui or a command
  -v, --version  print the version (with --json: name, version, protocol)

Environment:
  STUI_ENDPOINT            server endpoint when --endpoint is absent (default tcp://127.0.0.1:5555)
  STUI_HOME                where keys, history and the bundle cache live (default ~/.stui)
  STUI_PLUGIN_PATH         plugin folders (overrides package.json "stui": { "plugins": … } and ./stui-plugins)
  STUI_CONNECT_TIMEOUT_MS  how long the first ping may take (default 5000)
  STUI_ISOLATION           how \`stui run\` isolates scripts: auto (default: the strongest available),
                           bubblewrap, unshare or permission-model (an unavailable one is an error)

${EXIT_CODES_HELP}
`;

function runHelp(): string {
  const perms = PERMISSION_CLASSES.map((p) => `  ${pad(allowFlag(p), 18)}grant "${p}": ${PERMISSIONS[p]}`).join("\n");
  const denies = PERMISSION_CLASSES.map((p) => `  ${pad(denyFlag(p), 18)}refuse "${p}", even if an allow flag or a prompt would grant it`).join("\n");
  return `Usage: stui run <script.ts|.js|plugin-name> [options] [-- script args]

Runs a script (a plain module using the global \`stui\`, or a plugin made with
definePlugin) in a sandbox: on Linux in its own user, PID, network and mount namespaces
(bubblewrap; else unshare; else none, said on stderr), under Node's permission model
inside. It reads nothing on disk but its bundle and the folders you grant (not even its
own folder), writes nothing unless granted, starts no processes, has no network and sees
no other process. Its calls to Pharo go through this host, which checks each one's
permission classes (from the protocol schema), lets it use only sessions it opened, and
closes them when it ends. The bundler reads only the script's folder and node_modules.

Permissions (the protocol's permission classes):
${perms}
  ${pad("--allow-all", 18)}grant every class
${denies}
  A class neither granted nor denied is asked for on a terminal (y = this call,
  n = refuse for this run, a = always for this run); without a terminal the call
  fails with a permission-denied error naming the flag to add (exit 3).
  A plugin's declared permissions are asked for once on a terminal; a plugin is
  never granted a class it did not declare.

Files (resolved through symlinks; a folder that contains or lies in the STUI home is refused):
  --allow-fs-read <dir>    let the script read <dir>, e.g. its own folder: --allow-fs-read=. (repeatable)
  --allow-fs-write <dir>   let the script write files under <dir> (repeatable)

Options:
  --endpoint <url>     server endpoint (default: STUI_ENDPOINT, else tcp://127.0.0.1:5555)
  --timeout <time>     kill the script after <time>, bundling included (e.g. 30s, 500ms, 2m; a bare
                       number is seconds): exit 124. Without it a build may take 60s at most.
                       This and Ctrl-C also stop what the script left running on the server
                       (evaluate.cancel) when the server speaks protocol 1.2
  --watch              run again whenever one of the script's source files changes
  --json               print a JSON summary on stdout, with the isolation level (the script's own
                       stdout goes to stderr)
  -h, --help           this help

Examples:
  stui run examples/hello.ts --allow-read --allow-eval
  stui run examples/class-diagram.ts --allow-read --allow-fs-write=. -- Collection out.mmd
  stui run uncommented-classes --allow-read -- Kernel   (a plugin from the plugin folder, by name)

${EXIT_CODES_HELP}
`;
}

const REPL_USAGE = `Usage: stui repl [--endpoint <url>] [--json]

An interactive Smalltalk workspace on a new session (closed when you leave).
Input continues over several lines until brackets, strings and comments balance.
History is kept in $STUI_HOME/repl_history (default ~/.stui/repl_history).
The REPL runs what you type, so it needs no --allow flags.
Tab completes names and selectors, and Ctrl-C stops a running evaluation, when the server
speaks protocol 1.2 (code.complete, evaluate.cancel).

Options:
  --endpoint <url>   server endpoint (default: STUI_ENDPOINT, else tcp://127.0.0.1:5555)
  --json             one JSON object per result, for piping
  -h, --help         this help

`;

const LIST_USAGE = `Usage: stui list [--json]

Lists the plugins in the project's plugin folder: STUI_PLUGIN_PATH, else the folder
named by package.json "stui": { "plugins": "<folder>" }, else ./stui-plugins.
Declarations are read from each file's source (export default definePlugin({ name,
description, permissions }) with literal values); no plugin code runs. \`stui run\`
grants from that same declaration and refuses a plugin that claims another at run time.

Options:
  --json       a JSON array of { file, name, description, permissions } (or { file, error })
  -h, --help   this help

`;

class UsageError extends Error {}

function isolationPreference(): IsolationPreference {
  const text = process.env.STUI_ISOLATION;
  if (!text) return "auto";
  if (!(ISOLATION_PREFERENCES as readonly string[]).includes(text)) throw new UsageError(`STUI_ISOLATION must be one of ${ISOLATION_PREFERENCES.join(", ")}, not "${text}"`);
  return text as IsolationPreference;
}

function connectTimeout(): number | undefined {
  const text = process.env.STUI_CONNECT_TIMEOUT_MS;
  if (!text) return undefined;
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 1) throw new UsageError(`STUI_CONNECT_TIMEOUT_MS must be a positive integer, not "${text}"`);
  return ms;
}

function usage(command: string, message: string, err: (s: string) => void): ExitCode {
  err(`stui: ${message}\nRun 'stui ${command === "stui" ? "" : `${command} `}--help' for usage.`);
  return EXIT.usage;
}

function parse<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
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

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const defaultIo: CliIo = {
  out: (t) => void process.stdout.write(t.endsWith("\n") ? t : `${t}\n`),
  err: (t) => void process.stderr.write(t.endsWith("\n") ? t : `${t}\n`),
};

export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof UsageError) return usage(argv[0] && !argv[0].startsWith("-") ? argv[0] : "stui", error.message, io.err);
    throw error;
  }
}

async function dispatch(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      io.err(MAIN_HELP);
      return EXIT.usage;
    case "-h":
    case "--help":
      io.out(MAIN_HELP);
      return EXIT.ok;
    case "help": {
      const topic = rest[0];
      io.out(topic === "run" ? runHelp() : topic === "repl" ? REPL_USAGE : topic === "list" ? LIST_USAGE : MAIN_HELP);
      return topic === undefined || ["run", "repl", "list"].includes(topic) ? EXIT.ok : usage("stui", `unknown command "${topic}"`, io.err);
    }
    case "-v":
    case "--version": {
      const { values } = parse(rest, { json: { type: "boolean" } });
      io.out(values.json ? JSON.stringify({ name: "@stui/plugins", version: VERSION, protocolVersion: PROTOCOL_VERSION }) : `stui ${VERSION} (protocol ${PROTOCOL_VERSION})`);
      return EXIT.ok;
    }
    case "run":
      return runCommand(rest, io);
    case "repl":
      return replCommand(rest, io);
    case "list":
      return listCommand(rest, io);
    case "keys":
      return keysCommand(rest, io);
    default:
      return usage("stui", `unknown command "${command}"`, io.err);
  }
}

function runOptions() {
  const options: Record<string, { type: "boolean" | "string"; multiple?: boolean; short?: string }> = {
    endpoint: { type: "string" },
    timeout: { type: "string" },
    watch: { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
    "allow-all": { type: "boolean" },
    "allow-fs-read": { type: "string", multiple: true },
    "allow-fs-write": { type: "string", multiple: true },
  };
  for (const p of PERMISSION_CLASSES) {
    options[`allow-${p}`] = { type: "boolean" };
    options[`deny-${p}`] = { type: "boolean" };
  }
  return options;
}

/** Split at the first "--": what follows belongs to the script. */
function splitScriptArgs(args: string[]): [string[], string[]] {
  const i = args.indexOf("--");
  return i < 0 ? [args, []] : [args.slice(0, i), args.slice(i + 1)];
}

async function runCommand(argv: string[], io: CliIo): Promise<number> {
  const [own, after] = splitScriptArgs(argv);
  const { values, positionals } = parse(own, runOptions());
  const v = values as Record<string, string | boolean | string[] | undefined>;
  if (v.help) {
    io.out(runHelp());
    return EXIT.ok;
  }
  const [target, ...extra] = positionals;
  if (!target) throw new UsageError("missing the script to run");
  const scriptArgs = [...extra, ...after];

  const allow = new Set<Permission>();
  const deny = new Set<Permission>();
  for (const p of PERMISSION_CLASSES) {
    if (v["allow-all"] || v[`allow-${p}`]) allow.add(p);
    if (v[`deny-${p}`]) deny.add(p);
  }
  const timeoutMs = typeof v.timeout === "string" ? parseDuration(v.timeout) : undefined;

  let script = path.resolve(target);
  if (!existsSync(script)) {
    const { resolvePluginFolders, findPluginByFileName } = await import("./plugin-dir.js");
    const found = /[/\\.]/.test(target) ? undefined : findPluginByFileName(target, resolvePluginFolders(process.cwd()).folders);
    if (!found) throw new UsageError(`no such script: ${target}`);
    script = found;
  }

  // Grants are resolved (realpath, existence, never over the STUI home) before anything runs.
  const [{ resolveGrants, GrantError }, { stuiHome }, { detectIsolation, IsolationUnavailable }] = await Promise.all([import("./fs-grants.js"), import("@stui/client/keys"), import("./isolation.js")]);
  const isolation = isolationPreference();
  try {
    resolveGrants("--allow-fs-read", (v["allow-fs-read"] as string[] | undefined) ?? [], stuiHome());
    resolveGrants("--allow-fs-write", (v["allow-fs-write"] as string[] | undefined) ?? [], stuiHome());
    detectIsolation(isolation);
  } catch (error) {
    if (error instanceof GrantError || error instanceof IsolationUnavailable) throw new UsageError(error.message);
    throw error;
  }

  const [{ runScript }, { clientConnector, resolveEndpoint }, { defaultPrompter }] = await Promise.all([import("./host.js"), import("./connect.js"), import("./prompt.js")]);
  const endpoint = resolveEndpoint(typeof v.endpoint === "string" ? v.endpoint : undefined);
  const connectTimeoutMs = connectTimeout();
  const json = v.json === true;
  const base = {
    script,
    args: scriptArgs,
    flags: { allow, deny },
    connect: clientConnector(endpoint),
    timeoutMs,
    connectTimeoutMs,
    fsRead: (v["allow-fs-read"] as string[] | undefined) ?? [],
    fsWrite: (v["allow-fs-write"] as string[] | undefined) ?? [],
    prompter: defaultPrompter(),
    isolation,
    json,
    log: (line: string) => io.err(line),
  };

  const interrupt = new AbortController();
  const onSigint = (): void => interrupt.abort();
  process.on("SIGINT", onSigint);
  try {
    if (v.watch) {
      const { watchScript } = await import("./watch.js");
      return await watchScript({
        script,
        log: base.log,
        signal: interrupt.signal,
        run: (signal, onInputs) => runScript({ ...base, signal, onInputs }),
        onRun: (summary) => {
          if (json) io.out(JSON.stringify({ ...summary, endpoint }));
        },
      });
    }
    const summary = await runScript({ ...base, signal: interrupt.signal });
    if (summary.status === "unreachable") io.err(unreachableHint(summary, endpoint));
    if (json) io.out(JSON.stringify({ ...summary, endpoint }));
    return summary.exitCode;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

/** The line after the host's own message when the server was not reached: a missing server, or a key problem. */
function unreachableHint(summary: { error?: { authentication?: true } }, endpoint: string): string {
  return summary.error?.authentication
    ? `stui: the connection to ${endpoint} failed on authentication: a key problem, not a missing server (this machine's keys: stui keys)`
    : `stui: is a STUI server running at ${endpoint}? (set --endpoint or STUI_ENDPOINT)`;
}

async function replCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parse(argv, { endpoint: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    io.out(REPL_USAGE);
    return EXIT.ok;
  }
  const [{ runRepl }, { clientConnector, resolveEndpoint }] = await Promise.all([import("./repl.js"), import("./connect.js")]);
  const endpoint = resolveEndpoint(values.endpoint);
  return runRepl({
    connect: clientConnector(endpoint),
    endpoint,
    input: process.stdin,
    output: process.stdout,
    errorOutput: process.stderr,
    terminal: process.stdin.isTTY === true && process.stdout.isTTY === true,
    connectTimeoutMs: connectTimeout(),
    json: values.json === true,
  });
}

async function listCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    io.out(LIST_USAGE);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const [{ resolvePluginFolders, listPluginFiles }, { describePluginFile }] = await Promise.all([import("./plugin-dir.js"), import("./plugin-list.js")]);
  const { folders, source } = resolvePluginFolders(process.cwd());
  const files = folders.flatMap((f) => listPluginFiles(f));
  const results = files.map((f) => describePluginFile(f));
  if (values.json) {
    io.out(JSON.stringify({ folders, source, plugins: results.map((r) => (r.plugin ? { file: r.file, ...r.plugin } : { file: r.file, error: r.error })) }, null, 2));
    return EXIT.ok;
  }
  io.out(`Plugin folder${folders.length === 1 ? "" : "s"} (from ${source}): ${folders.map((f) => path.relative(process.cwd(), f) || ".").join(", ")}`);
  if (results.length === 0) {
    io.out("No plugins found.");
    return EXIT.ok;
  }
  const nameWidth = Math.max(4, ...results.map((r) => (r.plugin?.name ?? path.basename(r.file)).length)) + 2;
  const permWidth = Math.max(11, ...results.map((r) => (r.plugin?.permissions.join(",") ?? "-").length)) + 2;
  io.out(`${pad("NAME", nameWidth)}${pad("PERMISSIONS", permWidth)}DESCRIPTION`);
  for (const r of results) {
    if (r.plugin) io.out(`${pad(r.plugin.name, nameWidth)}${pad(r.plugin.permissions.join(",") || "(none)", permWidth)}${r.plugin.description}`);
    else io.out(`${pad(path.basename(r.file), nameWidth)}${pad("-", permWidth)}(${r.error})`);
  }
  return EXIT.ok;
}
