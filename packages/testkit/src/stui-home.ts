/** Temporary STUI homes for tests: never the real ~/.stui. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ensureKeys } from "@stui/client/keys";

export interface TemporaryStuiHome {
  /** The home folder (mode 0700) with both key pairs and authorized_keys (this home's client key). */
  readonly path: string;
  /** Deletes it. */
  remove(): void;
}

/** A fresh STUI home in the temp folder, with its keys already made (as on first use). */
export function temporaryStuiHome(prefix = "stui-home-"): TemporaryStuiHome {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  ensureKeys(dir);
  return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
