// The child dies with the host even where nothing in the OS ties it to the host (red team
// finding 12). bubblewrap (--die-with-parent) and setpriv (--pdeathsig KILL) ask the kernel to
// kill the sandbox when the host dies; without them (macOS, Linux without util-linux) the
// sandbox's runtime ends the script when its channel closes, which a script defeats by replacing
// process.exit or by never yielding to its event loop. So there, a watchdog does it from outside:
// a small Node process, in a process group of its own, that holds the read end of a pipe from
// the host. The host never writes to it; when the host dies, however it dies, the kernel closes
// the pipe, and the watchdog kills the sandbox's process group. The host kills the watchdog when
// the sandbox ends first (so a later process that reuses the group's number is never hit).

import { spawn } from "node:child_process";

const WATCHDOG = `
const group = Number(process.argv[1]);
process.stdin.on("data", () => {});
process.stdin.on("end", () => { try { process.kill(-group, "SIGKILL"); } catch {} process.exit(0); });
process.stdin.on("error", () => { try { process.kill(-group, "SIGKILL"); } catch {} process.exit(0); });
`;

export interface Watchdog {
  /** The sandbox ended on its own: the watchdog goes, without touching the group. */
  stop(): void;
}

/** Watch over the process group `group` (the sandbox, started detached): it is killed when this process dies. */
export function startWatchdog(group: number): Watchdog {
  const dog = spawn(process.execPath, ["-e", WATCHDOG, String(group)], { stdio: ["pipe", "ignore", "ignore"], detached: true, env: {} });
  dog.on("error", () => undefined);
  dog.stdin?.on("error", () => undefined);
  dog.unref();
  (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return {
    stop() {
      dog.kill("SIGKILL");
    },
  };
}
