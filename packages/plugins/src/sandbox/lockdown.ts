// Runs inside the sandboxed child before any script code: the innermost of the sandbox's three
// layers (see ../isolation.ts). Node 20's permission model (--experimental-permission) already
// refuses file writes, child processes, workers, native addons and process.binding, but not
// the network, nor a few writers that bypass it. This replaces the entry points a script can
// reach: sockets (net, tls, http, https, http2 all end in net.Socket#connect /
// net.Server#listen), datagrams, DNS, fetch / WebSocket, the inspector, signals and priorities
// of other processes, and trace_events / diagnostic reports (which write into the working
// folder whatever the permission model says).
// Stubs in the script's own process are not a boundary (internals lead around them); on Linux
// the OS layer is, and the security suite proves it with these stubs switched off.

import { createRequire, syncBuiltinESMExports } from "node:module";
import { isIP, type Socket, type SocketConnectOpts } from "node:net";
import { Tunnel, destinationOf } from "./net-tunnel.js";

const require = createRequire(import.meta.url);

function refuse(what: string, why = ": the sandbox reaches Pharo only through the host"): never {
  const e = new Error(`${what} is not allowed in a stui script${why}`) as Error & { code: string; permission?: string; resource?: string };
  e.code = "ERR_ACCESS_DENIED";
  // An outgoing connection refused for want of --allow-net says so the way Node's permission
  // model does (permission, resource), so that the host can report it as a permission denial.
  if (why === WITHOUT_NET) Object.assign(e, { permission: "Net", resource: what });
  throw e;
}

/** Why an outgoing connection is refused when the run has no --allow-net: the flag that would let it through. */
const WITHOUT_NET = " without --allow-net: run again with --allow-net=<host>:<port> to connect through the host (never to the STUI server)";

function stub(target: Record<string, unknown>, name: string, what: string, why?: string): void {
  if (typeof target[name] !== "function") return;
  Object.defineProperty(target, name, {
    value: function refused() {
      refuse(what, why);
    },
    writable: false,
    configurable: false,
  });
}

/** Put `value` in place of target[name] for good (a script cannot put the original back). */
function replace(target: Record<string, unknown>, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, writable: false, configurable: false });
}

export interface LockdownOptions {
  /**
   * --allow-net: the host's network proxy, as a unix socket path inside the sandbox. TCP
   * connections (net, tls, http(s), fetch) then go through it (net-tunnel.ts); listening, UDP
   * and DNS stay refused (the proxy resolves names itself).
   */
  netSocket?: string | undefined;
  /**
   * --allow-run: "*" (every command) or the granted names. Calls naming another command are
   * refused here with a message that says so; the sandbox's mounts are what enforce it (an
   * ungranted command is not there at all).
   */
  run?: "*" | readonly string[] | undefined;
}

let locked = false;

export function lockdown(options: LockdownOptions = {}): void {
  if (locked) return;
  locked = true;
  lockNetwork(options.netSocket);
  if (options.run !== "*") guardCommands(options.run ?? []);
  const inspector = require("node:inspector") as Record<string, unknown>;
  stub(inspector, "open", "Opening the inspector");
  lockProcesses();
  lockWriters();
  // ESM named imports (import { connect } from "node:net") read the same stubs.
  syncBuiltinESMExports();
}

/**
 * Sockets, datagrams, DNS, http(s), http2, tls, fetch: refused; with --allow-net (`netSocket`),
 * TCP connections go through the host's proxy instead, and fetch and http(s) stay.
 */
function lockNetwork(netSocket: string | undefined): void {
  const net = require("node:net") as Record<string, unknown> & { Socket: (new () => Socket) & { prototype: Record<string, unknown> }; Server: { prototype: Record<string, unknown> } };
  const tls = require("node:tls") as Record<string, unknown>;
  // The originals the tunnel needs, taken before the stubs go in.
  const socketConnect = net.Socket.prototype.connect as (this: Socket, o: SocketConnectOpts) => Socket;
  const OriginalSocket = net.Socket;
  const tlsConnect = tls.connect as (...args: unknown[]) => Socket;
  stub(net.Socket.prototype, "connect", `Opening a network connection with new net.Socket().connect()${netSocket ? " (with --allow-net, use net.connect(), tls.connect(), http(s) or fetch: those go through the host)" : ""}`);
  stub(net.Server.prototype, "listen", "Listening on a network port (node:net)");
  stub(net, "createServer", "node:net createServer");
  if (netSocket) {
    const through = tunnelling(netSocket, (o) => socketConnect.call(new OriginalSocket(), o), tlsConnect);
    replace(net, "connect", through.net);
    replace(net, "createConnection", through.net);
    replace(tls, "connect", through.tls);
    const http = require("node:http") as { Agent: { prototype: Record<string, unknown> } };
    // https.Agent inherits from http.Agent and sets its own createConnection (through tls.connect,
    // tunnelled above) when it loads: load it first, or that assignment would meet a read-only one.
    require("node:https");
    replace(http.Agent.prototype, "createConnection", through.net);
  } else {
    for (const name of ["connect", "createConnection"]) stub(net, name, `node:net ${name}`, WITHOUT_NET);
  }
  // Internals that make listening handles without listen() (test/security found _listen2).
  stub(net.Server.prototype, "_listen2", "Listening on a network port (node:net internals)");
  stub(net, "_createServerHandle", "Listening on a network port (node:net internals)");

  const dgram = require("node:dgram") as Record<string, unknown> & { Socket: { prototype: Record<string, unknown> } };
  for (const name of ["bind", "send", "connect"]) stub(dgram.Socket.prototype, name, `UDP (node:dgram ${name})`);
  stub(dgram, "createSocket", "UDP (node:dgram createSocket)");
  stub(dgram, "_createSocketHandle", "UDP (node:dgram internals)");
  // The constructor makes a UDP handle of its own, reachable through the socket's state symbol
  // (red team finding 18: a datagram left the sandbox at level none). No socket is made at all;
  // the prototype stays, for instanceof.
  const RefusedSocket = function Socket(): never {
    refuse("UDP (new dgram.Socket)");
  };
  RefusedSocket.prototype = dgram.Socket.prototype;
  replace(dgram, "Socket", RefusedSocket);

  const dns = require("node:dns") as Record<string, unknown> & { promises: Record<string, unknown>; Resolver: { prototype: Record<string, unknown> } };
  const dnsPromises = dns.promises as Record<string, unknown> & { Resolver: { prototype: Record<string, unknown> } };
  for (const target of [dns, dnsPromises, dns.Resolver.prototype, dnsPromises.Resolver.prototype]) {
    for (const name of Object.keys(target)) if (/^(lookup|resolve|reverse)/.test(name)) stub(target, name, "DNS (node:dns)");
  }
  for (const mod of ["node:http", "node:https"]) {
    const m = require(mod) as Record<string, unknown>;
    for (const name of netSocket ? ["createServer"] : ["request", "get", "createServer"]) stub(m, name, `${mod} ${name}`, name === "createServer" ? undefined : WITHOUT_NET);
  }
  const http2 = require("node:http2") as Record<string, unknown>;
  for (const name of ["connect", "createServer", "createSecureServer"]) stub(http2, name, `node:http2 ${name}`);
  for (const name of netSocket ? ["createServer"] : ["connect", "createServer"]) stub(tls, name, `node:tls ${name}`, name === "connect" ? WITHOUT_NET : undefined);

  for (const name of netSocket ? [] : ["fetch", "WebSocket", "EventSource"]) {
    if (name in globalThis) {
      Object.defineProperty(globalThis, name, {
        get() {
          return refuse(`The global ${name}`, WITHOUT_NET);
        },
        configurable: false,
      });
    }
  }
}

/** Signals and priorities of other processes. */
function lockProcesses(): void {
  const kill = process.kill.bind(process);
  Object.defineProperty(process, "kill", {
    value: (pid: number, signal?: string | number) => (pid === process.pid ? kill(pid, signal) : refuse("Signalling another process")),
    writable: false,
    configurable: false,
  });
  // process.kill's own binding, reachable by name.
  const rawKill = (process as unknown as { _kill: (pid: number, signal: number) => number })._kill.bind(process);
  Object.defineProperty(process, "_kill", {
    value: (pid: number, signal: number) => (pid === process.pid ? rawKill(pid, signal) : refuse("Signalling another process")),
    writable: false,
    configurable: false,
  });
  const os = require("node:os") as Record<string, unknown> & { setPriority: (pid: number, priority?: number) => void };
  const setPriority = os.setPriority.bind(os);
  Object.defineProperty(os, "setPriority", {
    value: (pid: number, priority?: number) => {
      if (priority === undefined) return setPriority(pid);
      return pid === 0 || pid === process.pid ? setPriority(pid, priority) : refuse("Changing another process's priority");
    },
    writable: false,
    configurable: false,
  });
}

/**
 * Writers that bypass the permission model: trace files and heap snapshots land in the working
 * folder, diagnostic reports wherever process.report says.
 */
function lockWriters(): void {
  stub(require("node:trace_events") as Record<string, unknown>, "createTracing", "Tracing (node:trace_events writes files)");
  stub(require("node:v8") as Record<string, unknown>, "setHeapSnapshotNearHeapLimit", "Heap snapshots (node:v8)");
  const report = process.report as unknown as Record<string, unknown> | undefined;
  if (report) {
    for (const name of ["directory", "filename", "reportOnFatalError", "reportOnSignal", "reportOnUncaughtException", "signal"]) {
      Object.defineProperty(report, name, {
        get: () => (name === "directory" || name === "filename" || name === "signal" ? "" : false),
        set: () => refuse("Configuring diagnostic reports"),
        configurable: false,
      });
    }
    stub(report, "writeReport", "Writing a diagnostic report");
  }
}

/** net.connect and tls.connect that go through the host's proxy (a unix path is still refused). */
function tunnelling(socketPath: string, connect: (o: SocketConnectOpts) => Socket, tlsConnect: (...args: unknown[]) => Socket) {
  const open = (args: unknown[]): Tunnel => {
    const to = destinationOf(args);
    if (!to) throw new TypeError("net.connect: no port to connect to");
    if ("path" in to) refuse(`Connecting to the unix socket ${to.path}`);
    const tunnel = new Tunnel(socketPath, connect, to);
    const listener = args.find((a) => typeof a === "function") as (() => void) | undefined;
    if (listener) tunnel.once("connect", listener);
    return tunnel;
  };
  return {
    net: (...args: unknown[]) => open(args),
    tls: (...args: unknown[]) => {
      const options = (typeof args[0] === "object" && args[0] !== null ? args[0] : typeof args[2] === "object" && args[2] !== null ? args[2] : {}) as Record<string, unknown>;
      if (options.socket) return tlsConnect(...args);
      const to = destinationOf(args);
      if (!to || "path" in to) return open(args);
      const listener = args.find((a) => typeof a === "function");
      const servername = typeof options.servername === "string" ? options.servername : isIP(to.host) ? undefined : to.host;
      return tlsConnect({ ...options, host: to.host, port: to.port, ...(servername ? { servername } : {}), socket: new Tunnel(socketPath, connect, to) }, ...(listener ? [listener] : []));
    },
  };
}

/** child_process calls that name a command not granted fail at once, naming it (ERR_ACCESS_DENIED, ChildProcess, the command). */
function guardCommands(granted: readonly string[]): void {
  const cp = require("node:child_process") as Record<string, (...args: unknown[]) => unknown>;
  const check = (command: unknown): void => {
    const name = typeof command === "string" ? command.split("/").pop() ?? command : String(command);
    if (granted.includes(name) || (typeof command === "string" && granted.includes(command))) return;
    const e = new Error(`permission denied: running ${String(command)} needs --allow-run=${[...granted, name].join(",")}`) as Error & { code: string; permission: string; resource: string };
    e.code = "ERR_ACCESS_DENIED";
    e.permission = "ChildProcess";
    e.resource = String(command);
    throw e;
  };
  for (const name of ["spawn", "spawnSync", "execFile", "execFileSync"]) {
    const original = cp[name]!;
    replace(cp, name, (...args: unknown[]) => (check(args[0]), original(...args)));
  }
  // exec runs its command line through /bin/sh.
  for (const name of ["exec", "execSync"]) {
    const original = cp[name]!;
    replace(cp, name, (...args: unknown[]) => (check("sh"), original(...args)));
  }
}
