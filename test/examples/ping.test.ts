/**
 * The README's five-line ping script, run the way the README says: a server on an
 * endpoint, then `tsx examples/ping.ts` with STUI_ENDPOINT pointing at it.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestServer, type TestServer } from "@stui/testkit";

const root = fileURLToPath(new URL("../..", import.meta.url));
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ name: "ping-example-server" });
});
afterAll(async () => {
  await server.close();
});

it("examples/ping.ts pings the server named by STUI_ENDPOINT and prints its answer", async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "--conditions=stui-source", "examples/ping.ts"], {
    cwd: root,
    env: { ...process.env, STUI_ENDPOINT: server.endpoint },
  });
  expect(stdout.trim()).toBe(`hello from ping-example-server 0.1.0 (typescript-testkit), protocol ${server.supportedVersions.join(", ")}`);
  expect(server.callsOf("ping")).toHaveLength(1);
});
