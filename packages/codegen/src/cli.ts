/** The `stui-codegen` command line. */
import { parseArgs } from "node:util";
import { isAbsolute, join } from "node:path";
import { loadProtocolSchema, SchemaError } from "./schema.js";
import { check, generate, generatorVersion, headerFacts, inputFromHistory, write } from "./generate.js";
import { findRepoRoot } from "./repo.js";
import { formatVerdict, verdict } from "./compat.js";
import { type HistoryProblem, historyProblems, newestSchema, readHistory } from "./releases.js";
import { hasGitHead, problemsAgainst } from "./against.js";
import { release } from "./release.js";

const HELP = `Usage: stui-codegen [--check [--against GIT-REF]] [--root DIR] [-q]
       stui-codegen compat [OLD.schema.json NEW.schema.json] [--json] [--no-info]
       stui-codegen release

Generates, from every protocol version in protocol/ (docs/protocol-evolution.md):
  packages/client/src/gen/   the typed client of the newest version (TypeBox types, validators, command
                             table, typed API, server interface) and every served version's tables and
                             validators (versions.ts, v<X.Y>/validators.js)
  pharo/src/STUI-Protocol/   Tonel v3: constants and version tables, error classes, one validator per
                             version, the abstract request handler
  docs/protocol.md           the protocol reference, with "since" marks and a changelog per release
  test/fixtures/clients/     a typed client per older released version, as generated at its release

--check writes nothing. It fails (exit 1) on a generated file that is changed, missing or orphaned,
and on the version history: a major directory and its versions that disagree, a released version
edited in place (protocol/v<N>/releases/ holds each release byte for byte), and any two versions of
a major, every one with every later one, whose numbers are too close for their changes.
It also compares the protocol on disk with a git commit — HEAD by default, when the root is a git
repository with commits, or --against GIT-REF: frozen files unchanged, working schemas not edited in
place under a released version.

compat OLD NEW compares two schema files; without files, every pair of versions in protocol/. Each
change is breaking (needs a new major), needs-minor or info. Exit 1 when a version bump is too small.

release freezes each working schema whose version is not released yet and writes a changeset
(.changeset/protocol-X-Y.md) listing its changes; \`npm run changeset\` runs it first.

Options:
  --check           write nothing; report drift and history problems, exit 1 if any
  --against REF     (with --check) also compare with the git revision REF
  --root DIR        the repository root (default: found from the current folder)
  --json            (compat) print the verdicts as JSON
  --no-info         (compat) leave out info-level changes
  -q, --quiet       print only problems
  -h, --help        show this help
  -v, --version     print the generator version

Exit codes: 0 up to date / written / compatible, 1 drift, history problems or a version bump too
small, 2 usage or schema error.
`;

function printProblems(problems: HistoryProblem[]) {
  for (const p of problems) {
    process.stdout.write(`problem  ${p.where}: ${p.message}\n`);
    for (const c of p.verdict?.changes.filter((x) => x.severity !== "info") ?? []) process.stdout.write(`  ${c.severity.padEnd(11)} ${c.where}: ${c.message}\n`);
  }
}

export async function main(argv: string[]): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        check: { type: "boolean", default: false },
        root: { type: "string" },
        quiet: { type: "boolean", short: "q", default: false },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", short: "v", default: false },
        json: { type: "boolean", default: false },
        "no-info": { type: "boolean", default: false },
        against: { type: "string" },
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
    const [command, ...rest] = positionals;
    if (command === "compat") {
      if (rest.length !== 0 && rest.length !== 2) {
        process.stderr.write(`stui-codegen: compat takes two schema files or none\n\n${HELP}`);
        return 2;
      }
      const load = (p: string) => loadProtocolSchema(isAbsolute(p) ? p : join(process.cwd(), p), p);
      const verdicts = rest.length === 2
        ? [{ older: rest[0]!, newer: rest[1]!, v: verdict(load(rest[0]!), load(rest[1]!)) }]
        : historyProblems(readHistory(root)).verdicts.map((v) => ({ older: v.older, newer: v.newer, v }));
      if (values.json) process.stdout.write(JSON.stringify(rest.length === 2 ? verdicts[0]!.v : verdicts.map((x) => x.v), null, 2) + "\n");
      else for (const x of verdicts) process.stdout.write(formatVerdict(x.older, x.newer, x.v, !values["no-info"]));
      return verdicts.every((x) => x.v.ok) ? 0 : 1;
    }
    if (command === "release") {
      const done = release(root, readHistory(root));
      if (done.released.length === 0) process.stdout.write("stui-codegen release: every working schema's version is already released; nothing to freeze\n");
      for (const f of done.written) process.stdout.write(`wrote   ${f}\n`);
      return 0;
    }
    if (command !== undefined) {
      process.stderr.write(`stui-codegen: unexpected arguments: ${positionals.join(" ")}\n\n${HELP}`);
      return 2;
    }
    if (values.against !== undefined && !values.check) {
      process.stderr.write(`stui-codegen: --against needs --check\n\n${HELP}`);
      return 2;
    }
    const history = readHistory(root);
    const newest = newestSchema(history);
    const output = generate(inputFromHistory(history), headerFacts(newest));
    const ms = (performance.now() - started).toFixed(0);
    const versions = history.majors.flatMap((m) => m.versions.map((v) => v.version)).join(", ");
    if (values.check) {
      const { problems } = historyProblems(history);
      // Against HEAD by default, when there is one: a frozen release edited (or deleted) and not yet
      // committed is caught before it reaches a commit. An explicit --against compares with any ref.
      const against = values.against ?? (hasGitHead(root) ? "HEAD" : undefined);
      if (against !== undefined) {
        try {
          problems.push(...problemsAgainst(root, against));
        } catch (e) {
          process.stderr.write(`stui-codegen: ${(e as Error).message}\n`);
          return 2;
        }
      }
      printProblems(problems);
      const drift = check(root, output);
      for (const d of drift) process.stdout.write(`${d.status.padEnd(8)} ${d.path}\n`);
      if (drift.length > 0) process.stdout.write(`stui-codegen --check: ${drift.length} generated file(s) out of date with protocol/; run \`npm run generate\` and commit the result.\n`);
      if (problems.length > 0) process.stdout.write(`stui-codegen --check: ${problems.length} protocol history problem(s); see docs/protocol-evolution.md.\n`);
      if (drift.length > 0 || problems.length > 0) return 1;
      if (!values.quiet) process.stdout.write(`stui-codegen --check: ${output.files.size} generated files up to date with protocol versions ${versions}; history ok${against ? ` (also against ${against})` : ""} (${ms} ms)\n`);
      return 0;
    }
    const done = write(root, output);
    if (!values.quiet) {
      for (const d of done) process.stdout.write(`${d.status === "orphaned" ? "removed" : "wrote  "} ${d.path}\n`);
      process.stdout.write(`stui-codegen: ${done.length} of ${output.files.size} files changed, from protocol versions ${versions} (${ms} ms)\n`);
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
