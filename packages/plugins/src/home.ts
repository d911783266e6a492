// The STUI home: history, the bundle cache and (with server authentication) the client's keys.
// The sandboxed script may never see it; isolation.ts and grants.ts keep it out.

import { homedir } from "node:os";
import path from "node:path";

export function stuiHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.STUI_HOME ? path.resolve(env.STUI_HOME) : path.join(homedir(), ".stui");
}
