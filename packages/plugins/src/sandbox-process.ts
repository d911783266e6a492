// Starts the sandboxed child (the command isolation.ts writes) and speaks the framed channel
// with it. The child gets a private copy of its verified bundle, an empty working folder,
// stdio, and fd 3 for the channel: no Node IPC (so no handles can be passed), nothing else
// (descriptors the host inherited without close-on-exec are covered with /dev/null).
// Whatever the child sends, the host survives it: a frame that does not parse, is too big or
// is not a message ends the child, never the host.

import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ensurePrivateDir } from "./bundle-cache.js";
import { runFolderPrefix, sweepRunFolders } from "./run-folders.js";
import type { Socket } from "node:net";
import type { Writable } from "node:stream";
import { CHANNEL_FD, ChannelError, FrameDecoder, encodeFrame } from "./channel.js";
import { startWatchdog } from "./watchdog.js";
import { RUN_ENV, STUBS_ENV, parseChildMessage, type ChildMessage, type HostMessage } from "./ipc.js";
import { INSIDE, sandboxCommand, type Isolation, type PathGrant } from "./isolation.js";
import type { OutputGate } from "./output-gate.js";
import type { RunLayout } from "./os-grants.js";

export interface Output {
  stdout: Writable;
  stderr: Writable;
}

/**
 * Answers queued for a child that does not read them: past this many bytes the host stops reading
 * the child's requests until the child has taken its answers (back-pressure), so a script that
 * floods requests and never reads costs the host at most this much (and the small write requests it is made of), not all its memory.
 */
export const MAX_QUEUED_BYTES = 1024 * 1024;

/** How long to wait for the child's pipes to close after it exited. */
const CLOSE_GRACE_MS = 2000;

/** Environment variables passed through to the sandbox; everything else is withheld. */
const PASSED_ENV = ["TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR", "LANG", "LC_ALL", "TZ"];

export interface SandboxOptions {
  isolation: Isolation;
  /** The run's private folder (makeRunDir): the verified bundle is written there. */
  runDir: string;
  /** The child's working folder, when a grant covers it (else an empty folder of the sandbox). */
  cwd?: string | undefined;
  code: Buffer;
  args: readonly string[];
  read: readonly PathGrant[];
  write: readonly PathGrant[];
  /** Never visible inside (the STUI home). */
  hidden: readonly string[];
  clientName: string;
  stdin: "inherit" | "ignore";
  output?: Output | undefined;
  stdoutToStderr?: boolean;
  /** On a terminal: the script's stdout and stderr pass through this gate (held while stui asks a question), not straight to the terminal. */
  gate?: OutputGate | undefined;
  /** Tests only: switch inner layers off to prove the outer ones alone (see RunOptions.testLayers). */
  testLayers?: { permissionModel: boolean; stubs: boolean; parentDeathSignal?: boolean } | undefined;
  /** --allow-env: the variables granted (besides the few every script gets: TERM, LANG, …). */
  env?: Readonly<Record<string, string>> | undefined;
  /** --allow-net: the host's network proxy socket. */
  netSocket?: string | undefined;
  /** --allow-run: the commands the sandbox shows. */
  run?: RunLayout | undefined;
}

export interface SandboxExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the host ended the child for breaking the channel. */
  channelError?: string;
  /** Set when the child could not be started at all. */
  startError?: string;
}

export interface SandboxChild {
  /** Send an answer; one the channel cannot carry (over its frame limit) becomes an error answer of the same id. */
  send(message: HostMessage): void;
  /** Stop (true) or go on (false) reading the child's requests: the host's own limit on calls in flight. */
  hold(held: boolean): void;
  kill(): void;
  /** Settles once the child and its channel are closed (and its private folder removed). */
  readonly exited: Promise<SandboxExit>;
}

/** Whether `p` lies in a sandbox's empty working folder (where relative paths land when the current folder is not granted). */
export function inSandboxWorkDir(p: string): boolean {
  return p === INSIDE.work || p.startsWith(`${INSIDE.work}/`) || /\/runs\/stui-run-[^/]+\/work(\/|$)/.test(p);
}

/**
 * A run's private folder (its verified bundle, its network proxy's socket), under the STUI home's
 * runs/: never under a folder a grant can reach (a grant overlapping the STUI home is refused), so
 * no script, of this run or a concurrent one, can replace the bundle between its check and its
 * start, nor the proxy's socket (red team finding 5: they were in $TMPDIR). Those that dead hosts
 * left are swept first (run-folders.ts).
 */
export function makeRunDir(home: string): string {
  const runs = path.join(home, "runs");
  ensurePrivateDir(home);
  ensurePrivateDir(runs);
  sweepRunFolders(runs);
  const runDir = mkdtempSync(path.join(runs, runFolderPrefix()));
  chmodSync(runDir, 0o700);
  return runDir;
}

/**
 * Descriptors from `from` up that a child would inherit. On Linux: those without close-on-exec
 * (Node and libuv open every descriptor of their own with O_CLOEXEC, so these are the ones the
 * program that started stui left open: a shell's `exec 9<>…`, a make jobserver pipe, a
 * supervisor's socket). Elsewhere (no fdinfo to tell): every open descriptor of /dev/fd;
 * covering one of the host's own close-on-exec descriptors in the child is harmless.
 */
export function inheritableFds(from: number): number[] {
  const linux = process.platform === "linux";
  let names: string[];
  try {
    names = readdirSync(linux ? "/proc/self/fd" : "/dev/fd");
  } catch {
    return []; // Windows: a child inherits only the handles spawn passes
  }
  const fds: number[] = [];
  for (const name of names) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd < from) continue;
    if (linux) {
      try {
        const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"))?.[1];
        if (flags !== undefined && (parseInt(flags, 8) & O_CLOEXEC) !== 0) continue;
      } catch {
        continue; // closed meanwhile (the listing's own descriptor)
      }
    }
    fds.push(fd);
  }
  return fds;
}

/** O_CLOEXEC in /proc/self/fdinfo's octal `flags` (Linux, every architecture Node supports). */
const O_CLOEXEC = 0o2000000;

export function startSandbox(options: SandboxOptions, onMessage: (message: ChildMessage) => void): SandboxChild {
  const runDir = options.runDir;
  const bundleFile = path.join(runDir, "script.mjs");
  writeFileSync(bundleFile, options.code, { mode: 0o400 });
  const workDir = path.join(runDir, "work");
  mkdirSync(workDir, { mode: 0o500 });

  const env: Record<string, string> = {};
  for (const name of PASSED_ENV) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, options.env);
  if (options.run) {
    env.PATH = options.run.path;
    env[RUN_ENV] = options.run.all ? "*" : options.run.commands.map((c) => c.name).join(",");
  }
  // The host's own variables last: nothing granted can replace them.
  env.STUI_CLIENT_NAME = options.clientName;
  if (options.testLayers?.stubs === false) env[STUBS_ENV] = "off";
  const command = sandboxCommand(options.isolation, {
    bundleFile,
    workDir,
    cwd: options.cwd,
    read: options.read,
    write: options.write,
    hidden: options.hidden,
    runDir,
    env,
    args: options.args,
    permissionModel: options.testLayers?.permissionModel ?? true,
    parentDeathSignal: options.testLayers?.parentDeathSignal ?? true,
    netSocket: options.netSocket,
    run: options.run,
  });
  const piped = options.output !== undefined || options.stdoutToStderr === true || options.gate !== undefined;
  const stdio: ("inherit" | "ignore" | "pipe" | number)[] = [options.stdin, piped ? "pipe" : "inherit", options.output || options.gate ? "pipe" : "inherit"];
  while (stdio.length < CHANNEL_FD) stdio.push("ignore");
  stdio.push("pipe");
  // Descriptors the host inherited without close-on-exec would reach the script: neither Node's
  // spawn, nor bubblewrap, nor unshare/setpriv close them (red team finding 6: a socket to the
  // server, left open by the caller, let the script call evaluate). The spawn puts /dev/null
  // over each one in the child (libuv dup2s it there), so the number is taken but leads nowhere.
  const leaked = inheritableFds(CHANNEL_FD + 1);
  const devNull = leaked.length > 0 ? openSync("/dev/null", "r") : undefined;
  for (const fd of leaked) {
    while (stdio.length < fd) stdio.push("ignore"); // "ignore" above fd 2: left as it is (closed on exec if close-on-exec)
    stdio[fd] = devNull!;
  }
  // What the sandbox mechanism reads on an fd of its own (bubblewrap's seccomp filter): a file in
  // the run's private folder, opened read-only for the spawn and closed right after it.
  const inputs = (command.inputs ?? []).map(({ fd, data }, i) => {
    const file = path.join(runDir, `input-${i}`);
    writeFileSync(file, data, { mode: 0o400 });
    return { fd, opened: openSync(file, "r") };
  });
  for (const { fd, opened } of inputs) {
    while (stdio.length < fd) stdio.push("ignore");
    stdio[fd] = opened;
  }

  let channelError: string | undefined;
  // Its own process group (detached), so a kill reaches whatever the sandbox mechanism has
  // started but not yet bound to its own life: bubblewrap's sandbox process waits for the
  // outer bwrap to write its uid map, and would wait forever if only bwrap were killed then.
  let child: ChildProcess;
  try {
    child = spawn(command.file, command.args, { cwd: command.cwd, env: command.env, stdio, detached: true });
  } finally {
    if (devNull !== undefined) closeSync(devNull);
    for (const { opened } of inputs) closeSync(opened);
  }
  // Nothing in the OS ties the sandbox to the host here: a watchdog kills its group when the host dies.
  const watchdog = !command.diesWithHost && child.pid !== undefined ? startWatchdog(child.pid) : undefined;
  const killGroup = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // The group is gone already.
    }
  };
  const kill = (): void => {
    killGroup();
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  if (options.output) {
    child.stdout?.pipe(options.stdoutToStderr ? options.output.stderr : options.output.stdout, { end: false });
    child.stderr?.pipe(options.output.stderr, { end: false });
  } else if (options.gate) {
    options.gate.forward(child.stdout, options.stdoutToStderr ? process.stderr : process.stdout);
    options.gate.forward(child.stderr, process.stderr);
  } else if (options.stdoutToStderr) {
    child.stdout?.pipe(process.stderr, { end: false });
  }

  const channel = child.stdio[CHANNEL_FD] as Socket | null;
  const decoder = new FrameDecoder();
  const breakChannel = (reason: string): void => {
    channelError ??= reason;
    kill();
  };
  // A write to a child that is already gone fails with EPIPE: that is the child's end, not ours.
  channel?.on("error", () => undefined);
  // Reading stops while answers pile up unread, or while the host holds it (too many calls in flight).
  let held = false;
  const flow = (): void => {
    if (!channel || channel.destroyed) return;
    if (held || channel.writableLength > MAX_QUEUED_BYTES) channel.pause();
    else channel.resume();
  };
  channel?.on("drain", flow);
  channel?.on("data", (chunk: Buffer) => {
    if (channelError) return;
    let frames: unknown[];
    try {
      frames = decoder.push(chunk);
    } catch (error) {
      breakChannel(error instanceof ChannelError ? error.message : String(error));
      return;
    }
    for (const frame of frames) {
      const message = parseChildMessage(frame);
      if (!message) {
        breakChannel(`a message the host does not understand: ${JSON.stringify(frame).slice(0, 120)}`);
        return;
      }
      onMessage(message);
    }
    flow();
  });

  const exited = new Promise<SandboxExit>((resolve) => {
    let startError: string | undefined;
    child.on("error", (error) => {
      // The child could not be started (no exit event follows).
      if (child.pid === undefined) {
        startError = error.message;
        rmSync(runDir, { recursive: true, force: true });
        resolve({ code: null, signal: null, startError });
      }
    });
    let settled = false;
    const settle = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      rmSync(runDir, { recursive: true, force: true });
      resolve({ code, signal, ...(channelError ? { channelError } : {}) });
    };
    child.on("close", settle);
    child.on("exit", (code, signal) => {
      watchdog?.stop();
      // Whatever of the sandbox is still in its process group goes with it. Its pipes then
      // close and "close" follows; if something outside the group still holds them, stop
      // waiting after a grace period and close our ends (the runtime exits on the channel's end).
      killGroup();
      setTimeout(() => {
        if (settled) return;
        for (const stream of child.stdio) stream?.destroy();
        settle(code, signal);
      }, CLOSE_GRACE_MS).unref();
    });
  });

  return {
    send(message) {
      if (!channel || channel.destroyed || !channel.writable) return;
      let frame: Buffer;
      try {
        frame = encodeFrame(message);
      } catch (error) {
        if (!(error instanceof ChannelError) || message.t !== "result") throw error;
        // Too big for the channel: the script gets an error for that call, the host goes on.
        frame = encodeFrame({ t: "result", id: message.id, ok: false, error: { name: "StuiError", code: "ETOOLARGE", message: `the answer is too big for the sandbox's channel (${error.message})` } });
      }
      channel.write(frame);
      flow();
    },
    hold(value) {
      held = value;
      flow();
    },
    kill,
    exited,
  };
}
