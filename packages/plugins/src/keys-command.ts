// `stui keys`: this machine's CURVE keys, and the keys of other machines it trusts.
// The files and their formats are @stui/client/keys' (see its store.ts); this is only the
// command line over them.

import {
  StuiKeyError,
  isCurveKey,
  authorizeClient,
  ensureKeys,
  readAuthorizedKeys,
  readKeyPair,
  readKnownServers,
  revokeClient,
  stuiHome,
  trustServer,
} from "@stui/client/keys";

export const KEYS_HELP = `Usage: stui keys [show] [--json]
       stui keys authorize <client-public-key> [name]
       stui keys revoke <client-public-key | name>
       stui keys trust <endpoint> <server-public-key>

STUI servers answer only clients whose CURVE key they authorize. The keys live in the
STUI home, $STUI_HOME (default ~/.stui), readable by you only (folder 0700, files 0600):

  server.key_secret, server.key   this machine's server key pair (servers started here)
  client.key_secret, client.key   this machine's client key pair (@stui/client, stui)
  authorized_keys                 client keys servers here let in: one key a line, then a name
  known_servers                   server keys for other machines: "<endpoint> <key>" a line

They are created on first use (by this command, a client or a server), with this
machine's client key authorized: on one machine nothing needs doing. A secret key file
that others can read is refused.

Commands:
  show        (the default) the home, both public keys, authorized clients, known servers
  authorize   let a client in: run on the server's machine with the key that
              'stui keys' prints as "client public key" on the client's machine
  revoke      remove clients by key or by name (new connections are refused at once;
              connections already open stay open until they close)
  trust       on the client's machine: the server key to expect at <endpoint> (what
              'stui keys' prints as "server public key" on the server's machine)

A second machine, in three steps (no secret key ever leaves its machine):
  client machine:  stui keys                          note its client public key C
  server machine:  stui keys authorize 'C' laptop     and note its server public key S
  client machine:  stui keys trust tcp://server.example:5555 'S'
Quote keys in the shell: Z85 uses characters such as < > & $ ( ) * ? ! #. A key may
start with '-'; it is still read as a key, not as an option.

Options:
  --json       show as JSON: { home, serverPublicKey, clientPublicKey, authorizedKeys, knownServers }
  -h, --help   this help

Exit codes: 0 done, 1 the keys cannot be used (the message says which file and why),
2 usage error.
`;

export interface KeysIo {
  out(text: string): void;
  err(text: string): void;
}

/**
 * Options and positionals, read by hand: a Z85 key may start with '-' ("-x3…"), which
 * util.parseArgs would take for an option. Anything that is a CURVE key is a positional.
 */
function parseKeysArgs(args: string[]): { json: boolean; help: boolean; positionals: string[] } | string {
  const parsed = { json: false, help: false, positionals: [] as string[] };
  let optionsEnded = false;
  for (const arg of args) {
    if (optionsEnded || !arg.startsWith("-") || isCurveKey(arg)) parsed.positionals.push(arg);
    else if (arg === "--") optionsEnded = true;
    else if (arg === "--json") parsed.json = true;
    else if (arg === "--help" || arg === "-h") parsed.help = true;
    else return `unknown option ${arg}`;
  }
  return parsed;
}

/** Runs `stui keys <args>`; answers the exit code. */
export async function keysCommand(args: string[], io: KeysIo): Promise<number> {
  const usage = (message: string): number => {
    io.err(`stui keys: ${message}\nRun 'stui keys --help' for usage.`);
    return 2;
  };
  const parsed = parseKeysArgs(args);
  if (typeof parsed === "string") return usage(parsed);
  if (parsed.help) {
    io.out(KEYS_HELP);
    return 0;
  }
  const [command = "show", ...rest] = parsed.positionals;
  const home = stuiHome();
  try {
    switch (command) {
      case "show":
        if (rest.length > 0) return usage(`show takes no arguments`);
        show(home, parsed.json, io);
        return 0;
      case "authorize": {
        const [key, ...name] = rest;
        if (!key) return usage("authorize needs the client's public key");
        const added = authorizeClient(key, name.join(" "), home);
        io.out(added ? `authorized ${key}${name.length ? ` (${name.join(" ")})` : ""} in ${home}/authorized_keys` : `${key} was already authorized`);
        return 0;
      }
      case "revoke": {
        if (rest.length === 0) return usage("revoke needs a client public key or a name");
        const removed = revokeClient(rest.join(" "), home);
        if (removed.length === 0) {
          io.err(`stui keys: no authorized client has the key or name ${JSON.stringify(rest.join(" "))}`);
          return 1;
        }
        for (const entry of removed) io.out(`revoked ${entry.key}${entry.name ? ` (${entry.name})` : ""}`);
        return 0;
      }
      case "trust": {
        const [endpoint, key, ...extra] = rest;
        if (!endpoint || !key || extra.length > 0) return usage("trust needs an endpoint and the server's public key");
        const previous = trustServer(endpoint, key, home);
        io.out(previous && previous !== key ? `${endpoint}: server key changed from ${previous} to ${key}` : `${endpoint}: server key ${key}`);
        return 0;
      }
      default:
        return usage(`unknown keys command "${command}"`);
    }
  } catch (error) {
    if (!(error instanceof StuiKeyError)) throw error;
    io.err(`stui keys: ${error.message}`);
    return error.path === "" ? 2 : 1; // no file involved: the argument itself was bad

  }
}

function show(home: string, json: boolean, io: KeysIo): void {
  ensureKeys(home);
  const facts = {
    home,
    serverPublicKey: readKeyPair(home, "server").publicKey,
    clientPublicKey: readKeyPair(home, "client").publicKey,
    authorizedKeys: readAuthorizedKeys(home),
    knownServers: readKnownServers(home),
  };
  if (json) {
    io.out(JSON.stringify(facts));
    return;
  }
  const lines = [
    `STUI home: ${home}`,
    `server public key: ${facts.serverPublicKey}   (clients elsewhere: stui keys trust <endpoint> '<this key>')`,
    `client public key: ${facts.clientPublicKey}   (servers elsewhere: stui keys authorize '<this key>' <name>)`,
    `authorized clients (authorized_keys): ${facts.authorizedKeys.length === 0 ? "none" : ""}`,
    ...facts.authorizedKeys.map((e) => `  ${e.key}  ${e.name}`.trimEnd()),
    `known servers (known_servers): ${facts.knownServers.length === 0 ? "none" : ""}`,
    ...facts.knownServers.map((e) => `  ${e.endpoint}  ${e.key}`),
  ];
  io.out(lines.join("\n"));
}
