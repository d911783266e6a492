// The seccomp filter, run through a small classic-BPF evaluator (the four instructions it uses),
// on the seccomp_data the kernel would give it. test/security/os-layer.test.ts attacks the real
// one inside bubblewrap.

import { describe, expect, it } from "vitest";
import { ARCHES, EPERM, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, seccompFilter } from "./seccomp.js";

/** Run the filter bytes on one system call: what the kernel would answer. */
function evaluate(filter: Buffer, call: { arch: number; nr: number; arg0?: number }): number {
  const data = Buffer.alloc(64);
  data.writeInt32LE(call.nr, 0);
  data.writeUInt32LE(call.arch, 4);
  data.writeUInt32LE((call.arg0 ?? 0) >>> 0, 16);
  let acc = 0;
  for (let pc = 0; pc < filter.length / 8; pc++) {
    const code = filter.readUInt16LE(pc * 8);
    const jt = filter.readUInt8(pc * 8 + 2);
    const jf = filter.readUInt8(pc * 8 + 3);
    const k = filter.readUInt32LE(pc * 8 + 4);
    if (code === 0x20) acc = data.readUInt32LE(k);
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
    const call = (nr: number, arg0?: number) => evaluate(filter, { arch: a.audit, nr, arg0 });

    it(`${arch}: refuses the keyring, io_uring, perf, bpf and userfaultfd calls with EPERM`, () => {
      for (const [name, nr] of Object.entries(a.denied)) expect(call(nr), name).toBe(DENIED);
      expect(Object.keys(a.denied)).toEqual(expect.arrayContaining(["keyctl", "add_key", "request_key"]));
    });

    it(`${arch}: allows every other native call (read, write, openat, clone, socketpair …)`, () => {
      const denied = new Set(Object.values(a.denied));
      for (let nr = 0; nr < 460; nr++) if (!denied.has(nr) && nr !== a.socket) expect(call(nr), `nr ${nr}`).toBe(SECCOMP_RET_ALLOW);
    });

    it(`${arch}: socket(AF_UNIX) is refused unless the run has a unix-socket proxy; other families pass`, () => {
      expect(call(a.socket, 1)).toBe(DENIED);
      expect(call(a.socket, 2)).toBe(SECCOMP_RET_ALLOW); // AF_INET: only the sandbox's own loopback exists
      expect(call(a.socket, 16)).toBe(SECCOMP_RET_ALLOW); // AF_NETLINK
      const open = seccompFilter(arch, { unixSockets: true })!;
      expect(evaluate(open, { arch: a.audit, nr: a.socket, arg0: 1 })).toBe(SECCOMP_RET_ALLOW);
      expect(evaluate(open, { arch: a.audit, nr: a.denied.keyctl!, arg0: 1 })).toBe(DENIED);
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
