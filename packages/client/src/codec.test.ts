import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from "./gen/index.js";
import { checkResult, decodeReply, encodeRequest, RequestIds } from "./codec.js";
import { isStuiError } from "./errors.js";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

describe("encodeRequest", () => {
  it("builds a JSON-RPC envelope with the protocol version", () => {
    const r = encodeRequest("ping", { echo: "hi" }, "ab-1");
    expect(JSON.parse(r.text)).toEqual({ jsonrpc: "2.0", id: "ab-1", stui: PROTOCOL_VERSION, method: "ping", params: { echo: "hi" } });
  });

  it("refuses invalid params with the problems listed", () => {
    const e = thrown(() => encodeRequest("evaluate", { code: 42, bogus: true }, "ab-2"));
    if (!isStuiError(e, "EVALIDATION")) throw e;
    expect(e.problems).toContainEqual({ path: "/code", message: "must be string" });
    expect(e.problems).toContainEqual({ path: "/bogus", message: "must NOT have additional properties" });
  });

  it("refuses unknown methods", () => {
    expect(isStuiError(thrown(() => encodeRequest("no.such", {}, "ab-3")), "EVALIDATION")).toBe(true);
  });

  it("refuses messages over MAX_MESSAGE_BYTES (counting UTF-8 bytes)", () => {
    // 4 million 3-byte characters: 4e6 UTF-16 units, 12e6 bytes.
    const e = thrown(() => encodeRequest("ping", { echo: "€".repeat(4_000_000) }, "ab-4", false));
    expect(isStuiError(e, "ETOOLARGE")).toBe(true);
    expect(encodeRequest("ping", { echo: "x".repeat(MAX_MESSAGE_BYTES / 2) }, "ab-5", false).text.length).toBeGreaterThan(MAX_MESSAGE_BYTES / 2);
  });
});

describe("decodeReply", () => {
  it("answers success and error replies", () => {
    expect(decodeReply('{"jsonrpc":"2.0","id":"a-1","result":{"x":1}}')).toEqual({ id: "a-1", ok: true, result: { x: 1 } });
    const r = decodeReply(JSON.stringify({ jsonrpc: "2.0", id: "a-2", error: { code: -32001, message: "gone", data: { kind: "sessionNotFound", sessionId: "s" } } }));
    expect(r.ok).toBe(false);
  });

  it.each([
    ["not JSON", "{nope"],
    ["no jsonrpc", '{"id":"a","result":{}}'],
    ["result not an object", '{"jsonrpc":"2.0","id":"a","result":3}'],
    ["error data of no kind", '{"jsonrpc":"2.0","id":"a","error":{"code":1,"message":"m","data":{"kind":"weird"}}}'],
    ["code that is not the kind's", '{"jsonrpc":"2.0","id":"a","error":{"code":-32000,"message":"m","data":{"kind":"sessionNotFound","sessionId":"s"}}}'],
  ])("is a protocol error for %s", (_, text) => {
    expect(isStuiError(thrown(() => decodeReply(text)), "EPROTOCOL")).toBe(true);
  });

  it("keeps the id of a broken reply when it can read it", () => {
    const e = thrown(() => decodeReply('{"jsonrpc":"2.0","id":"a-9","result":{},"extra":1}'));
    expect(isStuiError(e, "EPROTOCOL") && e.requestId).toBe("a-9");
  });

  it("checks results against the command's result schema", () => {
    expect(isStuiError(thrown(() => checkResult("ping", { status: "running" }, "a-1")), "EPROTOCOL")).toBe(true);
  });
});

describe("RequestIds", () => {
  it("are strings with a per-client random prefix and a counter", () => {
    const a = new RequestIds();
    const b = new RequestIds();
    expect(a.prefix).not.toBe(b.prefix);
    expect([a.next(), a.next()]).toEqual([`${a.prefix}-1`, `${a.prefix}-2`]);
  });
});
