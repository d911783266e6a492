#!/usr/bin/env node
// Installed from npm, `stui-test-server` runs the built JavaScript (dist/); a --handlers module
// written in TypeScript is loaded through tsx. In the repository (src/ is there), it runs the
// TypeScript sources and resolves the workspace packages to their sources (the "stui-source"
// export condition), so no build step is needed while working.
import { existsSync } from "node:fs";

const source = new URL("../src/cli.ts", import.meta.url);
const { register } = await import("node:module");
if (existsSync(source)) register("data:text/javascript,export function resolve(s,c,n){return n(s,{...c,conditions:[...new Set([...c.conditions,'stui-source'])]})}");
(await import("tsx/esm/api")).register();
const cli = await import(existsSync(source) ? source.href : "../dist/cli.js");
process.exitCode = await cli.main(process.argv.slice(2));
