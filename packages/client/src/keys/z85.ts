/**
 * Z85, ZeroMQ's text encoding of binary keys (RFC 32/Z85): every 4 bytes, read as a big-endian
 * number, become 5 characters of an 85-character alphabet. A CURVE key is 32 bytes, so 40
 * characters. libzmq takes keys as Z85 text on its sockets, but a ZAP handler receives the
 * client's key as the 32 raw bytes: this turns them back into the text authorized_keys holds.
 */

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
const VALUES = new Map([...ALPHABET].map((c, i) => [c, i]));

/** Encodes bytes (a multiple of 4 long) as Z85 text. */
export function z85Encode(bytes: Uint8Array): string {
  if (bytes.length % 4 !== 0) throw new RangeError(`Z85 encodes a multiple of 4 bytes, not ${bytes.length}`);
  let text = "";
  for (let i = 0; i < bytes.length; i += 4) {
    let value = ((bytes[i]! << 24) >>> 0) + (bytes[i + 1]! << 16) + (bytes[i + 2]! << 8) + bytes[i + 3]!;
    const group: string[] = [];
    for (let k = 0; k < 5; k++) {
      group.unshift(ALPHABET[value % 85]!);
      value = Math.floor(value / 85);
    }
    text += group.join("");
  }
  return text;
}

/** Decodes Z85 text (a multiple of 5 characters long); throws RangeError on anything else. */
export function z85Decode(text: string): Uint8Array {
  if (text.length % 5 !== 0) throw new RangeError(`Z85 text is a multiple of 5 characters long, not ${text.length}`);
  const bytes = new Uint8Array((text.length / 5) * 4);
  for (let i = 0; i < text.length; i += 5) {
    let value = 0;
    for (let k = 0; k < 5; k++) {
      const digit = VALUES.get(text[i + k]!);
      if (digit === undefined) throw new RangeError(`not a Z85 character: ${JSON.stringify(text[i + k])}`);
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) throw new RangeError(`not valid Z85: the group at ${i} is larger than 4 bytes`);
    const at = (i / 5) * 4;
    bytes[at] = value >>> 24;
    bytes[at + 1] = (value >>> 16) & 0xff;
    bytes[at + 2] = (value >>> 8) & 0xff;
    bytes[at + 3] = value & 0xff;
  }
  return bytes;
}

/** True for the Z85 text of a 32-byte CURVE key (40 characters that decode). */
export function isCurveKey(text: unknown): text is string {
  if (typeof text !== "string" || text.length !== 40) return false;
  try {
    z85Decode(text);
    return true;
  } catch {
    return false;
  }
}
