/** The `stui-codegen` command line. */
import { parseArgs } from "node:util";
import { isAbsolute, join, relative } from "node:path";
import { loadProtocolSchema, SchemaError } from "./schema.js";
import { check, generate, generatorVersion, headerFacts, write } from "./generate.js";
import { currentSchemaPath, findRepoRoot, protocolVersions } from "./repo.js";
import { type CompatVerdict, verdict } from "./compat.js";

function formatVerdict(older: string, newer: string, v: CompatVerdict): string {
  const lines = v.changes.map((c) => `${c.severity.padEnd(9)} ${c.where}: ${c.message}`);
  lines.push(
    `stui-codegen compat: ${older} → ${newer}: ${v.changes.filter((c) => c.severity === "breaking").length} breaking, ` +
      `${v.changes.filter((c) => c.severity === "additive").length} additive; needs a ${v.needed} version bump, makes ${v.made}: ${v.ok ? "ok" : "NOT OK"}`,
  );
  return lines.join("\n") + "\n";
}

const HELP = `Usage: stui-codegen [--check] [--schema FILE] [--root DIR]
       stui-codegen compat OLD.schema.json NEW.schema.json [--json]

Generates, from the protocol schema (default: the newest protocol/v<N>/stui.schema.json):
  packages/client/src/gen/   TypeBox types, ajv validators, command table, typed client, server interface
  pharo/src/STUI-Protocol/   Tonel v3: protocol constants, error classes, abstract request handler
  docs/protocol.md           the protocol reference

compat compares two protocol schemas: every change, breaking or additive, and whether NEW's
x-stui-version bump (major / minor) is big enough for them. With --check, every pair of
consecutive protocol/v<N> schemas is compared too.

Options:
  --check        write nothing; list files that are changed, missing or orphaned and exit 1 if any
  --schema FILE  the schema to generate from (relative to the root)
  --root DIR     the repository root (default: found from the current folder)
  -q, --quiet    print only problems
  -h, --help     show this help
  --json         (compat) print the verdict as JSON
  -v, --version  print the generator version

Exit codes: 0 up to date / written / compatible, 1 --check found differences or compat found
a version bump too small for the changes, 2 usage or schema error.
`;

export async function main(argv: string[]): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        check: { type: "boolean", default: false },
        schema: { type: "string" },
        root: { type: "string" },
        quiet: { type: "boolean", short: "q", default: false },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", short: "v", default: false },
        json: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (e) {
    process.stderr.write(`stui-codegen: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${generatorVersion()}\n`);
    return 0;
  }
  const started = performance.now();
  try {
    const root = values.root ?? findRepoRoot();
    if (positionals.length > 0) {
      if (positionals[0] !== "compat" || positionals.length !== 3) {
        process.stderr.write(`stui-codegen: unexpected arguments: ${positionals.join(" ")}\n\n${HELP}`);
        return 2;
      }
      const load = (p: string) => loadProtocolSchema(isAbsolute(p) ? p : join(process.cwd(), p), p);
      const result = verdict(load(positionals[1]!), load(positionals[2]!));
      if (values.json) process.stdout.write(JSON.stringify(result, null, 2) + "\n");
      else process.stdout.write(formatVerdict(positionals[1]!, positionals[2]!, result));
      return result.ok ? 0 : 1;
    }
    const schemaPath = values.schema ? (isAbsolute(values.schema) ? relative(root, values.schema) : values.schema) : currentSchemaPath(root);
    const schema = loadProtocolSchema(join(root, schemaPath), schemaPath.split("\\").join("/"));
    const output = generate(schema, headerFacts(schema));
    const ms = (performance.now() - started).toFixed(0);
    if (values.check) {
      const versions = protocolVersions(root);
      let compatFailed = false;
      for (let i = 1; i < versions.length; i++) {
        const [a, b] = [`protocol/${versions[i - 1]}/stui.schema.json`, `protocol/${versions[i]}/stui.schema.json`];
        const result = verdict(loadProtocolSchema(join(root, a), a), loadProtocolSchema(join(root, b), b));
        if (!result.ok) {
          compatFailed = true;
          process.stdout.write(formatVerdict(a, b, result));
        }
      }
      const drift = check(root, output);
      for (const d of drift) process.stdout.write(`${d.status.padEnd(8)} ${d.path}\n`);
      if (drift.length > 0) {
        process.stdout.write(`stui-codegen --check: ${drift.length} generated file(s) out of date with ${schemaPath}; run \`npm run generate\` and commit the result.\n`);
        return 1;
      }
      if (compatFailed) return 1;
      if (!values.quiet) process.stdout.write(`stui-codegen --check: ${output.files.size} generated files up to date with ${schemaPath} (${ms} ms)\n`);
      return 0;
    }
    const done = write(root, output);
    if (!values.quiet) {
      for (const d of done) process.stdout.write(`${d.status === "orphaned" ? "removed" : "wrote  "} ${d.path}\n`);
      process.stdout.write(`stui-codegen: ${done.length} of ${output.files.size} files changed from ${schemaPath} (${ms} ms)\n`);
    }
    return 0;
  } catch (e) {
    if (e instanceof SchemaError) {
      process.stderr.write(`stui-codegen: schema error: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
