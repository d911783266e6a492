// Grants beyond the image: environment variables, network destinations and commands, in Deno's
// shape (--allow-env[=NAMES], --allow-net[=HOST[:PORT],…], --allow-run[=CMD,…], and --deny-*
// of each, which always wins). Nothing is granted by default. This module parses the flags and
// decides; the sandbox enforces (isolation.ts mounts and environment, net-proxy.ts the network).

import { accessSync, constants, existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { isIP } from "node:net";
import path from "node:path";
import { canonicalAddress, canonicalHost } from "./ip-address.js";

/** A list flag: absent, everything (the bare flag), or some names. */
export type NameList = { all: true } | { all: false; names: string[] };

export const NONE: NameList = { all: false, names: [] };

export class OsGrantError extends Error {
  override readonly name = "OsGrantError";
}

/**
 * The values of a repeatable list flag: the bare flag (given as "*", see bareListFlags) grants
 * everything, "A,B" some names.
 */
export function nameList(values: readonly string[] | undefined): NameList {
  if (!values || values.length === 0) return NONE;
  const names = values.flatMap((v) => v.split(",")).map((n) => n.trim());
  if (names.includes("*")) return { all: true };
  if (names.some((n) => n === "")) throw new OsGrantError("an empty name in a list (write NAME,NAME)");
  return { all: false, names: [...new Set(names)] };
}

/** The list flags that may stand alone (meaning: all). */
export const LIST_FLAGS = ["allow-env", "deny-env", "allow-net", "deny-net", "allow-run", "deny-run"] as const;

/** A bare `--allow-env` (no `=`) becomes `--allow-env=*`, so node:util parseArgs sees a value. */
export function bareListFlags(argv: readonly string[]): string[] {
  return argv.map((a) => ((LIST_FLAGS as readonly string[]).includes(a.replace(/^--/, "")) && a.startsWith("--") && !a.includes("=") ? `${a}=*` : a));
}

const listed = (list: NameList, name: string): boolean => list.all || list.names.includes(name);

// ── environment ──────────────────────────────────────────────────────────────────────────────

/**
 * Never passed, whatever is granted: they would configure the sandbox's own Node or loader
 * (NODE_OPTIONS, NODE_PATH, LD_PRELOAD, …) or the host's own switches (STUI_*). NODE_ENV is an
 * ordinary variable.
 */
export function neverPassed(name: string): boolean {
  return (/^NODE_/.test(name) && name !== "NODE_ENV") || /^(LD_|DYLD_|STUI_)/.test(name) || name === "UV_THREADPOOL_SIZE" || /^(OPENSSL_|SSL_CERT_)/.test(name);
}

/** The variables of `env` a script gets with these grants (deny beats allow). */
export function grantedEnv(allow: NameList, deny: NameList, env: NodeJS.ProcessEnv): Record<string, string> {
  if (!allow.all) for (const name of allow.names) if (neverPassed(name)) throw new OsGrantError(`--allow-env=${name}: ${name} is never passed to a script (it would configure the sandbox's own Node, its loader or stui itself)`);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || neverPassed(name) || listed(deny, name) || !listed(allow, name)) continue;
    out[name] = value;
  }
  return out;
}

// ── network ──────────────────────────────────────────────────────────────────────────────────

export interface HostPort {
  /** Canonical (ip-address.ts): an address in its one spelling (IPv4-mapped IPv6 as IPv4), a name in lower-case ASCII. */
  host: string;
  /** Absent: every port. */
  port?: number;
}

export interface NetRules {
  allow: { all: true } | { all: false; destinations: HostPort[] };
  deny: { all: true } | { all: false; destinations: HostPort[] };
}

/** "host", "host:port", "[v6]", "[v6]:port" → a destination. */
export function parseHostPort(text: string): HostPort {
  const m = /^\[([0-9a-f:.]+)\](?::(\d+))?$/i.exec(text) ?? /^([^:[\]\s/]+)(?::(\d+))?$/.exec(text);
  if (!m?.[1]) throw new OsGrantError(`"${text}" is not HOST or HOST:PORT (an IPv6 address in brackets: [::1]:8080)`);
  if (text.startsWith("[") && isIP(m[1]) !== 6) throw new OsGrantError(`"${text}": not an IPv6 address`);
  const host = canonicalHost(m[1]);
  if (m[2] === undefined) return { host };
  const port = Number(m[2]);
  if (!(port >= 1 && port <= 65535)) throw new OsGrantError(`"${text}": port out of range (1-65535)`);
  return { host, port };
}

export function netRules(allow: NameList, deny: NameList): NetRules {
  const side = (list: NameList) => (list.all ? { all: true as const } : { all: false as const, destinations: list.names.map(parseHostPort) });
  return { allow: side(allow), deny: side(deny) };
}

const matches = (d: HostPort, host: string, port: number): boolean => d.host === host && (d.port === undefined || d.port === port);

/**
 * Whether a connection to host:port is granted, before any lookup (a name that is not granted is
 * never resolved: the lookup itself would carry data out); deny beats allow. Both sides are
 * compared in their canonical spelling, so `[::ffff:7f00:1]`, `0x7f.1` and `127.0.0.1` are one
 * destination. As in Deno, a name is not its addresses: `--allow-net=localhost` does not grant
 * `127.0.0.1`; the addresses a name resolves to are checked against --deny-net by deniedAddress.
 */
export function netDecision(rules: NetRules, host: string, port: number): { ok: true } | { ok: false; why: string } {
  const canonical = canonicalHost(host);
  const where = `${isIP(canonical) === 6 ? `[${canonical}]` : canonical}:${port}`;
  if (rules.deny.all || rules.deny.destinations.some((d) => matches(d, canonical, port))) return { ok: false, why: `--deny-net refuses ${where}` };
  if (rules.allow.all || rules.allow.destinations.some((d) => matches(d, canonical, port))) return { ok: true };
  return { ok: false, why: `${where} is not granted: run again with --allow-net=${where}` };
}

/** The --deny-net rule an address refuses (a granted name may resolve to a denied address), as a reason; else undefined. */
export function deniedAddress(rules: NetRules, host: string, addresses: readonly string[], port: number): string | undefined {
  if (rules.deny.all) return undefined; // netDecision refused it already
  for (const a of addresses) {
    const canonical = canonicalAddress(a) ?? a;
    const rule = rules.deny.destinations.find((d) => matches(d, canonical, port));
    if (rule) return `--deny-net refuses ${isIP(canonical) === 6 ? `[${canonical}]` : canonical}${rule.port ? `:${rule.port}` : ""}, which ${host} resolves to`;
  }
  return undefined;
}

export function netGranted(rules: NetRules): boolean {
  return !rules.deny.all && (rules.allow.all || rules.allow.destinations.length > 0);
}

// ── commands ─────────────────────────────────────────────────────────────────────────────────

/** A command granted to run, and the files that must be visible for it (itself, its real path, its interpreter). */
export interface GrantedCommand {
  name: string;
  files: string[];
}

/** What the sandbox mounts for --allow-run. */
export interface RunLayout {
  /** Every command of the system's bin folders (the bare flag). */
  all: boolean;
  /** With a list: only these are visible in the bin folders. */
  commands: GrantedCommand[];
  /** Files hidden even though the bin folders are visible (--deny-run with the bare --allow-run). */
  denied: string[];
  /** PATH inside the sandbox. */
  path: string;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** A command name (looked up on PATH) or an absolute path → the file it runs. */
export function findCommand(name: string, envPath: string = process.env.PATH ?? "/usr/bin:/bin"): string | undefined {
  if (name.includes("/")) return path.isAbsolute(name) && executable(name) ? name : undefined;
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir || !path.isAbsolute(dir)) continue;
    const file = path.join(dir, name);
    if (executable(file)) return file;
  }
  return undefined;
}

/** A script's interpreter (`#!/bin/sh`, `#!/usr/bin/env python3`), so it can start in the sandbox. */
function interpreterFiles(file: string, envPath: string | undefined): string[] {
  let head: string;
  try {
    head = readFileSync(file).subarray(0, 256).toString("utf8");
  } catch {
    return [];
  }
  if (!head.startsWith("#!")) return [];
  const [interpreter, argument] = head.slice(2).split("\n")[0]!.trim().split(/\s+/);
  if (!interpreter) return [];
  const files = [interpreter];
  if (path.basename(interpreter) === "env" && argument) {
    const target = findCommand(argument, envPath);
    if (target) files.push(target);
  }
  return files.flatMap((f) => (existsSync(f) ? [f, realpathSync(f)] : []));
}

export function runLayout(allow: NameList, deny: NameList, envPath: string | undefined = process.env.PATH): RunLayout | undefined {
  if (deny.all || (!allow.all && allow.names.length === 0)) return undefined;
  const resolve = (name: string): GrantedCommand => {
    const file = findCommand(name, envPath);
    if (!file) throw new OsGrantError(`--allow-run=${name}: no such command${name.includes("/") ? "" : " on PATH"}`);
    const real = realpathSync(file);
    return { name, files: [...new Set([file, real, ...interpreterFiles(real, envPath)])] };
  };
  const deniedFiles = new Set(
    deny.all
      ? []
      : deny.names.flatMap((n) => {
          const file = findCommand(n, envPath);
          return file ? [file, realpathSync(file)] : [];
        }),
  );
  if (allow.all) return { all: true, commands: [], denied: [...deniedFiles], path: "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin" };
  // Deny beats allow, also under another name (python3 → python3.11).
  const commands = allow.names
    .filter((n) => !deny.names.includes(n))
    .map(resolve)
    .filter((c) => !c.files.slice(0, 2).some((f) => deniedFiles.has(f)));
  if (commands.length === 0) return undefined;
  const dirs = [...new Set(commands.map((c) => path.dirname(c.files[0]!)))];
  return { all: false, commands, denied: [], path: [...dirs, "/usr/local/bin", "/usr/bin", "/bin"].filter((d, i, all) => all.indexOf(d) === i).join(":") };
}
