import {
  COMMANDS,
  ENVELOPE_ERRORS,
  ERROR_KINDS,
  toValidationProblems,
  validators,
  type CommandName,
  type ErrorKind,
  type RequestId,
  type ValidationProblem,
} from "@stui/client/protocol";

/** A generated validator, looked up by its `$defs` name. */
export type AnyValidator = validators.Validator<unknown>;

const byName = validators as unknown as Readonly<Record<string, AnyValidator | undefined>>;

/** The generated validator of a `$defs` type, by name (e.g. `"EvaluateParams"`). */
export function validatorFor(typeName: string): AnyValidator {
  const validator = byName[typeName];
  if (typeof validator !== "function") throw new Error(`no generated validator named '${typeName}'`);
  return validator;
}

/** The most problems one error reply lists. */
export const MAX_PROBLEMS = 20;

/** ajv's errors as the protocol's ValidationProblems: a JSON Pointer and a message. */
export function toProblems(errors: readonly validators.ValidationError[] | null | undefined): ValidationProblem[] {
  return toValidationProblems(errors, MAX_PROBLEMS);
}

/** Validates `value` against a `$defs` type; answers the problems (empty when valid). */
export function check(typeName: string, value: unknown): ValidationProblem[] {
  const validator = validatorFor(typeName);
  return validator(value) ? [] : toProblems(validator.errors);
}

/** JSON-RPC's own short messages for the envelope errors. */
const ENVELOPE_MESSAGES: Partial<Record<ErrorKind, string>> = {
  parseError: "Parse error",
  invalidRequest: "Invalid request",
  unknownMethod: "Method not found",
  invalidParams: "Invalid params",
  internalError: "Internal error",
};

/** A JSON-RPC error reply (as an object, not yet text). */
export function errorReply(
  id: RequestId | null,
  kind: ErrorKind,
  details: Record<string, unknown>,
  message?: string,
): { jsonrpc: "2.0"; id: RequestId | null; error: { code: number; message: string; data: Record<string, unknown> } } {
  const text = message ?? ENVELOPE_MESSAGES[kind] ?? ERROR_KINDS[kind].description.replace(/\.$/, "");
  return { jsonrpc: "2.0", id, error: { code: ERROR_KINDS[kind].code, message: text, data: { kind, ...details } } };
}

/** The id of a parsed message if it is a valid RequestId, else null. */
export function readableId(message: unknown): RequestId | null {
  if (message === null || typeof message !== "object" || Array.isArray(message)) return null;
  const id = (message as Record<string, unknown>)["id"];
  return validators.RequestId(id) ? id : null;
}

/** The error kinds a command may answer: its own plus the envelope's. */
export function allowedErrorKinds(method: CommandName): ReadonlySet<ErrorKind> {
  return new Set<ErrorKind>([...COMMANDS[method].errors, ...ENVELOPE_ERRORS]);
}

/** Compares `MAJOR.MINOR` versions numerically (unparseable ones sort first). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, number] => {
    const match = /^(\d+)\.(\d+)$/.exec(v);
    return match ? [Number(match[1]), Number(match[2])] : [-1, -1];
  };
  const [amaj, amin] = parse(a);
  const [bmaj, bmin] = parse(b);
  return amaj !== bmaj ? amaj - bmaj : amin - bmin;
}

/** The highest version in both lists, or undefined. */
export function negotiateVersion(offered: readonly string[], supported: readonly string[]): string | undefined {
  return [...supported].sort(compareVersions).reverse().find((version) => offered.includes(version));
}

/**
 * Whether the JSON text nests arrays and objects more than `maxDepth` deep (brackets inside
 * strings do not count). A server refuses such a text as a parseError before parsing it
 * (x-stui-limits.maxJsonDepth), as the Pharo server's reader does while reading. Only the
 * depth is judged: a text that is not JSON anyway is JSON.parse's to refuse.
 */
export function exceedsJsonDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}
