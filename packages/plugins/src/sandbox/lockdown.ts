// Runs inside the sandboxed child before any script code. Node 20's permission model
// (--experimental-permission) already refuses file writes, child processes, workers,
// native addons and process.binding. It does NOT restrict the network, so a script
// could speak ZMTP to the server itself over node:net and skip the host's permission
// checks. This closes the network entry points a script can reach: sockets (net, tls,
// http, https, http2 all end in net.Socket#connect / net.Server#listen), datagrams,
// DNS, fetch / WebSocket, the inspector, and signals to other processes.
// Defense in depth, not a proof: see README "What the sandbox does not cover".

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

  const dgram = require("node:dgram") as Record<string, unknown> & { Socket: { prototype: Record<string, unknown> } };
  for (const name of ["bind", "send", "connect"]) stub(dgram.Socket.prototype, name, `UDP (node:dgram ${name})`);
  stub(dgram, "createSocket", "UDP (node:dgram createSocket)");

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
  // ESM named imports (import { connect } from "node:net") read the same stubs.
  syncBuiltinESMExports();
}
