import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import * as zmq from "zeromq";
import {
  KEY_FILES,
  StuiKeyError,
  authorizeClient,
  clientKeysFor,
  ensureKeys,
  parseCertificate,
  readAuthorizedKeys,
  readKeyPair,
  revokeClient,
  stuiHome,
  trustServer,
  z85Decode,
  z85Encode,
} from "./index.js";

const homes: string[] = [];
function freshHome(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "stui-keys-test-"));
  homes.push(dir);
  return path.join(dir, "home"); // not created yet: ensureKeys must make it
}
afterEach(() => {
  for (const dir of homes.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const mode = (file: string): number => statSync(file).mode & 0o777;
const posixIt = process.platform === "win32" ? it.skip : it;

describe("z85", () => {
  it("encodes and decodes the example of RFC 32", () => {
    const bytes = Uint8Array.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
    expect(z85Encode(bytes)).toBe("HelloWorld");
    expect(z85Decode("HelloWorld")).toEqual(bytes);
  });

  it("round-trips keys libzmq made", () => {
    for (let i = 0; i < 20; i++) {
      const { publicKey, secretKey } = zmq.curveKeyPair();
      expect(z85Encode(z85Decode(publicKey))).toBe(publicKey);
      expect(z85Decode(secretKey)).toHaveLength(32);
    }
  });

  it("refuses text that is not Z85", () => {
    expect(() => z85Decode("Hello World")).toThrow(RangeError); // a space is not in the alphabet
    expect(() => z85Decode("abcd")).toThrow(RangeError);
    expect(() => z85Decode("#####")).toThrow(/larger than 4 bytes/);
  });
});

describe("the STUI home", () => {
  it("is STUI_HOME made absolute, else ~/.stui", () => {
    expect(stuiHome({ STUI_HOME: "rel/dir" })).toBe(path.resolve("rel/dir"));
    expect(stuiHome({})).toMatch(/\.stui$/);
  });

  posixIt("is created owner-only with both key pairs, and this machine's client key authorized", () => {
    const home = freshHome();
    const created = ensureKeys(home);
    expect(created.map((f) => path.basename(f)).sort()).toEqual(
      [KEY_FILES.authorizedKeys, KEY_FILES.clientPublic, KEY_FILES.clientSecret, KEY_FILES.serverPublic, KEY_FILES.serverSecret].sort(),
    );
    expect(mode(home)).toBe(0o700);
    for (const file of created) expect(mode(file), file).toBe(0o600);
    const client = readKeyPair(home, "client");
    expect(readAuthorizedKeys(home).map((e) => e.key)).toEqual([client.publicKey]);
    // The public certificate carries the same public key, and no secret.
    const pub = parseCertificate(readFileSync(path.join(home, KEY_FILES.clientPublic), "utf8"), "client.key");
    expect(pub).toEqual({ publicKey: client.publicKey, secretKey: undefined });
    expect(ensureKeys(home)).toEqual([]); // a second call changes nothing
    expect(readKeyPair(home, "client")).toEqual(client);
  });

  posixIt("closes an existing home that others could read, but refuses one others could write", () => {
    const home = freshHome();
    ensureKeys(home);
    chmodSync(home, 0o755);
    ensureKeys(home);
    expect(mode(home)).toBe(0o700);
    chmodSync(home, 0o777);
    expect(() => ensureKeys(home)).toThrow(/let others change it/);
  });

  posixIt("refuses a secret key file that group or others can read, as ssh does, without printing the key", () => {
    const home = freshHome();
    ensureKeys(home);
    const secret = path.join(home, KEY_FILES.serverSecret);
    const { secretKey } = readKeyPair(home, "server");
    chmodSync(secret, 0o640);
    const error = (() => {
      try {
        readKeyPair(home, "server");
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(StuiKeyError);
    expect((error as StuiKeyError).message).toMatch(/permissions 0640 for .*server\.key_secret are too open/);
    expect((error as StuiKeyError).message).not.toContain(secretKey);
    expect((error as StuiKeyError).path).toBe(secret);
  });

  posixIt("refuses an authorized_keys file others can write", () => {
    const home = freshHome();
    ensureKeys(home);
    chmodSync(path.join(home, KEY_FILES.authorizedKeys), 0o666);
    expect(() => readAuthorizedKeys(home)).toThrow(/let others change it/);
  });

  it("names the file and line of a malformed authorized_keys entry", () => {
    const home = freshHome();
    ensureKeys(home);
    writeFileSync(path.join(home, KEY_FILES.authorizedKeys), "# comment\nnot-a-key laptop\n", { mode: 0o600 });
    expect(() => readAuthorizedKeys(home)).toThrow(/authorized_keys:2: expected a CURVE public key/);
  });
});

describe("authorizing and trusting", () => {
  it("authorize adds a key once, revoke removes it by key or name, and comments survive both", () => {
    const home = freshHome();
    ensureKeys(home);
    const file = path.join(home, KEY_FILES.authorizedKeys);
    writeFileSync(file, `${readFileSync(file, "utf8")}# my own note\n`);
    const laptop = zmq.curveKeyPair().publicKey;
    expect(authorizeClient(laptop, "laptop of ada", home)).toBe(true);
    expect(authorizeClient(laptop, "again", home)).toBe(false);
    expect(readAuthorizedKeys(home).at(-1)).toEqual({ key: laptop, name: "laptop of ada" });
    expect(revokeClient("laptop of ada", home).map((e) => e.key)).toEqual([laptop]);
    expect(readAuthorizedKeys(home).map((e) => e.key)).not.toContain(laptop);
    expect(readFileSync(file, "utf8")).toContain("# my own note");
    expect(revokeClient("nobody", home)).toEqual([]);
  });

  it("refuses to authorize something that is not a key", () => {
    const home = freshHome();
    expect(() => authorizeClient("hello", "x", home)).toThrow(/40 Z85 characters/);
  });

  it("uses this machine's server key for an unknown endpoint and the known_servers key for a listed one", () => {
    const home = freshHome();
    ensureKeys(home);
    const local = clientKeysFor("tcp://127.0.0.1:5555", home);
    expect(local.serverKey).toBe(readKeyPair(home, "server").publicKey);
    expect(local.publicKey).toBe(readKeyPair(home, "client").publicKey);
    expect(local.serverKeySource).toMatch(/this machine's server key/);
    const remote = zmq.curveKeyPair().publicKey;
    expect(trustServer("tcp://pharo.example:5555", remote, home)).toBeUndefined();
    const other = zmq.curveKeyPair().publicKey;
    expect(trustServer("tcp://pharo.example:5555", other, home)).toBe(remote);
    const keys = clientKeysFor("tcp://pharo.example:5555", home);
    expect(keys.serverKey).toBe(other);
    expect(keys.serverKeySource).toMatch(/known_servers/);
    expect(() => trustServer("pharo.example:5555", other, home)).toThrow(/expected an endpoint/);
  });
});
