/**
 * A TEST DOUBLE, not Smalltalk: handlers for the STUI test server that answer FIXED, SCRIPTED
 * data, so clients, the `stui` host and the examples can be driven end to end without an image.
 * `evaluate` knows exactly the expressions in SCRIPT below (and the session's own workspace
 * variables); it never parses or runs code, and answers internalError ("scripted test double: no
 * script for …") for anything else. The class table (CLASSES) is invented, shaped like a small
 * corner of a Pharo image. Try it by hand:
 *
 *   npx stui-test-server --endpoint tcp://127.0.0.1:5599 --handlers packages/testkit/examples/scripted-handlers.ts
 *   STUI_ENDPOINT=tcp://127.0.0.1:5599 npx stui run examples/hello.ts --allow-read --allow-eval
 *
 * What it shows of the handler API (see the testkit README): the RequestContext's `session`
 * (workspace variables, history, handles: a value handed out with a handle is registered with
 * `session.keepHandle`, so inspect and handles.release know it), and ProtocolError for the
 * protocol's error kinds.
 */
import type { ClassSummary, InspectResult, Value } from "@stui/client/protocol";
import { ProtocolError, type TestHandlers, type TestSession } from "@stui/testkit";
import { withScriptedCommands } from "./scripted-commands.js";

type Plain = Omit<Value, "handle">;

interface Scripted {
  /** The answer. */
  value?: Plain;
  /** An error the expression raises (a fresh one per call). */
  error?: () => ProtocolError;
  /** A workspace variable the expression assigns (its value is the answer). */
  assigns?: string;
  /** A variable the expression reads, and what it answers given that variable. */
  reads?: { name: string; answer: (v: Plain) => Plain };
  /** What the expression "writes to the Transcript" (evaluate's `output`, protocol 1.2). */
  output?: string;
}

const int = (n: number): Plain => ({ printString: String(n), className: "SmallInteger", truncated: false });

/** Every expression the double knows, and what it answers. */
export const SCRIPT: Readonly<Record<string, Scripted>> = {
  "3 + 4": { value: int(7) },
  "x := 3 + 4": { value: int(7), assigns: "x" },
  "total := 3 + 4": { value: int(7), assigns: "total" },
  "total * 2": { reads: { name: "total", answer: (v) => int(Number(v.printString) * 2) } },
  "Transcript show: 'hello'; cr. 3 + 4": { value: int(7), output: "hello\n" },
  "3 @ 4": { value: { printString: "(3@4)", className: "Point", truncated: false } },
  "Smalltalk version": { value: { printString: "'Pharo12.0.0 (scripted test double)'", className: "ByteString", truncated: false } },
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

const noScript = (what: string): ProtocolError =>
  new ProtocolError("internalError", {
    detail: `scripted test double: no script for ${what}; it only knows ${Object.keys(SCRIPT).map((code) => JSON.stringify(code)).join(", ")} and session variables`,
  });

/** The scripted answer to `code` in `session`: a known expression, or a workspace variable by name. */
function answer(code: string, session: TestSession | undefined): Plain {
  const variable = session?.variables.get(code);
  if (variable) {
    const { handle: _, ...plain } = variable;
    return plain;
  }
  const script = SCRIPT[code];
  if (!script) throw noScript(JSON.stringify(code));
  if (script.error) throw script.error();
  if (script.reads) {
    const v = session?.variables.get(script.reads.name);
    if (!v) throw new ProtocolError("evaluationError", { exceptionClass: "UndeclaredVariableRead", messageText: script.reads.name, description: `${script.reads.name} is undeclared (scripted)`, frames: [] });
    return script.reads.answer(v);
  }
  return { ...script.value! };
}

/** The scripted inspection of a Point (the only object it can inspect); every value handed out carries a registered handle. */
function inspectPoint(session: TestSession, point: Value): InspectResult {
  return {
    handle: point.handle!,
    className: "Point",
    printString: point.printString,
    identityHash: 4242,
    namedSlots: [
      { name: "x", value: session.keepHandle(int(3)) },
      { name: "y", value: session.keepHandle(int(4)) },
    ],
    indexed: { total: 0, offset: 0, elements: [] },
  };
}

/** The table's own handlers, with the scripted 1.2 commands (scripted-commands.ts). */
export const handlers: TestHandlers = withScriptedCommands({
  evaluate(params, context) {
    const session = context.session;
    let value: Value;
    try {
      value = answer(params.code, session);
    } catch (error) {
      if (error instanceof ProtocolError) session?.recordHistory({ code: params.code, ok: false, printString: error.message });
      throw error;
    }
    const assigns = SCRIPT[params.code]?.assigns;
    if (assigns && session) session.setVariable(assigns, value);
    if (params.keepHandle && session) value = session.keepHandle(value);
    const historyIndex = session?.recordHistory({ code: params.code, ok: true, printString: value.printString, className: value.className });
    const output = SCRIPT[params.code]?.output;
    return { value, durationMs: 0, ...(historyIndex !== undefined ? { historyIndex } : {}), ...(output !== undefined ? { output: { text: output, truncated: false } } : {}) };
  },

  inspect(params, context) {
    const session = context.requireSession();
    if (params.handle !== undefined) {
      const kept = session.handles.get(params.handle);
      if (!kept) throw new ProtocolError("handleNotFound", { handle: params.handle });
      if (kept.className !== "Point") throw noScript(`inspecting a ${kept.className}`);
      return inspectPoint(session, kept);
    }
    const value = answer(params.expression ?? "", session);
    if (value.className !== "Point") throw noScript(`inspecting ${JSON.stringify(params.expression)}`);
    return inspectPoint(session, session.keepHandle(value));
  },

  "handles.release"(params, context) {
    return context.requireSession().releaseHandles(params.handles);
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
