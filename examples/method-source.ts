/// <reference types="@stui/plugins/global" />
// method-source.ts: a script that takes arguments. Prints the source of each method
// named on the command line, e.g. Point>>x or "Point class>>x:y:".
//
// Permissions: read (method.get).
// Run:  stui run examples/method-source.ts --allow-read -- Point>>x "Point class>>x:y:" --no-source
//       options after --: --no-source (print only protocol and package)

import { parseArgs } from "node:util";
import { isStuiError } from "@stui/plugins";

const { values, positionals } = parseArgs({ args: [...stui.args], options: { "no-source": { type: "boolean" } }, allowPositionals: true });
if (positionals.length === 0) throw new Error('usage: stui run examples/method-source.ts --allow-read -- <Class>>selector>... [--no-source]');

let failures = 0;
for (const ref of positionals) {
  const m = /^([A-Za-z_]\w*)(\s+class)?>>(\S+)$/.exec(ref);
  if (!m) {
    console.error(`not a method reference: ${ref} (expected Class>>selector)`);
    failures++;
    continue;
  }
  try {
    const method = await stui.client.method.get({ className: m[1]!, selector: m[3]!, side: m[2] ? "class" : "instance" });
    console.log(`${ref}  [${method.protocol}]  ${method.package}${method.isExtension ? " (extension)" : ""}`);
    if (!values["no-source"]) console.log(method.source.replace(/^/gm, "    "));
  } catch (error) {
    // classNotFound / selectorNotFound come back as typed errors: report and go on.
    if (!isStuiError(error, "EREMOTE") || (error.kind !== "classNotFound" && error.kind !== "selectorNotFound")) throw error;
    console.error(`${ref}: ${error.kind}`);
    failures++;
  }
}
if (failures > 0) process.exitCode = 1;
