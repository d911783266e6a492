#!/usr/bin/env node
// Installed from npm, `stui` runs the built JavaScript (dist/). In the repository (src/ is there),
// it runs the TypeScript sources through tsx, and resolves the workspace packages to their
// sources too (the "stui-source" export condition), so no build step is needed while working.
import { existsSync } from "node:fs";

const source = new URL("../src/cli.ts", import.meta.url);
let cli;
if (existsSync(source)) {
  const { register } = await import("node:module");
  register("data:text/javascript,export function resolve(s,c,n){return n(s,{...c,conditions:[...new Set([...c.conditions,'stui-source'])]})}");
  (await import("tsx/esm/api")).register();
  cli = await import(source.href);
} else {
  cli = await import("../dist/cli.js");
}
process.exitCode = await cli.main(process.argv.slice(2));
