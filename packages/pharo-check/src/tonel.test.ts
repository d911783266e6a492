import { describe, expect, it } from "vitest";
import { stonNames, stonString } from "./ston.js";
import { readTonel } from "./tonel.js";
import { parseTraitComposition } from "./trait-composition.js";

const CLASS_FILE = `"
I am Foo. A comment with ""quotes"" and a ] bracket.
"
Class {
	#name : 'Foo',
	#superclass : #Object,
	#instVars : [
		'a',
		'#b => ObservableSlot'
	],
	#traits : 'TFoo + (TBar - {#x})',
	#category : 'STUI-Core',
	#package : 'STUI-Core'
}

{ #category : 'accessing' }
Foo >> tricky [
	"a ] in a comment"
	^ { $]. $[. $'. $". ']'. '''['. #']' }
]

{ #category : 'instance creation' }
Foo class >> at: index put: value [

	^ self new
]

{ #category : 'arithmetic' }
Foo >> + other [ ^ other ]

Foo >> noMetadata [ ^ [ [ 1 ] ] ]
`;

describe("Tonel reader", () => {
  it("reads the definition and every method, with Smalltalk-aware bracket matching", () => {
    const f = readTonel("Foo.class.st", CLASS_FILE);
    expect(f.errors).toEqual([]);
    expect(f.definition?.type).toBe("Class");
    expect(stonString(f.definition?.fields.get("name"))).toBe("Foo");
    expect(stonString(f.definition?.fields.get("superclass"))).toBe("Object");
    expect(stonNames(f.definition?.fields.get("instVars"))).toEqual(["a", "b"]);
    expect(f.methods.map((m) => [m.className, m.classSide, m.selector, m.category])).toEqual([
      ["Foo", false, "tricky", "accessing"],
      ["Foo", true, "at:put:", "instance creation"],
      ["Foo", false, "+", "arithmetic"],
      ["Foo", false, "noMetadata", undefined],
    ]);
    expect(f.methods.every((m) => m.ast)).toBe(true);
    expect(f.methods[1]?.ast?.args.map((a) => a.name)).toEqual(["index", "value"]);
  });

  it("reports a body syntax error at its line and column in the file, and keeps reading", () => {
    const text = "Class { #name : 'Foo', #superclass : 'Object' }\n\n{ #category : 'x' }\nFoo >> bad [\n\t^ 1 +\n]\n\nFoo >> good [ ^ 2 ]\n";
    const f = readTonel("Foo.class.st", text);
    expect(f.methods.map((m) => m.selector)).toEqual(["bad", "good"]);
    expect(f.errors).toHaveLength(1);
    const e = f.errors[0];
    expect(e && f.lines.position(e.offset)).toEqual({ line: 6, column: 1 });
    expect(e?.message).toMatch(/expression expected/);
  });

  it("reports an unterminated string where it starts", () => {
    const text = "Class { #name : 'Foo' }\nFoo >> bad [\n\t^ 'oops\n]\n";
    const f = readTonel("Foo.class.st", text);
    expect(f.errors).toHaveLength(1);
    const e = f.errors[0];
    expect(e && f.lines.position(e.offset)).toEqual({ line: 3, column: 4 });
    expect(e?.message).toBe("unterminated string");
  });

  it("reads extension, trait and package files", () => {
    const ext = readTonel("Object.extension.st", "Extension { #name : 'Object' }\n\n{ #category : '*STUI-Core' }\nObject >> stuiFoo [ ^ 1 ]\n");
    expect(ext.definition?.type).toBe("Extension");
    expect(ext.methods[0]?.selector).toBe("stuiFoo");
    const trait = readTonel("TFoo.trait.st", "Trait { #name : 'TFoo', #category : 'X' }\n\nTFoo classSide >> make [ ^ self new ]\n");
    expect(trait.definition?.type).toBe("Trait");
    expect(trait.methods[0]?.classSide).toBe(true);
    const pkg = readTonel("package.st", "Package { #name : 'STUI-Core' }\n");
    expect(pkg.definition?.type).toBe("Package");
    expect(pkg.errors).toEqual([]);
  });

  it("rejects a file that is not Tonel", () => {
    const f = readTonel("x.st", "Object subclass: #Foo");
    expect(f.errors[0]?.message).toMatch(/Tonel definition expected/);
  });
});

describe("trait compositions", () => {
  it("reads exclusions and aliases", () => {
    const uses = parseTraitComposition("TA + (TB - {#x. #y}) + TC @ {#new->#old} - {#z}");
    expect(uses.map((u) => [u.name, [...u.excluded], [...u.aliases]])).toEqual([
      ["TA", [], []],
      ["TB", ["x", "y"], []],
      ["TC", ["z"], [["new", "old"]]],
    ]);
    expect(parseTraitComposition("TA classTrait + TB classTrait").map((u) => u.name)).toEqual(["TA", "TB"]);
  });
});
