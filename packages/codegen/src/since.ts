/**
 * "Since which version": the first version of a major in which a command, an error kind or a
 * schema location (a JSON Pointer into the schema, e.g. `#/$defs/SystemInfoResult/properties/security`)
 * exists. Read from the frozen releases, so it never changes once a version is released.
 */
import { type ProtocolSchema } from "./schema.js";

function at(raw: unknown, pointer: string): unknown {
  if (!pointer.startsWith("#")) return undefined;
  let node = raw;
  for (const token of pointer.slice(1).split("/").slice(1)) {
    if (node === null || typeof node !== "object") return undefined;
    const key = token.replace(/~1/g, "/").replace(/~0/g, "~");
    if (!Object.prototype.hasOwnProperty.call(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

export class SinceIndex {
  /** `versions`: every version of one major, oldest first (the last is the schema code is generated from). */
  constructor(private readonly versions: readonly ProtocolSchema[]) {
    if (versions.length === 0) throw new Error("SinceIndex needs at least one version");
  }

  /** The first version in which `pointer` resolves; the newest when only it has it. */
  pointer(pointer: string): string {
    return (this.versions.find((v) => at(v.raw, pointer) !== undefined) ?? this.versions.at(-1)!).version;
  }

  command(method: string): string {
    return (this.versions.find((v) => v.commands.some((c) => c.method === method)) ?? this.versions.at(-1)!).version;
  }

  errorKind(kind: string): string {
    return (this.versions.find((v) => v.errors.some((e) => e.kind === kind)) ?? this.versions.at(-1)!).version;
  }

  /** The versions, oldest first. */
  get all(): readonly ProtocolSchema[] {
    return this.versions;
  }
}
