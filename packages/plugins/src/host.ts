// `stui run`, orchestrated: one clock for the whole run, the connection (in parallel with the
// build), the bundle, the plugin's declaration (read from its source), the sandboxed child,
// the broker answering its calls, and cleanup however the child ends.
//
//   script.ts ──bundle.ts (read guard)──▶ verified bundle ──isolation.ts──▶ sandboxed child
//                                                                            │ channel.ts (fd 3)
//   Pharo ◀──ZeroMQ── @stui/client ◀── broker.ts: grants, own sessions only ◀┘

import path from "node:path";
import { isatty } from "node:tty";
import { PermissionBroker } from "./broker.js";
import { BuildError, BuildTimeout, bundleScript, type Bundle } from "./bundle.js";
import { CLEANUP_GRACE_MS, CLEANUP_LIMIT_MS, openConnection } from "./connection.js";
import { EXIT } from "./exit-codes.js";
import { resolveGrants } from "./fs-grants.js";
import { checkGrantContents } from "./grant-contents.js";
import { stuiHome } from "@stui/client/keys";
import type { ChildMessage } from "./ipc.js";
import { detectIsolation, isolationWarning, type Isolation, type PathGrant } from "./isolation.js";
import { startNetProxy } from "./net-proxy.js";
import { OsGrantError, grantedEnv, netGranted, type RunLayout } from "./os-grants.js";
import { Grants } from "./permissions.js";
import { sameDeclaration } from "./plugin-declaration.js";
import { STATUS_EXIT, formatDuration, type Observed, type Run, type RunOptions, type RunSummary } from "./run-state.js";
import { verdict } from "./run-verdict.js";
import { OutputGate, gatedPrompter } from "./output-gate.js";
import { makeRunDir, startSandbox } from "./sandbox-process.js";
import { printable, writeHostText } from "./terminal-text.js";

export type { Connector, HostConnection } from "./connection.js";
export type { Output } from "./sandbox-process.js";
export { formatDuration, type RunOptions, type RunStatus, type RunSummary } from "./run-state.js";

export async function runScript(options: RunOptions): Promise<RunSummary> {
  const run = startRun(options);
  const prepared = await prepare(run);
  if ("ended" in prepared) return prepared.ended;
  const server = openConnection(options);
  const bundle = await build(run);
  if (!("code" in bundle)) {
    await server.close();
    return bundle;
  }
  if (options.signal?.aborted) {
    const reason: unknown = options.signal.reason;
    run.log(`stui: stopped${typeof reason === "string" ? ` by ${reason}` : ""} before the script started`);
    await server.close();
    return run.finish("interrupted");
  }
  const grants = await grantsFor(run, bundle);
  if (!grants) {
    await server.close();
    return run.finish("scriptError");
  }

  run.summary.isolation = prepared.isolation;
  const warning = isolationWarning(prepared.isolation);
  if (warning) run.log(warning);
  const runDir = makeRunDir(run.home);
  const proxy = options.net && netGranted(options.net) ? await startNetProxy({ rules: options.net, endpoint: options.endpoint, dir: runDir }) : undefined;
  // On a terminal, the script's output passes through the host and is held while a question is up (finding 7).
  const gate = options.prompter && !options.output ? new OutputGate() : undefined;
  const prompter = gate && options.prompter ? gatedPrompter(options.prompter, gate, process.stderr) : options.prompter;
  let observed: Observed;
  try {
    observed = await supervise(run, bundle, new PermissionBroker(grants, server.connection, prompter), { ...prepared, runDir, read: run.read, write: run.write, netSocket: proxy?.socket, run: options.run, gate });
  } finally {
    if (proxy) run.net = proxy;
    await proxy?.close();
  }
  await cleanUp(run, observed, server);
  return verdict(run, observed);
}

/** The run's clock and summary. */
function startRun(options: RunOptions): Run {
  const started = performance.now();
  const script = path.resolve(options.script);
  const summary: RunSummary = { command: "run", script, status: "ok", exitCode: EXIT.ok, durationMs: 0, calls: 0, denied: [], sessionsOpened: 0, sessionsClosedByHost: 0, inputs: [] };
  return {
    options,
    script,
    home: options.home ?? stuiHome(),
    sources: [],
    read: [],
    write: [],
    summary,
    // Host messages quote what scripts and plugins sent (names, errors): shown, never obeyed by the terminal.
    log: options.log ?? writeHostText,
    elapsed: () => performance.now() - started,
    finish: (status) => {
      summary.status = status;
      summary.exitCode = STATUS_EXIT[status];
      summary.durationMs = Math.round(performance.now() - started);
      return summary;
    },
  };
}

/**
 * Grants, isolation and the environment first: a bad grant or a missing mechanism is said (as a
 * thrown error) before anything runs; then --check. A finished summary when the type check ended the run.
 */
async function prepare(run: Run): Promise<{ isolation: Isolation; env: Record<string, string> } | { ended: RunSummary }> {
  const { options } = run;
  run.read = resolveGrants("--allow-fs-read", options.fsRead ?? [], run.home);
  run.write = resolveGrants("--allow-fs-write", options.fsWrite ?? [], run.home);
  const isolation = detectIsolation(options.isolation ?? "auto");
  checkGrantContents(run.read, run.write, isolation.level, options.net !== undefined && netGranted(options.net), run.home);
  if (options.run && isolation.level !== "full") {
    throw new OsGrantError(`--allow-run needs full isolation (bubblewrap): at level "${isolation.level}" a command would run outside any OS sandbox, with all your rights (${isolation.reason ?? isolation.description})`);
  }
  const env = options.env ? grantedEnv(options.env.allow, options.env.deny, options.env.from ?? process.env) : {};
  if (options.typeCheck) {
    const limit = options.timeoutMs === undefined ? undefined : Math.max(1, options.timeoutMs - run.elapsed());
    const checked = await options.typeCheck(run.script, limit);
    if (checked.timedOut) {
      run.log(`stui: the type check took longer than ${formatDuration(options.timeoutMs!)}; it was stopped and nothing ran`);
      return { ended: run.finish("timeout") };
    }
    if (!checked.ok) {
      run.log(checked.report);
      run.summary.error = { message: checked.report.split("\n").at(-1) ?? "type errors" };
      return { ended: run.finish("typeError") };
    }
    if (options.timeoutMs !== undefined && run.elapsed() > options.timeoutMs) {
      run.log(`stui: the type check took longer than ${formatDuration(options.timeoutMs)}; nothing ran`);
      return { ended: run.finish("timeout") };
    }
  }
  return { isolation, env };
}

/**
 * Whatever happened, close what the script opened, within a bounded time: after --timeout or
 * Ctrl-C a small grace (the command must end then, not when a long evaluation answers: on a 1.2
 * server the host has asked it to stop), else a few seconds, and never past the timeout plus the grace.
 */
async function cleanUp(run: Run, observed: Observed, server: ReturnType<typeof openConnection>): Promise<void> {
  const { broker } = observed;
  const now = Date.now();
  let deadline = now + (observed.timedOut || observed.aborted ? CLEANUP_GRACE_MS : CLEANUP_LIMIT_MS);
  if (run.options.timeoutMs !== undefined) deadline = Math.min(deadline, Math.max(now, now - run.elapsed() + run.options.timeoutMs) + CLEANUP_GRACE_MS);
  if (observed.stopping) {
    // What the script left running on the server is asked to stop (protocol 1.2), not waited for.
    const stopped = await Promise.race([observed.stopping, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now())).unref())]);
    if (stopped) run.log(`stui: stopped ${stopped} request(s) the script left running on the server (evaluate.cancel)`);
  }
  await broker.settle(deadline);
  if (broker.sessions.size > 0) {
    const conn = await server.connection.catch(() => undefined);
    if (conn) run.summary.sessionsClosedByHost = await broker.closeSessions(conn, deadline);
  }
  await server.close();
}

/** Bundle the script on the run's clock (bundling counts against --timeout); a finished summary if it did not build. */
async function build(run: Run): Promise<Bundle | RunSummary> {
  try {
    const bundle = await bundleScript(run.script, { cacheDir: run.options.cacheDir, home: run.home, limitMs: run.options.timeoutMs, log: run.log, source: run.options.source, readGrants: run.read.map((g) => g.real) });
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
    const ok = await run.options.prompter.confirm(`Plugin "${printable(declared.name)}": ${printable(declared.description)}\nIt asks for: ${missing.join(", ")} (not granted by flags). Allow for this run? [y/n]`);
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
  runDir: string;
  read: PathGrant[];
  write: PathGrant[];
  env: Record<string, string>;
  netSocket: string | undefined;
  run: RunLayout | undefined;
  gate: OutputGate | undefined;
}

/** Calls of one script in flight at once; past this the host reads no more of its requests until some are answered. */
export const MAX_CALLS_IN_FLIGHT = 256;

async function supervise(run: Run, bundle: Bundle, broker: PermissionBroker, sandbox: SandboxGrants): Promise<Observed> {
  const { options } = run;
  const seen: Omit<Observed, "exit" | "broker"> = { timedOut: false, aborted: false };
  let inFlight = 0;
  const onMessage = (m: ChildMessage): void => {
    switch (m.t) {
      case "call":
        // Not awaited: every call is answered when its own reply comes, in any order.
        if (++inFlight === MAX_CALLS_IN_FLIGHT) child.hold(true);
        broker
          .call(m.method, m.params, m.timeoutMs, m.id)
          .then((result) => child.send({ ...result, id: m.id }))
          .catch((error: unknown) => {
            // Never the host's end: whatever went wrong answering, the child is ended and the run reports it.
            seen.hostError ??= `answering a call failed: ${error instanceof Error ? error.message : String(error)}`;
            child.kill();
          })
          .finally(() => {
            if (inFlight-- === MAX_CALLS_IN_FLIGHT) child.hold(false);
          });
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
      // A terminal on stdin is the host's, questions or not: with stderr redirected there are no
      // questions, and the script would read the person's keystrokes and write escapes to the
      // terminal through fd 0 (red team 3, finding 7). A script read from stdin has used it up.
      stdin: options.prompter || options.source !== undefined || isatty(0) ? "ignore" : "inherit",
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
  // Stopped while the run was being prepared (a type check, a plugin's approval, the sandbox's
  // start): the listener above never fires for a signal aborted already.
  if (options.signal?.aborted) onAbort();

  const exit = await child.exited;
  if (timer) clearTimeout(timer);
  options.signal?.removeEventListener("abort", onAbort);
  return { ...seen, exit, broker };
}

