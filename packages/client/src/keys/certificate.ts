/**
 * CURVE certificates in the ZPL text format that CZMQ (`zcert_save`) and pyzmq
 * (`zmq.auth.create_certificates` / `load_certificate`) write and read, so those tools can use
 * STUI's keys as they are:
 *
 *   #   ZeroMQ CURVE **Secret** Certificate (STUI server key)
 *   #   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.
 *
 *   metadata
 *   curve
 *       public-key = "<40 Z85 characters>"
 *       secret-key = "<40 Z85 characters>"      (only in the secret file, `<name>.key_secret`)
 */
import { StuiKeyError } from "./private-files.js";
import { isCurveKey } from "./z85.js";

export interface KeyPair {
  /** Z85, 40 characters. */
  publicKey: string;
  /** Z85, 40 characters. Never print it, never send it. */
  secretKey: string;
}

/** The text of a certificate: the public one (`<name>.key`) or the secret one (`<name>.key_secret`). */
export function formatCertificate(kind: "public" | "secret", pair: KeyPair, role: string): string {
  const banner = kind === "secret"
    ? [`#   ZeroMQ CURVE **Secret** Certificate (STUI ${role} key)`, "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions."]
    : [`#   ZeroMQ CURVE Public Certificate (STUI ${role} key)`, "#   Give the public key to whoever must recognise this key; it is not a secret."];
  return [
    `#   ****  Generated on ${new Date().toISOString()} by STUI  ****`,
    ...banner,
    "",
    "metadata",
    "curve",
    `    public-key = "${pair.publicKey}"`,
    ...(kind === "secret" ? [`    secret-key = "${pair.secretKey}"`] : []),
    "",
  ].join("\n");
}

/** Reads a certificate's keys (the same lines pyzmq's load_certificate reads); checks both are CURVE keys. */
export function parseCertificate(text: string, file: string): { publicKey: string; secretKey: string | undefined } {
  let publicKey: string | undefined;
  let secretKey: string | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#")) continue;
    const value = (): string => line.slice(line.indexOf("=") + 1).trim().replace(/^["']|["']$/g, "");
    if (/^public-key\s*=/.test(line)) publicKey = value();
    else if (/^secret-key\s*=/.test(line)) secretKey = value();
  }
  if (publicKey === undefined) throw new StuiKeyError(`${file} has no public-key line: not a CURVE certificate`, file);
  if (!isCurveKey(publicKey)) throw new StuiKeyError(`${file}: the public-key is not a CURVE key (40 Z85 characters)`, file);
  if (secretKey !== undefined && !isCurveKey(secretKey)) throw new StuiKeyError(`${file}: the secret-key is not a CURVE key (40 Z85 characters)`, file);
  return { publicKey, secretKey };
}
