// scaffold.ts: a plugin that walks the whole edit cycle through typed commands, never through an
// evaluated string: it defines a class and its test class, compiles a method (a dry run first,
// to see the compiler's warnings), compiles a test, runs it, and removes both classes again
// (also when a step fails). Exits 1 when the test did not pass.
//
// Permissions: read (the session), write (class.define, method.compile, class.remove), eval
// (tests.run).
// Run:  stui run scaffold --allow-read --allow-write --allow-eval -- [ClassName] [--package <name>] [--keep]

import { parseArgs } from "node:util";
import { definePlugin } from "@stui/plugins";

export default definePlugin({
  name: "scaffold",
  description: "Define a class and its test, compile, run the test, and remove both again",
  permissions: ["read", "write", "eval"],
  async run(stui) {
    const { values, positionals } = parseArgs({
      args: [...stui.args],
      options: { package: { type: "string", default: "StuiScaffold" }, keep: { type: "boolean" } },
      allowPositionals: true,
    });
    const name = positionals[0] ?? "StuiScaffoldDemo";
    const testName = `${name}Test`;
    const c = stui.client;
    const step = (text: string) => console.log(`scaffold: ${text}`);

    const defined = await c.class.define({ className: name, superclass: "Object", package: values.package, instanceVariables: ["greeting"], comment: `I was made by stui's scaffold plugin and am removed again.` });
    step(`${defined.created ? "defined" : "redefined"} ${name}\n${defined.definition.replace(/^/gm, "    ")}`);
    let passed = false;
    try {
      await c.class.define({ className: testName, superclass: "TestCase", package: values.package });
      step(`defined ${testName}`);
      const source = "greeting\n\t^ greeting ifNil: [ 'hello' ]";
      const dry = await c.method.compile({ className: name, source, protocol: "accessing", dryRun: true });
      step(`dry run of ${name}>>${dry.selector}: ${dry.warnings?.length ? dry.warnings.map((w) => w.description).join("; ") : "no warnings"}`);
      await c.method.compile({ className: name, source, protocol: "accessing" });
      await c.method.compile({ className: testName, source: `testGreeting\n\tself assert: ${name} new greeting equals: 'hello'`, protocol: "tests" });
      step(`compiled ${name}>>greeting and ${testName}>>testGreeting`);
      const run = await c.tests.run({ sessionId: await stui.session.id(), classes: [testName] });
      passed = run.counts.total > 0 && run.counts.passed === run.counts.total;
      for (const r of run.results) step(`${r.className}>>${r.selector}: ${r.outcome}${r.exception ? ` (${r.exception.description})` : ""}`);
    } finally {
      if (!values.keep) {
        // The test class first: it does not subclass the class, but it refers to it.
        for (const className of [testName, name]) {
          await c.class.remove({ className }).then(
            () => step(`removed ${className}`),
            (error: unknown) => step(`could not remove ${className}: ${(error as Error).message}`),
          );
        }
      }
    }
    if (!passed) process.exitCode = 1;
  },
});
