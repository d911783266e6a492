/** Smalltalk literals for the Pharo target (pharo.ts and pharo-versions.ts). */
import { SchemaError } from "../schema.js";

/** A Smalltalk string literal. */
export function st(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** A Smalltalk literal for a JSON scalar default. */
export function literal(value: unknown): string {
  if (typeof value === "string") return st(value);
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "boolean") return String(value);
  if (value === null) return "nil";
  throw new SchemaError(`default ${JSON.stringify(value)} has no Smalltalk literal in the Pharo generator`);
}
