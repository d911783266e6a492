// `stui repl`: the command line of the interactive workspace (repl.ts does the work).

import { UsageError, connectTimeout, endpointOption, parse, type CliIo } from "./cli-args.js";
import { EXIT } from "./exit-codes.js";

export const REPL_USAGE = `Usage: stui repl [--endpoint <url>] [--json]

An interactive Smalltalk workspace on a new session (closed when you leave).
Input continues over several lines until brackets, strings and comments balance.
History is kept in $STUI_HOME/repl_history (default ~/.stui/repl_history).
The REPL runs what you type, so it needs no --allow flags.
Tab completes names and selectors, and Ctrl-C stops a running evaluation, when the server
speaks protocol 1.2 (code.complete, evaluate.cancel).

Options:
  --endpoint <url>   server endpoint (default: STUI_ENDPOINT, else tcp://127.0.0.1:5555)
  --json             one JSON object per result, for piping
  -h, --help         this help

`;

export async function replCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, { endpoint: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    io.out(REPL_USAGE);
    return EXIT.ok;
  }
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument "${positionals[0]}" (to evaluate one expression: stui eval '<code>')`);
  }
  const endpoint = endpointOption(values.endpoint);
  const [{ runRepl }, { clientConnector }] = await Promise.all([import("./repl.js"), import("./connect.js")]);
  return runRepl({
    connect: clientConnector(endpoint),
    endpoint,
    input: process.stdin,
    output: process.stdout,
    errorOutput: process.stderr,
    terminal: process.stdin.isTTY === true && process.stdout.isTTY === true,
    connectTimeoutMs: connectTimeout(),
    json: values.json === true,
  });
}
