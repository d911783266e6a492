import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The JUnit XML schemas (test/fixtures/junit/README.md). */
export const JUNIT_SCHEMAS = {
  ant: fileURLToPath(new URL("../fixtures/junit/ant-junit.xsd", import.meta.url)),
  jenkins: fileURLToPath(new URL("../fixtures/junit/jenkins-junit-10.xsd", import.meta.url)),
} as const;

/** Whether libxml2's xmllint is installed (Debian: libxml2-utils; .ci/run installs it). */
export const HAS_XMLLINT = spawnSync("xmllint", ["--version"], { encoding: "utf8" }).status === 0;

/** Validates an XML file against an XSD with xmllint: `ok` and what xmllint said. */
export function validateXml(file: string, xsd: string): { ok: boolean; output: string } {
  const r = spawnSync("xmllint", ["--noout", "--schema", xsd, file], { encoding: "utf8" });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}`.trim() };
}
