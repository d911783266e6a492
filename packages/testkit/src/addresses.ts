/** Loopback addresses for tests and benchmarks that start servers. */
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A free TCP port on 127.0.0.1: bound to 0, read, released. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * A concrete loopback address nobody else uses — a free tcp port, or a fresh ipc path in the
 * temp folder — for a server that must come back on the same endpoint after a restart (a
 * wildcard `tcp://127.0.0.1:*` would pick a new port each time).
 */
export async function uniqueAddress(transport: "tcp" | "ipc"): Promise<string> {
  if (transport === "tcp") return `tcp://127.0.0.1:${await freePort()}`;
  return `ipc://${join(tmpdir(), `stui-${process.pid}-${randomBytes(6).toString("hex")}.sock`)}`;
}
