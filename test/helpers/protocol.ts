import { expect } from "vitest";
import {
  isCommandName,
  validators,
  type CommandName,
  type ErrorDataByKind,
  type ErrorKind,
  type ResultOf,
  type VersionInfo,
} from "@stui/client/protocol";
import { spokenTables } from "./version.js";

type AnyValidator = validators.Validator<unknown>;

function problemsOf(validator: AnyValidator, value: unknown, where: string): string[] {
  if (validator(value)) return [];
  return (validator.errors ?? []).map((e) => `${where}${e.instancePath || ""} ${e.message ?? e.keyword}${e.params["additionalProperty"] ? ` (${String(e.params["additionalProperty"])})` : ""}`);
}

/**
 * Everything wrong with a reply, checked with the generated validators: the Response envelope,
 * an error's data shape and its code (the one ERROR_KINDS lists for data.kind), and — when the
 * request's method is known — a result's shape (the command's result type). Empty when valid.
 */
export function responseProblems(reply: unknown, method?: string, tables: VersionInfo = spokenTables()): string[] {
  // The spoken version's validators (unless told otherwise): a reply must be valid in the version the request named.
  const byName = tables.validators;
  const problems = problemsOf(byName["Response"]!, reply, "reply");
  if (problems.length > 0) return problems;
  const response = reply as { result?: unknown; error?: { code: number; data: { kind: ErrorKind } } };
  if (response.error) {
    const { code, data } = response.error;
    const dataProblems = problemsOf(byName["ErrorData"]!, data, "reply/error/data");
    if (dataProblems.length > 0) return dataProblems;
    const expected = tables.errors[data.kind]?.code;
    if (code !== expected) return [`reply/error/code is ${code}, but ${data.kind} has code ${expected}`];
    const typed = byName[tables.errors[data.kind]!.dataType];
    return typed ? problemsOf(typed, data, "reply/error/data") : [`no validator for ${data.kind}`];
  }
  const command = method !== undefined && isCommandName(method) ? tables.commands[method] : undefined;
  if (command) return problemsOf(byName[command.resultType]!, response.result, `reply/result(${command.resultType})`);
  return [];
}

/** Asserts the reply is schema-valid (see responseProblems), in `tables`' version (default: the spoken one). */
export function expectValidResponse(reply: unknown, method?: string, tables?: VersionInfo): void {
  expect(responseProblems(reply, method, tables), JSON.stringify(reply).slice(0, 500)).toEqual([]);
}

/** Asserts a schema-valid success reply to `method` and answers its result. */
export function expectResult<M extends CommandName>(reply: unknown, method: M): ResultOf<M> {
  expectValidResponse(reply, method);
  const response = reply as { result?: ResultOf<M>; error?: unknown };
  expect(response.error, `expected a result for ${method}, got ${JSON.stringify(response.error)}`).toBeUndefined();
  return response.result!;
}

/** Asserts a schema-valid error reply of `kind` and answers its data. */
export function expectError<K extends ErrorKind>(reply: unknown, kind: K): ErrorDataByKind[K] {
  expectValidResponse(reply);
  const response = reply as { result?: unknown; error?: { code: number; data: ErrorDataByKind[K] } };
  expect(response.error?.data?.kind, `expected a ${kind} error, got ${JSON.stringify(reply).slice(0, 300)}`).toBe(kind);
  expect(response.error!.code).toBe(spokenTables().errors[kind]!.code);
  return response.error!.data;
}

/** The id of a reply. */
export function idOf(reply: unknown): unknown {
  return (reply as { id?: unknown }).id;
}
