// The seccomp filter, run through a small classic-BPF evaluator (the five instructions it uses),
// on the seccomp_data the kernel would give it. test/security/os-layer.test.ts attacks the real
// one inside bubblewrap.

import { describe, expect, it } from "vitest";
import { AF, ARCHES, EPERM, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SOCK_STREAM, seccompFilter } from "./seccomp.js";

/** Run the filter bytes on one system call: what the kernel would answer. */
function evaluate(filter: Buffer, call: { arch: number; nr: number; args?: number[] }): number {
  const data = Buffer.alloc(64);
  data.writeInt32LE(call.nr, 0);
  data.writeUInt32LE(call.arch, 4);
  (call.args ?? []).forEach((arg, i) => data.writeUInt32LE(arg >>> 0, 16 + 8 * i));
  let acc = 0;
  for (let pc = 0; pc < filter.length / 8; pc++) {
    const code = filter.readUInt16LE(pc * 8);
    const jt = filter.readUInt8(pc * 8 + 2);
    const jf = filter.readUInt8(pc * 8 + 3);
    const k = filter.readUInt32LE(pc * 8 + 4);
    if (code === 0x20) acc = data.readUInt32LE(k);
    else if (code === 0x54) acc = (acc & k) >>> 0;
    else if (code === 0x15) pc += acc === k ? jt : jf;
    else if (code === 0x35) pc += acc >= k ? jt : jf;
    else if (code === 0x06) return k;
    else throw new Error(`unexpected instruction ${code.toString(16)}`);
  }
  throw new Error("fell off the end of the filter");
}

const DENIED = SECCOMP_RET_ERRNO | EPERM;

describe("seccomp filter", () => {
  for (const [arch, a] of Object.entries(ARCHES)) {
    const filter = seccompFilter(arch, { unixSockets: false })!;
    const call = (nr: number, ...args: number[]) => evaluate(filter, { arch: a.audit, nr, args });

    it(`${arch}: refuses the keyring, io_uring, perf, bpf and userfaultfd calls with EPERM`, () => {
      for (const [name, nr] of Object.entries(a.denied)) expect(call(nr), name).toBe(DENIED);
      expect(Object.keys(a.denied)).toEqual(expect.arrayContaining(["keyctl", "add_key", "request_key"]));
    });

    it(`${arch}: allows every other native call (read, write, openat, clone …)`, () => {
      const denied = new Set(Object.values(a.denied));
      for (let nr = 0; nr < 460; nr++) if (!denied.has(nr) && nr !== a.socket && nr !== a.socketpair) expect(call(nr), `nr ${nr}`).toBe(SECCOMP_RET_ALLOW);
    });

    it(`${arch}: socket() only for AF_INET, AF_INET6, route netlink, and AF_UNIX when the run has a unix-socket proxy`, () => {
      expect(call(a.socket, AF.UNIX, SOCK_STREAM)).toBe(DENIED);
      expect(call(a.socket, AF.INET, SOCK_STREAM)).toBe(SECCOMP_RET_ALLOW); // only the sandbox's own loopback exists
      expect(call(a.socket, AF.INET6, 2)).toBe(SECCOMP_RET_ALLOW);
      expect(call(a.socket, AF.NETLINK, 3, 0)).toBe(SECCOMP_RET_ALLOW); // NETLINK_ROUTE: the namespace's own interfaces
      for (const protocol of [9 /* audit */, 15 /* kobject_uevent */, 4 /* sock_diag */]) expect(call(a.socket, AF.NETLINK, 3, protocol), `netlink ${protocol}`).toBe(DENIED);
      for (const family of [0, 3, 4, 5, 17 /* packet */, 31 /* bluetooth */, 38 /* alg */, 40 /* vsock */, 44 /* xdp */, 45]) expect(call(a.socket, family, SOCK_STREAM), `family ${family}`).toBe(DENIED);
      const open = seccompFilter(arch, { unixSockets: true })!;
      expect(evaluate(open, { arch: a.audit, nr: a.socket, args: [AF.UNIX, SOCK_STREAM] })).toBe(SECCOMP_RET_ALLOW);
      expect(evaluate(open, { arch: a.audit, nr: a.socket, args: [40, SOCK_STREAM] })).toBe(DENIED);
      expect(evaluate(open, { arch: a.audit, nr: a.denied.keyctl!, args: [1] })).toBe(DENIED);
    });

    it(`${arch}: socketpair() only AF_UNIX SOCK_STREAM (libuv's pipes), with or without NONBLOCK/CLOEXEC`, () => {
      for (const filter of [seccompFilter(arch, { unixSockets: false })!, seccompFilter(arch, { unixSockets: true })!]) {
        const pair = (...args: number[]) => evaluate(filter, { arch: a.audit, nr: a.socketpair, args });
        for (const flags of [0, 0x800, 0x80000, 0x80800]) expect(pair(AF.UNIX, SOCK_STREAM | flags), `flags ${flags}`).toBe(SECCOMP_RET_ALLOW);
        for (const type of [2 /* dgram */, 5 /* seqpacket */, 3 /* raw */]) expect(pair(AF.UNIX, type | 0x80000), `type ${type}`).toBe(DENIED);
        expect(pair(AF.INET, SOCK_STREAM)).toBe(DENIED);
        expect(pair(40, SOCK_STREAM)).toBe(DENIED);
      }
    });

    it(`${arch}: every call of another ABI is refused (i386, 32-bit ARM, x32)`, () => {
      for (const other of [0x40000003 /* i386 */, 0x40000028 /* arm */, 0xc00000b7, 0xc000003e].filter((x) => x !== a.audit)) {
        expect(evaluate(filter, { arch: other, nr: 0 })).toBe(DENIED);
        expect(evaluate(filter, { arch: other, nr: 288 })).toBe(DENIED);
      }
      if (a.foreignFrom !== undefined) expect(call(a.foreignFrom + a.denied.keyctl!)).toBe(DENIED);
    });
  }

  it("has no filter for an architecture it does not know", () => {
    expect(seccompFilter("ia32")).toBeUndefined();
    expect(seccompFilter("riscv64")).toBeUndefined();
  });
});
