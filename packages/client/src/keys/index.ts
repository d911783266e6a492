/**
 * @stui/client/keys — the CURVE keys of the STUI home, shared by the client (connect() finds its
 * keys here), the servers (their key pair and authorized_keys) and `stui keys`. File formats and
 * permissions: see store.ts; the lists: key-lists.ts; certificates: certificate.ts.
 */
export {
  KEY_FILES,
  authorizeClient,
  clientKeysFor,
  ensureKeys,
  readAuthorizedKeys,
  readKeyPair,
  readKnownServers,
  revokeClient,
  stuiHome,
  trustServer,
  type ClientCurveKeys,
} from "./store.js";
export { formatCertificate, parseCertificate, type KeyPair } from "./certificate.js";
export { parseAuthorizedKeys, parseKnownServers, type AuthorizedKey, type KnownServer } from "./key-lists.js";
export { StuiKeyError, checkSecretFile, checkTrustedPath } from "./private-files.js";
export { isCurveKey, z85Decode, z85Encode } from "./z85.js";
