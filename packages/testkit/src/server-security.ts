/**
 * How a test server authenticates its clients, the same way the Pharo server does:
 *
 * - `"curve"` (the default): the ROUTER is a CURVE server with this machine's server key from the
 *   STUI home, and the ZAP handler lets in only the client keys of the home's authorized_keys
 *   (read again whenever the file changes, so `stui keys authorize/revoke` work on a running
 *   server for new connections). A peer that does not complete the handshake — no key, a key not
 *   authorized, the wrong server key, no CURVE at all, not even ZMTP — never gets a message
 *   through: no reply, no work. Each such handshake failure is counted (`rejectedPeers`).
 * - `"none"`: no authentication, for loopback endpoints only (refused anywhere else), with a
 *   warning: any local user can then drive the server.
 */
import { statSync } from "node:fs";
import path from "node:path";
import * as zmq from "zeromq";
import { KEY_FILES, ensureKeys, readAuthorizedKeys, readKeyPair, type AuthorizedKey } from "@stui/client/keys";
import { ZapHandler, serverContext } from "./zap-handler.js";

export type Authentication = "curve" | "none";

/** The facts `system.info` reports in its `security` section (protocol 1.1). */
export interface SecurityStats {
  authentication: Authentication;
  /** Peers whose handshake failed since the server started (each failed attempt counts once). */
  rejectedPeers: number;
}

/** True for endpoints only this machine can reach: ipc://, inproc://, tcp:// on 127.0.0.0/8, localhost or [::1]. */
export function isLoopbackEndpoint(endpoint: string): boolean {
  if (endpoint.startsWith("ipc://") || endpoint.startsWith("inproc://")) return true;
  const m = /^tcp:\/\/(.+):([0-9]+|\*)$/.exec(endpoint);
  if (!m) return false;
  const host = m[1]!.toLowerCase();
  if (host === "localhost" || host === "[::1]") return true;
  const parts = host.split(".");
  return parts.length === 4 && parts[0] === "127" && parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255);
}

let serverCount = 0;

/** authorized_keys, read again when it changes; a file that cannot be read lets nobody in. */
class AuthorizedKeys {
  private stamp = "";
  private keys = new Map<string, AuthorizedKey>();
  private readonly file: string;

  constructor(private readonly home: string) {
    this.file = path.join(home, KEY_FILES.authorizedKeys);
    this.refresh(true);
  }

  /** The user id of an authorized key ("" when its line names nothing), else undefined. */
  find(key: string): string | undefined {
    this.refresh(false);
    const entry = this.keys.get(key);
    return entry ? entry.name || key.slice(0, 8) : undefined;
  }

  private refresh(strict: boolean): void {
    let stamp = "missing";
    try {
      const stats = statSync(this.file);
      stamp = `${stats.ino}/${stats.size}/${stats.mtimeMs}/${stats.mode}`;
    } catch {
      // no file: nobody is authorized
    }
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    try {
      this.keys = new Map(readAuthorizedKeys(this.home).map((entry) => [entry.key, entry]));
    } catch (error) {
      if (strict) throw error;
      this.keys = new Map();
      process.emitWarning(`${(error as Error).message} — no client is let in until it is fixed`);
    }
  }
}

export class ServerSecurity {
  private rejected = 0;

  private constructor(
    readonly authentication: Authentication,
    /** Options for the server's ROUTER socket: the shared context, and CURVE with its ZAP domain. */
    readonly socketOptions: zmq.SocketOptions<zmq.Router> & { context: zmq.Context },
    private readonly zap: { handler: ZapHandler; domain: string } | undefined,
  ) {}

  /** Checks the endpoint against the mode, reads the keys (creating them on first use), registers with the ZAP handler. */
  static async open(authentication: Authentication, endpoint: string, home: string): Promise<ServerSecurity> {
    const context = serverContext();
    if (authentication === "none") {
      if (!isLoopbackEndpoint(endpoint)) {
        throw new Error(`refusing to bind ${endpoint} without authentication: only loopback endpoints (127.0.0.1, localhost, [::1], ipc://) may run without it`);
      }
      process.emitWarning(`STUI test server on ${endpoint} WITHOUT AUTHENTICATION: every local user can drive it`, { code: "STUI_NO_AUTHENTICATION" });
      return new ServerSecurity("none", { context }, undefined);
    }
    if (authentication !== "curve") throw new RangeError(`authentication must be "curve" or "none", not ${JSON.stringify(authentication)}`);
    ensureKeys(home);
    const { secretKey } = readKeyPair(home, "server");
    const authorized = new AuthorizedKeys(home);
    const domain = `stui-test-server/${process.pid}/${++serverCount}`;
    const handler = await ZapHandler.acquire();
    handler.register(domain, (key) => authorized.find(key));
    return new ServerSecurity(
      "curve",
      { context, curveServer: true, curveSecretKey: secretKey, zapDomain: domain, zapEnforceDomain: true },
      { handler, domain },
    );
  }

  /** Counts the handshakes that fail on the server's socket. */
  watch(socket: zmq.Router): void {
    const count = (): void => void this.rejected++;
    socket.events.on("handshake:error:auth", count);
    socket.events.on("handshake:error:protocol", count);
    socket.events.on("handshake:error:other", count);
  }

  stats(): SecurityStats {
    return { authentication: this.authentication, rejectedPeers: this.rejected };
  }

  /** Unregisters from the ZAP handler: call after the server's socket is closed. */
  async close(): Promise<void> {
    if (this.zap) await this.zap.handler.release(this.zap.domain);
  }
}
