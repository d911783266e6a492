/**
 * `--against <git-ref>`: compares the protocol on disk with a committed revision, so an in-place
 * edit is caught even when no frozen release would show it: a frozen release file changed or
 * deleted, or a working schema changed beyond descriptions while keeping a released version (or
 * changed more than its new version number allows). An unreleased working version may change freely.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { parseProtocolSchema } from "./schema.js";
import { verdict } from "./compat.js";
import { type HistoryProblem } from "./releases.js";

function git(root: string, args: string[]): string {
  return execFileSync("git", ["-C", root, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
}

/** Whether `root` is the top of a git work tree with at least one commit (a shallow clone counts). */
export function hasGitHead(root: string): boolean {
  try {
    return realpathSync(git(root, ["rev-parse", "--show-toplevel"]).trim()) === realpathSync(root) && git(root, ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]).trim() !== "";
  } catch {
    return false;
  }
}

/** Problems of the working tree against `ref`; throws when `ref` is not a revision of the repository. */
export function problemsAgainst(root: string, ref: string): HistoryProblem[] {
  if (!hasGitHead(root)) throw new Error(`--against ${ref}: ${root} is not the top of a git repository with commits`);
  try {
    git(root, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  } catch {
    throw new Error(`--against ${ref}: not a commit in ${root} (a shallow clone may lack it; fetch it first)`);
  }
  const files = git(root, ["ls-tree", "-r", "--name-only", ref, "--", "protocol/"]).split("\n").filter(Boolean);
  const problems: HistoryProblem[] = [];
  for (const file of files) {
    const then = git(root, ["show", `${ref}:${file}`]);
    if (/^protocol\/v\d+\/releases\/[^/]+\.schema\.json$/.test(file)) {
      if (!existsSync(join(root, file))) problems.push({ where: file, message: `released at ${ref}, deleted now: a released version must stay recoverable` });
      else if (readFileSync(join(root, file), "utf8") !== then) problems.push({ where: file, message: `released at ${ref}, changed now: a frozen release is never edited` });
    } else if (/^protocol\/v\d+\/stui\.schema\.json$/.test(file)) {
      if (!existsSync(join(root, file))) {
        problems.push({ where: file, message: `exists at ${ref}, deleted now: a major is removed only with its releases, in a major release` });
        continue;
      }
      const older = parseProtocolSchema(then, `${ref}:${file}`);
      const newer = parseProtocolSchema(readFileSync(join(root, file), "utf8"), file);
      const v = verdict(older, newer);
      const significant = v.changes.filter((c) => c.severity !== "info");
      const releasedName = `protocol/v${newer.version.split(".")[0]}/releases/${newer.version}.schema.json`;
      const released = files.includes(releasedName) || existsSync(join(root, releasedName));
      if (v.made === "none" && significant.length > 0 && released) {
        problems.push({ where: file, message: `edited in place since ${ref}: ${significant.length} change(s) beyond descriptions while x-stui-version stays ${newer.version}`, verdict: v });
      } else if (!v.ok) {
        problems.push({ where: file, message: `${older.version} at ${ref} → ${newer.version} now needs a ${v.needed} version bump, makes ${v.made}`, verdict: v });
      }
    }
  }
  return problems;
}
