/**
 * A TEST DOUBLE, not Smalltalk: handlers for the STUI test server (@stui/testkit) that
 * answer FIXED, SCRIPTED data so the examples and the host can be tested end to end.
 * `evaluate` knows exactly the expressions in EVALUATE below (and session variables it
 * scripted); it never parses or runs code. The class table is invented, shaped like a
 * small corner of a Pharo image. Try the examples against it by hand:
 *
 *   npx stui-test-server --endpoint tcp://127.0.0.1:5599 --handlers examples/scripted-handlers.ts
 *   STUI_ENDPOINT=tcp://127.0.0.1:5599 npx stui run examples/hello.ts --allow-read --allow-eval
 */
import type { ClassSummary, Value } from "@stui/client/protocol";
import { ProtocolError, type TestHandlers } from "@stui/testkit";
import { withScriptedCommands } from "@stui/testkit/examples/scripted-commands";

const int = (n: number): Value => ({ printString: String(n), className: "SmallInteger", truncated: false });

interface Scripted {
  value?: Value;
  error?: () => ProtocolError;
  assigns?: string;
  /** A variable the expression reads, and what it answers given that variable. */
  reads?: { name: string; answer: (v: Value) => Value };
}

/** Every expression the double knows. */
export const EVALUATE: Readonly<Record<string, Scripted>> = {
  "3 + 4": { value: int(7) },
  "total := 3 + 4": { value: int(7), assigns: "total" },
  "total * 2": { reads: { name: "total", answer: (v) => int(Number(v.printString) * 2) } },
  "1/0": {
    error: () =>
      new ProtocolError("evaluationError", {
        exceptionClass: "ZeroDivide",
        messageText: "",
        description: "ZeroDivide (scripted)",
        frames: [
          { index: 0, method: "SmallInteger>>/", receiverClass: "SmallInteger", printString: "SmallInteger(Number)>>/" },
          { index: 1, method: "UndefinedObject>>DoIt", receiverClass: "UndefinedObject", printString: "UndefinedObject>>DoIt", line: 1 },
        ],
      }),
  },
  "1 to: 3 do: [:i | i printString": {
    error: () => new ProtocolError("syntaxError", { description: "']' expected (scripted)", line: 1, column: 31, position: 31 }),
  },
};

/** The invented class table: name → package, superclass, comment, subclasses, instance variables. */
export const CLASSES: Readonly<Record<string, { package: string; superclass: string | null; comment: string | null; subclasses: string[]; ivars: string[] }>> = {
  Collection: { package: "Collections-Abstract", superclass: "Object", comment: "I am the abstract superclass of all collections.", subclasses: ["HashedCollection", "SequenceableCollection"], ivars: [] },
  HashedCollection: { package: "Collections-Abstract", superclass: "Collection", comment: null, subclasses: ["Set"], ivars: ["tally", "array"] },
  SequenceableCollection: { package: "Collections-Abstract", superclass: "Collection", comment: "I am an ordered collection.", subclasses: ["ArrayedCollection", "OrderedCollection"], ivars: [] },
  ArrayedCollection: { package: "Collections-Abstract", superclass: "SequenceableCollection", comment: null, subclasses: ["Array"], ivars: [] },
  OrderedCollection: { package: "Collections-Sequenceable", superclass: "SequenceableCollection", comment: "I grow at both ends.", subclasses: [], ivars: ["array", "firstIndex", "lastIndex"] },
  Array: { package: "Collections-Sequenceable", superclass: "ArrayedCollection", comment: "I am a fixed-size collection.", subclasses: [], ivars: [] },
  Set: { package: "Collections-Unordered", superclass: "HashedCollection", comment: null, subclasses: [], ivars: [] },
  Point: { package: "Kernel-BasicObjects", superclass: "Object", comment: "I represent an x-y pair of numbers.", subclasses: [], ivars: ["x", "y"] },
};

const summaries = (): ClassSummary[] =>
  Object.entries(CLASSES)
    .map(([name, c]) => ({ name, package: c.package, superclass: c.superclass, hasComment: c.comment !== null }))
    .sort((a, b) => a.name.localeCompare(b.name));

const requireClass = (className: string) => {
  const c = CLASSES[className];
  if (!c) throw new ProtocolError("classNotFound", { className });
  return c;
};

/** The table's own handlers, with the scripted 1.2 commands (@stui/testkit's scripted-commands.ts). */
export const handlers: TestHandlers = withScriptedCommands({
  evaluate(params, context) {
    const session = context.session;
    const script = EVALUATE[params.code];
    if (!script) throw new ProtocolError("internalError", { detail: `scripted test double: no script for ${JSON.stringify(params.code)}` });
    if (script.error) throw script.error();
    let value: Value;
    if (script.reads) {
      const v = session?.variables.get(script.reads.name);
      if (!v) throw new ProtocolError("evaluationError", { exceptionClass: "UndeclaredVariableRead", messageText: script.reads.name, description: `${script.reads.name} is undeclared (scripted)`, frames: [] });
      value = script.reads.answer(v);
    } else value = { ...script.value! };
    if (script.assigns && session) session.setVariable(script.assigns, value);
    const historyIndex = session?.recordHistory({ code: params.code, ok: true, printString: value.printString, className: value.className });
    return { value, durationMs: 0, ...(historyIndex !== undefined ? { historyIndex } : {}) };
  },

  inspect(params) {
    if (params.expression !== "3 @ 4") throw new ProtocolError("internalError", { detail: `scripted test double: cannot inspect ${JSON.stringify(params.expression ?? params.handle)}` });
    return {
      handle: "h1",
      className: "Point",
      printString: "(3@4)",
      identityHash: 4242,
      namedSlots: [
        { name: "x", value: { ...int(3), handle: "h2" } },
        { name: "y", value: { ...int(4), handle: "h3" } },
      ],
      indexed: { total: 0, offset: 0, elements: [] },
    };
  },

  "classes.list"(params) {
    const pattern = params.pattern ? new RegExp(`^${params.pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "i") : undefined;
    const all = summaries().filter((c) => (!params.package || c.package === params.package) && (!pattern || pattern.test(c.name)));
    const offset = params.offset ?? 0;
    return { total: all.length, offset, classes: all.slice(offset, offset + (params.limit ?? 100)) };
  },

  "class.browse"(params) {
    const c = requireClass(params.className);
    const superclasses: string[] = [];
    for (let s = c.superclass, i = 0; s && i < 20; s = CLASSES[s]?.superclass ?? (s === "Object" ? "ProtoObject" : null), i++) {
      superclasses.push(s);
      if (s === "ProtoObject") break;
    }
    return {
      name: params.className,
      side: params.side ?? "instance",
      superclasses,
      subclasses: [...c.subclasses].sort(),
      package: c.package,
      comment: c.comment,
      definition: `${c.superclass ?? "nil"} subclass: #${params.className}\n\tinstanceVariableNames: '${c.ivars.join(" ")}'\n\tclassVariableNames: ''\n\tpackage: '${c.package}'`,
      instanceVariables: c.ivars,
      classVariables: [],
      protocols: c.ivars.length ? [{ name: "accessing", selectors: c.ivars }] : [],
    };
  },

  "method.get"(params) {
    const c = requireClass(params.className);
    const side = params.side ?? "instance";
    if (side !== "instance" || !c.ivars.includes(params.selector)) throw new ProtocolError("selectorNotFound", { className: params.className, selector: params.selector, side });
    return { className: params.className, selector: params.selector, side, source: `${params.selector}\n\t^ ${params.selector}`, protocol: "accessing", argumentNames: [], package: c.package, isExtension: false };
  },

  "method.compile"(params) {
    requireClass(params.className);
    const selector = /^\s*([A-Za-z_]\w*)/.exec(params.source)?.[1] ?? "unknown";
    return { className: params.className, selector, side: params.side ?? "instance", protocol: params.protocol ?? "as yet unclassified", created: true };
  },

  "system.info"() {
    return { platform: { os: "scripted-test-double" } };
  },
});

export default handlers;
