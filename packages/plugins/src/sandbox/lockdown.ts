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

const require = createRequire(import.meta.url);

function refuse(what: string): never {
  const e = new Error(`${what} is not allowed in a stui script: the sandbox reaches Pharo only through the host`) as Error & { code: string };
  e.code = "ERR_ACCESS_DENIED";
  throw e;
}

function stub(target: Record<string, unknown>, name: string, what: string): void {
  if (typeof target[name] !== "function") return;
  Object.defineProperty(target, name, {
    value: function refused() {
      refuse(what);
    },
    writable: false,
    configurable: false,
  });
}

let locked = false;

export function lockdown(): void {
  if (locked) return;
  locked = true;
  const net = require("node:net") as Record<string, unknown> & { Socket: { prototype: Record<string, unknown> }; Server: { prototype: Record<string, unknown> } };
  stub(net.Socket.prototype, "connect", "Opening a network connection (node:net)");
  stub(net.Server.prototype, "listen", "Listening on a network port (node:net)");
  for (const name of ["connect", "createConnection", "createServer"]) stub(net, name, `node:net ${name}`);
  // Internals that make listening handles without listen() (test/security found _listen2).
  stub(net.Server.prototype, "_listen2", "Listening on a network port (node:net internals)");
  stub(net, "_createServerHandle", "Listening on a network port (node:net internals)");

  const dgram = require("node:dgram") as Record<string, unknown> & { Socket: { prototype: Record<string, unknown> } };
  for (const name of ["bind", "send", "connect"]) stub(dgram.Socket.prototype, name, `UDP (node:dgram ${name})`);
  stub(dgram, "createSocket", "UDP (node:dgram createSocket)");
  stub(dgram, "_createSocketHandle", "UDP (node:dgram internals)");

  const dns = require("node:dns") as Record<string, unknown> & { promises: Record<string, unknown>; Resolver: { prototype: Record<string, unknown> } };
  const dnsPromises = dns.promises as Record<string, unknown> & { Resolver: { prototype: Record<string, unknown> } };
  for (const target of [dns, dnsPromises, dns.Resolver.prototype, dnsPromises.Resolver.prototype]) {
    for (const name of Object.keys(target)) if (/^(lookup|resolve|reverse)/.test(name)) stub(target, name, "DNS (node:dns)");
  }
  for (const mod of ["node:http", "node:https"]) {
    const m = require(mod) as Record<string, unknown>;
    for (const name of ["request", "get", "createServer"]) stub(m, name, `${mod} ${name}`);
  }
  const http2 = require("node:http2") as Record<string, unknown>;
  for (const name of ["connect", "createServer", "createSecureServer"]) stub(http2, name, `node:http2 ${name}`);
  const tls = require("node:tls") as Record<string, unknown>;
  for (const name of ["connect", "createServer"]) stub(tls, name, `node:tls ${name}`);
  const inspector = require("node:inspector") as Record<string, unknown>;
  stub(inspector, "open", "Opening the inspector");

  for (const name of ["fetch", "WebSocket", "EventSource"]) {
    if (name in globalThis) {
      Object.defineProperty(globalThis, name, {
        get() {
          return refuse(`The global ${name}`);
        },
        configurable: false,
      });
    }
  }

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

  // Writers that bypass the permission model: trace files and heap snapshots land in the
  // working folder, diagnostic reports wherever process.report says.
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
  // ESM named imports (import { connect } from "node:net") read the same stubs.
  syncBuiltinESMExports();
}
