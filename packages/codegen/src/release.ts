/**
 * `stui-codegen release` (run by `npm run changeset`): freezes each working schema whose version
 * is not released yet into protocol/v<N>/releases/<version>.schema.json, byte for byte, and writes
 * a changeset that describes the protocol release in the checker's words.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type ProtocolHistory, releaseChanges, releaseFile } from "./releases.js";

export interface ReleaseResult {
  /** Repo-relative files written. */
  written: string[];
  /** Versions frozen by this run. */
  released: string[];
}

/** Packages whose published code speaks the protocol: they take the protocol's bump. */
export const PROTOCOL_PACKAGES = ["@stui/client", "@stui/testkit", "@stui/plugins"] as const;

export function changesetText(history: ProtocolHistory, version: string): string {
  const { previous, changes } = releaseChanges(history, version);
  const major = !previous;
  const lines = changes.filter((c) => c.severity !== "info").map((c) => `- ${c.severity === "breaking" ? "**breaking** " : ""}\`${c.where}\`: ${c.message}`);
  return [
    "---",
    ...PROTOCOL_PACKAGES.map((p) => `"${p}": ${major ? "major" : "minor"}`),
    "---",
    "",
    `Protocol ${version}${previous ? ` (additive over ${previous}; servers still answer every earlier ${version.split(".")[0]}.x client)` : " (a new major version)"}.`,
    "",
    ...(lines.length ? lines : ["- No change beyond descriptions and examples."]),
    "",
  ].join("\n");
}

export function release(root: string, history: ProtocolHistory): ReleaseResult {
  const result: ReleaseResult = { written: [], released: [] };
  for (const m of history.majors) {
    if (m.releases.some((r) => r.version === m.working.version)) continue;
    const file = releaseFile(m.major, m.working.version);
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), readFileSync(join(root, m.working.file)));
    result.written.push(file);
    result.released.push(m.working.version);
    const changeset = `.changeset/protocol-${m.working.version.replace(".", "-")}.md`;
    if (!existsSync(join(root, changeset))) {
      writeFileSync(join(root, changeset), changesetText(history, m.working.version));
      result.written.push(changeset);
    }
  }
  return result;
}
