// Grants beyond the image (--allow-net, --allow-run, --allow-env), attacked: what a script was
// given must not stretch to what it was not. Observed from outside: listeners that must stay
// silent (and one that must hear the granted connection: the control), files that must not
// appear, a victim that must survive, a secret that must not come out.
//
//   sandbox ─▶ /stui/net.sock ─▶ host proxy: 127.0.0.1:A granted ─▶ listener A (hears it)
//                                           127.0.0.1:B           ─╳  listener B (silent)
//                                           endpoint, any name    ─╳  listener E (silent)
//   sandbox ─▶ B directly: the network namespace has nothing     ─╳

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { networkInterfaces } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NONE, nameList, netRules, runLayout } from "../../packages/plugins/src/os-grants.js";
import { startTestServer, type TestServer } from "@stui/testkit";
import { FULL, OS_ALONE, at, atOsAlone, hostile, results, runHostile, tempDir, until } from "./harness.js";

interface Counter {
  server: Server;
  port: number;
  accepted: number;
}

async function counter(): Promise<Counter> {
  const c: Counter = { server: createServer((s) => (c.accepted++, s.destroy())), port: 0, accepted: 0 };
  await new Promise<void>((resolve) => c.server.listen(0, "0.0.0.0", resolve));
  c.port = (c.server.address() as { port: number }).port;
  return c;
}

/** Another IPv4 address of this machine than loopback, if it has one (the endpoint reached under another name). */
const otherAddress = Object.values(networkInterfaces()).flat().find((a) => a && a.family === "IPv4" && !a.internal)?.address ?? "127.0.0.2";

describe("--allow-net", () => {
  let granted: Counter;
  let other: Counter;
  let endpoint: Counter;
  beforeAll(async () => {
    [granted, other, endpoint] = await Promise.all([counter(), counter(), counter()]);
  });
  afterAll(() => Promise.all([granted, other, endpoint].map((c) => new Promise((r) => c.server.close(r)))));

  for (const [config, layers] of [["production", undefined], ["OS alone", OS_ALONE]] as const) {
    const name = config === "production" ? at : atOsAlone;
    it.skipIf(config === "OS alone" && !FULL)(name("reaches the granted destination and nothing else: not another port, not the STUI endpoint under any name, not past the proxy"), async () => {
      const before = { granted: granted.accepted, other: other.accepted, endpoint: endpoint.accepted };
      const r = await runHostile(hostile("net-grant-escape.ts"), {
        args: [String(granted.port), String(other.port), String(endpoint.port), otherAddress],
        net: netRules(nameList([`127.0.0.1:${granted.port}`]), NONE),
        endpoint: `tcp://127.0.0.1:${endpoint.port}`,
        testLayers: layers,
      });
      const seen = results(r.stdout);
      expect(Object.keys(seen)).toHaveLength(13);
      for (const [label, result] of Object.entries(seen)) if (label !== "granted") expect(`${label}: ${result}`).not.toMatch(/: OPEN/);
      expect(other.accepted).toBe(before.other);
      expect(endpoint.accepted).toBe(before.endpoint);
      if (config === "production") {
        // The control: the grant works (with the stubs off, the script does not use the tunnel).
        expect(seen.granted).toBe("OPEN connected");
        expect(granted.accepted).toBeGreaterThan(before.granted);
      }
    });
  }

  it(at("with --allow-net (everything), the STUI endpoint is still refused under every name, and the other port is reached (the control)"), async () => {
    const before = { other: other.accepted, endpoint: endpoint.accepted };
    const r = await runHostile(hostile("net-grant-escape.ts"), {
      args: [String(granted.port), String(other.port), String(endpoint.port), otherAddress],
      net: netRules(nameList(["*"]), NONE),
      endpoint: `tcp://127.0.0.1:${endpoint.port}`,
    });
    const seen = results(r.stdout);
    for (const [label, result] of Object.entries(seen)) if (label.includes("endpoint")) expect(`${label}: ${result}`).not.toMatch(/: OPEN/);
    expect(seen.other).toBe("OPEN connected");
    expect(other.accepted).toBeGreaterThan(before.other);
    expect(endpoint.accepted).toBe(before.endpoint);
  });
});

describe("--allow-net to a STUI server's port gives the script no image: the keys stay in the host", () => {
  //   sandbox ─▶ proxy (port granted) ─▶ authenticated server: ZMTP/NULL, no key ─▶ refused, counted
  let secured: TestServer;
  let listener: Counter;
  beforeAll(async () => {
    secured = await startTestServer({ endpoint: "tcp://127.0.0.1:*", authentication: "curve" });
    listener = await counter();
  });
  afterAll(async () => {
    await secured.close();
    await new Promise((r) => listener.server.close(r));
  });

  it(at("raw ZMTP through the granted proxy reaches the server's port and gets nothing: no request, a refused handshake counted"), async () => {
    const port = new URL(secured.endpoint.replace("tcp://", "http://")).port;
    const before = secured.requestCount;
    const rejected = secured.securityStats().rejectedPeers;
    // The run's own endpoint is elsewhere: this server's port is granted like any other destination.
    const r = await runHostile(hostile("raw-zmtp.ts"), { args: [port, String(listener.port)], net: netRules(nameList([`127.0.0.1:${port}`, `127.0.0.1:${listener.port}`]), NONE), endpoint: "tcp://127.0.0.1:1" });
    const seen = results(r.stdout);
    expect(seen.tcp).toBe("OPEN connected"); // the control: the grant does open the network
    expect(seen.zmtp).toBeDefined();
    expect(seen.zmtp).not.toMatch(/^OPEN/);
    expect(secured.requestCount).toBe(before);
    await until(() => secured.securityStats().rejectedPeers > rejected, "the authenticated server to count the refused handshake");
  });
});

describe.skipIf(!FULL || !existsSync("/usr/bin/python3"))("--allow-run", () => {
  let listener: Counter;
  let victim: ChildProcess;
  const home = tempDir("stui-sec-home-");
  const key = path.join(home, "keys", "client.key_secret");
  beforeAll(async () => {
    listener = await counter();
    victim = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    mkdirSync(path.dirname(key), { recursive: true });
    writeFileSync(key, "SECRETKEYMATERIAL");
  });
  afterAll(() => {
    victim.kill("SIGKILL");
    return new Promise((r) => listener.server.close(r));
  });

  for (const [config, layers] of [["production", undefined], ["OS alone", OS_ALONE]] as const) {
    const name = config === "production" ? at : atOsAlone;
    it(name("a granted command runs inside the same sandbox: it writes, connects, signals and reads nothing it was not given; other commands are not there"), async () => {
      const folder = tempDir("stui-sec-out-");
      const before = listener.accepted;
      const r = await runHostile(hostile("run-grant-escape.ts"), {
        args: ["/usr/bin/python3", folder, String(listener.port), String(victim.pid), key],
        run: runLayout(nameList(["/usr/bin/python3"]), NONE),
        home,
        testLayers: layers,
      });
      const seen = results(r.stdout);
      expect(seen["python runs"]).toBe("OPEN ran"); // the control: the grant works
      for (const [label, result] of Object.entries(seen)) if (label !== "python runs") expect(`${label}: ${result}`).not.toMatch(/: OPEN/);
      for (const file of ["from-python.txt", "from-touch.txt", "from-usr-bin-touch.txt", "from-sh.txt"]) expect(existsSync(path.join(folder, file)), file).toBe(false);
      expect(listener.accepted).toBe(before);
      expect(victim.exitCode).toBeNull();
      expect(r.stdout).not.toContain("SECRETKE");
    });
  }
});

describe("--allow-env", () => {
  const secret = `stui-env-secret-${Math.random().toString(36).slice(2)}`;
  for (const [config, layers] of [["production", undefined], ["OS alone", OS_ALONE]] as const) {
    const name = config === "production" ? at : atOsAlone;
    it.skipIf(config === "OS alone" && !FULL)(name("a script given one variable finds no other: not in its environment, not in /proc"), async () => {
      const from = { ...process.env, SEC_GRANTED: "granted-value", SEC_SECRET: secret };
      const r = await runHostile(hostile("env-grant-escape.ts"), { env: { allow: nameList(["SEC_GRANTED"]), deny: NONE, from }, testLayers: layers });
      expect(results(r.stdout)["process.env"]).toContain("granted-value"); // the control
      expect(r.stdout).not.toContain(secret);
      expect(r.stderr).not.toContain(secret);
    });
  }
});
