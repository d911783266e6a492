/**
 * Conformance, protocol tier, once per protocol version a client generated here speaks (newest
 * first), against a server that speaks every version this code serves; against the reference
 * server, older versions run once more on a server that speaks only versions up to theirs (a
 * server built before the next minor). The suite itself is in protocol-suite.ts.
 */
import { CLIENT_VERSIONS, SERVED_VERSIONS } from "@stui/client/protocol";
import { EXTERNAL_ENDPOINT } from "../helpers/index.js";
import { describeProtocolConformance } from "./protocol-suite.js";

const minor = (v: string) => Number(v.split(".")[1]);
for (const version of CLIENT_VERSIONS) {
  describeProtocolConformance(version);
  const older = SERVED_VERSIONS.filter((v) => v.split(".")[0] === version.split(".")[0] && minor(v) <= minor(version));
  if (!EXTERNAL_ENDPOINT && older.length < SERVED_VERSIONS.length) describeProtocolConformance(version, older);
}
