/**
 * Rebuilds the Pharo 12 index this checker reads (index/pharo12-symbols.json.gz) from a local copy
 * of pharo-project/pharo's Tonel sources, with this package's own Tonel reader:
 *
 *   git clone --branch Pharo12 https://github.com/pharo-project/pharo /tmp/pharo && git -C /tmp/pharo checkout <commit>
 *   npx tsx packages/pharo-check/scripts/build-index.ts --src /tmp/pharo/src --commit <commit>
 *
 * --compare FILE prints how the result differs from another index (an older one, or one made by
 * other means). See index/README.md for the provenance of the committed index.
 */
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { buildIndex } from "../src/build-index.js";
import { compareIndexes } from "../src/compare-index.js";
import { DEFAULT_INDEX_PATH, loadPharoIndex } from "../src/pharo-index.js";

const HELP = `Usage: tsx packages/pharo-check/scripts/build-index.ts --src DIR --commit SHA [options]

Reads every *.class.st, *.trait.st and *.extension.st under DIR (the src/ folder of a checkout of
pharo-project/pharo) and writes the index the checker reads, gzipped.

Options:
  --src DIR          the Tonel sources (required)
  --commit SHA       the commit DIR was taken from (required; recorded in the index)
  --repository NAME  recorded in the index (default pharo-project/pharo)
  --ref NAME         the branch or tag the commit is on (default Pharo12)
  --out FILE         where to write (default ${DEFAULT_INDEX_PATH})
  --compare FILE     print how the new index differs from FILE (.json or .json.gz)
  -h, --help         show this help`;

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      src: { type: "string" },
      commit: { type: "string" },
      repository: { type: "string", default: "pharo-project/pharo" },
      ref: { type: "string", default: "Pharo12" },
      out: { type: "string" },
      compare: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (!values.src || !values.commit || !/^[0-9a-f]{40}$/.test(values.commit)) {
    process.stderr.write(`build-index: --src DIR and --commit SHA (40 hex digits) are required\n\n${HELP}\n`);
    return 2;
  }
  const started = performance.now();
  const { index, files, problems } = buildIndex(resolve(values.src), { repository: values.repository!, ref: values.ref!, commit: values.commit });
  for (const p of problems) process.stderr.write(`build-index: could not read: ${p}\n`);
  const out = resolve(values.out ?? join(dirname(fileURLToPath(import.meta.url)), "..", DEFAULT_INDEX_PATH));
  const json = JSON.stringify(index);
  writeFileSync(out, out.endsWith(".gz") ? gzipSync(json, { level: 9 }) : json);
  const c = index.counts;
  process.stdout.write(
    `build-index: ${files} files, ${c["methodDefinitions"]} methods, ${c["classes"]} classes, ${c["traits"]} traits, ` +
      `${problems.length} unreadable, in ${((performance.now() - started) / 1000).toFixed(1)} s -> ${out}\n`,
  );
  if (values.compare) {
    const other = loadPharoIndex(resolve(values.compare)).data;
    for (const line of compareIndexes(other, index)) process.stdout.write(`${line}\n`);
  }
  return problems.length > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
