// The STUI server's endpoint under every spelling of this machine's addresses (red team 2,
// finding 1), attacked with a bare --allow-net and observed from outside: a reference server
// WITHOUT authentication (it answers anyone who reaches it) must log no `evaluate`, and a listener
// on [::1] at the endpoint's port must accept nothing. The control runs the same script
// unsandboxed: its hand-written ZMTP does get `evaluate` answered through a mapped-IPv6 spelling.
//
//   sandbox ─▶ proxy: "::ffff:7f00:1", "0x7f.1", "0:0:0:0:0:0:0:1", … :P ─╳─▶ server (none), listener [::1]:P
//   unsandboxed control ─▶ "::ffff:7f00:1":P ───────────────────────────────▶ server (none): evaluate answered

import { createServer, type Server } from "node:net";
import { networkInterfaces } from "node:os";
import { startTestServer, type TestServer } from "@stui/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NONE, nameList, netRules } from "../../packages/plugins/src/os-grants.js";
import { OS_ALONE, at, hostile, results, runHostile } from "./harness.js";

let server: TestServer;
let port: number;
let v6: Server | undefined;
let v6Accepted = 0;

beforeAll(async () => {
  server = await startTestServer({
    endpoint: "tcp://127.0.0.1:*",
    authentication: "none",
    // A test double: it answers evaluate with a fixed value, so that the control can see it answered.
    handlers: { evaluate: async () => ({ value: { printString: "7", className: "SmallInteger", truncated: false }, durationMs: 0 }) },
  });
  port = Number(new URL(server.endpoint.replace("tcp://", "http://")).port);
  // The same port on IPv6 loopback (the server binds 127.0.0.1 only): the spellings of ::1 would land here.
  const listener = createServer((s) => (v6Accepted++, s.destroy()));
  v6 = await new Promise<Server | undefined>((resolve) => {
    listener.once("error", () => resolve(undefined)); // no IPv6 loopback here: those spellings then reach nothing anyway
    listener.listen({ port, host: "::1", ipv6Only: true }, () => resolve(listener));
  });
});
afterAll(async () => {
  await server?.close();
  if (v6) await new Promise((r) => v6!.close(r));
});

/** This machine's addresses as its interfaces have them (a link-local one with its zone). */
const interfaceSpellings = Object.entries(networkInterfaces()).flatMap(([name, list]) =>
  (list ?? []).flatMap((a) => (a.family === "IPv4" ? [a.address, `::ffff:${a.address}`] : [a.address.startsWith("fe80:") ? `${a.address}%${name}` : a.address])),
);

const SPELLINGS = [
  // IPv4 loopback as IPv4-mapped IPv6, compressed and not, dotted and hex, bracketed
  "::ffff:7f00:1", "0:0:0:0:0:ffff:127.0.0.1", "0:0:0:0:0:ffff:7f00:1", "::FFFF:127.0.0.1", "[::ffff:7f00:1]", "0000:0000:0000:0000:0000:ffff:7f00:0001",
  // IPv6 loopback uncompressed and oddly compressed
  "0:0:0:0:0:0:0:1", "::0:1", "0::1", "0000::0001",
  // IPv4 in decimal, octal, hex and short forms (names the resolver takes as addresses), another 127/8 address
  "2130706433", "0x7f.1", "0177.0.0.1", "0x7f000001", "127.1", "127.0.0.2",
  // "any", which Linux connects to this machine
  "0.0.0.0", "0", "::", "0:0:0:0:0:0:0:0", "::ffff:0.0.0.0",
  ...interfaceSpellings,
];

describe("the STUI endpoint under every spelling of this machine", () => {
  it(at("with --allow-net (everything) no spelling reaches the no-auth server or [::1] at its port: no evaluate is logged"), async () => {
    const evaluates = server.callsOf("evaluate").length;
    const requests = server.requestCount;
    const accepted = v6Accepted;
    const r = await runHostile(hostile("endpoint-spellings.ts"), { args: [String(port), ...SPELLINGS], net: netRules(nameList(["*"]), NONE), endpoint: server.endpoint, timeoutMs: 120_000 });
    const seen = results(r.stdout);
    expect(Object.keys(seen)).toHaveLength(2 * SPELLINGS.length);
    for (const [label, result] of Object.entries(seen)) expect(`${label}: ${result}`).toBe(`${label}: ERR_ACCESS_DENIED`);
    expect(server.callsOf("evaluate").length).toBe(evaluates);
    expect(server.requestCount).toBe(requests);
    expect(v6Accepted).toBe(accepted);
  }, 150_000);

  it("control: unsandboxed, the same script gets evaluate answered through a mapped-IPv6 spelling (the attack is real)", async () => {
    const evaluates = server.callsOf("evaluate").length;
    const r = await runHostile(hostile("endpoint-spellings.ts"), { args: [String(port), "::ffff:7f00:1"], isolation: "permission-model", testLayers: OS_ALONE });
    expect(results(r.stdout)["tunnel ::ffff:7f00:1"]).toMatch(/^OPEN server answered .*"printString":"7"/);
    expect(server.callsOf("evaluate").length).toBe(evaluates + 1);
  });
});
