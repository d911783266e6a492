// What a sandboxed script can reach, on which platform. This module decides it alone: it
// picks the strongest isolation this machine offers and writes the command line that starts
// the child. Three layers, outermost first:
//
//   1. The OS (Linux only). "full": bubblewrap puts the child in new user, PID, network, mount,
//      IPC and UTS namespaces with a filesystem of its own: read-only /usr (Node's binary and
//      libraries), a fresh /proc for its PID namespace, a minimal /dev, the bundle, the explicit
//      grants, an empty read-only working folder, and nothing else (no STUI home, no /sys, no
//      /tmp, no /home, no /run). Its network namespace has only its own loopback, so no TCP
//      port, UDP peer, DNS server, abstract or filesystem unix socket of the host is reachable
//      (a granted folder holding a socket is refused: grant-contents.ts); its PID namespace
//      holds only itself, so signals and renicing reach no other process. No nested user
//      namespace, hostname "stui", and a seccomp filter (seccomp.ts: no keyrings, io_uring,
//      perf, bpf, userfaultfd, unix sockets unless --allow-net's proxy needs one).
//      "partial": util-linux `unshare` gives the same user, PID, network, IPC and UTS
//      namespaces, and hides the STUI home under an empty tmpfs; Node then runs with no
//      capability (setpriv), in a new session keyring where perl exists. The rest of the
//      filesystem is the host's view, guarded by layer 2 (grants holding sockets or symlinks
//      that lead out are refused at the start: grant-contents.ts).
//   2. Node's permission model (`--permission` / `--experimental-permission`): reads only of
//      the bundle and the read grants, writes only under the write grants, no child processes,
//      workers, native addons, WASI or inspector. Node 20 has no network restriction in it.
//   3. The sandbox runtime's stubs over network entry points (sandbox/lockdown.ts), innermost.
//
// "none": no OS isolation (macOS, Windows, kernels without unprivileged user namespaces, or
// neither bwrap nor unshare installed): layers 2 and 3 only, which Node's own documentation
// says do not hold against malicious code. The host says so on stderr and in --json. Without
// setpriv the child dies with the host through a watchdog (watchdog.ts).

import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readlinkSync, realpathSync } from "node:fs";
import path from "node:path";
import { NET_SOCKET_ENV } from "./ipc.js";
import type { RunLayout } from "./os-grants.js";
import { ARCHES, seccompFilter } from "./seccomp.js";
import { systemProgram } from "./system-program.js";

export type IsolationLevel = "full" | "partial" | "none";
export type IsolationMechanism = "bubblewrap" | "unshare" | "permission-model";
/** What to use: the strongest available ("auto"), or one mechanism (an error if it is unavailable). */
export type IsolationPreference = "auto" | IsolationMechanism;

export const ISOLATION_PREFERENCES: readonly IsolationPreference[] = ["auto", "bubblewrap", "unshare", "permission-model"];

export interface Isolation {
  level: IsolationLevel;
  mechanism: IsolationMechanism;
  /** What holds the script in, in one sentence. */
  description: string;
  /** Why nothing stronger is used (absent at "full"). */
  reason?: string;
}

export class IsolationUnavailable extends Error {
  override readonly name = "IsolationUnavailable";
}

/**
 * The flag that turns Node's permission model on: `--experimental-permission` on Node 20 and 21,
 * `--permission` from Node 22 on (where the experimental name is gone).
 */
export const PERMISSION_FLAG = process.allowedNodeEnvironmentFlags.has("--permission") ? "--permission" : "--experimental-permission";

/** Inside the "full" sandbox: where the bundle, the (empty, read-only) working folder and the network proxy's socket are. */
export const INSIDE = { root: "/stui", bundle: "/stui/script.mjs", work: "/stui/work", net: "/stui/net.sock" } as const;

/** Folders of commands: with --allow-run=<list>, emptied but for the granted ones. */
const BIN_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/games", "/usr/local/games"];

/** A folder the script may read or write: its real path, and the path as the person gave it. */
export interface PathGrant {
  real: string;
  given: string;
}

export interface SandboxLayout {
  /** The verified copy of the bundle, in the run's private folder. */
  bundleFile: string;
  /** An empty folder for the child's working directory (levels without a mount namespace). */
  workDir: string;
  /** The working directory instead of the empty one: the person's current folder, when a grant covers it. */
  cwd?: string | undefined;
  read: readonly PathGrant[];
  write: readonly PathGrant[];
  /** Never visible inside, whatever the grants (the STUI home). */
  hidden: readonly string[];
  /** The run's private folder (inside a hidden one): at "partial" it is bound back in over the hiding tmpfs. */
  runDir?: string | undefined;
  env: Readonly<Record<string, string>>;
  args: readonly string[];
  /** false only in tests that prove the OS layer alone: Node runs without its permission model. */
  permissionModel?: boolean;
  /** --allow-net: the host's network proxy (a unix socket on the host), the sandbox's only way out. */
  netSocket?: string | undefined;
  /** --allow-run: the commands the sandbox shows (full isolation only). */
  run?: RunLayout | undefined;
  /** false only in tests of the watchdog (watchdog.ts): no setpriv --pdeathsig, as on a machine without it. */
  parentDeathSignal?: boolean;
}

export interface SandboxCommand {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Whether the kernel kills the sandbox when the host dies (bwrap --die-with-parent, setpriv --pdeathsig); else the host starts a watchdog. */
  diesWithHost: boolean;
  /** Bytes the command reads on an fd of its own (bubblewrap's seccomp filter): the host passes them read-only at that fd. */
  inputs?: { fd: number; data: Buffer }[];
}

const DESCRIPTIONS: Record<IsolationMechanism, string> = {
  bubblewrap:
    "bubblewrap: own user, PID, network, mount, IPC and UTS namespaces; the filesystem holds only /usr, the bundle and the grants; no network, no other process; Node's permission model and the network stubs inside",
  unshare:
    "unshare: own user, PID, network and IPC namespaces (no network, no other process), no capabilities, and the STUI home hidden; files are guarded only by Node's permission model",
  "permission-model": "no OS isolation: Node's permission model and the sandbox's network stubs only, which do not hold against a determined script",
};

const LEVELS: Record<IsolationMechanism, IsolationLevel> = { bubblewrap: "full", unshare: "partial", "permission-model": "none" };

const NODE = realpathSync(process.execPath);

/** Read-only system folders Node needs (its libraries): /usr, and /lib… as folders or as the symlinks merged-/usr systems have. */
function systemMounts(): string[] {
  const args = ["--ro-bind", "/usr", "/usr"];
  for (const dir of ["/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin"]) {
    let stat;
    try {
      stat = lstatSync(dir);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) args.push("--symlink", readlinkSync(dir), dir);
    else if (stat.isDirectory()) args.push("--ro-bind", dir, dir);
  }
  if (!NODE.startsWith("/usr/")) args.push("--ro-bind", NODE, NODE);
  return args;
}

/**
 * --allow-run inside bubblewrap. The bare flag leaves the bin folders as they are and hides the
 * --deny-run commands (/dev/null over them); a list empties every bin folder (a read-only tmpfs)
 * and binds back only Node and the granted commands (with their real files and interpreters).
 * Programs elsewhere under /usr (libexec helpers) stay executable: they run in the same sandbox.
 */
function runMounts(run: RunLayout | undefined): string[] {
  if (!run) return [];
  const args: string[] = [];
  if (run.all) {
    for (const file of run.denied) args.push("--ro-bind", "/dev/null", file);
    return args;
  }
  const emptied = BIN_DIRS.filter((dir) => {
    try {
      return lstatSync(dir).isDirectory();
    } catch {
      return false;
    }
  });
  for (const dir of emptied) args.push("--tmpfs", dir);
  const within = (file: string): boolean => emptied.some((dir) => file.startsWith(`${dir}/`));
  for (const file of new Set([NODE, ...run.commands.flatMap((c) => c.files)])) if (within(file) || !file.startsWith("/usr/")) args.push("--ro-bind", file, file);
  for (const dir of emptied) args.push("--remount-ro", dir);
  return args;
}

/**
 * --unshare-user (not only the -try of --unshare-all) because --disable-userns needs it: the
 * sandbox cannot make nested user namespaces, which would give it every capability over new
 * mount and network namespaces of its own (kernel attack surface; red team finding 19).
 */
const BWRAP_NAMESPACES = ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--unshare-user", "--disable-userns", "--hostname", "stui"];
/** The size of the sandbox's /dev/shm (bwrap's own would be half the machine's RAM). */
const DEV_SHM_BYTES = 64 * 1024 * 1024;
/** The fd on which bubblewrap reads the seccomp filter (seccomp.ts), after the channel's fd 3. */
export const SECCOMP_FD = 4;
/** setpriv's arguments that leave a process no capability, now or after any exec, and no way to gain one. */
const DROP_ALL_CAPS = ["--bounding-set=-all", "--inh-caps=-all", "--ambient-caps=-all", "--no-new-privs"];
const UNSHARE_NAMESPACES = ["--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc", "--ipc", "--uts"];

/**
 * At "partial" there is no seccomp filter (nothing loads one), and the kernel keyrings are not
 * namespaced: the sandbox would possess the host's session keyring (red team finding 13). Where
 * perl is installed (Debian and Ubuntu always have it) and keyctl's number is known, the command
 * first joins a new, empty, anonymous session keyring (KEYCTL_JOIN_SESSION_KEYRING with no name),
 * then execs the rest. The user keyrings are per user namespace already. A kernel without keys
 * (ENOSYS) or a container that filters keyctl (EPERM, Docker's default profile) leaves nothing to
 * reach, and the run goes on. Elsewhere: nothing (the README says so).
 */
function newSessionKeyring(): string[] {
  const keyctl = ARCHES[process.arch]?.denied.keyctl;
  const perl = systemProgram("perl").file;
  if (keyctl === undefined || !perl) return [];
  return [perl, "-e", `syscall(${keyctl}, 1, 0) >= 0 or $!{ENOSYS} or $!{EPERM} or die "stui: cannot leave the session keyring: $!\\n"; exec { $ARGV[0] } @ARGV or die "stui: exec $ARGV[0]: $!\\n"`, "--"];
}

/** Why `file args` fails here, or undefined when it works; `input` is given on its stdin. */
function probe(file: string, args: string[], input?: Buffer): string | undefined {
  const r = spawnSync(file, args, { encoding: "utf8", timeout: 10_000, stdio: [input ? "pipe" : "ignore", "pipe", "pipe"], ...(input ? { input } : {}) });
  if (r.status === 0) return undefined;
  return (r.error?.message ?? r.stderr.trim().split("\n")[0]) || `exit ${r.status ?? r.signal}`;
}

interface Probed {
  /** The mechanism's executable, when it works here. */
  file?: string;
  /** Why it cannot be used here. */
  why?: string;
  /** unshare only: setpriv (same util-linux), which drops the sandbox's capabilities. */
  setpriv?: string;
}

const probed = new Map<"bubblewrap" | "unshare", Probed>();

/** Whether a mechanism works on this machine: probed once per process, by starting `node --version` in its namespaces. */
function probeMechanism(mechanism: "bubblewrap" | "unshare"): Probed {
  const known = probed.get(mechanism);
  if (known) return known;
  let result: Probed;
  if (process.platform !== "linux") {
    result = { why: `${process.platform === "darwin" ? "macOS" : process.platform} has no namespaces; stui implements OS isolation on Linux only` };
  } else if (mechanism === "bubblewrap") {
    const found = systemProgram("bwrap");
    const bwrap = found.file;
    // With the seccomp filter (on stdin here), so a kernel that cannot load it makes the level drop
    // with a reason instead of every run failing; when that fails, again without it, to say why.
    const filter = seccompFilter();
    const withFilter = filter ? ["--seccomp", "0"] : [];
    const failedAtAll = bwrap && probe(bwrap, [...BWRAP_NAMESPACES, ...systemMounts(), "--proc", "/proc", "--dev", "/dev", ...withFilter, "--", NODE, "--version"], filter);
    const failed = failedAtAll && filter ? probe(bwrap, [...BWRAP_NAMESPACES, ...systemMounts(), "--proc", "/proc", "--dev", "/dev", "--", NODE, "--version"]) : failedAtAll;
    const noFilter = failedAtAll && !failed ? failedAtAll : undefined;
    result = !bwrap
      ? { why: `${found.why} (Debian/Ubuntu: apt-get install bubblewrap)` }
      : failed
        ? { why: `bwrap cannot create namespaces here (${failed}); unprivileged user namespaces may be off (sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone, kernel.apparmor_restrict_unprivileged_userns)` }
        : noFilter
          ? { why: `bwrap cannot load stui's seccomp filter here (${noFilter})` }
          : { file: bwrap };
  } else {
    const found = systemProgram("unshare");
    const unshare = found.file;
    const setpriv = systemProgram("setpriv");
    const failed = unshare && setpriv.file && probe(unshare, [...UNSHARE_NAMESPACES, "--", setpriv.file, ...DROP_ALL_CAPS, "--", NODE, "--version"]);
    result = !unshare
      ? { why: `${found.why} (util-linux)` }
      : !setpriv.file
        ? { why: `${setpriv.why} (util-linux; without it the sandbox would keep its capabilities)` }
        : failed
          ? { why: `unshare cannot create namespaces here (${failed})` }
          : { file: unshare, setpriv: setpriv.file };
  }
  probed.set(mechanism, result);
  return result;
}

function isolationOf(mechanism: IsolationMechanism, reason?: string): Isolation {
  return { level: LEVELS[mechanism], mechanism, description: DESCRIPTIONS[mechanism], ...(reason ? { reason } : {}) };
}

/**
 * The isolation a run gets. "auto" takes the strongest available and says why nothing stronger;
 * naming a mechanism that is unavailable throws IsolationUnavailable (nothing runs weaker than
 * asked for).
 */
export function detectIsolation(preference: IsolationPreference = "auto"): Isolation {
  if (preference === "permission-model") return isolationOf("permission-model", "asked for (STUI_ISOLATION=permission-model)");
  if (preference === "bubblewrap" || preference === "unshare") {
    const found = probeMechanism(preference);
    if (!found.file) throw new IsolationUnavailable(`${preference} isolation is not available: ${found.why}`);
    return isolationOf(preference, preference === "unshare" ? "asked for (STUI_ISOLATION=unshare)" : undefined);
  }
  const bwrap = probeMechanism("bubblewrap");
  if (bwrap.file) return isolationOf("bubblewrap");
  const unshare = probeMechanism("unshare");
  if (unshare.file) return isolationOf("unshare", bwrap.why);
  return isolationOf("permission-model", [bwrap.why, unshare.why].filter((w, i, all) => w && all.indexOf(w) === i).join("; "));
}

/** Node's permission-model flags: one flag per path (this Node 20 refuses comma-separated lists). */
export function permissionArgs(readable: readonly string[], writable: readonly string[], childProcesses = false): string[] {
  for (const p of [...readable, ...writable]) {
    if (p.includes(",")) throw new Error(`a path given to the sandbox cannot contain a comma: ${p}`);
  }
  return [PERMISSION_FLAG, ...readable.map((p) => `--allow-fs-read=${p}`), ...writable.map((p) => `--allow-fs-write=${p}`), ...(childProcesses ? ["--allow-child-process", "--disable-warning=SecurityWarning"] : []), "--disable-warning=ExperimentalWarning", "--enable-source-maps"];
}

const both = (grants: readonly PathGrant[]): string[] => [...new Set(grants.flatMap((g) => [g.real, g.given]))];

function nodeArgs(layout: SandboxLayout, bundle: string): string[] {
  if (layout.permissionModel === false) return ["--enable-source-maps", bundle, ...layout.args];
  return [...permissionArgs([bundle, ...both(layout.read)], both(layout.write), layout.run !== undefined), bundle, ...layout.args];
}

/** The command that starts the child for this isolation. */
export function sandboxCommand(isolation: Isolation, layout: SandboxLayout): SandboxCommand {
  switch (isolation.mechanism) {
    case "bubblewrap": {
      const args = [...BWRAP_NAMESPACES, "--clearenv"];
      const env = { ...layout.env, ...(layout.netSocket ? { [NET_SOCKET_ENV]: INSIDE.net } : {}) };
      for (const [name, value] of Object.entries(env)) args.push("--setenv", name, value);
      // /dev is a tmpfs that bwrap fills with device nodes: read-only (writes to the devices still
      // work), but for /dev/shm, bounded (files there are RAM; red team finding 19).
      args.push(...systemMounts(), ...runMounts(layout.run), "--proc", "/proc", "--dev", "/dev", "--size", String(DEV_SHM_BYTES), "--tmpfs", "/dev/shm");
      args.push("--ro-bind", layout.bundleFile, INSIDE.bundle, "--dir", INSIDE.work);
      if (layout.netSocket) args.push("--ro-bind", layout.netSocket, INSIDE.net);
      for (const g of layout.read) for (const at of new Set([g.real, g.given])) args.push("--ro-bind", g.real, at);
      for (const g of layout.write) for (const at of new Set([g.real, g.given])) args.push("--bind", g.real, at);
      // Nothing written outside a write grant survives or reaches the host: the root is read-only.
      // The seccomp filter: no keyring, no io_uring/perf/bpf/userfaultfd, no unix socket unless the proxy needs one.
      const filter = seccompFilter(process.arch, { unixSockets: layout.netSocket !== undefined });
      if (filter) args.push("--seccomp", String(SECCOMP_FD));
      args.push("--remount-ro", "/dev", "--remount-ro", "/", "--chdir", layout.cwd ?? INSIDE.work, "--", NODE, ...nodeArgs(layout, INSIDE.bundle));
      return { file: probeMechanism("bubblewrap").file ?? "bwrap", args, cwd: layout.workDir, env: {}, diesWithHost: true, ...(filter ? { inputs: [{ fd: SECCOMP_FD, data: filter }] } : {}) };
    }
    case "unshare": {
      if (layout.run) throw new Error("--allow-run needs full isolation (bubblewrap)");
      // Mount an empty tmpfs over every hidden path that exists (mode 0100: not listable, only
      // passable, to reach the run's own folder), bind that folder back in at its path (held open
      // as the working folder meanwhile), then run Node.
      const hidden = layout.hidden.filter((p) => existsSync(p));
      const run = layout.runDir ?? path.dirname(layout.bundleFile);
      // Also: no nested user namespace can be made (max_user_namespaces 0 in the sandbox's own),
      // and the host's name is not shown (its own UTS namespace, named "stui" where the hostname
      // program exists; /proc/sys/kernel/hostname is not writable from a user namespace). Red
      // team finding 19.
      const script = `set -e; echo 0 > /proc/sys/user/max_user_namespaces; if [ -n "$1" ]; then "$1" stui; fi; shift; here="$(pwd)"; run="$1"; shift; cd "$run"; while [ "$1" != "--" ]; do mount -t tmpfs -o size=64k,mode=100 stui-hidden "$1"; shift; done; shift; if [ ! -e "$run/script.mjs" ]; then mkdir -p "$run"; mount --no-canonicalize --bind . "$run"; fi; cd "$here"; exec "$@"`;
      // The shell is root in its user namespace (it must be, to mount); Node is not: setpriv takes
      // every capability away, bounding set included, before it starts, so the script can neither
      // unmount the tmpfs that hides the home nor mount anything (red team finding 14).
      const setpriv = probeMechanism("unshare").setpriv ?? "setpriv";
      const node = [setpriv, ...DROP_ALL_CAPS, "--", ...newSessionKeyring(), NODE, ...nodeArgs(layout, layout.bundleFile)];
      const inner = [probeMechanism("unshare").file ?? "unshare", ...UNSHARE_NAMESPACES, "--", "/bin/sh", "-c", script, "stui-sandbox", systemProgram("hostname").file ?? "", run, ...hidden, "--", ...node];
      // setpriv: unshare dies with the host (and --kill-child takes the sandbox with it).
      const outer = [setpriv, "--pdeathsig", "KILL", "--", ...inner];
      return { file: outer[0]!, args: outer.slice(1), cwd: layout.cwd ?? layout.workDir, diesWithHost: true, env: { ...layout.env, ...(layout.netSocket ? { [NET_SOCKET_ENV]: layout.netSocket } : {}) } };
    }
    case "permission-model": {
      if (layout.run) throw new Error("--allow-run needs full isolation (bubblewrap)");
      const node = [NODE, ...nodeArgs(layout, layout.bundleFile)];
      const setpriv = process.platform === "linux" && layout.parentDeathSignal !== false ? systemProgram("setpriv").file : undefined;
      const cmd = setpriv ? [setpriv, "--pdeathsig", "KILL", "--", ...node] : node;
      return { file: cmd[0]!, args: cmd.slice(1), cwd: layout.cwd ?? layout.workDir, diesWithHost: setpriv !== undefined, env: { ...layout.env, ...(layout.netSocket ? { [NET_SOCKET_ENV]: layout.netSocket } : {}) } };
    }
  }
}

/** The one line the host prints when a run is not fully isolated. */
export function isolationWarning(isolation: Isolation): string | undefined {
  if (isolation.level === "full") return undefined;
  return `stui: warning: ${isolation.level === "none" ? "no OS isolation" : "partial OS isolation"} for this script (${isolation.description})${isolation.reason ? `; because ${isolation.reason}` : ""}. See "The sandbox" in packages/plugins/README.md.`;
}
