import { NEWEST_VERSION, VERSIONS, type VersionInfo } from "@stui/client/protocol";

/**
 * The protocol version the raw helpers speak: `envelope()` puts it in `stui`, and the reply checks
 * (expectResult, expectError, …) use that version's generated validators and error codes. The
 * newest by default; a suite that runs in an older version sets it in a `beforeAll` (tests of one
 * file run one after another, so each suite speaks its own version).
 */
let spoken = NEWEST_VERSION;
let spokenInfo: VersionInfo = VERSIONS[NEWEST_VERSION]!;

/**
 * Speak `version` from now on, checking replies with `tables` (default: the generated tables of
 * @stui/client/protocol; the conformance suite passes those of the client generated from that
 * release, test/fixtures/clients/<version>).
 */
export function speakVersion(version: string, tables: VersionInfo | undefined = VERSIONS[version]): void {
  if (!tables || tables.version !== version) throw new RangeError(`no generated tables for protocol version ${version}`);
  spoken = version;
  spokenInfo = tables;
}

export function spokenVersion(): string {
  return spoken;
}

export function spokenTables(): VersionInfo {
  return spokenInfo;
}
