// `stui run`, orchestrated: one clock for the whole run, the connection (in parallel with the
// build), the bundle, the plugin's declaration (read from its source), the sandboxed child,
// the broker answering its calls, and cleanup however the child ends.
//
//   script.ts ──bundle.ts (read guard)──▶ verified bundle ──isolation.ts──▶ sandboxed child
//                                                                            │ channel.ts (fd 3)
//   Pharo ◀──ZeroMQ── @stui/client ◀── broker.ts: grants, own sessions only ◀┘

import path from "node:path";
import { stuiHome } from "@stui/client/keys";
import { accessDenial } from "./access-denial.js";
import { PermissionBroker, type Denial } from "./broker.js";
import { BuildError, BuildTimeout, bundleScript, type Bundle } from "./bundle.js";
import { CLEANUP_GRACE_MS, CLEANUP_LIMIT_MS, firstPing, isAuthenticationFailure, type Connector, type HostConnection } from "./connection.js";
import { EXIT, type ExitCode } from "./exit-codes.js";
import { resolveGrants } from "./fs-grants.js";
import type { ChildMessage, SerializedError } from "./ipc.js";
import { detectIsolation, isolationWarning, type Isolation, type IsolationPreference, type PathGrant } from "./isolation.js";
import { startNetProxy, type NetProxy } from "./net-proxy.js";
import { OsGrantError, grantedEnv, netGranted, type NameList, type NetRules, type RunLayout } from "./os-grants.js";
import { Grants, type GrantFlags, type PluginDeclaration, type Prompter } from "./permissions.js";
import { sameDeclaration } from "./plugin-declaration.js";
import { startSandbox, type Output, type SandboxExit } from "./sandbox-process.js";
import { formatScriptError } from "./script-error.js";

export type { Connector, HostConnection } from "./connection.js";
export type { Output } from "./sandbox-process.js";

export interface RunOptions {
  script: string;
  /** The script's text when it is not read from `script` (`stui run -`); `script` then only names it. */
  source?: string | undefined;
  args: readonly string[];
  flags: GrantFlags;
  connect: Connector;
  /** Kill the script after this long (exit 124); the clock starts before bundling. */
  timeoutMs?: number | undefined;
  /** How long the first ping may take before the server counts as unreachable. */
  connectTimeoutMs?: number | undefined;
  /** Folders the script may read / write (nothing else on disk is readable but its bundle). */
  fsRead?: readonly string[];
  fsWrite?: readonly string[];
  /** Asks a person on a TTY; absent: anything not granted is denied. */
  prompter?: Prompter | undefined;
  /** Where the script's output goes: inherited by default; with `json` stdout goes to stderr. */
  output?: Output | undefined;
  json?: boolean;
  /** Host messages ("stui: …"), to stderr by default. */
  log?: (line: string) => void;
  /** Abort the run (watch re-runs, Ctrl-C): the child is killed, sessions closed. */
  signal?: AbortSignal | undefined;
  cacheDir?: string | undefined;
  /** The STUI home the script may never reach; default stuiHome() ($STUI_HOME, else ~/.stui). */
  home?: string | undefined;
  /** Which isolation to use; default "auto" (the strongest this machine offers). */
  isolation?: IsolationPreference | undefined;
  /**
   * Tests only (the CLI never sets it): switch the inner layers off, the permission model and/or
   * the network stubs, so the security suite can prove that the OS layer holds on its own.
   */
  testLayers?: { permissionModel: boolean; stubs: boolean } | undefined;
  /** The person's current folder: the script's working folder when a grant covers it (default process.cwd()). */
  cwd?: string | undefined;
  /**
   * Type-check the script first (--check): `ok: false` ends the run with exit 1, before anything
   * runs. Counted against --timeout (it cannot be interrupted; it is checked when it returns).
   */
  typeCheck?: ((script: string) => Promise<{ ok: boolean; report: string }>) | undefined;
  /** --allow-env / --deny-env: the variables granted are resolved against this environment (default process.env). */
  env?: { allow: NameList; deny: NameList; from?: NodeJS.ProcessEnv } | undefined;
  /** --allow-net / --deny-net: destinations the host's proxy lets the script reach. */
  net?: NetRules | undefined;
  /** --allow-run: the commands the sandbox shows (needs full isolation). */
  run?: RunLayout | undefined;
  /** The STUI server's endpoint, which the network proxy refuses whatever is granted. */
  endpoint?: string | undefined;
  /** Told the bundle's source files as soon as they are known (for --watch). */
  onInputs?: (inputs: string[]) => void;
}

export type RunStatus = "ok" | "scriptError" | "buildError" | "typeError" | "permissionDenied" | "unreachable" | "timeout" | "interrupted";

export interface RunSummary {
  command: "run";
  script: string;
  status: RunStatus;
  exitCode: ExitCode;
  durationMs: number;
  /** How the script was held in (level "full", "partial" or "none"); absent when it never started. */
  isolation?: Isolation;
  plugin?: PluginDeclaration;
  calls: number;
  denied: Denial[];
  sessionsOpened: number;
  sessionsClosedByHost: number;
  /** `authentication`: the server did not let this client in, or its keys cannot be used (status unreachable). */
  error?: { message: string; code?: string; kind?: string; authentication?: true };
  /** The script's source files (for --watch; without the host's runtime); empty when the build failed. */
  inputs: string[];
  bundleCached?: boolean;
}

const STATUS_EXIT: Record<RunStatus, ExitCode> = {
  ok: EXIT.ok,
  scriptError: EXIT.scriptError,
  buildError: EXIT.scriptError,
  typeError: EXIT.scriptError,
  permissionDenied: EXIT.permissionDenied,
  unreachable: EXIT.unreachable,
  timeout: EXIT.timeout,
  interrupted: EXIT.interrupted,
};

export function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * Connect and ping in the background; the result is awaited by the first call. Closing does not
 * wait for a ping still in flight: it closes the connection under it.
 */
function openConnection(options: RunOptions): { connection: Promise<HostConnection>; close(): Promise<void> } {
  let raw: HostConnection | undefined;
  let closed = false;
  const connection = (async () => {
    const conn = await options.connect();
    raw = conn;
    if (closed) await conn.close().catch(() => undefined);
    try {
      await firstPing(conn, options.connectTimeoutMs ?? 5000);
    } catch (error) {
      await conn.close().catch(() => undefined);
      throw error;
    }
    return conn;
  })();
  connection.catch(() => undefined);
  return {
    connection,
    close: async () => {
      closed = true;
      await raw?.close().catch(() => undefined);
    },
  };
}

/** What one run carries between its steps. */
interface Run {
  options: RunOptions;
  script: string;
  home: string;
  /** The script's own source files (known once it is bundled). */
  sources: string[];
  read: PathGrant[];
  write: PathGrant[];
  /** The network proxy of this run (--allow-net), for what it refused. */
  net?: NetProxy;
  /** The child's working folder when it is the person's own (granted), else undefined (the sandbox's empty one). */
  sandboxCwd?: string | undefined;
  summary: RunSummary;
  log: (line: string) => void;
  elapsed: () => number;
  finish: (status: RunStatus) => RunSummary;
}

/** What the host saw while the child ran. */
interface Observed {
  exit: SandboxExit;
  broker: PermissionBroker;
  /** After --timeout or Ctrl-C: the evaluate.cancel requests for the script's sessions (how many requests they stopped). */
  stopping?: Promise<number>;
  reported?: SerializedError;
  refusedPlugin?: string;
  timedOut: boolean;
  aborted: boolean;
}

export async function runScript(options: RunOptions): Promise<RunSummary> {
  const started = performance.now();
  const script = path.resolve(options.script);
  const summary: RunSummary = { command: "run", script, status: "ok", exitCode: EXIT.ok, durationMs: 0, calls: 0, denied: [], sessionsOpened: 0, sessionsClosedByHost: 0, inputs: [] };
  const run: Run = {
    options,
    script,
    home: options.home ?? stuiHome(),
    sources: [],
    read: [],
    write: [],
    summary,
    log: options.log ?? ((line: string) => process.stderr.write(`${line}\n`)),
    elapsed: () => performance.now() - started,
    finish: (status) => {
      summary.status = status;
      summary.exitCode = STATUS_EXIT[status];
      summary.durationMs = Math.round(performance.now() - started);
      return summary;
    },
  };

  // Grants and isolation first: a bad grant or a missing mechanism is said before anything runs.
  const read = resolveGrants("--allow-fs-read", options.fsRead ?? [], run.home);
  const write = resolveGrants("--allow-fs-write", options.fsWrite ?? [], run.home);
  run.read = read;
  run.write = write;
  const isolation = detectIsolation(options.isolation ?? "auto");
  if (options.run && isolation.level !== "full") {
    throw new OsGrantError(`--allow-run needs full isolation (bubblewrap): at level "${isolation.level}" a command would run outside any OS sandbox, with all your rights (${isolation.reason ?? isolation.description})`);
  }
  const env = options.env ? grantedEnv(options.env.allow, options.env.deny, options.env.from ?? process.env) : {};
  if (options.typeCheck) {
    const checked = await options.typeCheck(script);
    if (!checked.ok) {
      run.log(checked.report);
      summary.error = { message: checked.report.split("\n").at(-1) ?? "type errors" };
      return run.finish("typeError");
    }
    if (options.timeoutMs !== undefined && run.elapsed() > options.timeoutMs) {
      run.log(`stui: the type check took longer than ${formatDuration(options.timeoutMs)}; nothing ran`);
      return run.finish("timeout");
    }
  }
  const server = openConnection(options);

  const bundle = await build(run);
  if (!("code" in bundle)) {
    await server.close();
    return bundle;
  }
  if (options.signal?.aborted) {
    await server.close();
    return run.finish("interrupted");
  }
  const grants = await grantsFor(run, bundle);
  if (!grants) {
    await server.close();
    return run.finish("scriptError");
  }

  summary.isolation = isolation;
  const warning = isolationWarning(isolation);
  if (warning) run.log(warning);
  const proxy = options.net && netGranted(options.net) ? await startNetProxy({ rules: options.net, endpoint: options.endpoint }) : undefined;
  let observed: Observed;
  try {
    observed = await supervise(run, bundle, new PermissionBroker(grants, server.connection, options.prompter), { isolation, read, write, env, netSocket: proxy?.socket, run: options.run });
  } finally {
    if (proxy) run.net = proxy;
    await proxy?.close();
  }

  // Whatever happened, close what the script opened, within a bounded time: after --timeout or
  // Ctrl-C a small grace (the command must end then, not when a long evaluation answers), else
  // a few seconds, and never past the timeout plus the grace.
  const { broker } = observed;
  const now = Date.now();
  let deadline = now + (observed.timedOut || observed.aborted ? CLEANUP_GRACE_MS : CLEANUP_LIMIT_MS);
  if (options.timeoutMs !== undefined) deadline = Math.min(deadline, Math.max(now, now - run.elapsed() + options.timeoutMs) + CLEANUP_GRACE_MS);
  if (observed.stopping) {
    // What the script left running on the server is asked to stop (protocol 1.2), not waited for.
    const stopped = await Promise.race([observed.stopping, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now())).unref())]);
    if (stopped) run.log(`stui: stopped ${stopped} request(s) the script left running on the server (evaluate.cancel)`);
  }
  await broker.settle(deadline);
  if (broker.sessions.size > 0) {
    const conn = await server.connection.catch(() => undefined);
    if (conn) summary.sessionsClosedByHost = await broker.closeSessions(conn, deadline);
  }
  await server.close();
  return verdict(run, observed);
}

/** Bundle the script on the run's clock (bundling counts against --timeout); a finished summary if it did not build. */
async function build(run: Run): Promise<Bundle | RunSummary> {
  try {
    const bundle = await bundleScript(run.script, { cacheDir: run.options.cacheDir, home: run.home, limitMs: run.options.timeoutMs, log: run.log, source: run.options.source });
    run.summary.inputs = bundle.sources;
    run.sources = bundle.sources;
    run.summary.bundleCached = bundle.cached;
    run.options.onInputs?.(bundle.sources);
    return bundle;
  } catch (error) {
    if (!(error instanceof BuildError || error instanceof BuildTimeout)) throw error;
    run.summary.error = { message: error.message };
    if (error instanceof BuildTimeout && run.options.timeoutMs !== undefined) {
      run.log(`stui: the script ran longer than ${formatDuration(run.options.timeoutMs)} and was killed`);
      return run.finish("timeout");
    }
    run.log(`stui: ${path.relative(process.cwd(), run.script) || run.script} did not build:\n${error.message}`);
    return run.finish("buildError");
  }
}

/** The run's grants: a plugin is granted from the declaration in its source, before any of its code runs. */
async function grantsFor(run: Run, bundle: Bundle): Promise<Grants | undefined> {
  const grants = new Grants(run.options.flags);
  const declaration = bundle.declaration;
  if (declaration.kind === "unreadable" && declaration.error.startsWith("declares unknown permission classes")) {
    run.log(`stui: plugin ${path.basename(run.script)} ${declaration.error}`);
    run.summary.error = { message: declaration.error };
    return undefined;
  }
  if (declaration.kind !== "plugin") return grants;
  const declared = declaration.plugin;
  run.summary.plugin = declared;
  grants.declare(declared);
  const missing = grants.declaredButNotGranted();
  if (missing.length > 0 && run.options.prompter) {
    const ok = await run.options.prompter.confirm(`Plugin "${declared.name}": ${declared.description}\nIt asks for: ${missing.join(", ")} (not granted by flags). Allow for this run? [y/n]`);
    if (ok) grants.approveDeclaration();
  }
  return grants;
}

/** Why a plugin's declaration at run time is refused, or undefined when it is the one its source declares. */
function declarationMismatch(bundle: Bundle, m: { name: string; description: string; permissions: string[] }): string | undefined {
  const declared = bundle.declaration.kind === "plugin" ? bundle.declaration.plugin : undefined;
  if (declared && sameDeclaration(declared, m)) return undefined;
  if (declared) return `plugin "${declared.name}" declared ${JSON.stringify({ name: m.name, description: m.description, permissions: m.permissions })} at run time, but its source declares ${JSON.stringify(declared)}: refused`;
  const why = bundle.declaration.kind === "unreadable" ? bundle.declaration.error : "no definePlugin default export";
  return `the default export is a plugin at run time, but its source declares none that stui can read (${why}): refused`;
}

/** Start the sandboxed child, answer its messages through the broker, and watch the clock and Ctrl-C. */
interface SandboxGrants {
  isolation: Isolation;
  read: PathGrant[];
  write: PathGrant[];
  env: Record<string, string>;
  netSocket: string | undefined;
  run: RunLayout | undefined;
}

async function supervise(run: Run, bundle: Bundle, broker: PermissionBroker, sandbox: SandboxGrants): Promise<Observed> {
  const { options } = run;
  const seen: Omit<Observed, "exit" | "broker"> = { timedOut: false, aborted: false };
  const onMessage = (m: ChildMessage): void => {
    switch (m.t) {
      case "call":
        // Not awaited: every call is answered when its own reply comes, in any order.
        void broker.call(m.method, m.params, m.timeoutMs, m.id).then((result) => child.send({ ...result, id: m.id }));
        break;
      case "cancel":
        broker.cancel(m.id);
        break;
      case "has":
        child.send({ t: "result", id: m.id, ok: true, value: broker.has(m.permission) });
        break;
      case "plugin":
        seen.refusedPlugin ??= declarationMismatch(bundle, m);
        if (seen.refusedPlugin) child.kill();
        else child.send({ t: "start" });
        break;
      case "error":
        seen.reported ??= m.error;
        break;
      case "done":
        break;
    }
  };
  const cwd = options.cwd ?? process.cwd();
  const granted = [...sandbox.read, ...sandbox.write].some((g) => [g.real, g.given].some((d) => cwd === d || cwd.startsWith(d.endsWith(path.sep) ? d : d + path.sep)));
  run.sandboxCwd = granted ? cwd : undefined;
  const child = startSandbox(
    {
      ...sandbox,
      cwd: run.sandboxCwd,
      code: bundle.code,
      args: options.args,
      hidden: [run.home],
      clientName: `stui run ${path.basename(run.script)}`,
      // With a terminal, stdin is the host's (questions); a script read from stdin has used it up.
      stdin: options.prompter || options.source !== undefined ? "ignore" : "inherit",
      output: options.output,
      stdoutToStderr: options.json === true,
      testLayers: options.testLayers,
    },
    onMessage,
  );

  // --timeout and Ctrl-C also stop what the script left running on the server (protocol 1.2).
  const stop = (): void => {
    seen.stopping ??= broker.stopRunning();
  };
  const timer =
    options.timeoutMs !== undefined
      ? setTimeout(() => {
          seen.timedOut = true;
          child.kill();
          stop();
        }, Math.max(0, options.timeoutMs - run.elapsed()))
      : undefined;
  const onAbort = (): void => {
    seen.aborted = true;
    child.kill();
    stop();
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });

  const exit = await child.exited;
  if (timer) clearTimeout(timer);
  options.signal?.removeEventListener("abort", onAbort);
  return { ...seen, exit, broker };
}

/** The run's status from what the host saw; 3 and 4 only for what the host itself saw. */
function verdict(run: Run, o: Observed): RunSummary {
  const { summary, log, finish } = run;
  summary.calls = o.broker.calls;
  summary.denied = o.broker.denied;
  summary.sessionsOpened = o.broker.sessionsOpened;
  const reported = o.reported;
  if (reported) summary.error = { message: reported.message, ...(reported.code ? { code: reported.code } : {}), ...(reported.kind ? { kind: reported.kind } : {}) };
  if (o.aborted) return finish("interrupted");
  if (o.timedOut) {
    log(`stui: the script ran longer than ${formatDuration(run.options.timeoutMs ?? 0)} and was killed`);
    return finish("timeout");
  }
  const fail = (message: string, status: RunStatus = "scriptError"): RunSummary => {
    log(`stui: ${message}`);
    summary.error = { message };
    return finish(status);
  };
  if (o.exit.startError) return fail(`could not start the sandbox: ${o.exit.startError}`);
  if (o.exit.channelError) return fail(`the script broke its channel to the host and was ended: ${o.exit.channelError}`);
  if (o.refusedPlugin) return fail(o.refusedPlugin);
  if (reported) {
    const denial = o.broker.sawDenial(reported);
    if (denial) {
      log(`stui: ${denial.message ?? reported.message}`);
      return finish("permissionDenied");
    }
    if (reported.code === "ECONNECTION" && o.broker.connectionFailed) {
      log(`stui: server unreachable: ${o.broker.connectionFailed.message}`);
      if (isAuthenticationFailure(o.broker.connectionFailed)) summary.error = { ...summary.error!, authentication: true };
      return finish("unreachable");
    }
    const netDenied = new Set((run.net?.events ?? []).filter((e) => e.denied).map((e) => `${e.host.includes(":") ? `[${e.host}]` : e.host}:${e.port}`));
    const refused = accessDenial(reported, { read: run.read, write: run.write, run: run.options.run, cwd: run.sandboxCwd, netDenied });
    if (refused) {
      log(`stui: ${refused.message}`);
      summary.denied.push({ method: refused.grant, permission: refused.grant, reason: "not-granted", message: refused.message, ...(refused.resource ? { resource: refused.resource } : {}) });
      return finish("permissionDenied");
    }
    log(formatScriptError(reported, { sources: run.sources, cwd: process.cwd() }));
    return finish("scriptError");
  }
  if (o.exit.code === 0) return finish("ok");
  return fail(`the script ${o.exit.signal ? `was killed by ${o.exit.signal}` : `exited with code ${o.exit.code}`}`);
}
