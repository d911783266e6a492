// One `stui run`: its options, its summary, and what its steps carry between them (the clock,
// the grants, what the host observed). Shared by host.ts (the steps) and run-verdict.ts (the
// exit code), so neither imports the other.

import type { Denial, PermissionBroker } from "./broker.js";
import type { Connector } from "./connection.js";
import { EXIT, type ExitCode } from "./exit-codes.js";
import type { SerializedError } from "./ipc.js";
import type { Isolation, IsolationPreference, PathGrant } from "./isolation.js";
import type { NetProxy } from "./net-proxy.js";
import type { NameList, NetRules, RunLayout } from "./os-grants.js";
import type { GrantFlags, PluginDeclaration, Prompter } from "./permissions.js";
import type { Output, SandboxExit } from "./sandbox-process.js";

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
  testLayers?: { permissionModel: boolean; stubs: boolean; parentDeathSignal?: boolean } | undefined;
  /** The person's current folder: the script's working folder when a grant covers it (default process.cwd()). */
  cwd?: string | undefined;
  /**
   * Type-check the script first (--check): `ok: false` ends the run with exit 1, before anything
   * runs. Counted against --timeout: it is given what is left of it (`limitMs`), and `timedOut`
   * ends the run with 124.
   */
  typeCheck?: ((script: string, limitMs?: number) => Promise<{ ok: boolean; report: string; timedOut?: boolean }>) | undefined;
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
  /** The first refusals (at most MAX_DENIALS_KEPT of the broker's, then the sandbox's own). */
  denied: Denial[];
  /** Refusals counted but not listed in `denied` (a script that made more than MAX_DENIALS_KEPT). */
  deniedOmitted?: number;
  sessionsOpened: number;
  sessionsClosedByHost: number;
  /** `authentication`: the server did not let this client in, or its keys cannot be used (status unreachable). */
  error?: { message: string; code?: string; kind?: string; authentication?: true };
  /** The script's source files (for --watch; without the host's runtime); empty when the build failed. */
  inputs: string[];
  bundleCached?: boolean;
  /** The signal that stopped the run (status "interrupted"): SIGINT, SIGTERM or SIGHUP, each with its own exit code. */
  signal?: "SIGINT" | "SIGTERM" | "SIGHUP";
}

export const STATUS_EXIT: Record<RunStatus, ExitCode> = {
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

/** What one run carries between its steps. */
export interface Run {
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
export interface Observed {
  exit: SandboxExit;
  broker: PermissionBroker;
  /** After --timeout or Ctrl-C: the evaluate.cancel requests for the script's sessions (how many requests they stopped). */
  stopping?: Promise<number>;
  reported?: SerializedError;
  refusedPlugin?: string;
  /** The host could not answer the script (it ended the child); never a crash of the host. */
  hostError?: string;
  timedOut: boolean;
  aborted: boolean;
}
