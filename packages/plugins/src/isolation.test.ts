// The command lines isolation.ts writes, read as a reviewer would: what is mounted, what is
// shared. (The security suite, test/security/, attacks the result.)

import { mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { GrantError, resolveGrants } from "./fs-grants.js";
import { INSIDE, PERMISSION_FLAG, SECCOMP_FD, isolationWarning, sandboxCommand, type Isolation, type SandboxLayout } from "./isolation.js";
import { seccompFilter } from "./seccomp.js";

const layout: SandboxLayout = {
  bundleFile: "/tmp/run/script.mjs",
  workDir: "/tmp/run/work",
  read: [{ real: "/data/real", given: "/data/link" }],
  write: [{ real: "/out", given: "/out" }],
  hidden: ["/home/u/.stui"],
  env: { LANG: "C.UTF-8" },
  args: ["a"],
};
const bwrap: Isolation = { level: "full", mechanism: "bubblewrap", description: "" };

describe("bubblewrap command", () => {
  const { args, env } = sandboxCommand(bwrap, layout);
  const joined = args.join(" ");

  it("unshares every namespace, dies with its parent, drops capabilities and the environment", () => {
    expect(args.slice(0, 5)).toEqual(["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]);
    expect(args).toContain("--clearenv");
    expect(joined).toContain("--setenv LANG C.UTF-8");
    expect(env).toEqual({});
  });

  it("takes nested user namespaces and the host's name away, and loads the seccomp filter from its own fd", () => {
    expect(joined).toContain("--unshare-user --disable-userns --hostname stui");
    const { inputs } = sandboxCommand(bwrap, layout);
    if (seccompFilter() === undefined) return expect(inputs).toBeUndefined();
    expect(joined).toContain(`--seccomp ${SECCOMP_FD}`);
    expect(inputs).toEqual([{ fd: SECCOMP_FD, data: seccompFilter(process.arch, { unixSockets: false }) }]);
    // With --allow-net the proxy's unix socket must stay reachable: the filter then lets AF_UNIX through.
    expect(sandboxCommand(bwrap, { ...layout, netSocket: "/tmp/n.sock" }).inputs).toEqual([{ fd: SECCOMP_FD, data: seccompFilter(process.arch, { unixSockets: true }) }]);
  });

  it("mounts /usr, a fresh /proc, a minimal /dev, the bundle, the grants (at their real and given paths); no /sys, no home, no /tmp", () => {
    expect(joined).toContain("--ro-bind /usr /usr");
    expect(joined).toContain("--proc /proc --dev /dev");
    expect(joined).toContain(`--ro-bind /tmp/run/script.mjs ${INSIDE.bundle}`);
    expect(joined).toContain("--ro-bind /data/real /data/real --ro-bind /data/real /data/link");
    expect(joined).toContain("--bind /out /out");
    for (const absent of ["/sys", "/home", ".stui", "--bind /tmp", "--ro-bind /tmp/run/work", "--share-net"]) expect(joined).not.toContain(absent);
  });

  it("makes the root read-only, works in the empty folder, and keeps Node's permission model inside", () => {
    const node = args.indexOf("--");
    expect(args.slice(node - 6, node)).toEqual(["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", INSIDE.work]);
    expect(joined).toContain(`--dev /dev --size ${64 * 1024 * 1024} --tmpfs /dev/shm`);
    expect(args.slice(node + 2)).toEqual(expect.arrayContaining([PERMISSION_FLAG, `--allow-fs-read=${INSIDE.bundle}`, "--allow-fs-read=/data/real", "--allow-fs-read=/data/link", "--allow-fs-write=/out", INSIDE.bundle, "a"]));
  });

  it("without the permission model (tests of the OS layer alone) nothing else changes", () => {
    const bare = sandboxCommand(bwrap, { ...layout, permissionModel: false }).args;
    expect(bare.join(" ")).not.toContain(PERMISSION_FLAG);
    expect(bare.slice(0, bare.indexOf("--"))).toEqual(args.slice(0, args.indexOf("--")));
  });
});

describe("grants beyond the image, in the bubblewrap command", () => {
  it("--allow-net binds only the host's proxy socket into the sandbox; the network namespace stays unshared", () => {
    const { args } = sandboxCommand(bwrap, { ...layout, netSocket: "/tmp/stui-net-x/net.sock" });
    const joined = args.join(" ");
    expect(joined).toContain(`--ro-bind /tmp/stui-net-x/net.sock ${INSIDE.net}`);
    expect(joined).toContain(`--setenv STUI_NET_SOCKET ${INSIDE.net}`);
    expect(args).toContain("--unshare-all");
    expect(joined).not.toContain("--share-net");
  });

  it("--allow-run=<list> empties every bin folder (read-only) and binds back the granted command; Node may start children", () => {
    const { args } = sandboxCommand(bwrap, { ...layout, run: { all: false, commands: [{ name: "git", files: ["/usr/bin/git"] }], denied: [], path: "/usr/bin" } });
    const joined = args.join(" ");
    expect(joined).toContain("--tmpfs /usr/bin");
    expect(joined).toContain("--ro-bind /usr/bin/git /usr/bin/git");
    expect(joined).toContain("--remount-ro /usr/bin");
    expect(joined.indexOf("--tmpfs /usr/bin")).toBeLessThan(joined.indexOf("--ro-bind /usr/bin/git"));
    expect(joined.indexOf("--ro-bind /usr/bin/git")).toBeLessThan(joined.indexOf("--remount-ro /usr/bin"));
    expect(args.slice(args.indexOf("--") + 1)).toContain("--allow-child-process");
  });

  it("the bare --allow-run leaves the bin folders and hides the denied commands under /dev/null", () => {
    const { args } = sandboxCommand(bwrap, { ...layout, run: { all: true, commands: [], denied: ["/usr/bin/curl"], path: "/usr/bin" } });
    const joined = args.join(" ");
    expect(joined).toContain("--ro-bind /dev/null /usr/bin/curl");
    expect(joined).not.toContain("--tmpfs /usr/bin");
  });

  it("without --allow-run no child process is allowed by the permission model", () => {
    expect(sandboxCommand(bwrap, layout).args).not.toContain("--allow-child-process");
  });
});

describe("lower levels", () => {
  it("refuse --allow-run (a command would run outside any OS sandbox)", () => {
    const run = { all: true, commands: [], denied: [], path: "/usr/bin" };
    expect(() => sandboxCommand({ level: "partial", mechanism: "unshare", description: "" }, { ...layout, run })).toThrow(/full isolation/);
    expect(() => sandboxCommand({ level: "none", mechanism: "permission-model", description: "" }, { ...layout, run })).toThrow(/full isolation/);
  });

  it("unshare starts Node with no capability (setpriv, after the mounts), and the sandbox dies with the host", () => {
    const cmd = sandboxCommand({ level: "partial", mechanism: "unshare", description: "" }, { ...layout, runDir: "/tmp/run", hidden: [] });
    const joined = cmd.args.join(" ");
    expect(joined).toMatch(/-- \S*setpriv --bounding-set=-all --inh-caps=-all --ambient-caps=-all --no-new-privs -- /);
    expect(cmd.diesWithHost).toBe(true);
  });

  it("without a parent-death signal (no setpriv), the command says so, so the host starts its watchdog", () => {
    const none: Isolation = { level: "none", mechanism: "permission-model", description: "" };
    expect(sandboxCommand(none, { ...layout, parentDeathSignal: false }).diesWithHost).toBe(false);
    expect(sandboxCommand(bwrap, layout).diesWithHost).toBe(true);
  });

  it("unshare hides the STUI home under an empty tmpfs before Node starts, and binds the run's own folder back in", () => {
    const { args } = sandboxCommand({ level: "partial", mechanism: "unshare", description: "" }, { ...layout, runDir: "/tmp/run", hidden: [tmpdir()] });
    expect(args).toEqual(expect.arrayContaining(["--net", "--pid", "--mount", "--user", "--kill-child"]));
    expect(args.join(" ")).toMatch(new RegExp(`stui-sandbox (/\\S+/hostname )?/tmp/run ${tmpdir()} -- `));
    expect(args.join(" ")).toContain('mount --no-canonicalize --bind . "$run"');
  });

  it("a run below full says so in one line", () => {
    expect(isolationWarning(bwrap)).toBeUndefined();
    expect(isolationWarning({ level: "none", mechanism: "permission-model", description: "d", reason: "macOS" })).toMatch(/^stui: warning: no OS isolation .*because macOS/);
  });
});

describe("file grants", () => {
  const base = mkdtempSync(path.join(tmpdir(), "stui-grants-"));
  const home = path.join(base, "home", ".stui");
  mkdirSync(home, { recursive: true });
  mkdirSync(path.join(base, "data"));
  symlinkSync(path.join(base, "data"), path.join(base, "link"));
  symlinkSync(home, path.join(base, "home-link"));

  it("resolve through realpath and keep the given path", () => {
    expect(resolveGrants("--allow-fs-read", [path.join(base, "link")], home)).toEqual([{ real: path.join(base, "data"), given: path.join(base, "link") }]);
  });

  it("refuse anything that contains the STUI home or lies in it, also through a symlink", () => {
    for (const dir of [path.join(base, "home"), home, path.join(base, "home-link")]) expect(() => resolveGrants("--allow-fs-write", [dir], home)).toThrow(GrantError);
    expect(() => resolveGrants("--allow-fs-read", [path.join(base, "missing")], home)).toThrow(/no such file or folder/);
  });

  it("refuse /proc, /sys and /dev, in them or through a symlink (red team 2, finding 8)", () => {
    symlinkSync("/proc/self", path.join(base, "proc-link"));
    for (const dir of ["/proc", "/proc/self", "/sys/kernel", "/dev", "/dev/shm", path.join(base, "proc-link")]) expect(() => resolveGrants("--allow-fs-read", [dir], home), dir).toThrow(/is in \/(proc|sys|dev), which holds/);
    expect(resolveGrants("--allow-fs-read", ["/usr/share"], home)).toHaveLength(1);
  });
});
