/**
 * The STUI home (`$STUI_HOME`, default `~/.stui`, mode 0700) and the keys in it (mode 0600):
 *
 *   server.key_secret   this machine's server key pair (servers started here use it)
 *   server.key          its public half, to give to clients on other machines
 *   client.key_secret   this machine's client key pair (connect() and `stui` use it)
 *   client.key          its public half, to give to servers on other machines
 *   authorized_keys     the client keys servers here let in; starts with this machine's client key
 *   known_servers       the server key to expect at other machines' endpoints
 *
 * Everything is created on first use by whichever comes first (a client, a server, `stui keys`),
 * so on one machine nothing needs setting up. Creation is safe when several processes race.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import * as zmq from "zeromq";
import { formatCertificate, parseCertificate, type KeyPair } from "./certificate.js";
import {
  AUTHORIZED_KEYS_HEADER,
  KNOWN_SERVERS_HEADER,
  formatAuthorizedKey,
  formatKnownServer,
  parseAuthorizedKeys,
  parseKnownServers,
  type AuthorizedKey,
  type KnownServer,
} from "./key-lists.js";
import { StuiKeyError, checkSecretFile, checkTrustedPath, createPrivateFile, ensurePrivateDir, replacePrivateFile } from "./private-files.js";
import { isCurveKey } from "./z85.js";

export const KEY_FILES = {
  serverSecret: "server.key_secret",
  serverPublic: "server.key",
  clientSecret: "client.key_secret",
  clientPublic: "client.key",
  authorizedKeys: "authorized_keys",
  knownServers: "known_servers",
} as const;

/** The STUI home: `STUI_HOME` (made absolute), else `~/.stui`. */
export function stuiHome(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env["STUI_HOME"];
  return configured ? path.resolve(configured) : path.join(homedir(), ".stui");
}

type Role = "server" | "client";

const secretFile = (home: string, role: Role): string => path.join(home, role === "server" ? KEY_FILES.serverSecret : KEY_FILES.clientSecret);
const publicFile = (home: string, role: Role): string => path.join(home, role === "server" ? KEY_FILES.serverPublic : KEY_FILES.clientPublic);

/**
 * Creates the home and whatever keys are missing in it; answers the files it created. The first
 * client key also goes into authorized_keys, so this machine's clients reach its servers.
 */
export function ensureKeys(home: string = stuiHome()): string[] {
  ensurePrivateDir(home);
  const created: string[] = [];
  for (const role of ["server", "client"] as const) {
    const secret = secretFile(home, role);
    if (!existsSync(secret)) {
      const fresh = zmq.curveKeyPair();
      if (createPrivateFile(secret, formatCertificate("secret", fresh, role))) {
        created.push(secret);
        if (role === "client") {
          const list = path.join(home, KEY_FILES.authorizedKeys);
          const line = formatAuthorizedKey({ key: fresh.publicKey, name: `this machine's client key (created ${new Date().toISOString()})` });
          if (createPrivateFile(list, `${AUTHORIZED_KEYS_HEADER}${line}\n`)) created.push(list);
        }
      }
    }
    const pair = readKeyPair(home, role);
    const pub = publicFile(home, role);
    if (!existsSync(pub) && createPrivateFile(pub, formatCertificate("public", pair, role))) created.push(pub);
  }
  return created;
}

/** Reads a key pair from its secret certificate, refusing one that others can read. */
export function readKeyPair(home: string, role: Role): KeyPair {
  const file = secretFile(home, role);
  checkSecretFile(file);
  const { publicKey, secretKey } = parseCertificate(readFileSync(file, "utf8"), file);
  if (secretKey === undefined) throw new StuiKeyError(`${file} has no secret-key line`, file);
  return { publicKey, secretKey };
}

function readList(home: string, name: string): { file: string; text: string } | undefined {
  const file = path.join(home, name);
  if (!existsSync(file)) return undefined;
  checkTrustedPath(file);
  return { file, text: readFileSync(file, "utf8") };
}

/** The client keys servers on this machine let in (none when the file is missing). */
export function readAuthorizedKeys(home: string = stuiHome()): AuthorizedKey[] {
  const list = readList(home, KEY_FILES.authorizedKeys);
  return list ? parseAuthorizedKeys(list.text, list.file) : [];
}

/** The server keys recorded for other machines' endpoints. */
export function readKnownServers(home: string = stuiHome()): KnownServer[] {
  const list = readList(home, KEY_FILES.knownServers);
  return list ? parseKnownServers(list.text, list.file) : [];
}

/** What a client needs to connect with CURVE, and where the server key came from (for error messages). */
export interface ClientCurveKeys {
  serverKey: string;
  publicKey: string;
  secretKey: string;
  /** "known_servers" when the endpoint is listed there, else "this machine's server key". */
  serverKeySource: string;
}

/**
 * The keys a client uses for an endpoint: this machine's client key pair, and the server key
 * known_servers lists for the endpoint (exact match), else this machine's own server key.
 */
export function clientKeysFor(endpoint: string, home: string = stuiHome()): ClientCurveKeys {
  ensureKeys(home);
  const client = readKeyPair(home, "client");
  const known = readKnownServers(home).find((entry) => entry.endpoint === endpoint);
  if (known) return { serverKey: known.key, publicKey: client.publicKey, secretKey: client.secretKey, serverKeySource: `${KEY_FILES.knownServers} in ${home}` };
  const server = readKeyPair(home, "server");
  return { serverKey: server.publicKey, publicKey: client.publicKey, secretKey: client.secretKey, serverKeySource: `this machine's server key (${home}; no entry for the endpoint in ${KEY_FILES.knownServers})` };
}

function checkKey(key: string, what: string): void {
  if (!isCurveKey(key)) throw new StuiKeyError(`${what} must be a CURVE public key: 40 Z85 characters (as \`stui keys\` prints them)`, "");
}

/** Adds a client key to authorized_keys; answers false when it was already there. */
export function authorizeClient(key: string, name: string, home: string = stuiHome()): boolean {
  checkKey(key, "the client key");
  ensureKeys(home);
  if (readAuthorizedKeys(home).some((entry) => entry.key === key)) return false;
  editList(home, KEY_FILES.authorizedKeys, AUTHORIZED_KEYS_HEADER, (lines) => [...lines, formatAuthorizedKey({ key, name })]);
  return true;
}

/** Removes the entries whose key or name is `keyOrName`; answers them. Other lines stay as they are. */
export function revokeClient(keyOrName: string, home: string = stuiHome()): AuthorizedKey[] {
  const file = path.join(home, KEY_FILES.authorizedKeys);
  const matches = (entry: AuthorizedKey): boolean => entry.key === keyOrName || (entry.name !== "" && entry.name === keyOrName);
  const removed = readAuthorizedKeys(home).filter(matches);
  if (removed.length > 0) {
    editList(home, KEY_FILES.authorizedKeys, AUTHORIZED_KEYS_HEADER, (lines) => lines.filter((line) => !parseAuthorizedKeys(line, file).some(matches)));
  }
  return removed;
}

/** Records the server key to expect at an endpoint (replacing an earlier one); answers the key it replaced. */
export function trustServer(endpoint: string, key: string, home: string = stuiHome()): string | undefined {
  checkKey(key, "the server key");
  if (!/^(tcp|ipc):\/\/\S+$/.test(endpoint)) throw new StuiKeyError(`expected an endpoint such as tcp://host:5555, not ${JSON.stringify(endpoint)}`, "");
  ensureKeys(home);
  const file = path.join(home, KEY_FILES.knownServers);
  const previous = readKnownServers(home).find((entry) => entry.endpoint === endpoint)?.key;
  editList(home, KEY_FILES.knownServers, KNOWN_SERVERS_HEADER, (lines) => [
    ...lines.filter((line) => !parseKnownServers(line, file).some((entry) => entry.endpoint === endpoint)),
    formatKnownServer({ endpoint, key }),
  ]);
  return previous;
}

/** Rewrites a list through `edit`, which gets and answers its lines; comments and order survive. */
function editList(home: string, name: string, header: string, edit: (lines: string[]) => string[]): void {
  const file = path.join(home, name);
  const text = existsSync(file) ? readFileSync(file, "utf8") : header;
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  replacePrivateFile(file, edit(lines).map((line) => `${line}\n`).join(""));
}
