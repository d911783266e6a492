// The run's status and exit code, from what the host saw: 3 and 4 only for refusals and lost
// connections the host itself observed (or, for the sandbox's own refusals, that the grants bear
// out); the failure said so a person can read it.

import { accessDenial } from "./access-denial.js";
import { isAuthenticationFailure } from "./connection.js";
import { formatDuration, type Observed, type Run, type RunStatus, type RunSummary } from "./run-state.js";
import { formatScriptError } from "./script-error.js";

/** The run's status from what the host saw; 3 and 4 only for what the host itself saw. */
export function verdict(run: Run, o: Observed): RunSummary {
  const { summary, log, finish } = run;
  summary.calls = o.broker.calls;
  summary.denied = o.broker.denied;
  if (o.broker.deniedTotal > o.broker.denied.length) summary.deniedOmitted = o.broker.deniedTotal - o.broker.denied.length;
  summary.sessionsOpened = o.broker.sessionsOpened;
  const reported = o.reported;
  if (reported) summary.error = { message: reported.message, ...(reported.code ? { code: reported.code } : {}), ...(reported.kind ? { kind: reported.kind } : {}) };
  if (o.aborted) return finish("interrupted");
  if (o.timedOut) {
    log(`stui: the script ran longer than ${formatDuration(run.options.timeoutMs ?? 0)} and was killed`);
    return finish("timeout");
  }
  const fail = (message: string, status: RunStatus = "scriptError"): RunSummary => {
    log(`stui: ${message}`);
    summary.error = { message };
    return finish(status);
  };
  if (o.exit.startError) return fail(`could not start the sandbox: ${o.exit.startError}`);
  if (o.hostError) return fail(`the host ended the script: ${o.hostError}`);
  if (o.exit.channelError) return fail(`the script broke its channel to the host and was ended: ${o.exit.channelError}`);
  if (o.refusedPlugin) return fail(o.refusedPlugin);
  if (reported) {
    const denial = o.broker.sawDenial(reported);
    if (denial) {
      log(`stui: ${denial.message ?? reported.message}`);
      return finish("permissionDenied");
    }
    if (reported.code === "ECONNECTION" && o.broker.connectionFailed) {
      log(`stui: server unreachable: ${o.broker.connectionFailed.message}`);
      if (isAuthenticationFailure(o.broker.connectionFailed)) summary.error = { ...summary.error!, authentication: true };
      return finish("unreachable");
    }
    const netDenied = new Set((run.net?.events ?? []).filter((e) => e.denied).map((e) => `${e.host.includes(":") ? `[${e.host}]` : e.host}:${e.port}`));
    const refused = accessDenial(reported, { read: run.read, write: run.write, run: run.options.run, cwd: run.sandboxCwd, netDenied, netGranted: run.net !== undefined });
    if (refused) {
      log(`stui: ${refused.message}`);
      summary.denied.push({ method: refused.grant, permission: refused.grant, reason: "not-granted", message: refused.message, ...(refused.resource ? { resource: refused.resource } : {}) });
      return finish("permissionDenied");
    }
    log(formatScriptError(reported, { sources: run.sources, cwd: process.cwd() }));
    return finish("scriptError");
  }
  if (o.exit.code === 0) return finish("ok");
  return fail(`the script ${o.exit.signal ? `was killed by ${o.exit.signal}` : `exited with code ${o.exit.code}`}`);
}
