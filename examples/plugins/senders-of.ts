// senders-of.ts: a plugin that reports every sender of a selector, grouped by package, with the
// lines of each method that send it — what a reviewer reads before renaming or removing a method.
//
// Permissions: read (code.search, method.get).
// Run:  stui run senders-of --allow-read -- printOn: [--package Kernel]... [--no-lines]

import { parseArgs } from "node:util";
import { definePlugin } from "@stui/plugins";
import type { MethodReference } from "@stui/client/protocol";

const PAGE = 500;

export default definePlugin({
  name: "senders-of",
  description: "Report the senders of a selector, by package, with the lines that send it",
  permissions: ["read"],
  async run(stui) {
    const { values, positionals } = parseArgs({
      args: [...stui.args],
      options: { package: { type: "string", multiple: true }, "no-lines": { type: "boolean" } },
      allowPositionals: true,
    });
    const selector = positionals[0];
    if (!selector || positionals.length > 1) throw new Error("usage: stui run senders-of --allow-read -- <selector> [--package <name>]... [--no-lines]");

    const senders: MethodReference[] = [];
    for (let offset = 0; ; ) {
      const page = await stui.client.code.search({ kind: "senders", query: selector, offset, limit: PAGE, ...(values.package ? { packages: values.package } : {}) });
      senders.push(...page.methods);
      offset += page.methods.length;
      if (page.methods.length === 0 || offset >= page.total) break;
    }

    const byPackage = new Map<string, MethodReference[]>();
    for (const m of senders) byPackage.set(m.package, [...(byPackage.get(m.package) ?? []), m]);
    console.log(`Senders of ${selector}: ${senders.length} method(s) in ${byPackage.size} package(s)`);
    // The first keyword is what a sending line must contain (for at:put:, "at:").
    const keyword = /^[A-Za-z_]/.test(selector) ? (selector.match(/^[^:]+:?/)?.[0] ?? selector) : selector;
    for (const [pkg, methods] of [...byPackage].sort(([a], [b]) => a.localeCompare(b))) {
      console.log(`\n${pkg} (${methods.length})`);
      for (const m of methods) {
        console.log(`  ${m.className}${m.side === "class" ? " class" : ""}>>${m.selector}  [${m.protocol}]`);
        if (values["no-lines"]) continue;
        const { source } = await stui.client.method.get(m); // a search match is a method reference as it is
        source.split("\n").forEach((line, i) => {
          if (i > 0 && line.includes(keyword)) console.log(`    ${i + 1}: ${line.trim()}`);
        });
      }
    }
  },
});
