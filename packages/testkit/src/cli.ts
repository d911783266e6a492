import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { stuiHome } from "@stui/client/keys";
import { COMMAND_NAMES, isCommandName } from "@stui/client/protocol";
import { startTestServer, type TestHandlers } from "./test-server.js";

/**
 * The commands a Smalltalk image answers (the schema's, but ping, session.* and evaluate.cancel,
 * which this server answers itself), wrapped for the help text.
 */
export const SMALLTALK_COMMANDS = COMMAND_NAMES.filter((m) => m !== "ping" && !m.startsWith("session.") && m !== "evaluate.cancel");

function wrapped(words: readonly string[], width = 90): string {
  const lines: string[] = [""];
  for (const w of words) {
    const line = lines[lines.length - 1]!;
    if (line && line.length + 1 + w.length > width) lines.push(w);
    else lines[lines.length - 1] = line ? `${line} ${w}` : w;
  }
  return lines.join("\n");
}

export const HELP = `Usage: stui-test-server [options]

Starts the STUI reference test server (@stui/testkit) on a ZeroMQ ROUTER socket and serves
until SIGINT or SIGTERM.

It is NOT a Smalltalk image. The protocol tier is real: envelope and params validation, size
limit, protocol versions, sessions (create/restore/close/list, idle expiry), ping and the reply
cache, and evaluate.cancel of requests that are running. Every Smalltalk command
${wrapped(`(${SMALLTALK_COMMANDS.join(", ")}) answers internalError "no Smalltalk image behind this test server" unless a handlers module scripts it.`.split(" "))}

Options:
  --endpoint <endpoint>  where to bind (default tcp://127.0.0.1:5555; tcp://127.0.0.1:* picks a
                         free port; ipc:///path/to/socket works too)
  --handlers <module>    a .ts or .js module whose default export is an object of handlers by
                         method name (the TestHandlers type of @stui/testkit),
                         e.g. packages/testkit/examples/scripted-handlers.ts
  --name <name>          the server name reported by ping and session.create
                         (default stui-test-server)
  --no-auth              serve WITHOUT authentication: every local user can then drive
                         the server. Loopback endpoints only (refused anywhere else);
                         clients must connect with curve: false
  -h, --help             print this help and exit

Authentication (the default): clients must use CURVE with a key listed in authorized_keys
of the STUI home ($STUI_HOME, default ~/.stui); the server key is the home's
server.key_secret. Both are created on first use, with this machine's client key
authorized, so @stui/client and stui on this machine connect with no setup. Other
machines: see \`stui keys --help\`. A peer that fails the handshake gets no answer.

When ready it prints "stui-test-server listening on <endpoint>" (the real endpoint) on stdout.
Exit codes: 0 stopped by a signal, 2 bad arguments or handlers module, 1 could not start.
`;

/** Runs the CLI; resolves with the exit code once the server stopped. */
export async function main(argv: string[], io: { out: (text: string) => void; err: (text: string) => void } = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
}): Promise<number> {
  let values: { endpoint?: string | undefined; handlers?: string | undefined; name?: string | undefined; "no-auth"?: boolean | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        endpoint: { type: "string" },
        handlers: { type: "string" },
        name: { type: "string" },
        "no-auth": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.err(`stui-test-server: ${error instanceof Error ? error.message : String(error)}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    io.out(HELP);
    return 0;
  }

  let handlers: TestHandlers | undefined;
  if (values.handlers !== undefined) {
    try {
      handlers = await loadHandlers(values.handlers);
    } catch (error) {
      io.err(`stui-test-server: --handlers ${values.handlers}: ${error instanceof Error ? error.message : String(error)}\n`);
      return 2;
    }
  }

  const authentication = values["no-auth"] ? "none" : "curve";
  const home = stuiHome();
  let server;
  try {
    server = await startTestServer({
      endpoint: values.endpoint ?? "tcp://127.0.0.1:5555",
      ...(handlers ? { handlers } : {}),
      ...(values.name !== undefined ? { name: values.name } : {}),
      authentication,
      home,
    });
  } catch (error) {
    io.err(`stui-test-server: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  const scripted = handlers ? Object.keys(handlers).join(", ") : "none";
  if (authentication === "none") {
    io.err(`stui-test-server: WARNING: no authentication (--no-auth): every local user can drive this server at ${server.endpoint}\n`);
  }
  const auth = authentication === "curve" ? `CURVE, authorized_keys in ${home}` : "NONE";
  io.out(`stui-test-server listening on ${server.endpoint} (handlers: ${scripted}; authentication: ${auth})\n`);

  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once("SIGINT", () => done("SIGINT"));
    process.once("SIGTERM", () => done("SIGTERM"));
  });
  await server.close();
  io.out(`stui-test-server stopped (${signal})\n`);
  return 0;
}

async function loadHandlers(path: string): Promise<TestHandlers> {
  const module = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
  const handlers = module.default;
  if (handlers === null || typeof handlers !== "object") throw new Error("the module has no default export of handlers (an object by method name)");
  for (const [name, handler] of Object.entries(handlers)) {
    if (!isCommandName(name)) throw new Error(`'${name}' is not a command (known: ${COMMAND_NAMES.join(", ")})`);
    if (typeof handler !== "function") throw new Error(`the handler for '${name}' is not a function`);
  }
  return handlers as TestHandlers;
}
