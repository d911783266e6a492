/**
 * `npm run demo`: the main job on a machine without Pharo. Starts the reference
 * test server (real protocol, SCRIPTED Smalltalk answers from
 * packages/testkit/examples/scripted-handlers.ts — a test double, not an image) on a free
 * loopback port, runs examples/hello.ts through the `stui` host with the
 * grants it needs, and stops the server. Exits with the script's exit code.
 *
 * Against a real image: `npm run pharo`, then
 *   npx stui run examples/hello.ts --allow-read --allow-eval
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startTestServer } from "@stui/testkit";
import { handlers } from "@stui/testkit/examples/scripted-handlers";

const root = fileURLToPath(new URL("..", import.meta.url));
const server = await startTestServer({ handlers, name: "STUI demo (scripted answers, no Pharo image)" });
console.log(`demo: reference test server on ${server.endpoint}; its Smalltalk answers are scripted, not evaluated`);
const args = ["packages/plugins/bin/stui.js", "run", "examples/hello.ts", "--allow-read", "--allow-eval", "--endpoint", server.endpoint];
console.log(`demo: stui ${args.slice(1).join(" ")}\n`);

const child = spawn(process.execPath, args, { cwd: root, stdio: "inherit" });
const code = await new Promise<number>((resolve) => child.on("exit", (c, signal) => resolve(c ?? (signal ? 128 : 1))));
await server.close();
process.exitCode = code;
