/**
 * A TEST DOUBLE, not Smalltalk: the invented corner of an image that scripted-commands.ts answers
 * from — a few kernel classes and a small project (MyApp, MyApp-Tests) with their method sources,
 * and a table of scripted test outcomes. Nothing here parses or runs Smalltalk: searches are
 * textual over the sources below, and a test's outcome is whatever TEST_OUTCOMES says.
 */
import type { ClassSummary, MethodReference, Side, TestException } from "@stui/client/protocol";

export interface ScriptedMethod {
  source: string;
  protocol: string;
}

export interface ScriptedClass {
  name: string;
  superclass: string | null;
  package: string;
  tag: string | null;
  instanceVariables: string[];
  classVariables: string[];
  classInstanceVariables: string[];
  comment: string | null;
  /** Methods by `instance>>selector` / `class>>selector`. */
  methods: Map<string, ScriptedMethod>;
}

type Seed = Omit<ScriptedClass, "methods" | "classVariables" | "classInstanceVariables"> & { methods: Record<string, string | [string, string]> };

/** The classes the double starts with; a method is `source` or `[source, protocol]`. */
const SEED: Seed[] = [
  { name: "Object", superclass: "ProtoObject", package: "Kernel", tag: "Objects", instanceVariables: [], comment: "I am the root of most classes.", methods: {
    printOn: ["printOn: aStream\n\taStream nextPutAll: self class name", "printing"],
    printString: ["printString\n\t^ String streamContents: [ :s | self printOn: s ]", "printing"],
  } },
  { name: "Point", superclass: "Object", package: "Kernel-BasicObjects", tag: null, instanceVariables: ["x", "y"], comment: "I represent an x-y pair of numbers.", methods: {
    x: ["x\n\t^ x", "accessing"],
    y: ["y\n\t^ y", "accessing"],
    printOn: ["printOn: aStream\n\tx printOn: aStream.\n\taStream nextPut: $@.\n\ty printOn: aStream", "printing"],
  } },
  { name: "TestCase", superclass: "Object", package: "SUnit-Core", tag: "Kernel", instanceVariables: ["testSelector"], comment: "I am a test.", methods: {
    assert: ["assert: aBoolean\n\taBoolean ifFalse: [ TestFailure signal: 'Assertion failed' ]", "asserting"],
  } },
  { name: "Counter", superclass: "Object", package: "MyApp", tag: "Model", instanceVariables: ["count"], comment: "I count.", methods: {
    count: ["count\n\t^ count", "accessing"],
    increment: ["increment\n\tcount := count + 1", "counting"],
    reset: ["reset\n\tcount := 0", "counting"],
    printOn: ["printOn: aStream\n\tsuper printOn: aStream.\n\tcount printOn: aStream", "printing"],
  } },
  { name: "CounterTest", superclass: "TestCase", package: "MyApp-Tests", tag: null, instanceVariables: [], comment: null, methods: {
    testIncrement: ["testIncrement\n\tself assert: (Counter new reset; increment; count) = 1", "tests"],
    testReset: ["testReset\n\tself assert: (Counter new reset; count) = 0", "tests"],
    testDecrement: ["testDecrement\n\tself assert: (Counter new reset; decrement; count) = -1", "tests"],
    testDivide: ["testDivide\n\tself assert: 1 / 0 = 0", "tests"],
    testLater: ["testLater\n\tself skip", "tests"],
  } },
  { name: "SlowTest", superclass: "TestCase", package: "MyApp-Slow", tag: null, instanceVariables: [], comment: "I take a minute, unless stopped.", methods: {
    testSlow: ["testSlow\n\t(Delay forSeconds: 60) wait", "tests"],
  } },
];

/** The protocol's Side of a method key. */
export const sideOf = (key: string): Side => (key.startsWith("class>>") ? "class" : "instance");
export const selectorOf = (key: string): string => key.slice(key.indexOf(">>") + 2);
export const methodKey = (side: Side | undefined, selector: string): string => `${side ?? "instance"}>>${selector}`;

/** Keyword parts of selectors written as seed keys: `printOn` is `printOn:`, `assert` is `assert:`. */
const SEED_SELECTORS: Record<string, string> = { printOn: "printOn:", assert: "assert:" };

/** A fresh copy of the invented image (each server gets its own, so definitions do not leak between tests). */
export function seedClasses(): Map<string, ScriptedClass> {
  const classes = new Map<string, ScriptedClass>();
  for (const seed of SEED) {
    const methods = new Map<string, ScriptedMethod>();
    for (const [name, m] of Object.entries(seed.methods)) {
      const [source, protocol] = Array.isArray(m) ? m : [m, "as yet unclassified"];
      methods.set(methodKey("instance", SEED_SELECTORS[name] ?? name), { source, protocol });
    }
    classes.set(seed.name, { ...seed, classVariables: [], classInstanceVariables: [], methods });
  }
  return classes;
}

/** How one scripted test ends: an outcome and, for failed/error, the exception. */
export interface ScriptedOutcome {
  outcome: "passed" | "failed" | "error" | "skipped";
  durationMs: number;
  exception?: TestException;
  /** Waits this long (or until the run is stopped) before it ends. */
  waitMs?: number;
}

const frame = (index: number, method: string, receiverClass: string, line?: number) => ({
  index,
  method,
  receiverClass,
  printString: method.startsWith(`${receiverClass}>>`) ? method : `${receiverClass}(${method.split(">>")[0]})>>${method.split(">>")[1]}`,
  ...(line !== undefined ? { line } : {}),
});

/**
 * Every test the double can "run", by `Class>>selector`, and how it ends. A test of a class the
 * double holds but not listed here cannot be run: tests.run says so (internalError).
 */
export const TEST_OUTCOMES: Readonly<Record<string, ScriptedOutcome>> = {
  "CounterTest>>testIncrement": { outcome: "passed", durationMs: 1 },
  "CounterTest>>testReset": { outcome: "passed", durationMs: 0.5 },
  "CounterTest>>testDecrement": {
    outcome: "error",
    durationMs: 2,
    exception: {
      exceptionClass: "MessageNotUnderstood",
      messageText: "Counter>>decrement",
      description: "MessageNotUnderstood: Counter>>decrement (scripted)",
      frames: [frame(0, "ProtoObject>>doesNotUnderstand:", "Counter"), frame(1, "CounterTest>>testDecrement", "CounterTest", 2)],
    },
  },
  "CounterTest>>testDivide": {
    outcome: "failed",
    durationMs: 1,
    exception: {
      exceptionClass: "TestFailure",
      messageText: "Assertion failed",
      description: "TestFailure: Assertion failed (scripted)",
      frames: [frame(0, "TestCase>>assert:", "CounterTest"), frame(1, "CounterTest>>testDivide", "CounterTest", 2)],
    },
  },
  "CounterTest>>testLater": { outcome: "skipped", durationMs: 0 },
  "SlowTest>>testSlow": { outcome: "passed", durationMs: 60_000, waitMs: 60_000 },
  // What examples/plugins/scaffold.ts writes by default.
  "StuiScaffoldDemoTest>>testGreeting": { outcome: "passed", durationMs: 0.3 },
};

/** A class as classes.list and code.search summarise it. */
export function summary(c: ScriptedClass): ClassSummary {
  return { name: c.name, package: c.package, superclass: c.superclass, hasComment: c.comment !== null };
}

/** Every method of the double, as code.search answers methods. */
export function methodReferences(classes: Map<string, ScriptedClass>): (MethodReference & { source: string })[] {
  return [...classes.values()].flatMap((c) =>
    [...c.methods].map(([key, m]) => ({ className: c.name, side: sideOf(key), selector: selectorOf(key), package: c.package, protocol: m.protocol, source: m.source })),
  );
}

/** The definition of a class as Pharo 12's fluid syntax prints it (text only; nothing compiles it). */
export function definitionOf(c: ScriptedClass): string {
  const lines = [`${c.superclass ?? "nil"} << #${c.name}`];
  if (c.instanceVariables.length) lines.push(`\tslots: { ${c.instanceVariables.map((v) => `#${v}`).join(" . ")} };`);
  if (c.classVariables.length) lines.push(`\tsharedVariables: { ${c.classVariables.map((v) => `#${v}`).join(" . ")} };`);
  if (c.tag) lines.push(`\ttag: '${c.tag}';`);
  lines.push(`\tpackage: '${c.package}'`);
  return lines.join("\n");
}
