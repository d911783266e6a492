// `stui run`, orchestrated: one clock for the whole run, the connection (in parallel with the
// build), the bundle, the plugin's declaration (read from its source), the sandboxed child,
// the broker answering its calls, and cleanup however the child ends.
//
//   script.ts ──bundle.ts (read guard)──▶ verified bundle ──isolation.ts──▶ sandboxed child
//                                                                            │ channel.ts (fd 3)
//   Pharo ◀──ZeroMQ── @stui/client ◀── broker.ts: grants, own sessions only ◀┘

import path from "node:path";
import { PermissionBroker, type Denial } from "./broker.js";
import { BuildError, BuildTimeout, bundleScript, type Bundle } from "./bundle.js";
import { firstPing, type Connector, type HostConnection } from "./connection.js";
import { EXIT, type ExitCode } from "./exit-codes.js";
import { resolveGrants } from "./fs-grants.js";
import { stuiHome } from "./home.js";
import type { ChildMessage, SerializedError } from "./ipc.js";
import { detectIsolation, isolationWarning, type Isolation, type IsolationPreference } from "./isolation.js";
import { Grants, type GrantFlags, type PluginDeclaration, type Prompter } from "./permissions.js";
import { sameDeclaration } from "./plugin-declaration.js";
import { startSandbox, type Output } from "./sandbox-process.js";

export type { Connector, HostConnection } from "./connection.js";
export type { Output } from "./sandbox-process.js";

export interface RunOptions {
  script: string;
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
  /** Told the bundle's source files as soon as they are known (for --watch). */
  onInputs?: (inputs: string[]) => void;
}

export type RunStatus = "ok" | "scriptError" | "buildError" | "permissionDenied" | "unreachable" | "timeout" | "interrupted";

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
  error?: { message: string; code?: string; kind?: string };
  /** The script's source files (for --watch; without the host's runtime); empty when the build failed. */
  inputs: string[];
  bundleCached?: boolean;
}

const STATUS_EXIT: Record<RunStatus, ExitCode> = {
  ok: EXIT.ok,
  scriptError: EXIT.scriptError,
  buildError: EXIT.scriptError,
  permissionDenied: EXIT.permissionDenied,
  unreachable: EXIT.unreachable,
  timeout: EXIT.timeout,
  interrupted: EXIT.interrupted,
};

export function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function formatScriptError(e: SerializedError): string {
  const lines = [`stui: script error: ${e.stack ?? `${e.name}: ${e.message}`}`];
  if (e.code) lines.push(`  code: ${e.code}${e.kind ? ` (${e.kind})` : ""}`);
  const data = e.data as { line?: number; column?: number } | undefined;
  if (e.kind === "syntaxError" && data?.line !== undefined) lines.push(`  Smalltalk line ${data.line}, column ${data.column}`);
  return lines.join("\n");
}

/** Connect and ping in the background; the result is awaited by the first call. */
function openConnection(options: RunOptions): { connection: Promise<HostConnection>; close(): Promise<void> } {
  const connection = (async () => {
    const conn = await options.connect();
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
      const conn = await connection.catch(() => undefined);
      await conn?.close().catch(() => undefined);
    },
  };
}

export async function runScript(options: RunOptions): Promise<RunSummary> {
  const started = performance.now();
  const elapsed = (): number => performance.now() - started;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const script = path.resolve(options.script);
  const home = options.home ?? stuiHome();
  const summary: RunSummary = { command: "run", script, status: "ok", exitCode: EXIT.ok, durationMs: 0, calls: 0, denied: [], sessionsOpened: 0, sessionsClosedByHost: 0, inputs: [] };
  const finish = (status: RunStatus): RunSummary => {
    summary.status = status;
    summary.exitCode = STATUS_EXIT[status];
    summary.durationMs = Math.round(elapsed());
    return summary;
  };
  const timedOut = (): RunSummary => {
    log(`stui: the script ran longer than ${formatDuration(options.timeoutMs ?? 0)} and was killed`);
    return finish("timeout");
  };

  // Grants and isolation first: a bad grant or a missing mechanism is said before anything runs.
  const read = resolveGrants("--allow-fs-read", options.fsRead ?? [], home);
  const write = resolveGrants("--allow-fs-write", options.fsWrite ?? [], home);
  const isolation = detectIsolation(options.isolation ?? "auto");

  const server = openConnection(options);

  // One clock for the run: bundling counts against --timeout.
  let bundle: Bundle;
  try {
    bundle = await bundleScript(script, { cacheDir: options.cacheDir, home, limitMs: options.timeoutMs, log });
  } catch (error) {
    await server.close();
    if (error instanceof BuildTimeout && options.timeoutMs !== undefined) {
      summary.error = { message: error.message };
      return timedOut();
    }
    if (error instanceof BuildError || error instanceof BuildTimeout) {
      log(`stui: ${path.relative(process.cwd(), script) || script} did not build:\n${error.message}`);
      summary.error = { message: error.message };
      return finish("buildError");
    }
    throw error;
  }
  summary.inputs = bundle.sources;
  options.onInputs?.(bundle.sources);
  summary.bundleCached = bundle.cached;
  if (options.signal?.aborted) {
    await server.close();
    return finish("interrupted");
  }
  if (bundle.declaration.kind === "unreadable" && bundle.declaration.error.startsWith("declares unknown permission classes")) {
    await server.close();
    log(`stui: plugin ${path.basename(script)} ${bundle.declaration.error}`);
    summary.error = { message: bundle.declaration.error };
    return finish("scriptError");
  }

  // A plugin is granted from the declaration in its source, before any of its code runs.
  const grants = new Grants(options.flags);
  if (bundle.declaration.kind === "plugin") {
    const declared = bundle.declaration.plugin;
    summary.plugin = declared;
    grants.declare(declared);
    const missing = grants.declaredButNotGranted();
    if (missing.length > 0 && options.prompter) {
      const ok = await options.prompter.confirm(`Plugin "${declared.name}": ${declared.description}\nIt asks for: ${missing.join(", ")} (not granted by flags). Allow for this run? [y/n]`);
      if (ok) grants.approveDeclaration();
    }
  }

  summary.isolation = isolation;
  const warning = isolationWarning(isolation);
  if (warning) log(warning);

  const broker = new PermissionBroker(grants, server.connection, options.prompter, log);
  const inFlight = new Set<Promise<unknown>>();
  let reported: SerializedError | undefined;
  let refusedPlugin: string | undefined;
  let timerFired = false;
  let aborted = false;
  let unreachable: Error | undefined;

  const onMessage = (m: ChildMessage): void => {
    switch (m.t) {
      case "call": {
        const p = broker.call(m.method, m.params, m.timeoutMs).then((result) => child.send({ ...result, id: m.id }));
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
        break;
      }
      case "has":
        child.send({ t: "result", id: m.id, ok: true, value: broker.has(m.permission) });
        break;
      case "plugin": {
        // The object the plugin built at run time must be the declaration read from its source.
        const declared = bundle.declaration.kind === "plugin" ? bundle.declaration.plugin : undefined;
        if (!declared || !sameDeclaration(declared, m) || refusedPlugin) {
          refusedPlugin ??= declared
            ? `plugin "${declared.name}" declared ${JSON.stringify({ name: m.name, description: m.description, permissions: m.permissions })} at run time, but its source declares ${JSON.stringify(declared)}: refused`
            : `the default export is a plugin at run time, but its source declares none that stui can read (${bundle.declaration.kind === "unreadable" ? bundle.declaration.error : "no definePlugin default export"}): refused`;
          child.kill();
        } else {
          child.send({ t: "start" });
        }
        break;
      }
      case "error":
        reported ??= m.error;
        break;
      case "done":
        break;
    }
  };

  const child = startSandbox(
    {
      isolation,
      code: bundle.code,
      args: options.args,
      read,
      write,
      hidden: [home],
      clientName: `stui run ${path.basename(script)}`,
      stdin: options.prompter ? "ignore" : "inherit",
      output: options.output,
      stdoutToStderr: options.json === true,
      testLayers: options.testLayers,
    },
    onMessage,
  );

  const remaining = options.timeoutMs !== undefined ? Math.max(0, options.timeoutMs - elapsed()) : undefined;
  const timer =
    remaining !== undefined
      ? setTimeout(() => {
          timerFired = true;
          child.kill();
        }, remaining)
      : undefined;
  const onAbort = (): void => {
    aborted = true;
    child.kill();
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  void server.connection.catch((error: unknown) => {
    unreachable = error instanceof Error ? error : new Error(String(error));
    child.kill();
  });

  const exit = await child.exited;
  if (timer) clearTimeout(timer);
  options.signal?.removeEventListener("abort", onAbort);

  // Whatever happened, close what the script opened: wait for calls still in flight
  // (a session.create may be answered after the child died), then close its sessions.
  await Promise.allSettled([...inFlight]);
  const conn = await server.connection.catch(() => undefined);
  if (conn) summary.sessionsClosedByHost = await broker.closeSessions(conn);
  await server.close();
  summary.calls = broker.calls;
  summary.denied = broker.denied;
  summary.sessionsOpened = broker.sessionsOpened;

  if (reported) summary.error = { message: reported.message, ...(reported.code ? { code: reported.code } : {}), ...(reported.kind ? { kind: reported.kind } : {}) };
  if (aborted) return finish("interrupted");
  if (timerFired) return timedOut();
  if (exit.startError) {
    log(`stui: could not start the sandbox: ${exit.startError}`);
    summary.error = { message: exit.startError };
    return finish("scriptError");
  }
  if (unreachable) {
    log(`stui: server unreachable: ${unreachable.message}`);
    summary.error = { message: unreachable.message };
    return finish("unreachable");
  }
  if (exit.channelError) {
    log(`stui: the script broke its channel to the host and was ended: ${exit.channelError}`);
    summary.error = { message: `channel: ${exit.channelError}` };
    return finish("scriptError");
  }
  if (refusedPlugin) {
    log(`stui: ${refusedPlugin}`);
    summary.error = { message: refusedPlugin };
    return finish("scriptError");
  }
  if (reported) {
    // 3 and 4 only for what the host itself saw: a refusal it made, a connection it lost.
    if (broker.sawDenial(reported)) return finish("permissionDenied");
    if (reported.code === "ECONNECTION" && broker.connectionFailed) {
      log(`stui: server unreachable: ${broker.connectionFailed.message}`);
      return finish("unreachable");
    }
    log(formatScriptError(reported));
    return finish("scriptError");
  }
  if (exit.code === 0) return finish("ok");
  log(`stui: the script ${exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`}`);
  summary.error = { message: exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}` };
  return finish("scriptError");
}
