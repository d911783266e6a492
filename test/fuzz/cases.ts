import { readFileSync } from "node:fs";
import { COMMAND_NAMES, PROTOCOL_VERSION, validators, type CommandName } from "@stui/client/protocol";

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same cases. */
export class Prng {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** One fuzz case: the frames to send, and what the reply must look like. */
export interface FuzzCase {
  kind: CaseKind;
  frames: Buffer[];
  /** The id the reply must carry: the request's id when the server can read it, else null. */
  expectedId: string | number | null;
  /** The command, when the message is a valid request envelope for one (to check a result's shape). */
  method: CommandName | undefined;
  /** Whether the reply comes back as ["", reply] (the request started with a delimiter). */
  delimited: boolean;
}

export const CASE_KINDS = ["valid", "mutatedParams", "randomParams", "mutatedEnvelope", "malformedJson", "randomBytes", "multiFrame", "oversized"] as const;
export type CaseKind = (typeof CASE_KINDS)[number];

/** How often each kind comes up (out of 100). */
const WEIGHTS: Record<CaseKind, number> = {
  valid: 10, mutatedParams: 33, randomParams: 10, mutatedEnvelope: 15, malformedJson: 15, randomBytes: 8, multiFrame: 6, oversized: 3,
};

interface Schema {
  "x-stui-commands": Record<string, { examples?: { request: { params?: Record<string, unknown> } }[] }>;
}
const schema = JSON.parse(readFileSync(new URL("../../protocol/v1/stui.schema.json", import.meta.url), "utf8")) as Schema;

/** The schema's example params of each command: the seeds that mutations start from. */
export const EXAMPLE_PARAMS: Record<CommandName, Record<string, unknown>[]> = Object.fromEntries(
  COMMAND_NAMES.map((method) => [method, (schema["x-stui-commands"][method]?.examples ?? []).map((e) => e.request.params ?? {})]),
) as Record<CommandName, Record<string, unknown>[]>;

const decoder = new TextDecoder("utf-8", { fatal: true });

const STRINGS = ["", "a", "ping", "1.0", "2.0", "s-3f9a1c", "h1", "d1", "Object", "printString", "3 + 4", "instance", "class", "memory",
  "x".repeat(1025), "é", "\u0000", "😀", "\ud800", "null", "{}", "[]", "'; DROP TABLE", "\\", "\n\t"];
const NUMBERS = [0, -1, 1, 2, 15, 16, 999, 1000, 1001, 30000, 3600001, 86400001, 2 ** 31, 2 ** 53, -(2 ** 53), 1.5, -0.5, 1e300, Number.MAX_SAFE_INTEGER];
const KEYS = ["code", "sessionId", "handle", "expression", "echo", "className", "selector", "side", "source", "protocol", "debugId", "action",
  "frame", "timeoutMs", "printLimit", "keepHandle", "offset", "limit", "pattern", "package", "sections", "handles", "clientName",
  "protocolVersions", "idleTimeoutMs", "debug", "__proto__", "constructor", "", "x"];

/** Generates the cases of one fuzz run. */
export class CaseGenerator {
  private n = 0;
  private readonly kinds: CaseKind[] = CASE_KINDS.flatMap((kind) => Array<CaseKind>(WEIGHTS[kind]).fill(kind));

  constructor(private readonly random: Prng, private readonly maxMessageBytes: number, private readonly oversizedBudget: number) {}

  private oversizedSent = 0;

  /** A request id no other case uses; its two halves match, so a mutated copy never equals another case's id. */
  private freshId(): string {
    const n = ++this.n;
    return `fz${this.random.seed}-${n}-${n}`;
  }

  next(): FuzzCase {
    let kind = this.random.pick(this.kinds);
    if (kind === "oversized" && this.oversizedSent >= this.oversizedBudget) kind = "randomBytes";
    const delimited = this.random.chance(0.2);
    const frame = (payload: Buffer): Buffer[] => (delimited ? [Buffer.alloc(0), payload] : [payload]);
    switch (kind) {
      case "valid": {
        const method = this.random.pick(COMMAND_NAMES);
        const examples = EXAMPLE_PARAMS[method];
        const params = examples.length > 0 ? structuredClone(this.random.pick(examples)) : {};
        return this.jsonCase(kind, frame, { jsonrpc: "2.0", id: this.freshId(), stui: PROTOCOL_VERSION, method, params }, delimited);
      }
      case "mutatedParams": {
        const method = this.random.pick(COMMAND_NAMES);
        const examples = EXAMPLE_PARAMS[method];
        const params = this.mutateObject(examples.length > 0 ? structuredClone(this.random.pick(examples)) : {});
        return this.jsonCase(kind, frame, { jsonrpc: "2.0", id: this.freshId(), stui: PROTOCOL_VERSION, method, params }, delimited);
      }
      case "randomParams": {
        const method = this.random.pick(COMMAND_NAMES);
        const params = this.random.chance(0.8) ? this.randomObject(2) : this.randomValue(2);
        return this.jsonCase(kind, frame, { jsonrpc: "2.0", id: this.freshId(), stui: PROTOCOL_VERSION, method, params }, delimited);
      }
      case "mutatedEnvelope": {
        const envelope: Record<string, unknown> = { jsonrpc: "2.0", id: this.freshId(), stui: PROTOCOL_VERSION, method: this.random.pick(COMMAND_NAMES), params: {} };
        const member = this.random.pick(["jsonrpc", "id", "stui", "method", "params", "extra"]);
        if (member === "extra") envelope[this.random.pick(KEYS) || "extra"] = this.randomValue(1);
        else if (this.random.chance(0.3)) delete envelope[member];
        else envelope[member] = member === "id" ? this.badOrFreshId() : member === "method" ? this.random.pick([...COMMAND_NAMES, ...STRINGS, "rpc.discover"]) : this.randomValue(1);
        return this.jsonCase(kind, frame, this.random.chance(0.1) ? [envelope] : envelope, delimited);
      }
      case "malformedJson": {
        const method = this.random.pick(COMMAND_NAMES);
        const examples = EXAMPLE_PARAMS[method];
        let text = JSON.stringify({ jsonrpc: "2.0", id: this.freshId(), stui: PROTOCOL_VERSION, method, params: examples[0] ?? {} });
        for (let i = 1 + this.random.int(3); i > 0; i--) text = this.mutateText(text);
        return this.bytesCase(kind, frame(Buffer.from(text, "utf8")), delimited);
      }
      case "randomBytes": {
        const bytes = Buffer.alloc(this.random.int(257));
        for (let i = 0; i < bytes.length; i++) bytes[i] = this.random.int(256);
        return this.bytesCase(kind, frame(bytes), delimited);
      }
      case "multiFrame": {
        const count = 2 + this.random.int(3);
        const frames = Array.from({ length: count }, () => Buffer.from(this.random.chance(0.5) ? JSON.stringify({ jsonrpc: "2.0", id: this.freshId(), stui: PROTOCOL_VERSION, method: "ping" }) : `junk-${this.random.int(1e6)}`));
        return this.bytesCase(kind, delimited ? [Buffer.alloc(0), ...frames] : frames, delimited);
      }
      case "oversized": {
        this.oversizedSent++;
        const text = JSON.stringify({ jsonrpc: "2.0", id: this.freshId(), stui: PROTOCOL_VERSION, method: "ping", params: {} });
        const bytes = Buffer.alloc(this.maxMessageBytes + 1 + this.random.int(100), 0x20);
        bytes.write(text, 0, "utf8");
        return this.bytesCase(kind, frame(bytes), delimited);
      }
    }
  }

  private jsonCase(kind: CaseKind, frame: (payload: Buffer) => Buffer[], message: unknown, delimited: boolean): FuzzCase {
    return this.bytesCase(kind, frame(Buffer.from(JSON.stringify(message), "utf8")), delimited);
  }

  /** Works out, as a correct server would, which id the reply carries and which command ran. */
  private bytesCase(kind: CaseKind, frames: Buffer[], delimited: boolean): FuzzCase {
    const body = delimited ? frames.slice(1) : frames;
    const size = body.reduce((sum, f) => sum + f.length, 0);
    let expectedId: string | number | null = null;
    let method: CommandName | undefined;
    if (body.length === 1 && size <= this.maxMessageBytes) {
      try {
        const message: unknown = JSON.parse(decoder.decode(body[0]));
        if (message !== null && typeof message === "object" && !Array.isArray(message)) {
          const id = (message as { id?: unknown }).id;
          if (validators.RequestId(id)) expectedId = id;
        }
        if (validators.Request(message) && (COMMAND_NAMES as string[]).includes(message.method)) method = message.method as CommandName;
      } catch {
        // not UTF-8 JSON: a parseError with a null id
      }
    }
    return { kind, frames, expectedId, method, delimited };
  }

  private badOrFreshId(): unknown {
    return this.random.pick<() => unknown>([
      () => null, () => "", () => true, () => 1.5, () => [], () => ({}), () => "x".repeat(129),
      () => this.freshId(), () => 1_000_000_000 + this.n++ * 7 + this.random.seed % 7,
    ])();
  }

  private mutateObject(params: Record<string, unknown>): unknown {
    let value: unknown = params;
    for (let i = 1 + this.random.int(3); i > 0; i--) {
      if (value === null || typeof value !== "object" || Array.isArray(value)) break;
      const object = value as Record<string, unknown>;
      const keys = Object.keys(object);
      switch (this.random.int(5)) {
        case 0: if (keys.length > 0) delete object[this.random.pick(keys)]; break;
        case 1: if (keys.length > 0) object[this.random.pick(keys)] = this.randomValue(1); break;
        case 2: object[this.random.pick(KEYS)] = this.randomValue(1); break;
        case 3: if (keys.length > 0) object[this.random.pick(keys)] = this.random.chance(0.5) ? this.random.pick(STRINGS) : this.random.pick(NUMBERS); break;
        case 4: value = this.randomValue(2); break;
      }
    }
    return value;
  }

  private mutateText(text: string): string {
    const at = this.random.int(text.length + 1);
    const chars = ['{', '}', '[', ']', '"', ',', ':', '\\', ' ', '0', 'a', '\u0000', 'é', '😀', 'e', '-', '.'];
    switch (this.random.int(5)) {
      case 0: return text.slice(0, at);
      case 1: return text.slice(0, at) + text.slice(at + 1);
      case 2: return text.slice(0, at) + this.random.pick(chars) + text.slice(at);
      case 3: return text.slice(0, at) + this.random.pick(chars) + text.slice(at + 1);
      default: return text.slice(0, at) + text.slice(at, at + 1 + this.random.int(8)).repeat(2) + text.slice(at + 1 + this.random.int(8));
    }
  }

  private randomValue(depth: number): unknown {
    const roll = this.random.int(depth > 0 ? 8 : 6);
    switch (roll) {
      case 0: return null;
      case 1: return this.random.chance(0.5);
      case 2: return this.random.pick(NUMBERS);
      case 3: return this.random.pick(STRINGS);
      case 4: return this.random.int(2000) - 1000;
      case 5: return String.fromCharCode(...Array.from({ length: this.random.int(12) }, () => 32 + this.random.int(0x2000)));
      case 6: return Array.from({ length: this.random.int(4) }, () => this.randomValue(depth - 1));
      default: return this.randomObject(depth - 1);
    }
  }

  private randomObject(depth: number): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    for (let i = this.random.int(4); i > 0; i--) object[this.random.pick(KEYS)] = this.randomValue(depth);
    return object;
  }
}
