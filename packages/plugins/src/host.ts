// The unrestricted side of `stui run`: bundles the script, starts it in a child
// process under Node's permission model, answers its IPC calls after checking each
// one's permissions, and cleans up (sessions, connection) however the child ends.
//
//   script.ts ──esbuild──▶ bundle.mjs ──fork(--experimental-permission)──▶ child
//                                                                           │ IPC
//   Pharo ◀──ZeroMQ── @stui/client ◀── host: Grants.authorize(permissionsFor) ◀┘

import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { Writable } from "node:stream";
import { PROTOCOL_VERSION, isCommandName, type Permission, type Transport } from "@stui/client/protocol";
import { BuildError, bundleScript, type Bundle } from "./bundle.js";
import { firstPing } from "./connect.js";
import { EXIT, type ExitCode } from "./exit-codes.js";
import { MODE_ENV, parseChildMessage, permissionDeniedError, serializeError, type HostMessage, type SerializedError } from "./ipc.js";
import { Grants, isPermission, type DenyReason, type GrantFlags, type PluginDeclaration, type Prompter } from "./permissions.js";
import { StuiError } from "./script-api.js";

/** The host's link to the server: a Transport that can be closed. */
export interface HostConnection extends Transport {
  close(): Promise<void>;
}

/** Opens the connection (lazily: only `stui run` and `stui repl` need one). */
export type Connector = () => Promise<HostConnection>;

export interface Output {
  stdout: Writable;
  stderr: Writable;
}

export interface RunOptions {
  script: string;
  args: readonly string[];
  flags: GrantFlags;
  connect: Connector;
  /** Kill the script after this long (exit 124). */
  timeoutMs?: number | undefined;
  /** How long the first ping may take before the server counts as unreachable. */
  connectTimeoutMs?: number | undefined;
  /** Extra folders the script may read / write (the script's folder is always readable). */
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
  plugin?: PluginDeclaration;
  calls: number;
  denied: { method: string; permission: Permission; reason: DenyReason }[];
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

/** Environment variables passed through to the sandbox; everything else is withheld. */
const PASSED_ENV = ["TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR", "LANG", "LC_ALL", "TZ"];

/**
 * The flag that turns Node's permission model on: `--experimental-permission` on Node 20 and 21,
 * `--permission` from Node 22 on (where the experimental name is gone).
 */
export const PERMISSION_FLAG = process.allowedNodeEnvironmentFlags.has("--permission") ? "--permission" : "--experimental-permission";

export function sandboxExecArgv(readable: readonly string[], writable: readonly string[]): string[] {
  for (const p of [...readable, ...writable]) {
    if (p.includes(",")) throw new Error(`a path given to the sandbox cannot contain a comma: ${p}`);
  }
  // One flag per path: this Node 20 refuses comma-separated lists.
  const argv = [PERMISSION_FLAG, ...readable.map((p) => `--allow-fs-read=${p}`), ...writable.map((p) => `--allow-fs-write=${p}`)];
  argv.push("--disable-warning=ExperimentalWarning", "--enable-source-maps");
  return argv;
}

export interface SpawnOptions {
  mode: "run" | "describe";
  args: readonly string[];
  fsRead?: readonly string[];
  fsWrite?: readonly string[];
  clientName: string;
  stdin: "inherit" | "ignore";
  output?: Output | undefined;
  stdoutToStderr?: boolean;
}

/** Start a bundled script in a sandboxed child with an IPC channel. */
export function spawnSandbox(scriptPath: string, bundle: Bundle, options: SpawnOptions): ChildProcess {
  const readable = [path.dirname(path.resolve(scriptPath)), bundle.dir, ...(options.fsRead ?? []).map((p) => path.resolve(p))];
  const writable = (options.fsWrite ?? []).map((p) => path.resolve(p));
  const env: NodeJS.ProcessEnv = { [MODE_ENV]: options.mode, STUI_CLIENT_NAME: options.clientName };
  for (const name of PASSED_ENV) if (process.env[name] !== undefined) env[name] = process.env[name];
  const piped = options.output !== undefined || options.stdoutToStderr === true;
  const child = fork(bundle.file, [...options.args], {
    execPath: process.execPath,
    execArgv: sandboxExecArgv(readable, writable),
    env,
    stdio: [options.stdin, piped ? "pipe" : "inherit", options.output ? "pipe" : "inherit", "ipc"],
    serialization: "json",
  });
  if (options.output) {
    child.stdout?.pipe(options.stdoutToStderr ? options.output.stderr : options.output.stdout, { end: false });
    child.stderr?.pipe(options.output.stderr, { end: false });
  } else if (options.stdoutToStderr) {
    child.stdout?.pipe(process.stderr, { end: false });
  }
  return child;
}

export async function runScript(options: RunOptions): Promise<RunSummary> {
  const started = performance.now();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const script = path.resolve(options.script);
  const grants = new Grants(options.flags);
  const summary: RunSummary = { command: "run", script, status: "ok", exitCode: EXIT.ok, durationMs: 0, calls: 0, denied: [], sessionsOpened: 0, sessionsClosedByHost: 0, inputs: [] };
  const finish = (status: RunStatus): RunSummary => {
    summary.status = status;
    summary.exitCode = STATUS_EXIT[status];
    summary.durationMs = Math.round(performance.now() - started);
    return summary;
  };

  // Connect and ping while esbuild works; calls wait for it.
  let unreachable: Error | undefined;
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
  connection.catch((error: unknown) => {
    unreachable = error instanceof Error ? error : new Error(String(error));
  });
  const closeConnection = async (): Promise<void> => {
    const conn = await connection.catch(() => undefined);
    await conn?.close().catch(() => undefined);
  };

  let bundle: Bundle;
  try {
    bundle = await bundleScript(script, { cacheDir: options.cacheDir });
  } catch (error) {
    await closeConnection();
    if (error instanceof BuildError) {
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
    await closeConnection();
    return finish("interrupted");
  }

  const child = spawnSandbox(script, bundle, {
    mode: "run",
    args: options.args,
    fsRead: options.fsRead ?? [],
    fsWrite: options.fsWrite ?? [],
    clientName: `stui run ${path.basename(script)}`,
    stdin: options.prompter ? "ignore" : "inherit",
    output: options.output,
    stdoutToStderr: options.json === true,
  });

  const openSessions = new Set<string>();
  const inFlight = new Set<Promise<unknown>>();
  let reported: SerializedError | undefined;
  let timedOut = false;
  let aborted = false;
  let unreachableDuringRun = false;

  const reply = (message: HostMessage): void => {
    if (child.connected) child.send(message, (error) => void error);
  };
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };

  const handleCall = async (id: number, method: string, params: unknown, timeoutMs: number | undefined): Promise<void> => {
    summary.calls++;
    if (!isCommandName(method)) {
      // Only commands of the generated table are forwarded: a name the schema does not define has
      // no permission class the person could have granted.
      reply({ t: "result", id, ok: false, error: serializeError(new StuiError("EVALIDATION", `unknown method ${JSON.stringify(method)}: not a command of protocol ${PROTOCOL_VERSION}`)) });
      return;
    }
    const auth = await grants.authorize(method, params, options.prompter);
    if (!auth.ok) {
      summary.denied.push({ method: auth.method, permission: auth.permission, reason: auth.reason });
      log(`stui: ${auth.message}`);
      reply({ t: "result", id, ok: false, error: serializeError(permissionDeniedError(auth.method, auth.permission, auth.message)) });
      return;
    }
    let conn: HostConnection;
    try {
      conn = await connection;
    } catch (error) {
      reply({ t: "result", id, ok: false, error: serializeError(new StuiError("ECONNECTION", `server unreachable: ${(error as Error).message}`)) });
      return;
    }
    try {
      const value = await conn.call(method, params as never, timeoutMs !== undefined ? { timeoutMs } : undefined);
      if (method === "session.create") {
        const id = (value as { sessionId?: unknown }).sessionId;
        if (typeof id === "string") {
          openSessions.add(id);
          summary.sessionsOpened++;
        }
      } else if (method === "session.close") {
        openSessions.delete((params as { sessionId: string }).sessionId);
      }
      reply({ t: "result", id, ok: true, value });
    } catch (error) {
      reply({ t: "result", id, ok: false, error: serializeError(error) });
    }
  };

  const handleDeclaration = async (name: string, description: string, permissions: string[]): Promise<void> => {
    // One declaration per run: a second one could not widen what was shown and approved.
    if (summary.plugin || grants.declaration) return;
    const unknown = permissions.filter((p) => !isPermission(p));
    if (unknown.length > 0) {
      reported = { name: "Error", message: `plugin "${name}" declares unknown permission classes: ${unknown.join(", ")}` };
      kill();
      return;
    }
    const declaration: PluginDeclaration = { name, description, permissions: permissions as Permission[] };
    summary.plugin = declaration;
    grants.declare(declaration);
    const missing = grants.declaredButNotGranted();
    if (missing.length > 0 && options.prompter) {
      const ok = await options.prompter.confirm(`Plugin "${name}": ${description}\nIt asks for: ${missing.join(", ")} (not granted by flags). Allow for this run? [y/n]`);
      if (ok) grants.approveDeclaration();
    }
    reply({ t: "start" });
  };

  const track = (p: Promise<unknown>): void => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  child.on("message", (raw: unknown) => {
    const m = parseChildMessage(raw);
    if (!m) return;
    switch (m.t) {
      case "call":
        track(handleCall(m.id, m.method, m.params, m.timeoutMs));
        break;
      case "has":
        reply({ t: "result", id: m.id, ok: true, value: isPermission(m.permission) && grants.has(m.permission) });
        break;
      case "plugin":
        track(handleDeclaration(m.name, m.description, m.permissions));
        break;
      case "error":
        reported ??= m.error;
        break;
      case "done":
      case "not-plugin":
        break;
    }
  });

  const timer =
    options.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          log(`stui: the script ran longer than ${formatDuration(options.timeoutMs ?? 0)} and was killed`);
          kill();
        }, options.timeoutMs)
      : undefined;
  const onAbort = (): void => {
    aborted = true;
    kill();
  };
  options.signal?.addEventListener("abort", onAbort, { once: true });
  void connection.catch(() => {
    unreachableDuringRun = true;
    kill();
  });

  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
    child.on("error", (error) => {
      // The child could not be started (no exit event follows).
      if (child.pid === undefined) {
        log(`stui: could not start the sandbox: ${error.message}`);
        resolve({ code: 1, signal: null });
      }
    });
  });
  if (timer) clearTimeout(timer);
  options.signal?.removeEventListener("abort", onAbort);

  // Whatever happened, close what the script opened: wait for calls still in flight
  // (a session.create may be answered after the child died), then close its sessions.
  await Promise.allSettled([...inFlight]);
  const conn = await connection.catch(() => undefined);
  if (conn) {
    for (const sessionId of openSessions) {
      try {
        await conn.call("session.close", { sessionId }, { timeoutMs: 5000 });
        summary.sessionsClosedByHost++;
      } catch {
        // Already gone (expired, or closed by the script in a call we did not see end).
      }
    }
  }
  await closeConnection();

  if (reported) summary.error = { message: reported.message, ...(reported.code ? { code: reported.code } : {}), ...(reported.kind ? { kind: reported.kind } : {}) };
  if (aborted) return finish("interrupted");
  if (timedOut) return finish("timeout");
  if (unreachableDuringRun || reported?.code === "ECONNECTION") {
    log(`stui: server unreachable: ${(unreachable ?? new Error(reported?.message ?? "no answer")).message}`);
    summary.error ??= { message: (unreachable ?? new Error("server unreachable")).message };
    return finish("unreachable");
  }
  if (reported) {
    if (reported.kind === "permissionDenied") return finish("permissionDenied");
    log(formatScriptError(reported));
    return finish("scriptError");
  }
  if (exit.code === 0) return finish("ok");
  log(`stui: the script ${exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`}`);
  summary.error = { message: exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}` };
  return finish("scriptError");
}

function formatScriptError(e: SerializedError): string {
  const lines = [`stui: script error: ${e.stack ?? `${e.name}: ${e.message}`}`];
  if (e.code) lines.push(`  code: ${e.code}${e.kind ? ` (${e.kind})` : ""}`);
  const data = e.data as { line?: number; column?: number } | undefined;
  if (e.kind === "syntaxError" && data?.line !== undefined) lines.push(`  Smalltalk line ${data.line}, column ${data.column}`);
  return lines.join("\n");
}

export function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export interface DescribeResult {
  file: string;
  plugin?: PluginDeclaration;
  error?: string;
}

/**
 * Read a plugin's declaration by running its module in the sandbox in "describe"
 * mode: no grants, no connection (any call is refused), output discarded. Modules
 * without a default export are not run at all.
 */
export async function describePlugin(file: string, options: { cacheDir?: string | undefined; timeoutMs?: number } = {}): Promise<DescribeResult> {
  const { hasDefaultExport } = await import("./bundle.js");
  try {
    if (!(await hasDefaultExport(file))) return { file, error: "not a plugin (no default export)" };
  } catch (error) {
    return { file, error: `does not build: ${(error as Error).message.split("\n")[0]}` };
  }
  let bundle: Bundle;
  try {
    bundle = await bundleScript(file, { cacheDir: options.cacheDir });
  } catch (error) {
    return { file, error: `does not build: ${(error as Error).message.split("\n")[0]}` };
  }
  const { PassThrough } = await import("node:stream");
  const sink = new PassThrough();
  sink.resume();
  const child = spawnSandbox(file, bundle, { mode: "describe", args: [], clientName: "stui list", stdin: "ignore", output: { stdout: sink, stderr: sink } });
  let result: DescribeResult = { file, error: "did not declare itself (definePlugin was not its default export)" };
  child.on("message", (raw: unknown) => {
    const m = parseChildMessage(raw);
    if (!m) return;
    if (m.t === "plugin") {
      const unknown = m.permissions.filter((p) => !isPermission(p));
      result = unknown.length > 0 ? { file, error: `declares unknown permission classes: ${unknown.join(", ")}` } : { file, plugin: { name: m.name, description: m.description, permissions: m.permissions as Permission[] } };
      child.kill("SIGKILL");
    } else if (m.t === "not-plugin") {
      result = { file, error: "not a plugin (its default export is not made by definePlugin)" };
    } else if (m.t === "call") {
      const message = `${m.method} refused: stui list only reads plugin declarations`;
      if (child.connected) child.send({ t: "result", id: m.id, ok: false, error: serializeError(new StuiError("EREMOTE", message, "permissionDenied", { kind: "permissionDenied", method: m.method, permission: "read" })) } satisfies HostMessage);
    } else if (m.t === "error") {
      result = { file, error: `failed while loading: ${m.error.message}` };
    }
  });
  const timer = setTimeout(() => {
    result = { file, error: "did not declare itself in time" };
    child.kill("SIGKILL");
  }, options.timeoutMs ?? 10_000);
  await new Promise((resolve) => child.on("exit", resolve));
  clearTimeout(timer);
  return result;
}
