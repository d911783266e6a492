/**
 * The one scripted-handler example (examples/scripted-handlers.ts) in a test server: a test double
 * that answers only its script, and says so for anything else.
 */
import { afterEach, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "@stui/client/protocol";
import { ClientPool, envelope, expectError, expectResult, uniqueEndpoint } from "../../../test/helpers/index.js";
import handlers, { SCRIPT } from "../examples/scripted-handlers.js";
import { startTestServer, type TestServer } from "./index.js";

const clients = new ClientPool();
let server: TestServer | undefined;

afterEach(async () => {
  clients.closeAll();
  server?.assertNoViolations();
  await server?.close();
  server = undefined;
});

describe("examples/scripted-handlers", () => {
  it("answers scripted expressions, keeps variables and history in the session, and refuses the rest", async () => {
    server = await startTestServer({ endpoint: uniqueEndpoint("ipc"), handlers });
    const client = clients.open(server.endpoint);
    const { sessionId } = expectResult(await client.request(envelope("session.create", { clientName: "example", protocolVersions: [PROTOCOL_VERSION] })), "session.create");

    expect(expectResult(await client.request(envelope("evaluate", { sessionId, code: "x := 3 + 4" })), "evaluate").value.printString).toBe("7");
    const kept = expectResult(await client.request(envelope("evaluate", { sessionId, code: "x", keepHandle: true })), "evaluate");
    expect(kept.value).toMatchObject({ printString: "7", handle: "h1" });
    expect(expectError(await client.request(envelope("evaluate", { sessionId, code: "1/0" })), "evaluationError").exceptionClass).toBe("ZeroDivide");
    expect(expectError(await client.request(envelope("evaluate", { code: "1 to: 3 do: [:i | i printString" })), "syntaxError").line).toBe(1);
    const refused = expectError(await client.request(envelope("evaluate", { code: "Object new" })), "internalError");
    const inspected = expectResult(await client.request(envelope("inspect", { sessionId, expression: "3 @ 4" })), "inspect");
    // Every handle it hands out is registered in the session: inspect by handle and handles.release know it.
    expect(inspected).toMatchObject({ handle: "h2", className: "Point", namedSlots: [{ name: "x", value: { handle: "h3" } }, { name: "y", value: { handle: "h4" } }] });
    expect(expectResult(await client.request(envelope("inspect", { sessionId, handle: "h2" })), "inspect")).toMatchObject({ handle: "h2", className: "Point" });
    expect(refused.detail).toContain("scripted test double: no script for \"Object new\"");

    const restored = expectResult(await client.request(envelope("session.restore", { sessionId })), "session.restore");
    expect(restored.variables).toEqual([{ name: "x", value: { printString: "7", className: "SmallInteger", truncated: false } }]);
    expect(restored.history.map((h) => [h.index, h.code, h.ok])).toEqual([[1, "x := 3 + 4", true], [2, "x", true], [3, "1/0", false]]);
    expect(restored.handles.map((h) => h.handle)).toEqual(["h1", "h2", "h3", "h4", "h5", "h6"]);

    expect(expectResult(await client.request(envelope("handles.release", { sessionId, handles: ["h1", "h2", "h9"] })), "handles.release")).toEqual({ released: 2, unknown: ["h9"] });
    expectError(await client.request(envelope("inspect", { sessionId, handle: "h2" })), "handleNotFound");
  });

  it("scripts only a handful of expressions", () => {
    expect(Object.keys(SCRIPT)).toEqual(["3 + 4", "x := 3 + 4", "total := 3 + 4", "total * 2", "Transcript show: 'hello'; cr. 3 + 4", "3 @ 4", "Smalltalk version", "1/0", "1 to: 3 do: [:i | i printString"]);
  });
});
