// A tiny seccomp filter for the "full" sandbox, handed to bubblewrap (`bwrap --seccomp FD`,
// as Flatpak does). It refuses, with EPERM, the few system calls a script has no use for and
// that reach past the namespaces, and allows everything else:
//
//   - keyctl, add_key, request_key: the kernel keyrings are not namespaced; the sandbox
//     possesses the host's session keyring and could read or clear its keys (red team finding 13);
//   - io_uring_*, perf_event_open, bpf, userfaultfd: large kernel attack surface (finding 19);
//   - socket() of every address family but AF_INET and AF_INET6 (the sandbox's network namespace
//     holds only its own loopback), AF_NETLINK with NETLINK_ROUTE (its own namespace's interfaces:
//     glibc and os.networkInterfaces() ask it), and AF_UNIX only when --allow-net's proxy needs
//     it: no filesystem unix socket inside a grant (a server's ipc:// endpoint, docker.sock, an
//     ssh agent) can be reached (finding 15), no vsock (not separated by network namespaces),
//     no other netlink, packet or bluetooth socket (red team 2, finding 6);
//   - socketpair() but AF_UNIX SOCK_STREAM, which Node and libuv make their pipes with (child
//     processes' stdio): a datagram pair can sendto() or connect() any socket path, so it is the
//     same way out as socket(AF_UNIX, SOCK_DGRAM) (red team 2, finding 6). seccomp cannot read
//     sendto's address; refusing the pair is what it can do;
//   - every call of another ABI than the native one (x32 on x86_64, 32-bit ARM on aarch64,
//     i386 through int 0x80): a filter keyed on native numbers would not see them.
//
// Written by hand: it is about thirty instructions, and there is no library to take. npm has no
// `seccomp` or `libseccomp` package (both 404 on 2026-12-01), the package index of this machine
// lists none, and any binding to the C libseccomp would need a native build on every install;
// bubblewrap only wants the compiled program's bytes.
// Only x86_64 and aarch64 are known; elsewhere there is no filter (seccompFilter returns
// undefined) and the docs say so.

/** struct seccomp_data offsets; args[i] at 16 + 8i, low 32 bits first (little-endian): the arguments read here are ints. */
const NR = 0;
const ARCH = 4;
const ARG0 = 16;
const ARG1 = 24;
const ARG2 = 32;

const BPF_LD_W_ABS = 0x20;
const BPF_ALU_AND_K = 0x54;
const BPF_JEQ_K = 0x15;
const BPF_JGE_K = 0x35;
const BPF_RET_K = 0x06;

export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const EPERM = 1;
/** <linux/socket.h>, <linux/net.h>, <linux/netlink.h>: the same on x86_64 and aarch64. */
export const AF = { UNIX: 1, INET: 2, INET6: 10, NETLINK: 16 } as const;
export const SOCK_STREAM = 1;
const SOCK_FLAGS = 0x800 | 0x80000; // SOCK_NONBLOCK | SOCK_CLOEXEC
const NETLINK_ROUTE = 0;

interface Arch {
  /** AUDIT_ARCH_* of the native ABI. */
  audit: number;
  /** Syscall numbers at or above this are another ABI sharing the audit arch (x32). */
  foreignFrom?: number;
  socket: number;
  socketpair: number;
  denied: Record<string, number>;
}

/** Numbers from <asm/unistd_64.h> (x86_64) and <asm-generic/unistd.h> (aarch64). */
export const ARCHES: Record<string, Arch> = {
  x64: {
    audit: 0xc000003e,
    foreignFrom: 0x40000000,
    socket: 41,
    socketpair: 53,
    denied: { add_key: 248, request_key: 249, keyctl: 250, perf_event_open: 298, bpf: 321, userfaultfd: 323, io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427 },
  },
  arm64: {
    audit: 0xc00000b7,
    socket: 198,
    socketpair: 199,
    denied: { add_key: 217, request_key: 218, keyctl: 219, perf_event_open: 241, bpf: 280, userfaultfd: 282, io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427 },
  },
};

export interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

type Label = "allow" | "deny" | "socket" | "netlink" | "socketpair";
type Target = "next" | Label;

/** The filter's instructions for `arch` (a process.arch value), or undefined for an unknown one. */
export function seccompProgram(arch: string, options: { unixSockets: boolean }): Instruction[] | undefined {
  const a = ARCHES[arch];
  if (!a) return undefined;
  const body: { code: number; k: number; jt?: Target; jf?: Target }[] = [];
  const labels = new Map<Label, number>();
  const label = (name: Label): void => void labels.set(name, body.length);
  body.push({ code: BPF_LD_W_ABS, k: ARCH });
  body.push({ code: BPF_JEQ_K, k: a.audit, jt: "next", jf: "deny" });
  body.push({ code: BPF_LD_W_ABS, k: NR });
  if (a.foreignFrom !== undefined) body.push({ code: BPF_JGE_K, k: a.foreignFrom, jt: "deny", jf: "next" });
  for (const nr of Object.values(a.denied)) body.push({ code: BPF_JEQ_K, k: nr, jt: "deny", jf: "next" });
  body.push({ code: BPF_JEQ_K, k: a.socket, jt: "socket", jf: "next" });
  body.push({ code: BPF_JEQ_K, k: a.socketpair, jt: "socketpair", jf: "allow" });
  // socket(domain, type, protocol): an allow-list of families.
  label("socket");
  body.push({ code: BPF_LD_W_ABS, k: ARG0 });
  body.push({ code: BPF_JEQ_K, k: AF.INET, jt: "allow", jf: "next" });
  body.push({ code: BPF_JEQ_K, k: AF.INET6, jt: "allow", jf: "next" });
  if (options.unixSockets) body.push({ code: BPF_JEQ_K, k: AF.UNIX, jt: "allow", jf: "next" });
  body.push({ code: BPF_JEQ_K, k: AF.NETLINK, jt: "netlink", jf: "deny" });
  label("netlink");
  body.push({ code: BPF_LD_W_ABS, k: ARG2 });
  body.push({ code: BPF_JEQ_K, k: NETLINK_ROUTE, jt: "allow", jf: "deny" });
  // socketpair(domain, type, protocol, sv): AF_UNIX SOCK_STREAM only, whatever the flags.
  label("socketpair");
  body.push({ code: BPF_LD_W_ABS, k: ARG0 });
  body.push({ code: BPF_JEQ_K, k: AF.UNIX, jt: "next", jf: "deny" });
  body.push({ code: BPF_LD_W_ABS, k: ARG1 });
  body.push({ code: BPF_ALU_AND_K, k: ~SOCK_FLAGS });
  body.push({ code: BPF_JEQ_K, k: SOCK_STREAM, jt: "allow", jf: "deny" });
  labels.set("allow", body.length);
  labels.set("deny", body.length + 1);
  const offset = (from: number, to: Target | undefined): number => {
    if (to === undefined || to === "next") return 0;
    const at = labels.get(to)!;
    if (at <= from || at - from - 1 > 255) throw new Error(`seccomp: a jump from ${from} to ${to} (${at}) cannot be encoded`);
    return at - from - 1;
  };
  const program = body.map((ins, i) => ({ code: ins.code, k: ins.k >>> 0, jt: offset(i, ins.jt), jf: offset(i, ins.jf) }));
  program.push({ code: BPF_RET_K, jt: 0, jf: 0, k: SECCOMP_RET_ALLOW });
  program.push({ code: BPF_RET_K, jt: 0, jf: 0, k: SECCOMP_RET_ERRNO | EPERM });
  return program;
}

/** The program as struct sock_filter[] bytes, as `bwrap --seccomp` reads them (both known arches are little-endian). */
export function seccompFilter(arch: string = process.arch, options: { unixSockets: boolean } = { unixSockets: false }): Buffer | undefined {
  const program = seccompProgram(arch, options);
  if (!program) return undefined;
  const out = Buffer.alloc(program.length * 8);
  program.forEach((ins, i) => {
    out.writeUInt16LE(ins.code, i * 8);
    out.writeUInt8(ins.jt, i * 8 + 2);
    out.writeUInt8(ins.jf, i * 8 + 3);
    out.writeUInt32LE(ins.k, i * 8 + 4);
  });
  return out;
}
