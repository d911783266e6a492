// Red team finding 18: at level none (no OS isolation: Node's permission model and the stubs
// only), a script sent UDP through the handle that `new dgram.Socket()` makes itself. The
// constructor is stubbed now. Observed from outside: a UDP listener on the host receives
// nothing; the control (the stubs off) shows the same script's datagram does arrive.

import { createSocket, type Socket } from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostile, results, runHostile, until } from "./harness.js";

let udp: Socket;
let received: string[] = [];
beforeAll(async () => {
  udp = createSocket("udp4", (m) => received.push(m.toString()));
  await new Promise<void>((r) => udp.bind(0, "127.0.0.1", r));
});
afterAll(() => udp.close());

const port = (): string => String(udp.address().port);

describe("UDP through the dgram.Socket constructor (finding 18)", () => {
  it("[isolation: none] with every layer on, the constructor is refused and no datagram arrives", async () => {
    received = [];
    const r = await runHostile(hostile("udp-handle.ts"), { args: [port()], isolation: "permission-model" });
    expect(results(r.stdout)["udp handle"]).toBe("ERR_ACCESS_DENIED");
    // Anything sent went before the script printed and ended; a datagram of the test's own, sent after, arrives first if the path works.
    const probe = createSocket("udp4");
    await new Promise<void>((resolve) => probe.send("probe", Number(port()), "127.0.0.1", () => resolve()));
    probe.close();
    await until(() => received.includes("probe"), "the test's own datagram");
    expect(received).not.toContain("datagram-from-sandbox");
  });

  it("[isolation: none] control: with the stubs off, the same script's datagram arrives", async () => {
    received = [];
    const r = await runHostile(hostile("udp-handle.ts"), { args: [port()], isolation: "permission-model", testLayers: { permissionModel: true, stubs: false } });
    expect(results(r.stdout)["udp handle"]).toMatch(/^OPEN send returned/);
    await until(() => received.includes("datagram-from-sandbox"), "the control datagram");
  });
});
