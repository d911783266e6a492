/**
 * Answering each request in the version it names, from the generated version tables
 * (`VERSIONS` in @stui/client/protocol): that version's commands and validators, and the shaping
 * that turns a reply built by newest-version handlers into one valid under that version.
 *
 *   request {stui: "1.0"} ─▶ VERSIONS["1.0"]: command known? params valid (1.0 schema)?
 *                           ─▶ handler (newest types) ─▶ shape for 1.0 ─▶ check (1.0 schema) ─▶ reply
 */
import {
  FALLBACK_ERROR_KIND,
  SERVED_VERSIONS,
  VERSIONS,
  applyShape,
  toValidationProblems,
  type Permission,
  type ValidationProblem,
  type VersionInfo,
} from "@stui/client/protocol";

/** The tables of a served version; throws for a version this code does not serve. */
export function versionInfo(version: string): VersionInfo {
  const info = VERSIONS[version];
  if (!info) throw new RangeError(`protocol version ${version} is not served by this code (served: ${SERVED_VERSIONS.join(", ")})`);
  return info;
}

/** Validates `value` against a `$defs` type of one version; answers the problems (empty when valid). */
export function checkIn(info: VersionInfo, typeName: string, value: unknown, limit = 20): ValidationProblem[] {
  const validator = info.validators[typeName];
  if (!validator) throw new Error(`no generated validator named '${typeName}' in protocol ${info.version}`);
  return validator(value) ? [] : toValidationProblems(validator.errors, limit);
}

/** Params with the defaults of `method` in `info`'s version filled in (params already checked with checkIn). */
export function withDefaultsIn(info: VersionInfo, method: string, params: object): Record<string, unknown> {
  return { ...info.commands[method]?.defaults, ...params };
}

/** The permission classes one call needs in `info`'s version: the command's own, plus those a params member present adds. */
export function permissionsIn(info: VersionInfo, method: string, params: object): Permission[] {
  const command = info.commands[method];
  if (!command) return [];
  const needed = new Set<Permission>([command.permission]);
  for (const [name, permission] of Object.entries(command.paramPermissions)) {
    if ((params as Record<string, unknown>)[name] !== undefined) needed.add(permission);
  }
  return [...needed];
}

/** The error kinds a command may answer in one version: its own plus the envelope's. */
export function allowedKindsIn(info: VersionInfo, method: string): ReadonlySet<string> {
  return new Set([...(info.commands[method]?.errors ?? []), ...info.envelopeErrors]);
}

/** A result of a newest-version handler, shaped for `info`'s version (members it does not know left out). */
export function shapeResult(info: VersionInfo, method: string, result: unknown): unknown {
  const resultType = info.commands[method]?.resultType;
  return resultType ? applyShape(result, info.shapes[resultType]) : result;
}

interface WireError {
  code: number;
  message: string;
  data: { kind: string } & Record<string, unknown>;
}

/**
 * An error object shaped for `info`'s version: a kind the version (or the command in it) lacks
 * becomes internalError, whose detail names the kind and its message; data members the version
 * does not know are left out.
 */
export function shapeError(info: VersionInfo, method: string | null, error: WireError): WireError {
  const kind = error.data.kind;
  const allowed = method === null ? new Set(info.envelopeErrors) : allowedKindsIn(info, method);
  if (!allowed.has(kind) || !info.errors[kind]) {
    return {
      code: info.errors[FALLBACK_ERROR_KIND]!.code,
      message: error.message,
      data: { kind: FALLBACK_ERROR_KIND, detail: `${kind} (not an error kind of ${method ?? "the envelope"} in protocol ${info.version}): ${error.message}` },
    };
  }
  const dataType = info.errors[kind]!.dataType;
  return { ...error, data: applyShape(error.data, info.shapes[dataType]) as WireError["data"] };
}
