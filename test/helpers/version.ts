import { NEWEST_VERSION, VERSIONS, type VersionInfo } from "@stui/client/protocol";

/**
 * The protocol version the raw helpers speak: `envelope()` puts it in `stui`, and the reply checks
 * (expectResult, expectError, …) use that version's generated validators and error codes. The
 * newest by default; a suite that runs in an older version sets it in a `beforeAll` (tests of one
 * file run one after another, so each suite speaks its own version).
 */
let spoken = NEWEST_VERSION;

export function speakVersion(version: string): void {
  if (!VERSIONS[version]) throw new RangeError(`protocol version ${version} is not generated here`);
  spoken = version;
}

export function spokenVersion(): string {
  return spoken;
}

export function spokenTables(): VersionInfo {
  return VERSIONS[spoken]!;
}
