/**
 * A command the negotiated version lacks fails locally with EVERSION, naming the version that
 * introduced it, and nothing is sent. Protocol 1.1 adds no command (only a section and its
 * result), so this test builds a *synthetic* 1.0 table from the generated one with session.list
 * taken out and marked "since 1.1" — a stand-in for the next minor that adds commands; the
 * real 1.0/1.1 pair is covered by test/versions/matrix.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, uniqueAddress, type TestServer } from "@stui/testkit";
import * as generated from "./gen/index.js";
import { connectWith, type StuiClient } from "./client.js";
import { isStuiError } from "./errors.js";

const { "session.list": _dropped, ...without } = generated.VERSIONS["1.0"]!.commands;
const synthetic = {
  ...generated,
  VERSIONS: { ...generated.VERSIONS, "1.0": { ...generated.VERSIONS["1.0"]!, commands: without } },
  COMMAND_SINCE: { ...generated.COMMAND_SINCE, "session.list": "1.1" },
};

describe("a command newer than the negotiated version", () => {
  let server: TestServer | undefined;
  let client: StuiClient | undefined;
  afterEach(async () => {
    await client?.close();
    await server?.close();
  });

  it("fails with EVERSION naming the version that introduced it, without sending", async () => {
    server = await startTestServer({ endpoint: await uniqueAddress("tcp"), supportedVersions: ["1.0"] });
    client = (await connectWith(synthetic, { endpoint: server.endpoint, timeoutMs: 5000 })) as unknown as StuiClient;
    const session = await client.openSession();
    expect(session.protocolVersion).toBe("1.0");
    const before = server.requestCount;
    let caught: unknown;
    await client.session.list().catch((e: unknown) => (caught = e));
    if (!isStuiError(caught, "EVERSION")) throw caught;
    expect(caught.requiredVersion).toBe("1.1");
    expect(caught.message).toBe("session.list needs protocol 1.1, and this connection speaks 1.0 (the best version this server and client share); nothing was sent");
    expect(server.requestCount).toBe(before);
  });
});
