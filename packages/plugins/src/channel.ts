// The host ⇄ sandbox channel: length-prefixed JSON frames on one extra pipe (fd 3 in the
// child). Not Node's `process.send` IPC: that channel can carry handles (sockets, servers)
// and its parser lives in the host, so a script could crash or hang the host through it.
// Here a frame is only bytes: 4-byte big-endian length, then that many bytes of UTF-8 JSON.
//
//   ┌────────────┬──────────────────────────────┐
//   │ length u32 │ JSON (UTF-8), ≤ MAX_FRAME_BYTES │   … repeated; frames carry ids, so many
//   └────────────┴──────────────────────────────┘     calls can be in flight at once.
//
// A frame that is too long, not UTF-8 or not JSON is a ChannelError: the host ends the child
// and goes on. Both sides import this file (the sandbox runtime bundles it).

/** The child's file descriptor for the channel (stdin, stdout, stderr, then this). */
export const CHANNEL_FD = 3;

/**
 * Largest frame either side accepts: a protocol message (MAX_MESSAGE_BYTES, 10 MiB in
 * protocol v1) plus room for the channel's own envelope. channel.test.ts pins it above the
 * protocol's limit.
 */
export const MAX_FRAME_BYTES = 12 * 1024 * 1024;

export class ChannelError extends Error {
  override readonly name = "ChannelError";
}

export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), "utf8");
  if (body.length > MAX_FRAME_BYTES) throw new ChannelError(`a message of ${body.length} bytes is over the channel's limit of ${MAX_FRAME_BYTES}`);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Cuts a byte stream into decoded frames. Throws ChannelError on the first bad frame. */
export class FrameDecoder {
  #chunks: Buffer[] = [];
  #buffered = 0;
  #failed = false;

  /** Add bytes; answers the messages completed by them. */
  push(chunk: Buffer): unknown[] {
    if (this.#failed) throw new ChannelError("the channel already failed");
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const messages: unknown[] = [];
    for (;;) {
      if (this.#buffered < 4) return messages;
      const head = this.#chunks[0]!.length >= 4 ? this.#chunks[0]! : this.#flatten();
      const length = head.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) return this.#fail(`a frame of ${length} bytes is over the channel's limit of ${MAX_FRAME_BYTES}`);
      if (this.#buffered < 4 + length) return messages;
      const all = this.#flatten();
      const body = all.subarray(4, 4 + length);
      const rest = all.subarray(4 + length);
      this.#chunks = rest.length > 0 ? [rest] : [];
      this.#buffered = rest.length;
      let text: string;
      try {
        text = utf8.decode(body);
      } catch {
        return this.#fail("a frame is not valid UTF-8");
      }
      try {
        messages.push(JSON.parse(text));
      } catch {
        return this.#fail("a frame is not valid JSON");
      }
    }
  }

  #flatten(): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.#chunks = [all];
    return all;
  }

  #fail(message: string): never {
    this.#failed = true;
    this.#chunks = [];
    this.#buffered = 0;
    throw new ChannelError(message);
  }
}
