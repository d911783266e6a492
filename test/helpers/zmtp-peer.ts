/**
 * A peer that is not a ZeroMQ socket at all: a plain TCP connection that speaks ZMTP 3.0 by hand
 * (RFC 23) with the NULL mechanism — greeting, READY as a DEALER, then one request — the way an
 * attacker's script would, bypassing any library. A server that authenticates must give it
 * nothing: at most its own greeting (64 bytes, sent before it knows who is calling), never a reply.
 *
 *   raw TCP ──greeting(NULL)──▶ server
 *           ◀─greeting(CURVE)── (then the server closes: mechanism mismatch)
 *           ──READY, request──▶ (never read)
 */
import { connect } from "node:net";

function greeting(mechanism: string): Buffer {
  const bytes = Buffer.alloc(64);
  bytes[0] = 0xff; // signature: 0xFF, 8 bytes of padding, 0x7F
  bytes[9] = 0x7f;
  bytes[10] = 3; // version 3.0
  bytes[11] = 0;
  bytes.write(mechanism, 12, "ascii"); // 20 bytes, null-padded
  bytes[32] = 0; // as-server: no
  return bytes;
}

function frame(flags: number, body: Buffer): Buffer {
  if (body.length > 255) throw new RangeError("this peer only sends short frames");
  return Buffer.concat([Buffer.from([flags, body.length]), body]);
}

function readyCommand(socketType: string): Buffer {
  const name = Buffer.from("Socket-Type", "ascii");
  const value = Buffer.from(socketType, "ascii");
  const size = Buffer.alloc(4);
  size.writeUInt32BE(value.length);
  return frame(0x04, Buffer.concat([Buffer.from([5]), Buffer.from("READY", "ascii"), Buffer.from([name.length]), name, size, value]));
}

export interface RawZmtpResult {
  /** Every byte the server sent. */
  received: Buffer;
  /** Whether the server closed the connection before `waitMs` ran out. */
  closedByServer: boolean;
}

/** Connects to host:port, speaks ZMTP as a NULL-mechanism DEALER, sends `payload`, and listens for `waitMs`. */
export function rawZmtpRequest(host: string, port: number, payload: string, waitMs: number): Promise<RawZmtpResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let closedByServer = false;
    const socket = connect({ host, port }, () => {
      socket.write(Buffer.concat([greeting("NULL"), readyCommand("DEALER"), frame(0x01, Buffer.alloc(0)), frame(0x00, Buffer.from(payload, "utf8"))]));
    });
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", (error) => {
      // A reset after the server gave up on us is the server closing: that is the expected end.
      if ((error as NodeJS.ErrnoException).code === "ECONNRESET" || (error as NodeJS.ErrnoException).code === "EPIPE") closedByServer = true;
      else reject(error);
    });
    socket.on("end", () => (closedByServer = true));
    setTimeout(() => {
      socket.destroy();
      resolve({ received: Buffer.concat(chunks), closedByServer });
    }, waitMs);
  });
}

/** host and port of a tcp:// endpoint. */
export function hostAndPort(endpoint: string): { host: string; port: number } {
  const m = /^tcp:\/\/(.+):(\d+)$/.exec(endpoint);
  if (!m) throw new Error(`not a concrete tcp endpoint: ${endpoint}`);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]) };
}
