import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadAllowList } from "./allow-list.js";
import { checkTree, type CheckResult } from "./checker.js";
import { defaultIndexFile, loadPharoIndex, type PharoIndex } from "./pharo-index.js";

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, "..", "fixtures");
/** The index committed with the checker: always there, so no test here is ever skipped for want of it. */
const index = (): PharoIndex => loadPharoIndex(defaultIndexFile());

function check(name: string, useIndex = true): CheckResult {
  const root = join(fixtures, name, "src");
  return checkTree({ root, index: useIndex ? index() : undefined, allowList: loadAllowList(join(fixtures, name, "pharo-check-allow.json")) });
}

/** `file:line:col: kind: message` with the file relative to the fixture's src folder. */
function lines(name: string, r: CheckResult): string[] {
  const root = join(fixtures, name, "src");
  return r.problems.map((p) => `${relative(root, p.file)}:${p.line}:${p.column}: ${p.kind}: ${p.message}`);
}

/** Writes a throwaway Tonel tree: { "STUI-Core/Foo.class.st": "..." }. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "pharo-check-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, "src", path)), { recursive: true });
    writeFileSync(join(root, "src", path), text);
  }
  return join(root, "src");
}

function classFile(name: string, superclass: string, methods: string, extra = "", pkg = "STUI-Core"): string {
  return `Class {\n\t#name : '${name}',\n\t#superclass : '${superclass}',${extra}\n\t#category : '${pkg}',\n\t#package : '${pkg}'\n}\n\n${methods}`;
}

describe("the Pharo 12 index", () => {
  it("is read once and cached", () => {
    const a = loadPharoIndex(defaultIndexFile());
    const b = loadPharoIndex(defaultIndexFile());
    expect(b).toBe(a);
    expect(a.isClass("Object")).toBe(true);
    expect(a.hasSelector("printString")).toBe(true);
  });
});

describe("good fixture", () => {
  it("passes with no problems", () => {
    const r = check("good");
    expect(lines("good", r)).toEqual([]);
    expect(r.methods).toBe(25);
    expect(r.sends).toBeGreaterThan(80);
    expect([r.unresolved, r.syntaxErrors, r.deprecated]).toEqual([0, 0, 0]);
  });

  it("passes without the index too, and says which checks it skipped", () => {
    const r = check("good", false);
    expect(lines("good", r)).toEqual([]);
    expect(r.methods).toBe(25);
    expect(r.skipped.join("\n")).toMatch(/selector resolution/);
  });
});

describe("failing fixtures", () => {
  it("misspelled selectors, for unknown and known receivers", () => {
    expect(lines("bad-selector", check("bad-selector"))).toEqual([
      "STUI-Core/STUIPrinter.class.st:11:13: unresolved-selector: #printStrng is not implemented by any Pharo 12 class or by our code",
      "STUI-Core/STUIPrinter.class.st:17:7: unresolved-selector: SmallInteger does not understand #printStrng",
      "STUI-Core/STUIPrinter.class.st:23:9: unresolved-selector: STUIPrinter does not understand #frobnicate",
      "STUI-Core/STUIPrinter.class.st:29:16: unresolved-selector: STUIPrinter class does not understand #isLetter",
    ]);
  });

  it("unknown classes, in definitions and in methods", () => {
    const r = check("unknown-class");
    expect(lines("unknown-class", r)).toEqual([
      "STUI-Core/STUIMaker.class.st:3:16: unknown-class: superclass STUINoSuchBase of STUIMaker is not defined in our code or in Pharo 12",
      "STUI-Core/STUIMaker.class.st:11:4: unknown-class: unknown class or global STUINoSuchThing",
      "STUI-Core/STUIOther.class.st:11:4: unknown-class: unknown class or global SpPresenter",
    ]);
    expect(r.unresolved).toBe(3);
  });

  it("syntax errors, at the exact line and column of the .st file", () => {
    for (const useIndex of [true, false]) {
      const r = check("syntax-error", useIndex);
      expect(lines("syntax-error", r)).toEqual(["STUI-Core/STUIBroken.class.st:18:11: syntax-error: expression expected, found '.'"]);
      expect(r.syntaxErrors).toBe(1);
      expect(r.methods).toBe(3);
    }
  });

  it("missing handler implementations (no index needed)", () => {
    const expected = [
      "STUI-Protocol/STUIProtocolEvents.class.st:1:1: missing-handler: STUIProtocolEvents (STUI-Protocol) has abstract methods but no subclass implements them: #onLog:",
      "STUI-Server/STUIServerHandler.class.st:1:1: missing-handler: STUIServerHandler does not implement #handleQuit:, abstract in STUIProtocolHandler (STUI-Protocol)",
    ];
    expect(lines("missing-handler", check("missing-handler", false))).toEqual(expected);
    expect(lines("missing-handler", check("missing-handler"))).toEqual(expected);
  });

  it("undeclared instance variables, read and assigned (no index needed for a chain ending at Object)", () => {
    const expected = [
      "STUI-Core/STUIShape.class.st:14:12: undeclared: undeclared variable heigth",
      "STUI-Core/STUIShape.class.st:20:2: undeclared: assignment to undeclared variable colour",
    ];
    expect(lines("undeclared", check("undeclared", false))).toEqual(expected);
    expect(lines("undeclared", check("undeclared"))).toEqual(expected);
  });

  it("deprecated selectors, on a known receiver and on an unknown one", () => {
    const r = check("deprecated");
    expect(lines("deprecated", r)).toEqual([
      "STUI-Core/STUIDecoder.class.st:11:17: deprecated: #readStringUTF8 sent to ByteArray is deprecated in Pharo 12 (ByteArray>>readStringUTF8)",
      "STUI-Core/STUIDecoder.class.st:17:14: deprecated: #readStringUTF8 is deprecated in every Pharo 12 class that implements it",
    ]);
    expect(r.deprecated).toBe(2);
    expect(index().data.classes.ByteArray?.deprecatedInstanceSelectors).toContain("readStringUTF8");
  });
});

describe("receiver-aware resolution", () => {
  it("does not flag common idioms", () => {
    const root = tree({
      "STUI-Core/STUIThing.class.st": classFile(
        "STUIThing",
        "Object",
        `STUIThing class >> make [ ^ self new initialize; yourself ]
STUIThing class >> named: aString [ ^ self basicNew initialize; yourself ]
STUIThing class >> nameOfMe [ ^ self name , self category , self instanceCount printString ]
STUIThing >> abstract [ ^ self subclassResponsibility ]
STUIThing >> instanceCount [ ^ STUIThing new initialize hash ]
STUIThing >> misc [ ^ { Smalltalk version. Transcript show: 'x'. thisContext sender. 3 @ 4. 1/2. 2 ** 3. true & false. nil isNil. $a isLetter. 'x' utf8Encoded. #x numArgs } ]
STUIThing >> blocks [ ^ [ :x | x ] valueWithin: 5 seconds onTimeout: [ nil ] ]
STUIThing >> coll [ ^ (OrderedCollection new: 5) add: 3; yourself ]
`,
      ),
    });
    const r = checkTree({ root, index: index() });
    expect(r.problems).toEqual([]);
  });

  it("uses traits with exclusions and the metaclass chain into Class", () => {
    const root = tree({
      "STUI-Core/TSTUIGreeter.trait.st": `Trait {\n\t#name : 'TSTUIGreeter',\n\t#category : 'STUI-Core',\n\t#package : 'STUI-Core'\n}\n\nTSTUIGreeter >> greet [ ^ 'hi' ]\nTSTUIGreeter >> wave [ ^ 'o/' ]\nTSTUIGreeter classSide >> make [ ^ self new ]\n`,
      "STUI-Core/STUIGreeter.class.st": classFile(
        "STUIGreeter",
        "Object",
        `STUIGreeter >> a [ ^ self greet ]
STUIGreeter >> b [ ^ self wave ]
STUIGreeter >> c [ ^ STUIGreeter make ]
STUIGreeter >> d [ ^ STUIGreeter selectors , STUIGreeter methodDict keys ]
STUIGreeter >> e [ ^ #(1 2 3) sorted: [ :x :y | x > y ] ]
`,
        "\n\t#traits : 'TSTUIGreeter - {#wave}',\n\t#classTraits : 'TSTUIGreeter classTrait',",
      ),
    });
    const r = checkTree({ root, index: index() });
    expect(r.problems.map((p) => `${p.line}: ${p.message}`)).toEqual(["11: STUIGreeter does not understand #wave"]);
  });

  it("skips self sends in a class that overrides doesNotUnderstand:", () => {
    const root = tree({
      "STUI-Core/STUIProxy.class.st": classFile(
        "STUIProxy",
        "Object",
        `STUIProxy >> doesNotUnderstand: aMessage [ ^ aMessage selector ]\nSTUIProxy >> x [ ^ self zmqAnything ]\n`,
      ),
      "STUI-Core/STUISubProxy.class.st": classFile("STUISubProxy", "STUIProxy", `STUISubProxy >> y [ ^ self otherThing ]\n`),
    });
    expect(checkTree({ root, index: index() }).problems).toEqual([]);
  });

  it("honours the allow-list and rejects entries without a reason", () => {
    const root = tree({
      "STUI-Core/STUIDyn.class.st": classFile("STUIDyn", "Object", `STUIDyn >> x [ ^ self zmqMagic , (SpPresenter new zzSpecOnlySelector: 3) printString , self zmqOther ]\n`),
    });
    const allowPath = join(dirname(root), "pharo-check-allow.json");
    writeFileSync(
      allowPath,
      JSON.stringify(
        [
          { selector: "zmqMagic", reason: "installed at run time" },
          { class: "SpPresenter", reason: "Spec2 is not in the index" },
          { selector: "zmqOther" },
        ],
        null,
        2,
      ),
    );
    const r = checkTree({ root, index: index(), allowList: loadAllowList(allowPath) });
    expect(r.problems.map((p) => `${relative(dirname(root), p.file)}:${p.line}: ${p.kind}: ${p.message}`)).toEqual([
      "pharo-check-allow.json:10: allow-list: entry 3 (selector #zmqOther) has no reason",
      "src/STUI-Core/STUIDyn.class.st:8: unresolved-selector: STUIDyn does not understand #zmqOther",
    ]);
  });

  it("reports stores into arguments and pseudo-variables", () => {
    const root = tree({
      "STUI-Core/STUIStore.class.st": classFile("STUIStore", "Object", `STUIStore >> x: a [ a := 3. self := nil. [ :b | b := 1 ] value: 2 ]\n`),
    });
    const r = checkTree({ root });
    expect(r.problems.map((p) => `${p.column}: ${p.message}`)).toEqual([
      "21: cannot store into argument a",
      "29: cannot store into self",
      "49: cannot store into argument b",
    ]);
  });

  it("treats an empty or missing root as nothing to check", () => {
    const empty = mkdtempSync(join(tmpdir(), "pharo-check-empty-"));
    const r = checkTree({ root: empty });
    expect([r.methods, r.problems.length]).toEqual([0, 0]);
    expect(r.notes.join()).toMatch(/no \.st files/);
    expect(checkTree({ root: join(empty, "missing") }).notes.join()).toMatch(/does not exist/);
  });
});

describe("performance", () => {
  it("checks a few hundred methods well under 2 s", () => {
    const methods: string[] = [];
    for (let i = 0; i < 400; i++) {
      methods.push(
        `STUIBig >> m${i}: x [\n\t| t |\n\tt := OrderedCollection new.\n\tt add: x; add: ${i} printString; yourself.\n\t^ (t collect: [ :e | e printString size ]) inject: 0 into: [ :a :b | a + b max: ${i} ]\n]\n`,
      );
    }
    const root = tree({ "STUI-Core/STUIBig.class.st": classFile("STUIBig", "Object", methods.join("\n")) });
    const t0 = performance.now();
    const r = checkTree({ root, index: index() });
    const elapsed = performance.now() - t0;
    expect(r.problems).toEqual([]);
    expect(r.methods).toBe(400);
    expect(elapsed).toBeLessThan(2000);
  });
});
