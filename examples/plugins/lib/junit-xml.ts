// JUnit XML for the results of tests.run, in the Apache Ant format CI servers read (the one
// windyroad/JUnit-Schema's JUnit.xsd describes, which Jenkins, GitLab and GitHub Actions
// reporters accept): one <testsuite> per test class inside <testsuites>, each with its
// <properties>, <testcase>s, <system-out> and <system-err>.
//
// Written by hand rather than with an XML library: the format is small and fixed, and a script
// can import only files beside it. What a library would add is escaping, which is below.

import type { TestCaseResult } from "@stui/client/protocol";

export interface JUnitSuite {
  /** The test class. */
  className: string;
  /** Its package. */
  package: string;
  /** When the class's run started. */
  startedAt: Date;
  results: TestCaseResult[];
}

/**
 * Text as XML 1.0 character data or an attribute value: the five special characters escaped,
 * and the characters XML 1.0 cannot hold at all (most C0 controls, lone surrogates, U+FFFE/F)
 * replaced by U+FFFD, so any exception message makes a well-formed document.
 */
export function xmlText(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, "\ufffd")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** Milliseconds as JUnit's seconds (xs:decimal, no exponent). */
export function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

/** A timestamp as the Ant format wants it: ISO 8601 without fraction or time zone (UTC). */
export function timestamp(date: Date): string {
  return date.toISOString().slice(0, 19);
}

function testcase(r: TestCaseResult, packageName: string): string[] {
  const open = `    <testcase classname="${xmlText(`${packageName}.${r.className}`)}" name="${xmlText(r.selector)}" time="${seconds(r.durationMs)}"`;
  if (r.outcome === "passed") return [`${open}/>`];
  if (r.outcome === "skipped") return [`${open}>`, "      <skipped/>", "    </testcase>"];
  const tag = r.outcome === "failed" ? "failure" : "error";
  const e = r.exception;
  const detail = e ? [e.description, ...e.frames.map((f) => `\tat ${f.printString}${f.line !== undefined ? ` (line ${f.line})` : ""}`)].join("\n") : "";
  const attributes = `message="${xmlText(e?.messageText || e?.description || r.outcome)}" type="${xmlText(e?.exceptionClass ?? "Error")}"`;
  return [`${open}>`, `      <${tag} ${attributes}>${xmlText(detail)}</${tag}>`, "    </testcase>"];
}

/** The whole document: `<testsuites>` with one `<testsuite>` per class, numbered from 0. */
export function junitXml(suites: readonly JUnitSuite[], hostname = "localhost"): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"];
  suites.forEach((suite, id) => {
    const count = (outcome: TestCaseResult["outcome"]) => suite.results.filter((r) => r.outcome === outcome).length;
    const time = suite.results.reduce((sum, r) => sum + r.durationMs, 0);
    lines.push(
      `  <testsuite name="${xmlText(suite.className)}" package="${xmlText(suite.package)}" id="${id}" timestamp="${timestamp(suite.startedAt)}" hostname="${xmlText(hostname)}"` +
        ` tests="${suite.results.length}" failures="${count("failed")}" errors="${count("error")}" skipped="${count("skipped")}" time="${seconds(time)}">`,
      "    <properties/>",
      ...suite.results.flatMap((r) => testcase(r, suite.package)),
      "    <system-out/>",
      "    <system-err/>",
      "  </testsuite>",
    );
  });
  lines.push("</testsuites>", "");
  return lines.join("\n");
}
