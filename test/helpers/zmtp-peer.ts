/**
 * A peer that is not a ZeroMQ socket at all: a plain TCP connection that speaks ZMTP 3.0 by hand
 * (RFC 23) with the NULL mechanism — greeting and READY as a DEALER, then, once the server's
 * greeting and READY have come (the handshake is complete; libzmq drops a peer that sends a
 * message before that), one request — the way an attacker's script would, bypassing any library.
 * A server that authenticates must give it nothing: at most its own greeting (64 bytes, sent
 * before it knows who is calling), never a reply. A server without authentication answers it
 * (the control that proves this peer is real).
 *
 *   raw TCP ──greeting(NULL), READY──▶ server (CURVE)
 *           ◀─greeting(CURVE)──────── (then the server closes: mechanism mismatch)
 *           ──request──▶              (sent anyway, as an attacker would; never read)
 *
 *   raw TCP ──greeting(NULL), READY──▶ server (none)
 *           ◀─greeting(NULL), READY── ──request──▶ ◀─reply──
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

/** Whether `bytes` hold a whole greeting and then at least one whole frame (the server's READY). */
function greetingAndCommand(bytes: Buffer): boolean {
  if (bytes.length < 66) return false;
  const flags = bytes[64]!;
  const long = (flags & 0x02) !== 0;
  if (long && bytes.length < 73) return false;
  const size = long ? Number(bytes.readBigUInt64BE(65)) : bytes[65]!;
  return bytes.length >= (long ? 73 : 66) + size;
}

/** The mechanism a 64-byte greeting names. */
function mechanismOf(greetingBytes: Buffer): string {
  return greetingBytes.subarray(12, 32).toString("ascii").replace(/\0+$/, "");
}

/**
 * Connects to host:port, speaks ZMTP as a NULL-mechanism DEALER, sends `payload` once the server
 * has greeted it (after its READY when the server speaks NULL too; at once when it does not), and
 * listens for `waitMs`.
 */
export function rawZmtpRequest(host: string, port: number, payload: string, waitMs: number): Promise<RawZmtpResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let closedByServer = false;
    let sent = false;
    const socket = connect({ host, port }, () => {
      socket.write(Buffer.concat([greeting("NULL"), readyCommand("DEALER")]));
    });
    socket.on("data", (chunk) => {
      chunks.push(chunk);
      const received = Buffer.concat(chunks);
      if (sent || received.length < 64) return;
      if (mechanismOf(received) === "NULL" && !greetingAndCommand(received)) return;
      sent = true;
      socket.write(Buffer.concat([frame(0x01, Buffer.alloc(0)), frame(0x00, Buffer.from(payload, "utf8"))]));
    });
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
