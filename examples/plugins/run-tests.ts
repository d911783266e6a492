// run-tests.ts: a plugin that runs the SUnit tests of some packages, class by class (so a long
// run shows its progress), and writes the results as JUnit XML, so a CI job can gate on a
// Pharo image. Exits 1 when a test failed or raised an error.
//
// Permissions: read (finding the test classes: code.search; the session), eval (tests.run),
// and a file-system write grant for the report's folder.
// Run:  stui run examples/plugins/run-tests.ts --allow-read --allow-eval --allow-fs-write=/abs/out \
//         -- MyApp-Tests --junit /abs/out/junit.xml [--test-timeout 5000] [--frames 10]
//       (give the report an absolute path: the script's own folder is not the current one)
// Ctrl-C or --timeout stop the class that is running on the server (evaluate.cancel).

import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { definePlugin } from "@stui/plugins";
import type { TestCaseResult } from "@stui/client/protocol";
import { junitXml, type JUnitSuite } from "./lib/junit-xml.js";

const USAGE = "usage: stui run run-tests --allow-read --allow-eval --allow-fs-write=<dir> -- <package>... --junit <dir>/junit.xml [--test-timeout <ms>] [--frames <n>]";
const PAGE = 1000;

export default definePlugin({
  name: "run-tests",
  description: "Run the SUnit tests of packages and write a JUnit XML report",
  permissions: ["read", "eval"],
  async run(stui) {
    const { values, positionals: packages } = parseArgs({
      args: [...stui.args],
      options: { junit: { type: "string" }, "test-timeout": { type: "string" }, frames: { type: "string", default: "10" } },
      allowPositionals: true,
    });
    if (packages.length === 0 || !values.junit) throw new Error(USAGE);
    const testTimeoutMs = values["test-timeout"] === undefined ? undefined : Number(values["test-timeout"]);
    const maxFrames = Number(values.frames);
    if ((testTimeoutMs !== undefined && !(Number.isInteger(testTimeoutMs) && testTimeoutMs > 0)) || !(Number.isInteger(maxFrames) && maxFrames >= 0)) throw new Error(USAGE);

    // The test classes: TestCase's subclasses in these packages (all pages).
    const classes: { name: string; package: string }[] = [];
    for (let offset = 0; ; ) {
      const page = await stui.client.code.search({ kind: "subclasses", query: "TestCase", packages, offset, limit: PAGE });
      classes.push(...page.classes.map((c) => ({ name: c.name, package: c.package })));
      offset += page.classes.length;
      if (page.classes.length === 0 || offset >= page.total) break;
    }
    console.error(`run-tests: ${classes.length} test class(es) in ${packages.join(", ")}`);

    // Class by class, in the script's session (so Ctrl-C can stop the class that runs). An
    // abstract class runs its concrete subclasses' tests too: each test is kept once.
    const sessionId = await stui.session.id();
    const seen = new Set<string>();
    const suites: JUnitSuite[] = [];
    for (const [i, c] of classes.entries()) {
      const startedAt = new Date();
      const run = await stui.client.tests.run({ sessionId, classes: [c.name], maxFrames, ...(testTimeoutMs !== undefined ? { testTimeoutMs } : {}) });
      const fresh = run.results.filter((r) => !seen.has(`${r.className}>>${r.selector}`));
      for (const r of fresh) seen.add(`${r.className}>>${r.selector}`);
      const byClass = new Map<string, TestCaseResult[]>();
      for (const r of fresh) byClass.set(r.className, [...(byClass.get(r.className) ?? []), r]);
      for (const [className, results] of byClass) suites.push({ className, package: results[0]!.package, startedAt, results });
      const n = (o: TestCaseResult["outcome"]) => fresh.filter((r) => r.outcome === o).length;
      console.error(`run-tests: [${i + 1}/${classes.length}] ${c.name}: ${fresh.length} tests, ${n("passed")} passed, ${n("failed")} failed, ${n("error")} errors, ${n("skipped")} skipped (${Math.round(run.durationMs)} ms)`);
    }

    writeFileSync(values.junit, junitXml(suites));
    const all = suites.flatMap((s) => s.results);
    const bad = all.filter((r) => r.outcome === "failed" || r.outcome === "error");
    console.log(`${all.length} tests, ${bad.length} failed or erred; JUnit XML written to ${values.junit}`);
    for (const r of bad) console.log(`  ${r.outcome === "failed" ? "FAIL " : "ERROR"} ${r.className}>>${r.selector}: ${r.exception?.description ?? r.outcome}`);
    if (bad.length > 0) process.exitCode = 1;
  },
});
