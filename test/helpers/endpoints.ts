import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The transports every transport test loops over: the two a STUI server (Pharo's too) binds to. */
export const TRANSPORTS = ["tcp", "ipc"] as const;
export type Transport = (typeof TRANSPORTS)[number];

let counter = 0;

/**
 * An address nobody else uses, to bind to:
 * - tcp: `tcp://127.0.0.1:*`, a free loopback port (read the real one from `socket.lastEndpoint`);
 * - ipc: `ipc://<os.tmpdir()>/stui-<pid>-<n>-<random>.sock`, a fresh path.
 */
export function uniqueEndpoint(transport: Transport): string {
  switch (transport) {
    case "tcp":
      return "tcp://127.0.0.1:*";
    case "ipc":
      return `ipc://${join(tmpdir(), `stui-${process.pid}-${++counter}-${randomBytes(4).toString("hex")}.sock`)}`;
  }
}
