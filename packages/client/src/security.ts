/**
 * The client's side of authentication: which CURVE keys a connection uses, and what a failed
 * handshake means for the person reading the error.
 *
 * STUI servers let in only clients whose CURVE public key they authorize. By default connect()
 * finds everything in the STUI home (`STUI_HOME`, else ~/.stui; created on first use): this
 * machine's client key pair, and the server key that `known_servers` lists for the endpoint,
 * else this machine's own server key. `curve: { serverKey, publicKey, secretKey }` gives them
 * explicitly; `curve: false` connects without authentication (only a server started with
 * authentication "none", on loopback, answers that).
 *
 * A server never answers a peer whose handshake failed, so all the client can see is the
 * handshake's own events: these turn them into a sentence, never into anything secret.
 */
import { StuiKeyError, clientKeysFor } from "./keys/index.js";
import { StuiAuthenticationError } from "./errors.js";

/** CURVE keys for a connection, Z85 text (40 characters each). */
export interface CurveKeys {
  /** The server's public key. */
  serverKey: string;
  /** This client's public key (what the server authorizes). */
  publicKey: string;
  /** This client's secret key. */
  secretKey: string;
}

export interface ClientSecurity {
  /** The keys, or undefined for a connection without authentication. */
  readonly curve: CurveKeys | undefined;
  /** Where the server key came from, for error messages. */
  readonly serverKeySource: string;
}

/** A failed handshake as the client socket reported it. */
export type HandshakeFailure =
  | { kind: "auth"; status: number }
  | { kind: "protocol"; code: string }
  | { kind: "other"; message: string };

/** The keys for `endpoint`: given, discovered in the STUI home, or none. Key problems are ECONNECTION errors. */
export function resolveSecurity(endpoint: string, option: CurveKeys | false | undefined, home: string | undefined): ClientSecurity {
  if (option === false) return { curve: undefined, serverKeySource: "none (curve: false)" };
  if (option !== undefined) return { curve: { ...option }, serverKeySource: "the curve option of connect()" };
  try {
    const { serverKey, publicKey, secretKey, serverKeySource } = clientKeysFor(endpoint, home);
    return { curve: { serverKey, publicKey, secretKey }, serverKeySource };
  } catch (cause) {
    const what = cause instanceof StuiKeyError ? cause.message : `cannot prepare the STUI home: ${(cause as Error).message}`;
    throw new StuiAuthenticationError("keys", `cannot use this client's keys: ${what}`, { endpoint, cause });
  }
}

/** zeromq.js socket options for a client socket. */
export function curveSocketOptions(security: ClientSecurity): { curveServerKey?: string; curvePublicKey?: string; curveSecretKey?: string } {
  const curve = security.curve;
  return curve ? { curveServerKey: curve.serverKey, curvePublicKey: curve.publicKey, curveSecretKey: curve.secretKey } : {};
}

/** How many failed handshakes in a row, with no success between them, end the calls waiting on them. */
export const HANDSHAKE_FAILURES_TO_GIVE_UP = 3;

/**
 * A failure that retrying will not cure: the server refused the key, the two sides use different
 * mechanisms, or the handshake failed HANDSHAKE_FAILURES_TO_GIVE_UP times in a row (a server
 * that cannot decrypt the client's hello, because the server key is wrong, just hangs up, over
 * and over; a network hiccup does not do that three times in a row).
 */
export function isDefinitive(failure: HandshakeFailure, inARow: number): boolean {
  return (failure.kind === "auth" && failure.status >= 400) ||
    (failure.kind === "protocol" && failure.code === "ERR_ZMTP_MECHANISM_MISMATCH") ||
    inARow >= HANDSHAKE_FAILURES_TO_GIVE_UP;
}

/** The sentence after "no answer from <endpoint>: ". Names this client's public key (not a secret), never its secret key. */
export function describeHandshakeFailure(failure: HandshakeFailure, security: ClientSecurity): string {
  const curve = security.curve;
  if (failure.kind === "protocol" && failure.code === "ERR_ZMTP_MECHANISM_MISMATCH") {
    return curve
      ? "the server does not use CURVE authentication (it was started without it); connect with curve: false only if you mean to talk to an unauthenticated server"
      : "the server requires CURVE authentication and this client connected without keys (curve: false)";
  }
  if (!curve) return `the handshake failed (${detail(failure)}): the server may require CURVE authentication, and this client connected without keys (curve: false)`;
  if (failure.kind === "auth") {
    return `the server refused this client's key (CURVE handshake: ${detail(failure)}) — is this client's key authorized? ` +
      `On the server's machine run: stui keys authorize '${curve.publicKey}'`;
  }
  return `the CURVE handshake failed (${detail(failure)}) — is the server key right? It came from ${security.serverKeySource}. ` +
    `And is this client's key (${curve.publicKey}) authorized on the server? (A server started without authentication fails this way too.)`;
}

function detail(failure: HandshakeFailure): string {
  switch (failure.kind) {
    case "auth":
      return `authentication failure, status ${failure.status}`;
    case "protocol":
      return `protocol error ${failure.code}`;
    case "other":
      return `the server closed the connection during the handshake: ${failure.message}`;
  }
}

/**
 * The error of a call that got no answer because the handshake failed (ECONNECTION, as a
 * StuiAuthenticationError: something answered at the endpoint, but never as a server to this client).
 */
export function handshakeError(failure: HandshakeFailure, security: ClientSecurity, context: { method: string; requestId: string; endpoint: string }): StuiAuthenticationError {
  const reason = failure.kind === "auth" && security.curve ? "refused" : "handshake";
  return new StuiAuthenticationError(reason, `${context.method}: no answer from ${context.endpoint}: ${describeHandshakeFailure(failure, security)}`, context);
}
