// The `stui` command line: run, check, eval, repl, list. Every command answers --help; exit
// codes are the EXIT table (exit-codes.ts), printed by `stui --help`. Each command lives in
// its own module (run-command.ts, …), loaded only when it is the one asked for.

import { readFileSync } from "node:fs";
import { PROTOCOL_VERSION } from "@stui/client/protocol";
import { UsageError, defaultIo, parse, usage, type CliIo } from "./cli-args.js";
import { EXIT, EXIT_CODES_HELP } from "./exit-codes.js";
import { CHECK_USAGE, checkCommand } from "./check-command.js";
import { EVAL_USAGE, evalCommand } from "./eval-command.js";
import { KEYS_HELP, keysCommand } from "./keys-command.js";
import { LIST_USAGE, listCommand } from "./list-command.js";
import { REPL_USAGE, replCommand } from "./repl-command.js";
import { runCommand, runHelp } from "./run-command.js";
import { CacheError } from "./bundle-cache.js";

export type { CliIo } from "./cli-args.js";

export const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

const MAIN_HELP = `stui ${VERSION}: run TypeScript automation scripts against a live Pharo image (STUI protocol ${PROTOCOL_VERSION})

Usage:
  stui run <script.ts|.js|plugin-name> [options] [-- script args]
  stui check <script.ts>… [--json]
  stui eval '<Smalltalk>' [--endpoint <url>] [--timeout <time>] [--json]
  stui repl [--endpoint <url>] [--json]
  stui list [--json]
  stui keys [show | authorize | revoke | trust]
  stui help [command]

Commands:
  run     run a script or plugin in a sandbox; it reaches Pharo only through this host,
          which checks every call against the permissions you grant
  check   type-check scripts as \`stui run\` sees them (the global \`stui\`, @stui/plugins, Node)
  eval    evaluate one Smalltalk expression in a new session and print its value
  repl    an interactive Smalltalk workspace on a session
  list    the plugins in the project's plugin folder, with their declared permissions
  keys    this machine's CURVE keys, and which clients and servers it trusts (stui keys --help)

Options:
  -h, --help     help for stui or a command
  -v, --version  print the version (with --json: name, version, protocol)

Environment:
  STUI_ENDPOINT            server endpoint when --endpoint is absent (default tcp://127.0.0.1:5555)
  STUI_HOME                where keys, history and the bundle cache live (default ~/.stui)
  STUI_PLUGIN_PATH         plugin folders (overrides package.json "stui": { "plugins": … } and ./stui-plugins)
  STUI_CONNECT_TIMEOUT_MS  how long the first ping may take (default 5000)
  STUI_ISOLATION           how \`stui run\` isolates scripts: auto (default: the strongest available),
                           bubblewrap, unshare or permission-model (an unavailable one is an error)

${EXIT_CODES_HELP}
`;

/** Each command: its help text and what runs it. */
const COMMANDS: Record<string, { help: () => string; run: (argv: string[], io: CliIo) => Promise<number> }> = {
  run: { help: runHelp, run: runCommand },
  check: { help: () => CHECK_USAGE, run: checkCommand },
  eval: { help: () => EVAL_USAGE, run: evalCommand },
  repl: { help: () => REPL_USAGE, run: replCommand },
  list: { help: () => LIST_USAGE, run: listCommand },
  keys: { help: () => KEYS_HELP, run: keysCommand },
};

export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof UsageError) return usage(argv[0] && !argv[0].startsWith("-") ? argv[0] : "stui", error.message, io.err);
    // A STUI home stui cannot use safely (a folder of another user's, a file where a folder should be).
    if (error instanceof CacheError) {
      io.err(`stui: ${error.message}; check STUI_HOME (${process.env.STUI_HOME ?? "~/.stui"})`);
      return EXIT.usage;
    }
    throw error;
  }
}

async function dispatch(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      io.err(MAIN_HELP);
      return EXIT.usage;
    case "-h":
    case "--help":
      io.out(MAIN_HELP);
      return EXIT.ok;
    case "help": {
      const topic = rest[0];
      if (topic === undefined) {
        io.out(MAIN_HELP);
        return EXIT.ok;
      }
      const known = COMMANDS[topic];
      if (!known) return usage("stui", `unknown command "${topic}"`, io.err);
      io.out(known.help());
      return EXIT.ok;
    }
    case "-v":
    case "--version": {
      const { values } = parse(rest, { json: { type: "boolean" } });
      io.out(values.json ? JSON.stringify({ name: "@stui/plugins", version: VERSION, protocolVersion: PROTOCOL_VERSION }) : `stui ${VERSION} (protocol ${PROTOCOL_VERSION})`);
      return EXIT.ok;
    }
    default: {
      const known = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
      if (!known) return usage("stui", command.startsWith("-") ? `unknown option ${command}` : `unknown command "${command}"`, io.err);
      return known.run(rest, io);
    }
  }
}
