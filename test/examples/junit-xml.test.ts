/**
 * examples/plugins/lib/junit-xml.ts, judged by real XML Schema validators (xmllint) against two
 * published JUnit schemas, including text no XML document can hold as it is.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { junitXml, seconds, timestamp, xmlText } from "../../examples/plugins/lib/junit-xml.js";
import { HAS_XMLLINT, JUNIT_SCHEMAS, validateXml } from "./xmllint.js";

const started = new Date("2026-11-28T09:30:00.123Z");
const nasty = `a <b> & "c" 'd' \u0000\u0007\u001b\ud800 é 😀`;

const document = junitXml([
  {
    className: "CounterTest",
    package: "MyApp-Tests",
    startedAt: started,
    results: [
      { className: "CounterTest", selector: "testIncrement", package: "MyApp-Tests", outcome: "passed", durationMs: 1.5 },
      { className: "CounterTest", selector: "testLater", package: "MyApp-Tests", outcome: "skipped", durationMs: 0 },
      {
        className: "CounterTest", selector: "testDivide", package: "MyApp-Tests", outcome: "failed", durationMs: 2,
        exception: { exceptionClass: "TestFailure", messageText: nasty, description: `TestFailure: ${nasty}`, frames: [{ index: 0, method: "CounterTest>>testDivide", receiverClass: "CounterTest", printString: "CounterTest>>testDivide", line: 2 }] },
      },
      { className: "CounterTest", selector: "testDecrement", package: "MyApp-Tests", outcome: "error", durationMs: 0.25 },
    ],
  },
  { className: "EmptyTest", package: "MyApp-Tests", startedAt: started, results: [] },
]);

describe("JUnit XML", () => {
  it("escapes the five special characters and replaces what XML 1.0 cannot hold", () => {
    expect(xmlText(nasty)).toBe("a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; \ufffd\ufffd\ufffd\ufffd é 😀");
    expect(seconds(1234.5)).toBe("1.234"); // rounding: toFixed's, never an exponent
    expect(seconds(-1)).toBe("0.000");
    expect(timestamp(started)).toBe("2026-11-28T09:30:00");
  });

  it("counts per suite, and one testcase per result with its failure or error", () => {
    expect(document).toContain(`<testsuite name="CounterTest" package="MyApp-Tests" id="0" timestamp="2026-11-28T09:30:00" hostname="localhost" tests="4" failures="1" errors="1" skipped="1" time="0.004">`);
    expect(document).toContain(`<testcase classname="MyApp-Tests.CounterTest" name="testLater" time="0.000">\n      <skipped/>`);
    expect(document).toContain(`<failure message="a &lt;b&gt; &amp; &quot;c&quot;`);
    expect(document).toContain(`type="TestFailure">TestFailure: a &lt;b&gt;`);
    expect(document).toContain(`\tat CounterTest&gt;&gt;testDivide (line 2)</failure>`);
    expect(document).toContain(`<error message="error" type="Error"></error>`);
    expect(document).toContain(`<testsuite name="EmptyTest" package="MyApp-Tests" id="1"`);
  });

  it.skipIf(!HAS_XMLLINT)("is valid against the Ant JUnit schema and Jenkins' (xmllint --schema)", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "stui-junit-")), "junit.xml");
    writeFileSync(file, document);
    for (const xsd of Object.values(JUNIT_SCHEMAS)) expect(validateXml(file, xsd)).toEqual({ ok: true, output: `${file} validates` });
  });

  it.skipIf(!HAS_XMLLINT)("the check can fail: a report without its required parts is refused", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "stui-junit-")), "bad.xml");
    writeFileSync(file, document.replace("    <properties/>\n", ""));
    const r = validateXml(file, JUNIT_SCHEMAS.ant);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/properties/);
  });
});
