// The names of the runs' private folders under $STUI_HOME/runs, and the sweep of those whose
// host is gone. A host killed by a signal it cannot catch (SIGKILL, the OOM killer, a machine
// that lost power) leaves its folder, with the copy of its bundle (red team 2, finding 9: four
// after one session). Each folder is named for the host that made it (machine name and pid),
// and each run removes, before it makes its own, the folders of this machine whose pid is no
// longer alive. A folder whose pid is alive again (reused) is kept: the sweep errs on keeping.
// Folders of other machines (a STUI home on a shared disk) and of older versions are left alone.

import { hostname } from "node:os";
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";

/** This machine's name as it may appear in a folder name. */
const machine = (): string => hostname().replace(/[^A-Za-z0-9.]/g, "_").slice(0, 48) || "host";

/** The prefix of this host's run folders (mkdtemp adds six characters). */
export function runFolderPrefix(pid: number = process.pid): string {
  return `stui-run-${machine()}-${pid}-`;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM"; // another user's live process
  }
};

/** Remove the run folders under `runs` that a host of this machine left when it died; answers how many. */
export function sweepRunFolders(runs: string): number {
  const mine = new RegExp(`^stui-run-${machine().replace(/\./g, "\\.")}-(\\d+)-[^-/]{6}$`);
  let swept = 0;
  let names: string[];
  try {
    names = readdirSync(runs);
  } catch {
    return 0;
  }
  for (const name of names) {
    const pid = Number(mine.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    try {
      rmSync(path.join(runs, name), { recursive: true, force: true });
      swept++;
    } catch {
      // Not ours to remove after all (permissions): left as it is.
    }
  }
  return swept;
}
