/// <reference types="@stui/plugins/global" />
// class-diagram.ts: writes a class hierarchy as a Mermaid class diagram, walking
// class.browse from a root class down through its subclasses (breadth first).
//
// Permissions: read (class.browse), and a file-system write grant for the output
// folder (the sandbox writes no files otherwise).
// Run:  mkdir -p out && stui run examples/class-diagram.ts --allow-read --allow-fs-write=out -- Collection "$PWD/out/collection.mmd"
//       arguments: <root class> <output .mmd file> [max classes, default 100]

import { writeFileSync } from "node:fs";
import path from "node:path";

const [root, output, limitText = "100"] = stui.args;
if (!root || !output) throw new Error("usage: stui run examples/class-diagram.ts --allow-read --allow-fs-write=<dir> -- <RootClass> <out.mmd> [max classes]");
const limit = Number(limitText);
if (!Number.isInteger(limit) || limit < 1) throw new Error(`max classes must be a positive integer, not ${limitText}`);

const lines = ["classDiagram"];
const seen = new Set<string>([root]);
const queue = [root];
let cut = false;
// Bounded: at most `limit` classes are browsed.
for (let i = 0; i < queue.length && i < limit; i++) {
  const name = queue[i]!;
  const c = await stui.client.class.browse({ className: name });
  lines.push(`  class ${name}`);
  for (const v of c.instanceVariables) lines.push(`  ${name} : ${v}`);
  for (const sub of c.subclasses) {
    lines.push(`  ${name} <|-- ${sub}`);
    if (!seen.has(sub)) {
      seen.add(sub);
      queue.push(sub);
    }
  }
  if (i === limit - 1 && queue.length > limit) cut = true;
}

writeFileSync(output, `${lines.join("\n")}\n`);
const browsed = Math.min(queue.length, limit);
console.log(`wrote ${path.basename(output)}: ${browsed} classes under ${root}${cut ? ` (stopped at ${limit}; pass a larger limit for more)` : ""}`);
