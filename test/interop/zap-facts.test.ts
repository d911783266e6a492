/**
 * The libzmq facts the Pharo server's authentication relies on (STUIAuthenticator,
 * STUIServer>>secure:), checked on the system libzmq — the library the Pharo binding loads —
 * by zap-facts.py, which replays the Pharo socket choreography with pyzmq, polling without
 * blocking as the Pharo loop does. No Pharo VM can run here: this does not test the Smalltalk,
 * it tests what the Smalltalk assumes of the library.
 *
 * Skipped, saying why, where /usr/bin/python3 has no zmq module (CI installs python3-zmq).
 */
import { execFile, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("./zap-facts.py", import.meta.url));
const available = spawnSync(PYTHON, ["-c", "import zmq"]).status === 0;
if (!available) console.warn(`libzmq facts for the Pharo authenticator skipped: ${PYTHON} cannot import zmq (apt-get install python3-zmq)`);

interface Facts {
  curvePublicMatches: boolean;
  enforceDomainAccepted: boolean;
  replies: Record<string, string>;
  zapRequests: { frames: number; version: string; domain: string; mechanism: string; keyBytes: number }[];
  events: number[][];
  withoutHandlerLetIn: boolean;
}

describe.skipIf(!available)("what the Pharo authenticator assumes of the system libzmq", () => {
  it("holds: ZAP requests, monitor events, Z85 keys as 40 bytes, an enforced domain", async () => {
    const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT], { timeout: 15_000 });
    const facts = JSON.parse(stdout) as Facts;
    // zmq_curve_public derives the public key (STUIZmqLibrary>>curvePublicKeyFor:).
    expect(facts.curvePublicMatches).toBe(true);
    // Only the authorized client got through; the stranger and the keyless peer got nothing.
    expect(facts.replies).toEqual({ authorized: "reply to authorized" });
    // A ZAP request is 7 frames after the ROUTER's envelope, the key 32 bytes (STUIAuthenticator>>replyTo:).
    expect(facts.zapRequests.length).toBeGreaterThanOrEqual(2);
    for (const request of facts.zapRequests) expect(request).toEqual({ frames: 7, version: "1.0", domain: "stui", mechanism: "CURVE", keyBytes: 32 });
    // Each failed handshake is one monitor event of two frames, the first 6 bytes (serveWaiting counts them).
    expect(facts.events.length).toBeGreaterThanOrEqual(2);
    for (const event of facts.events) expect(event[0]).toBe(6);
    // ZMQ_ZAP_ENFORCE_DOMAIN is accepted, and with no ZAP handler bound it lets nobody in.
    expect(facts.enforceDomainAccepted).toBe(true);
    expect(facts.withoutHandlerLetIn).toBe(false);
  });
});
