// `stui keys` in-process, on the test's temporary STUI_HOME: what it shows, and the three
// steps of letting another machine in (authorize, trust) checked by a real connection.

import { chmodSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { connect } from "@stui/client";
import { KEY_FILES, readKeyPair, stuiHome } from "@stui/client/keys";
import { startTestServer, temporaryStuiHome, type TemporaryStuiHome, type TestServer } from "@stui/testkit";
import { main } from "./cli.js";
import { KEYS_HELP } from "./keys-command.js";

async function stuiKeys(args: string[], home?: string): Promise<{ code: number; out: string; err: string }> {
  const saved = process.env["STUI_HOME"];
  if (home) process.env["STUI_HOME"] = home;
  const out: string[] = [];
  const err: string[] = [];
  try {
    const code = await main(["keys", ...args], { out: (t) => void out.push(t), err: (t) => void err.push(t) });
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    process.env["STUI_HOME"] = saved;
  }
}

const homes: TemporaryStuiHome[] = [];
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const h of homes.splice(0)) h.remove();
});

describe("stui keys", () => {
  it("--help names the files, the commands and the three steps for another machine", async () => {
    const r = await stuiKeys(["--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(KEYS_HELP);
    for (const word of ["server.key_secret", "authorized_keys", "known_servers", "authorize", "revoke", "trust", "0600"]) expect(r.out).toContain(word);
  });

  it("shows the home, both public keys and the lists, never a secret key", async () => {
    const home = stuiHome();
    const r = await stuiKeys([]);
    expect(r.code).toBe(0);
    const server = readKeyPair(home, "server");
    const client = readKeyPair(home, "client");
    expect(r.out).toContain(`STUI home: ${home}`);
    expect(r.out).toContain(`server public key: ${server.publicKey}`);
    expect(r.out).toContain(`client public key: ${client.publicKey}`);
    expect(r.out).toContain(`  ${client.publicKey}  this machine's client key`);
    expect(r.out).not.toContain(server.secretKey);
    expect(r.out).not.toContain(client.secretKey);
    const json = JSON.parse((await stuiKeys(["show", "--json"])).out) as { serverPublicKey: string; authorizedKeys: { key: string }[] };
    expect(json.serverPublicKey).toBe(server.publicKey);
    expect(json.authorizedKeys.map((e) => e.key)).toEqual([client.publicKey]);
  });

  it("lets a second machine in with authorize and trust, and out again with revoke", async () => {
    // This test's STUI_HOME plays the server's machine, a second home the laptop.
    const laptop = temporaryStuiHome();
    homes.push(laptop);
    const server = await startTestServer({ endpoint: "tcp://127.0.0.1:*" });
    servers.push(server);
    const laptopKey = readKeyPair(laptop.path, "client").publicKey;
    const serverKey = readKeyPair(stuiHome(), "server").publicKey;

    const ping = async (): Promise<string> => {
      const client = await connect({ endpoint: server.endpoint, home: laptop.path, timeoutMs: 1500, retries: 0 });
      try {
        return (await client.ping()).status;
      } catch (error) {
        return (error as Error).message;
      } finally {
        await client.close();
      }
    };
    // The laptop does not know the server's key yet: it uses its own home's, and the handshake fails.
    expect(await ping()).toMatch(/no answer from .*: the CURVE handshake failed .* is the server key right\?/);
    expect((await stuiKeys(["trust", server.endpoint, serverKey], laptop.path)).code).toBe(0);
    expect(await ping()).toMatch(/the server refused this client's key/);
    expect((await stuiKeys(["authorize", laptopKey, "the", "laptop"])).out).toContain(`authorized ${laptopKey} (the laptop)`);
    expect(await ping()).toBe("running");

    expect((await stuiKeys(["revoke", "the laptop"])).out).toContain(`revoked ${laptopKey} (the laptop)`);
    expect(await ping()).toMatch(/the server refused this client's key/);
  });

  it("refuses what is not a key (exit 2) and a home others can read keys in (exit 1)", async () => {
    const bad = await stuiKeys(["authorize", "not-a-key"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("must be a CURVE public key");
    expect((await stuiKeys(["trust", "tcp://h:1"])).code).toBe(2);
    expect((await stuiKeys(["revoke", "nobody at all"])).code).toBe(1);
    expect((await stuiKeys(["frobnicate"])).err).toContain('unknown keys command "frobnicate"');

    const home = temporaryStuiHome();
    homes.push(home);
    chmodSync(path.join(home.path, KEY_FILES.clientSecret), 0o644);
    const open = await stuiKeys([], home.path);
    expect(open.code).toBe(1);
    expect(open.err).toMatch(/permissions 0644 for .*client\.key_secret are too open/);
  });

  it("reads a key that starts with '-' as a key, not an option", async () => {
    // Z85 has '-' in its alphabet: about one key in 85 starts with it.
    const home = temporaryStuiHome();
    homes.push(home);
    const dashed = `-${readKeyPair(home.path, "client").publicKey.slice(1)}`;
    const r = await stuiKeys(["authorize", dashed, "dashed"]);
    expect(r.err).toBe("");
    expect(r.out).toContain(`authorized ${dashed} (dashed)`);
    expect((await stuiKeys(["--bogus"])).err).toContain("unknown option --bogus");
  });

  it("trust replaces the key of an endpoint and says so", async () => {
    const keyOfNewHome = (): string => {
      const h = temporaryStuiHome();
      homes.push(h);
      return readKeyPair(h.path, "server").publicKey;
    };
    const [first, second] = [keyOfNewHome(), keyOfNewHome()];
    await stuiKeys(["trust", "tcp://pharo.example:5555", first]);
    const r = await stuiKeys(["trust", "tcp://pharo.example:5555", second]);
    expect(r.out).toBe(`tcp://pharo.example:5555: server key changed from ${first} to ${second}`);
    expect(readFileSync(path.join(stuiHome(), KEY_FILES.knownServers), "utf8").match(/pharo\.example/g)).toHaveLength(1);
  });
});
