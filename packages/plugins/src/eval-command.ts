// `stui eval '<Smalltalk>'`: one evaluation in a new session, for shell one-liners. Prints the
// value's printString (--json: one JSON object); exit codes as `stui run`'s. Like the REPL, it
// runs what you typed yourself, so it needs no --allow flags.

import { UsageError, connectTimeout, endpointOption, parse, parseDuration, type CliIo } from "./cli-args.js";
import { EXIT, EXIT_CODES_HELP, type ExitCode } from "./exit-codes.js";

export const EVAL_USAGE = `Usage: stui eval '<Smalltalk>' [--endpoint <url>] [--timeout <time>] [--json]
       stui eval - [options]          (the code from stdin)

Evaluates Smalltalk in a new session (closed afterwards) and prints the value's printString,
after what the evaluation wrote to the Transcript (protocol 1.2 servers say what that was).
An evaluation error prints the exception and its Smalltalk frames, a syntax error points at
the line and column; both exit 1. Like the REPL it runs what you typed, so it needs no
--allow flags.

Options:
  --endpoint <url>   server endpoint (default: STUI_ENDPOINT, else tcp://127.0.0.1:5555)
  --timeout <time>   give up after <time> (30s, 500ms, 2m): exit 124; the server is asked to stop
                     the evaluation at that limit too, and (protocol 1.2) to cancel it then; Ctrl-C
                     cancels it the same way
  --json             one JSON object on stdout: { "ok": true, "value": { "printString", "className",
                     "truncated" }, "durationMs", "output"?: { "text", "truncated" } } or
                     { "ok": false, "error": { "code", "kind"?, "message", "data"? } }
  -h, --help         this help

${EXIT_CODES_HELP}
`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The exit code for a failed evaluation, from the error's code and kind (what the host itself got). */
function exitFor(error: { code?: string; kind?: string }): ExitCode {
  if (error.code === "ECONNECTION") return EXIT.unreachable;
  if (error.kind === "permissionDenied") return EXIT.permissionDenied;
  if (error.kind === "timeout" || error.code === "ETIMEOUT") return EXIT.timeout;
  return EXIT.scriptError;
}

export async function evalCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, { endpoint: { type: "string" }, timeout: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    io.out(EVAL_USAGE);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError("missing the Smalltalk code to evaluate (stui eval '3 + 4', or - for stdin)");
  if (positionals.length > 1) throw new UsageError(`expected one argument (the code, quoted), got ${positionals.length}: quote it, e.g. stui eval '${positionals.join(" ")}'`);
  const timeoutMs = values.timeout !== undefined ? parseDuration(values.timeout) : undefined;
  const endpoint = endpointOption(values.endpoint);
  const code = positionals[0] === "-" ? (await readStdin()).replace(/\r?\n$/, "") : positionals[0]!;
  if (code.trim() === "") throw new UsageError("the code to evaluate is empty");
  const [{ evaluateOnce }, { clientConnector }] = await Promise.all([import("./evaluate-once.js"), import("./connect.js")]);

  const interrupt = new AbortController();
  const onSigint = (): void => interrupt.abort();
  process.on("SIGINT", onSigint);
  try {
    const outcome = await evaluateOnce({ connect: clientConnector(endpoint), code, timeoutMs, connectTimeoutMs: connectTimeout(), signal: interrupt.signal });
    if (values.json) io.out(JSON.stringify(outcome.json));
    switch (outcome.kind) {
      case "value":
        if (!values.json) io.out(outcome.text);
        return EXIT.ok;
      case "error":
        if (!values.json) io.err(outcome.text);
        return exitFor(outcome.error);
      case "unreachable":
        io.err(
          outcome.authentication
            ? `stui: the connection to ${endpoint} failed on authentication (a key problem, not a missing server): ${outcome.message}`
            : `stui: server unreachable at ${endpoint}: ${outcome.message}\nstui: is a STUI server running at ${endpoint}? (set --endpoint or STUI_ENDPOINT)`,
        );
        return EXIT.unreachable;
      case "timeout":
        io.err(`stui: no answer within ${values.timeout}: gave up (the server was asked to stop the evaluation)`);
        return EXIT.timeout;
      case "interrupted":
        return EXIT.interrupted;
    }
  } finally {
    process.off("SIGINT", onSigint);
  }
}
