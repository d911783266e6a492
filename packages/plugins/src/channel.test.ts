import { MAX_MESSAGE_BYTES } from "@stui/client/protocol";
import { describe, expect, it } from "vitest";
import { ChannelError, FrameDecoder, MAX_FRAME_BYTES, encodeFrame } from "./channel.js";

describe("channel frames", () => {
  it("carries a protocol message of the largest size the protocol allows", () => {
    expect(MAX_FRAME_BYTES).toBeGreaterThan(MAX_MESSAGE_BYTES + 64 * 1024);
  });

  it("decodes frames split at every byte boundary and several frames in one chunk", () => {
    const messages = [{ t: "call", id: 1, method: "ping", params: {} }, { t: "done" }, { t: "has", id: 2, permission: "read" }];
    const bytes = Buffer.concat(messages.map(encodeFrame));
    for (let cut = 0; cut <= bytes.length; cut++) {
      const decoder = new FrameDecoder();
      expect([...decoder.push(bytes.subarray(0, cut)), ...decoder.push(bytes.subarray(cut))]).toEqual(messages);
    }
    const decoder = new FrameDecoder();
    const out: unknown[] = [];
    for (const b of bytes) out.push(...decoder.push(Buffer.from([b])));
    expect(out).toEqual(messages);
  });

  it("refuses an announced length over the limit before buffering it", () => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(MAX_FRAME_BYTES + 1);
    expect(() => new FrameDecoder().push(head)).toThrow(ChannelError);
  });

  it("refuses bodies that are not UTF-8 or not JSON, and stays failed", () => {
    const frame = (body: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]);
    expect(() => new FrameDecoder().push(frame(Buffer.from([0xff, 0xfe])))).toThrow(/not valid UTF-8/);
    const decoder = new FrameDecoder();
    expect(() => decoder.push(frame(Buffer.from("{nope")))).toThrow(/not valid JSON/);
    expect(() => decoder.push(encodeFrame({ t: "done" }))).toThrow(/already failed/);
  });

  it("refuses to encode a message over the limit", () => {
    expect(() => encodeFrame({ big: "x".repeat(MAX_FRAME_BYTES) })).toThrow(ChannelError);
  });
});
