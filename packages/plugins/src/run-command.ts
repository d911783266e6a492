// `stui run`: the command line of a sandboxed run (host.ts does the work).

import { existsSync } from "node:fs";
import path from "node:path";
import { PERMISSIONS, type Permission } from "@stui/client/protocol";
import { UsageError, connectTimeout, endpointOption, isolationPreference, pad, parse, parseDuration, type CliIo } from "./cli-args.js";
import type { TypeCheckOutcome } from "./check-within.js";
import { EXIT, EXIT_CODES_HELP, SIGNAL_EXIT, type StopSignal } from "./exit-codes.js";
import { LIST_FLAGS, OsGrantError, bareListFlags, grantedEnv, nameList, netGranted, netRules, runLayout, type NameList } from "./os-grants.js";
import { PERMISSION_CLASSES, allowFlag, denyFlag } from "./permissions.js";

export function runHelp(): string {
  const perms = PERMISSION_CLASSES.map((p) => `  ${pad(allowFlag(p), 18)}grant "${p}": ${PERMISSIONS[p]}`).join("\n");
  const denies = PERMISSION_CLASSES.map((p) => `  ${pad(denyFlag(p), 18)}refuse "${p}", even if an allow flag or a prompt would grant it`).join("\n");
  return `Usage: stui run <script.ts|.js|plugin-name|-> [options] [-- script args]

Runs a script (a plain module using the global \`stui\`, or a plugin made with definePlugin;
\`-\` reads it from stdin, its imports resolving from the current folder) in a sandbox: on Linux in its own user, PID, network and mount namespaces
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
  The script works in the current folder when one of these covers it, else in an empty one.

Beyond the image (nothing by default; a deny flag beats its allow flag; lists are
comma-separated and the flags repeatable; the bare flag means all):
  --allow-env[=NAMES]      pass these environment variables to the script (NODE_OPTIONS and the other
                           NODE_*, LD_*, STUI_* variables never pass); --deny-env[=NAMES]
  --allow-net[=HOST[:PORT],…]  let the script open TCP connections (net, tls, http(s), fetch) to these
                           destinations, through a proxy in this host that checks each one and
                           resolves names itself; never to the STUI server's endpoint (the script
                           reaches Pharo only through this host); no listening, UDP or DNS;
                           --deny-net[=HOST[:PORT],…]
  --allow-run[=CMD,…]      let the script start these commands (found on PATH, or absolute paths);
                           they run inside the same sandbox, which shows no other command of the
                           bin folders. Full isolation (bubblewrap) only; --deny-run[=CMD,…]

Options:
  --endpoint <url>     server endpoint (default: STUI_ENDPOINT, else tcp://127.0.0.1:5555)
  --timeout <time>     kill the script after <time>, bundling included (e.g. 30s, 500ms, 2m; a bare
                       number is seconds): exit 124. Without it a build may take 60s at most.
                       This, Ctrl-C, SIGTERM and SIGHUP also stop what the script left running on the server
                       (evaluate.cancel) when the server speaks protocol 1.2
  --check              type-check the script first (as \`stui check\` does); type errors: exit 1, nothing runs
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

function runOptions() {
  const options: Record<string, { type: "boolean" | "string"; multiple?: boolean; short?: string }> = {
    endpoint: { type: "string" },
    timeout: { type: "string" },
    watch: { type: "boolean" },
    check: { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
    "allow-all": { type: "boolean" },
    "allow-fs-read": { type: "string", multiple: true },
    "allow-fs-write": { type: "string", multiple: true },
  };
  for (const flag of LIST_FLAGS) options[flag] = { type: "string", multiple: true };
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

/**
 * `--check`: the type check of check.ts, its report as `stui check` prints it. With a limit
 * (--timeout) it runs in a child process that the limit can stop (check-within.ts).
 */
async function typeCheck(script: string, limitMs?: number): Promise<TypeCheckOutcome> {
  if (limitMs !== undefined) return (await import("./check-within.js")).checkWithin(script, limitMs);
  const { checkScripts, checkSummary } = await import("./check.js");
  const result = await checkScripts([script]);
  return { ok: result.diagnostics.length === 0, report: [result.text.trimEnd(), checkSummary(result)].filter(Boolean).join("\n") };
}

/** The script a target names: a file, else a plugin of the plugin folders by name. */
async function resolveTarget(target: string): Promise<string> {
  const script = path.resolve(target);
  if (existsSync(script)) return script;
  if (/[/\\.]/.test(target)) throw new UsageError(`no such script: ${target}`);
  const [{ resolvePluginFolders }, { findPlugins }] = await Promise.all([import("./plugin-dir.js"), import("./plugin-list.js")]);
  const found = findPlugins(target, resolvePluginFolders(process.cwd()).folders);
  if (found.length === 0) throw new UsageError(`no such script: ${target} (and no plugin of that name in the plugin folder: stui list)`);
  if (found.length > 1) throw new UsageError(`${found.length} plugins are named "${target}": ${found.map((f) => path.relative(process.cwd(), f)).join(", ")}; run one by its path`);
  return found[0]!;
}

/** The name a script read from stdin goes by: a file that is not there, in the current folder (where its imports resolve). */
export const STDIN_SCRIPT = "[stdin].ts";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** --allow-env / --allow-net / --allow-run and their --deny-*, checked and resolved before anything runs. */
function osGrants(v: Record<string, unknown>, endpoint: string) {
  const list = (name: (typeof LIST_FLAGS)[number]): NameList => nameList(v[name] as string[] | undefined);
  try {
    const env = { allow: list("allow-env"), deny: list("deny-env") };
    grantedEnv(env.allow, env.deny, process.env);
    const net = netRules(list("allow-net"), list("deny-net"));
    if (!net.allow.all) for (const d of net.allow.destinations) if (`tcp://${d.host}:${d.port}` === endpoint) throw new OsGrantError(`--allow-net=${d.host}:${d.port} is the STUI server's endpoint: a script reaches it only through this host (stui.client), never directly`);
    const run = runLayout(list("allow-run"), list("deny-run"));
    return { env, net, run };
  } catch (error) {
    if (error instanceof OsGrantError) throw new UsageError(error.message);
    throw error;
  }
}

type Values = Record<string, string | boolean | string[] | undefined>;

/** The protocol's permission classes the flags grant and deny. */
function classFlags(v: Values): { allow: Set<Permission>; deny: Set<Permission> } {
  const allow = new Set<Permission>();
  const deny = new Set<Permission>();
  for (const p of PERMISSION_CLASSES) {
    if (v["allow-all"] || v[`allow-${p}`]) allow.add(p);
    if (v[`deny-${p}`]) deny.add(p);
  }
  return { allow, deny };
}

/** Folder grants (realpath, existence, never over the STUI home) and the isolation, checked before anything runs. */
async function checkSandbox(v: Values, runGranted: boolean, netOpen: boolean): Promise<void> {
  const [{ resolveGrants, GrantError }, { stuiHome }, { detectIsolation, IsolationUnavailable }, { checkGrantContents }] = await Promise.all([import("./fs-grants.js"), import("@stui/client/keys"), import("./isolation.js"), import("./grant-contents.js")]);
  try {
    const read = resolveGrants("--allow-fs-read", (v["allow-fs-read"] as string[] | undefined) ?? [], stuiHome());
    const write = resolveGrants("--allow-fs-write", (v["allow-fs-write"] as string[] | undefined) ?? [], stuiHome());
    const level = detectIsolation(isolationPreference());
    checkGrantContents(read, write, level.level, netOpen, stuiHome());
    if (runGranted && level.level !== "full") {
      throw new IsolationUnavailable(`--allow-run needs full isolation (bubblewrap): at level "${level.level}" a command would run outside any OS sandbox, with all your rights (${level.reason ?? level.description})`);
    }
  } catch (error) {
    if (error instanceof GrantError || error instanceof IsolationUnavailable) throw new UsageError(error.message);
    throw error;
  }
}

export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  const [own, after] = splitScriptArgs(argv);
  const { values, positionals } = parse(bareListFlags(own), runOptions());
  const v = values as Values;
  if (v.help) {
    io.out(runHelp());
    return EXIT.ok;
  }
  const [target, ...extra] = positionals;
  if (!target) throw new UsageError("missing the script to run");
  // Ctrl-C, a closed terminal (SIGHUP) and kill/timeout(1)/systemd (SIGTERM) all stop the run the
  // same way: what the script left running is cancelled, its sessions closed, the sandbox killed,
  // the run folder removed, the summary printed (red team 2, finding 4); only the exit code differs.
  // Installed before anything slow (the sandbox check takes seconds): a signal that arrives then
  // ends stui with its exit code and a line, not by the default action (red team 3, finding 8).
  const interrupt = new AbortController();
  const stopped = (): StopSignal | undefined => interrupt.signal.reason as StopSignal | undefined;
  const onSignal = (sig: StopSignal): void => {
    // After a hang-up the terminal is gone: a write to it fails (EIO), which must not end the host before it has cleaned up.
    if (sig === "SIGHUP") for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
    interrupt.abort(sig);
  };
  const handlers = (Object.keys(SIGNAL_EXIT) as StopSignal[]).map((sig) => [sig, (): void => onSignal(sig)] as const);
  for (const [sig, handler] of handlers) process.on(sig, handler);
  const withSignal = (summary: import("./host.js").RunSummary): import("./host.js").RunSummary => {
    const sig = stopped();
    return summary.status === "interrupted" && sig ? { ...summary, signal: sig, exitCode: SIGNAL_EXIT[sig] } : summary;
  };
  try {
    const timeoutMs = typeof v.timeout === "string" ? parseDuration(v.timeout) : undefined;
    const endpoint = endpointOption(typeof v.endpoint === "string" ? v.endpoint : undefined);
    const fromStdin = target === "-";
    if (fromStdin && (v.watch || v.check)) throw new UsageError(`a script read from stdin (-) cannot be ${v.watch ? "watched (--watch)" : "type-checked (--check): save it to a file"}`);
    const script = fromStdin ? path.resolve(STDIN_SCRIPT) : await resolveTarget(target);
    const granted = osGrants(v, endpoint);
    await checkSandbox(v, granted.run !== undefined, netGranted(granted.net));
    const early = stopped();
    if (early) {
      io.err(`stui: stopped by ${early} before the script started`);
      return SIGNAL_EXIT[early];
    }

    const [{ runScript }, { clientConnector }, { defaultPrompter }] = await Promise.all([import("./host.js"), import("./connect.js"), import("./prompt.js")]);
    const json = v.json === true;
    const base = {
      script,
      args: [...extra, ...after],
      flags: classFlags(v),
      connect: clientConnector(endpoint),
      timeoutMs,
      connectTimeoutMs: connectTimeout(),
      fsRead: (v["allow-fs-read"] as string[] | undefined) ?? [],
      fsWrite: (v["allow-fs-write"] as string[] | undefined) ?? [],
      prompter: defaultPrompter(),
      typeCheck: v.check ? typeCheck : undefined,
      ...granted,
      endpoint,
      isolation: isolationPreference(),
      json,
      log: (line: string) => io.err(line),
    };
    const report = (summary: import("./host.js").RunSummary): void => {
      if (json) io.out(JSON.stringify({ ...summary, endpoint }));
    };

    if (v.watch) {
      const { watchScript } = await import("./watch.js");
      const code = await watchScript({ script, log: base.log, signal: interrupt.signal, run: (signal, onInputs) => runScript({ ...base, signal, onInputs }), onRun: (s) => report(withSignal(s)) });
      return code === EXIT.interrupted && stopped() ? SIGNAL_EXIT[stopped()!] : code;
    }
    const source = fromStdin ? await readStdin() : undefined;
    const summary = withSignal(await runScript({ ...base, source, signal: interrupt.signal }));
    if (summary.status === "unreachable") io.err(unreachableHint(summary, endpoint));
    report(summary);
    return summary.exitCode;
  } finally {
    for (const [sig, handler] of handlers) process.off(sig, handler);
  }
}

/** The line after the host's own message when the server was not reached: a missing server, or a key problem. */
function unreachableHint(summary: { error?: { authentication?: true } }, endpoint: string): string {
  return summary.error?.authentication
    ? `stui: the connection to ${endpoint} failed on authentication: a key problem, not a missing server (this machine's keys: stui keys)`
    : `stui: is a STUI server running at ${endpoint}? (set --endpoint or STUI_ENDPOINT)`;
}
