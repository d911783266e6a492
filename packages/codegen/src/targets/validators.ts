/**
 * The validators target: ajv compiles every `$defs` type ahead of time into
 * one standalone ES module, so nothing compiles a schema at run time.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import standaloneModule from "ajv/dist/standalone/index.js";
import { type ProtocolSchema, SchemaError } from "../schema.js";
import { type HeaderFacts, header } from "../header.js";

// ajv's standalone module is CommonJS whose module.exports is the function itself.
const standaloneCode = standaloneModule as unknown as typeof standaloneModule.default;

/** The STUI annotation keywords, declared so ajv's strict mode accepts them. */
export const STUI_KEYWORDS = [
  "x-stui-version",
  "x-stui-limits",
  "x-stui-permissions",
  "x-stui-errors",
  "x-stui-envelope-errors",
  "x-stui-commands",
  "x-stui-permission",
  "x-stui-idempotent",
];

/** A strict ajv that knows the STUI keywords; `standalone` makes it keep code for export. */
export function createAjv(standalone: boolean) {
  return new Ajv2020({
    strict: true,
    // `oneOf: [{required: [a]}, {required: [b]}]` names properties declared beside it.
    strictRequired: false,
    allowUnionTypes: true,
    allErrors: true,
    // One function per $defs type, called where it is referenced, instead of a copy inlined at
    // every reference: a fraction of the code, and a stack of small functions to read.
    inlineRefs: false,
    keywords: STUI_KEYWORDS,
    ...(standalone ? { code: { source: true, esm: true, lines: true } } : {}),
  });
}

/**
 * ajv's standalone output still `require`s two small runtime helpers, even in
 * ESM mode. Replace them with ES imports / local code so the module loads the
 * same way under Node, vitest and a bundler.
 */
function toPureEsm(code: string): string {
  const helpers = new Set<string>();
  const replaced = code.replace(/require\("ajv\/dist\/runtime\/(\w+)"\)\.default/g, (_, name: string) => {
    helpers.add(name);
    if (name === "equal") return "__equal";
    if (name === "ucs2length") return "__ucs2length";
    throw new SchemaError(`the generated validators need ajv runtime helper ${name}, which the generator does not inline yet`);
  });
  if (/\brequire\(/.test(replaced)) throw new SchemaError("the generated validators still contain a require()");
  const prelude: string[] = [];
  if (helpers.has("equal")) prelude.push(`import __equal from "fast-deep-equal";`);
  if (helpers.has("ucs2length")) {
    prelude.push(`/** String length in Unicode code points, as JSON Schema counts it. */\nfunction __ucs2length(s) { let n = 0; for (const _ of s) n++; return n; }`);
  }
  return `${prelude.join("\n")}\n${replaced.replace(/^"use strict";/, "")}`;
}

/** `validators.js` and its `validators.d.ts`, by path relative to the target folder. */
export function validatorFiles(schema: ProtocolSchema, facts: HeaderFacts): Map<string, string> {
  const ajv = createAjv(true);
  const id = typeof schema.raw.$id === "string" ? schema.raw.$id : schema.file;
  ajv.addSchema(schema.raw, id);
  const names = Object.keys(schema.defs).sort();
  const refs = Object.fromEntries(names.map((n) => [n, `${id}#/$defs/${n}`]));
  const code = toPureEsm(standaloneCode(ajv, refs));
  const js = `${header(facts, "line")}// Ahead-of-time ajv validators, one export per $defs type of the schema.\n${code.trim()}\n`;
  const dts = [
    header(facts, "line"),
    `import type * as T from "./types.js";\n`,
    `/** One problem ajv found, as ajv reports it. */
export interface ValidationError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** A compiled validator: a type guard that leaves its problems in \`errors\`. */
export interface Validator<T> {
  (data: unknown): data is T;
  errors?: ValidationError[] | null;
}
`,
    ...names.map((n) => `/** Validates \`$defs/${n}\`. @see ${schema.file}#/$defs/${n} */\nexport declare const ${n}: Validator<T.${n}>;`),
    "",
  ].join("\n");
  return new Map([
    ["validators.js", js],
    ["validators.d.ts", dts],
  ]);
}
