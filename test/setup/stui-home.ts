/**
 * Every test file gets a STUI home of its own, with fresh keys, and never the real ~/.stui:
 * STUI_HOME points at it, so the servers and clients a file starts — and child processes that
 * inherit the environment (stui-test-server, stui, the pyzmq peer) — authenticate with its keys.
 *
 * Except with STUI_EXTERNAL_SERVER=1 (`npm run test:conformance` against a server you started):
 * then the client keys must be ones that server authorizes, so STUI_HOME (default ~/.stui) is
 * left as you set it.
 */
import { afterAll } from "vitest";
import { temporaryStuiHome } from "@stui/testkit";

if (process.env["STUI_EXTERNAL_SERVER"] !== "1") {
  const home = temporaryStuiHome("stui-test-home-");
  process.env["STUI_HOME"] = home.path;
  afterAll(() => home.remove());
}
