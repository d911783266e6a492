// The real connection, through @stui/client, pipelined: one DEALER socket with many calls in
// flight, so a script's concurrent calls are concurrent on the wire too (the permission checks
// stay per call, in the broker). Imported lazily so `stui --help`, `stui list` and build
// errors never load ZeroMQ.

import { connect as netConnect } from "node:net";
import type { Connector } from "./connection.js";

/** How long the refusal probe waits for its TCP (or unix socket) connection before it gives up saying anything. */
const PROBE_LIMIT_MS = 2000;

/**
 * Whether anything listens at the endpoint: a plain connection, closed at once (ZeroMQ itself
 * retries a refused connection silently, so without this a dead endpoint costs the whole
 * connect timeout). Resolves with the reason only when the connection was refused; a
 * connection that succeeds, hangs or fails otherwise leaves the verdict to the ping.
 */
export function refusal(endpoint: string): Promise<string> {
  const tcp = /^tcp:\/\/\[?([^\]]+?)\]?:(\d+)$/.exec(endpoint);
  const target = tcp ? { host: tcp[1]!, port: Number(tcp[2]) } : endpoint.startsWith("ipc://") ? { path: endpoint.slice("ipc://".length) } : undefined;
  return new Promise((resolve) => {
    if (!target) return;
    const socket = netConnect(target);
    const timer = setTimeout(() => socket.destroy(), PROBE_LIMIT_MS);
    timer.unref();
    socket.on("connect", () => {
      clearTimeout(timer);
      socket.destroy();
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === "ECONNREFUSED") resolve(`connection refused: nothing listens at ${endpoint}`);
      else if (error.code === "ENOENT" && "path" in target) resolve(`no socket file at ${target.path}`);
    });
  });
}

export function clientConnector(endpoint: string): Connector {
  return async () => {
    const { connect } = await import("@stui/client");
    const refused = refusal(endpoint);
    const client = await connect({ endpoint, mode: "pipelined" });
    return {
      call: (method, params, options) => client.call(method, params, options),
      // async: a close that throws synchronously still becomes a rejection the host handles.
      close: async () => {
        await client.close();
      },
      refused,
    };
  };
}
