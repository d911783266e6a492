#!/usr/bin/env node
// Part of each publishable package's `npm run build`: tsc emits JavaScript and declarations for
// the package's TypeScript; the files that already are JavaScript with a hand-written or
// generated declaration (the ahead-of-time ajv validators in @stui/client's src/gen/) are copied
// beside them, at the same relative path.
//
//   node ../../scripts/copy-build-assets.mjs <from: src> <to: dist>
import { copyFileSync, mkdirSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const [from, to] = process.argv.slice(2);
if (!from || !to) throw new Error("usage: copy-build-assets.mjs <from> <to>");

let copied = 0;
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) walk(file);
    else if (name.endsWith(".js") || name.endsWith(".d.ts")) {
      const target = path.join(to, path.relative(from, file));
      mkdirSync(path.dirname(target), { recursive: true });
      copyFileSync(file, target);
      copied++;
    }
  }
}
walk(from);
console.log(`copy-build-assets: ${copied} file(s) from ${from} to ${to}`);
