// One spelling per address (red team 2, finding 1): the network rules compare these.
import { describe, expect, it } from "vitest";
import { canonicalAddress, canonicalHost, isThisMachine } from "./ip-address.js";

describe("canonicalAddress", () => {
  it("IPv4-mapped IPv6 is IPv4, in every spelling", () => {
    for (const s of ["::ffff:7f00:1", "0:0:0:0:0:ffff:127.0.0.1", "[::FFFF:127.0.0.1]", "0000:0000:0000:0000:0000:ffff:7f00:0001", "127.0.0.1"]) expect(canonicalAddress(s), s).toBe("127.0.0.1");
  });
  it("IPv6 compressed or not, with a zone, is one spelling", () => {
    for (const s of ["0:0:0:0:0:0:0:1", "::0:1", "0::1", "[0000::0001]", "::1"]) expect(canonicalAddress(s), s).toBe("::1");
    expect(canonicalAddress("FE80:0::1%eth0")).toBe("fe80::1");
    expect(canonicalAddress("0:0:0:0:0:0:0:0")).toBe("::");
  });
  it("IPv4 in decimal, octal, hex and short forms, as the resolver takes them", () => {
    for (const s of ["2130706433", "0x7f.1", "0177.0.0.1", "0x7f000001", "127.1"]) expect(canonicalAddress(s), s).toBe("127.0.0.1");
    expect(canonicalAddress("0")).toBe("0.0.0.0");
  });
  it("a name, or something that is no address, is not an address", () => {
    for (const s of ["example.com", "localhost", "256.1.1.1", "1.2.3.4.5", "evil@127.0.0.1", "127.0.0.1/x", "0x7f.evil"]) expect(canonicalAddress(s), s).toBeUndefined();
    expect(canonicalHost("Example.COM.")).toBe("example.com");
    expect(canonicalHost("bücher.example")).toBe("xn--bcher-kva.example");
  });
});

describe("isThisMachine", () => {
  it("loopback, any, IPv4-compatible IPv6 and the interfaces' addresses; not others", () => {
    for (const a of ["127.0.0.1", "127.9.9.9", "0.0.0.0", "0.1.2.3", "::1", "::", "::7f00:1"]) expect(isThisMachine(a), a).toBe(true);
    for (const a of ["8.8.8.8", "2001:db8::1", "fe80::dead:beef:1"]) expect(isThisMachine(a), a).toBe(false);
  });
});
