/**
 * A TEST DOUBLE, not Smalltalk: scripted handlers for the commands of protocol 1.2 — code.search,
 * code.complete, packages.list, class.define, class.remove, method.remove, tests.run,
 * project.load, image.save — and method.compile / method.get for the classes they know. They
 * answer from the invented image in scripted-image.ts: searches are textual over its sources,
 * definitions and removals change only that table, a test's outcome is the one TEST_OUTCOMES
 * scripts, a project load is one of PROJECTS, and image.save writes nothing. Every answer that
 * could be mistaken for Smalltalk's names the double ("scripted").
 *
 *   import { withScriptedCommands } from "@stui/testkit/examples/scripted-commands";
 *   const handlers = withScriptedCommands({ evaluate… });   // the table's own handlers stay
 */
import type { Completion, MethodCompileParams, MethodReference, Side, TestCaseResult, TestsRunParams } from "@stui/client/protocol";
import { ProtocolError, type RequestContext, type TestHandlers } from "@stui/testkit";
import { TEST_OUTCOMES, definitionOf, methodKey, methodReferences, seedClasses, selectorOf, sideOf, summary, type ScriptedClass } from "./scripted-image.js";

/** The projects project.load knows, by repository; MyApp counts as loaded already (a conflict). */
export const PROJECTS: Readonly<Record<string, { baseline: string; projects: string[]; packages: string[]; groups: Record<string, string[]> }>> = {
  "github://stui-dev/scripted-example:main/src": {
    baseline: "ScriptedExample",
    projects: ["ScriptedExample"],
    packages: [],
    groups: { default: ["Scripted-Example-Core", "Scripted-Example-Tests"], core: ["Scripted-Example-Core"] },
  },
  "tonel:///scripted/myapp/src": { baseline: "MyApp", projects: ["MyApp"], packages: [], groups: { default: ["MyApp", "MyApp-Tests"] } },
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const GLOBALS_NOT_CLASSES = new Set(["Smalltalk", "Transcript", "Processor", "Undeclared"]);
const PSEUDO_VARIABLES = ["self", "super", "thisContext", "true", "false", "nil"];

/** `*` matches any run of characters. */
function patternRegExp(pattern: string, caseSensitive: boolean): RegExp {
  return new RegExp(`^${pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, caseSensitive ? "" : "i");
}

/** The selector of a method pattern (its first line): `foo`, `+ x` → `+`, `at: i put: v` → `at:put:`. */
function selectorOfPattern(source: string): string | undefined {
  const head = source.trimStart().split("\n")[0]!;
  const keywords = [...head.matchAll(/([A-Za-z_]\w*:)\s*[A-Za-z_]\w*/g)].map((m) => m[1]);
  if (keywords.length > 0) return keywords.join("");
  return /^([A-Za-z_]\w*)\s*$/.exec(head)?.[1] ?? /^([-+*/\\<>=~@%|&?,]+)\s+[A-Za-z_]\w*\s*$/.exec(head)?.[1];
}

const page = <T>(all: T[], offset = 0, limit = 100) => all.slice(offset, offset + limit);
const body = (source: string) => source.slice(source.indexOf("\n") + 1);

/**
 * The base table's handlers plus the 1.2 commands. method.compile and method.get of a class the
 * invented image holds are answered here; of any other class, by the base table.
 */
export function withScriptedCommands(base: TestHandlers): TestHandlers {
  const classes = seedClasses();
  const loaded = new Set<string>(["MyApp"]);

  const requireClass = (className: string): ScriptedClass => {
    const c = classes.get(className);
    if (!c) throw new ProtocolError("classNotFound", { className }, `Class not found: ${className} (scripted test double)`);
    return c;
  };
  const requirePackages = (packages: readonly string[] | undefined) => {
    const known = new Set([...classes.values()].map((c) => c.package));
    const missing = packages?.find((p) => !known.has(p));
    if (missing) throw new ProtocolError("packageNotFound", { package: missing }, `Package not found: ${missing} (scripted test double)`);
  };
  const subclassesOf = (name: string): ScriptedClass[] => [...classes.values()].filter((c) => c.superclass === name).flatMap((c) => [c, ...subclassesOf(c.name)]);

  const compile = (params: MethodCompileParams, c: ScriptedClass) => {
    const selector = selectorOfPattern(params.source);
    if (!selector) throw new ProtocolError("syntaxError", { description: "Message pattern expected (scripted)", line: 1, column: 1, position: 1 });
    const key = methodKey(params.side, selector);
    const created = !c.methods.has(key);
    const protocol = params.protocol ?? "as yet unclassified";
    if (!params.dryRun) c.methods.set(key, { source: params.source, protocol });
    return { className: c.name, selector, side: params.side ?? "instance", protocol, created, warnings: [] };
  };

  return {
    ...base,

    "method.compile"(params, context) {
      const c = classes.get(params.className);
      if (!c) {
        if (!base["method.compile"]) throw new ProtocolError("classNotFound", { className: params.className });
        return base["method.compile"](params, context);
      }
      return compile(params, c);
    },

    "method.get"(params, context) {
      const c = classes.get(params.className);
      if (!c) {
        if (!base["method.get"]) throw new ProtocolError("classNotFound", { className: params.className });
        return base["method.get"](params, context);
      }
      const side = params.side ?? "instance";
      const m = c.methods.get(methodKey(side, params.selector));
      if (!m) throw new ProtocolError("selectorNotFound", { className: c.name, selector: params.selector, side });
      const argumentNames = [...m.source.split("\n")[0]!.matchAll(/:\s*([A-Za-z_]\w*)/g)].map((a) => a[1]!);
      return { className: c.name, selector: params.selector, side, source: m.source, protocol: m.protocol, argumentNames, package: c.package, isExtension: false };
    },

    "code.search"(params) {
      requirePackages(params.packages);
      const inScope = (pkg: string) => !params.packages || params.packages.includes(pkg);
      const caseSensitive = params.caseSensitive ?? false;
      const q = params.query;
      let methods: MethodReference[] = [];
      let found: ScriptedClass[] = [];
      const refs = methodReferences(classes).filter((m) => inScope(m.package));
      switch (params.kind) {
        case "senders":
          methods = refs.filter((m) => body(m.source).includes(q));
          break;
        case "implementors":
          methods = refs.filter((m) => m.selector === q);
          break;
        case "references":
          methods = refs.filter((m) => new RegExp(`\\b${q.replace(/\W/g, "")}\\b`).test(body(m.source)));
          break;
        case "source":
          methods = refs.filter((m) => (caseSensitive ? m.source.includes(q) : m.source.toLowerCase().includes(q.toLowerCase())));
          break;
        case "classes":
          found = [...classes.values()].filter((c) => inScope(c.package) && patternRegExp(q, caseSensitive).test(c.name));
          break;
        case "subclasses":
          found = subclassesOf(requireClass(q).name).filter((c) => inScope(c.package));
          break;
      }
      methods = methods.map(({ className, side, selector, package: pkg, protocol }) => ({ className, side, selector, package: pkg, protocol }));
      methods.sort((a, b) => a.className.localeCompare(b.className) || a.side.localeCompare(b.side) || a.selector.localeCompare(b.selector));
      const summaries = found.map(summary).sort((a, b) => a.name.localeCompare(b.name));
      const total = methods.length + summaries.length;
      return { kind: params.kind, total, offset: params.offset ?? 0, methods: page(methods, params.offset, params.limit), classes: page(summaries, params.offset, params.limit) };
    },

    "code.complete"(params, context) {
      const chars = [...params.source];
      if (params.position > chars.length) {
        throw new ProtocolError("invalidParams", { method: "code.complete", errors: [{ path: "/position", message: `must be at most the source's length (${chars.length})` }] });
      }
      let start = params.position;
      while (start > 0 && /[A-Za-z0-9_:]/.test(chars[start - 1]!)) start--;
      const prefix = chars.slice(start, params.position).join("");
      const afterReceiver = start > 0 && /\s/.test(chars[start - 1]!) && /\S/.test(chars.slice(0, start).join(""));
      const candidates: Completion[] = [
        ...[...(context.session?.variables ?? new Map())].map(([name, v]) => ({ text: name, kind: "variable" as const, detail: v.className })),
        ...PSEUDO_VARIABLES.map((text) => ({ text, kind: "pseudoVariable" as const })),
        ...[...classes.values()].map((c) => ({ text: c.name, kind: "class" as const, detail: c.package })),
        ...[...GLOBALS_NOT_CLASSES].map((text) => ({ text, kind: "global" as const })),
        ...[...new Set(methodReferences(classes).map((m) => m.selector))].map((text) => ({ text, kind: "selector" as const })),
      ];
      // After a receiver, selectors come first; at the start of a statement, variables and names.
      const rank = (c: Completion) => (c.kind === "selector" ? (afterReceiver ? 0 : 1) : afterReceiver ? 1 : 0);
      const matches = candidates.filter((c) => prefix.length > 0 && c.text.startsWith(prefix) && c.text !== prefix).sort((a, b) => rank(a) - rank(b) || a.text.localeCompare(b.text));
      return { prefix, start, total: matches.length, completions: matches.slice(0, params.limit ?? 100) };
    },

    "packages.list"(params) {
      const byName = new Map<string, ScriptedClass[]>();
      for (const c of classes.values()) byName.set(c.package, [...(byName.get(c.package) ?? []), c]);
      const pattern = params.pattern ? patternRegExp(params.pattern, false) : undefined;
      const all = [...byName]
        .filter(([name]) => !pattern || pattern.test(name))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, members]) => {
          const tags = new Map<string, number>();
          for (const c of members) tags.set(c.tag ?? "Uncategorized", (tags.get(c.tag ?? "Uncategorized") ?? 0) + 1);
          return { name, classCount: members.length, tags: [...tags].sort(([a], [b]) => a.localeCompare(b)).map(([tag, classCount]) => ({ name: tag, classCount })) };
        });
      return { total: all.length, offset: params.offset ?? 0, packages: page(all, params.offset, params.limit) };
    },

    "class.define"(params) {
      const refuse = (description: string) => new ProtocolError("invalidDefinition", { className: params.className, description: `${description} (scripted)` }, `Invalid definition of ${params.className}: ${description}`);
      if (!/^[A-Z][A-Za-z0-9_]*$/.test(params.className)) throw refuse("a class name must start with an uppercase letter and hold only letters, digits and _");
      if (GLOBALS_NOT_CLASSES.has(params.className)) throw refuse(`${params.className} is a global that is not a class`);
      requireClass(params.superclass);
      const names = [...(params.instanceVariables ?? []), ...(params.classVariables ?? []), ...(params.classInstanceVariables ?? [])];
      const bad = names.find((n) => !IDENTIFIER.test(n));
      if (bad !== undefined) throw refuse(`${JSON.stringify(bad)} is not a valid variable name`);
      const twice = names.find((n, i) => names.indexOf(n) !== i);
      if (twice !== undefined) throw refuse(`${twice} is defined twice`);
      for (let s: string | null = params.superclass; s; s = classes.get(s)?.superclass ?? null) {
        if (s === params.className) throw refuse(`${params.superclass} inherits from ${params.className}: a cycle`);
        const inherited = classes.get(s)?.instanceVariables.find((v) => names.includes(v));
        if (inherited) throw refuse(`${inherited} is already defined in ${s}`);
      }
      const old = classes.get(params.className);
      const c: ScriptedClass = {
        name: params.className,
        superclass: params.superclass,
        package: params.package,
        tag: params.tag ?? null,
        instanceVariables: [...(params.instanceVariables ?? [])],
        classVariables: [...(params.classVariables ?? [])],
        classInstanceVariables: [...(params.classInstanceVariables ?? [])],
        comment: params.comment ?? old?.comment ?? null,
        methods: old?.methods ?? new Map(),
      };
      classes.set(c.name, c);
      const { methods: _methods, name: className, ...fields } = c;
      return { className, ...fields, superclass: params.superclass, definition: definitionOf(c), created: old === undefined };
    },

    "class.remove"(params) {
      const c = requireClass(params.className);
      const subclasses = [...classes.values()].filter((s) => s.superclass === c.name).map((s) => s.name).sort();
      if (subclasses.length > 0) throw new ProtocolError("classHasSubclasses", { className: c.name, subclasses }, `${c.name} has subclasses: ${subclasses.join(", ")}`);
      classes.delete(c.name);
      return { className: c.name, package: c.package, definition: definitionOf(c) };
    },

    "method.remove"(params) {
      const c = requireClass(params.className);
      const side: Side = params.side ?? "instance";
      const key = methodKey(side, params.selector);
      const m = c.methods.get(key);
      if (!m) throw new ProtocolError("selectorNotFound", { className: c.name, selector: params.selector, side });
      c.methods.delete(key);
      return { className: c.name, selector: params.selector, side, protocol: m.protocol, package: c.package, source: m.source };
    },

    async "tests.run"(params, context) {
      return runTests(params, context, classes, requireClass, requirePackages);
    },

    "project.load"(params) {
      const project = PROJECTS[params.repository];
      const fail = (reason: "repository" | "conflict", exceptionClass: string, messageText: string) =>
        new ProtocolError("projectLoadError", { baseline: params.baseline, repository: params.repository, reason, exceptionClass, messageText: `${messageText} (scripted)`, loaded: [] }, `Project load failed: ${exceptionClass}`);
      if (!project || project.baseline !== params.baseline) throw fail("repository", "MCRepositoryError", `no BaselineOf${params.baseline} in ${params.repository}`);
      const onConflict = params.onConflict ?? "fail";
      if (loaded.has(project.baseline) && onConflict === "fail") throw fail("conflict", "MetacelloConflictingProjectError", `BaselineOf${project.baseline} is loaded already`);
      const groups = params.groups ?? ["default"];
      const unknown = groups.find((g) => !project.groups[g]);
      if (unknown) throw fail("repository", "MetacelloNameNotDefinedError", `BaselineOf${project.baseline} has no group ${unknown}`);
      const alreadyThere = loaded.has(project.baseline) && onConflict === "useLoaded";
      loaded.add(project.baseline);
      const packages = alreadyThere ? [] : [...new Set(groups.flatMap((g) => project.groups[g]!))];
      return { baseline: params.baseline, repository: params.repository, groups, projects: alreadyThere ? [] : project.projects, packages, warnings: ["scripted test double: nothing was loaded into any image"], durationMs: 0 };
    },

    "image.save"() {
      return { imagePath: "/scripted-test-double/Pharo.image", changesPath: "/scripted-test-double/Pharo.changes", durationMs: 0 };
    },
  };
}

/** tests.run over the double's classes: each test ends as TEST_OUTCOMES says; a waiting one can be stopped. */
async function runTests(
  params: TestsRunParams,
  context: RequestContext,
  classes: Map<string, ScriptedClass>,
  requireClass: (name: string) => ScriptedClass,
  requirePackages: (packages: readonly string[] | undefined) => void,
) {
  requirePackages(params.packages);
  const isTestCase = (c: ScriptedClass): boolean => c.superclass === "TestCase" || (c.superclass !== null && classes.has(c.superclass) && isTestCase(classes.get(c.superclass)!));
  const selectors = (c: ScriptedClass) => [...c.methods.keys()].filter((k) => sideOf(k) === "instance" && selectorOf(k).startsWith("test")).map(selectorOf).sort();
  const tests: [ScriptedClass, string][] = [];
  const add = (c: ScriptedClass, selector: string) => {
    if (!tests.some(([t, s]) => t === c && s === selector)) tests.push([c, selector]);
  };
  for (const c of [...classes.values()].filter((c) => params.packages?.includes(c.package) && isTestCase(c)).sort((a, b) => a.name.localeCompare(b.name))) for (const s of selectors(c)) add(c, s);
  for (const [i, name] of (params.classes ?? []).entries()) {
    const c = requireClass(name);
    if (!isTestCase(c)) throw new ProtocolError("invalidParams", { method: "tests.run", errors: [{ path: `/classes/${i}`, message: `${name} is not a TestCase subclass` }] });
    for (const s of selectors(c)) add(c, s);
  }
  for (const t of params.tests ?? []) {
    const c = requireClass(t.className);
    if (!c.methods.has(methodKey("instance", t.selector))) throw new ProtocolError("selectorNotFound", { className: t.className, selector: t.selector, side: "instance" });
    add(c, t.selector);
  }
  const deadline = Date.now() + (params.timeoutMs ?? 600_000);
  const results: TestCaseResult[] = [];
  for (const [c, selector] of tests) {
    const scripted = TEST_OUTCOMES[`${c.name}>>${selector}`];
    if (!scripted) throw new ProtocolError("internalError", { detail: `scripted test double: no scripted outcome for ${c.name}>>${selector}; it can only run ${Object.keys(TEST_OUTCOMES).join(", ")}` });
    let outcome = scripted;
    if (scripted.waitMs) {
      const testLimit = params.testTimeoutMs ?? 10_000;
      const waited = Math.min(scripted.waitMs, testLimit, Math.max(0, deadline - Date.now()));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waited);
        context.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
      });
      if (context.signal.aborted) return { counts: count([]), durationMs: 0, results: [] }; // dropped: the server answered cancelled
      if (Date.now() >= deadline) throw new ProtocolError("timeout", { timeoutMs: params.timeoutMs ?? 600_000 });
      if (testLimit < scripted.waitMs) {
        const exception = { exceptionClass: "TestTookTooMuchTime", messageText: "", description: `TestTookTooMuchTime (scripted: over ${testLimit} ms)`, frames: [] };
        outcome = { outcome: "error", durationMs: testLimit, exception };
      }
    }
    results.push({ className: c.name, selector, package: c.package, outcome: outcome.outcome, durationMs: outcome.durationMs, ...(outcome.exception ? { exception: { ...outcome.exception, frames: outcome.exception.frames.slice(0, params.maxFrames ?? 10) } } : {}) });
  }
  const listed = params.failuresOnly ? results.filter((r) => r.outcome === "failed" || r.outcome === "error") : results;
  return { counts: count(results), durationMs: results.reduce((sum, r) => sum + r.durationMs, 0), results: listed };
}

function count(results: TestCaseResult[]) {
  const n = (o: TestCaseResult["outcome"]) => results.filter((r) => r.outcome === o).length;
  return { total: results.length, passed: n("passed"), failed: n("failed"), errors: n("error"), skipped: n("skipped") };
}
