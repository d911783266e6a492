/**
 * The two lists of other parties' public keys, one entry a line, `#` comments, like ssh's
 * authorized_keys and known_hosts:
 *
 *   authorized_keys   the clients a server on this machine lets in
 *                     <client public key, 40 Z85 characters> [a name, up to the end of the line]
 *   known_servers     the server key a client expects at an endpoint
 *                     <endpoint> <server public key, 40 Z85 characters>
 *
 * A malformed line is an error naming the file and line: a list of keys is not guessed at.
 */
import { StuiKeyError } from "./private-files.js";
import { isCurveKey } from "./z85.js";

export interface AuthorizedKey {
  /** The client's public key (Z85). */
  key: string;
  /** What the line calls it ("" when it names nothing). */
  name: string;
}

export interface KnownServer {
  endpoint: string;
  /** The server's public key (Z85). */
  key: string;
}

export const AUTHORIZED_KEYS_HEADER =
  "# STUI: the clients that servers on this machine let in (stui keys authorize / revoke).\n" +
  "# One client CURVE public key (40 Z85 characters) a line, then an optional name.\n";

export const KNOWN_SERVERS_HEADER =
  "# STUI: the server key a client expects at an endpoint (stui keys trust).\n" +
  "# One endpoint a line, then that server's CURVE public key (40 Z85 characters).\n";

function entries(text: string): { fields: string[]; rest: string; line: number }[] {
  const found: { fields: string[]; rest: string; line: number }[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const [first = "", ...others] = line.split(/\s+/);
    found.push({ fields: [first, ...others], rest: line.slice(first.length).trim(), line: index + 1 });
  });
  return found;
}

export function parseAuthorizedKeys(text: string, file: string): AuthorizedKey[] {
  return entries(text).map(({ fields, rest, line }) => {
    if (!isCurveKey(fields[0])) throw new StuiKeyError(`${file}:${line}: expected a CURVE public key (40 Z85 characters) at the start of the line`, file);
    return { key: fields[0], name: rest };
  });
}

export function formatAuthorizedKey(entry: AuthorizedKey): string {
  return entry.name ? `${entry.key} ${entry.name.replace(/\s+/g, " ")}` : entry.key;
}

export function parseKnownServers(text: string, file: string): KnownServer[] {
  return entries(text).map(({ fields, line }) => {
    if (fields.length !== 2 || !isCurveKey(fields[1])) {
      throw new StuiKeyError(`${file}:${line}: expected "<endpoint> <server public key>" (the key is 40 Z85 characters)`, file);
    }
    return { endpoint: fields[0]!, key: fields[1] };
  });
}

export function formatKnownServer(entry: KnownServer): string {
  return `${entry.endpoint} ${entry.key}`;
}
