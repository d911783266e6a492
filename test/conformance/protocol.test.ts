/**
 * Conformance, protocol tier, once per protocol version a client generated here speaks (newest
 * first), against a server that speaks every version this code serves. An older version's replies
 * are judged by the validators of the client generated from that release
 * (test/fixtures/clients/<version>, from protocol/v<N>/releases/), and against the reference server
 * it runs once more on a server that speaks nothing newer (one built before the next minor).
 * The suite itself is in protocol-suite.ts.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CLIENT_VERSIONS, NEWEST_VERSION, SERVED_VERSIONS, type VersionInfo } from "@stui/client/protocol";
import { EXTERNAL_ENDPOINT } from "../helpers/index.js";
import { describeProtocolConformance } from "./protocol-suite.js";

const minor = (v: string) => Number(v.split(".")[1]);
for (const version of CLIENT_VERSIONS) {
  const released: VersionInfo | undefined = version === NEWEST_VERSION
    ? undefined
    : ((await import(/* @vite-ignore */ pathToFileURL(join(import.meta.dirname, "../fixtures/clients", version, "index.ts")).href)) as { VERSIONS: Record<string, VersionInfo> }).VERSIONS[version];
  describeProtocolConformance(version, undefined, released);
  const older = SERVED_VERSIONS.filter((v) => v.split(".")[0] === version.split(".")[0] && minor(v) <= minor(version));
  if (!EXTERNAL_ENDPOINT && older.length < SERVED_VERSIONS.length) describeProtocolConformance(version, older, released);
}
