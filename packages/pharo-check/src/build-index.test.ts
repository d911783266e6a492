import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { buildIndex, PHARO_GLOBALS } from "./build-index.js";
import { compareIndexes } from "./compare-index.js";
import { defaultIndexFile, loadPharoIndex } from "./pharo-index.js";

/** A throwaway Tonel tree in the layout of pharo-project/pharo's src/. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "pharo-index-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const SOURCE = { repository: "example/pharo", ref: "Main", commit: "0".repeat(40) };

const mini = (): string =>
  tree({
    "Kernel/package.st": "Package { #name : 'Kernel' }\n",
    "Kernel/Thing.class.st": [
      `"A comment with a ] and a 'quote."`,
      `Class {`,
      `\t#name : 'Thing',`,
      `\t#superclass : 'Object',`,
      `\t#traits : 'TShape - {#area}',`,
      `\t#classTraits : 'TShape classTrait',`,
      `\t#instVars : [ 'a', '#b => ObservableSlot' ],`,
      `\t#classVars : [ 'Count' ],`,
      `\t#classInstVars : [ 'cache' ],`,
      `\t#pools : [ 'ThingPool' ],`,
      `\t#type : #variable,`,
      `\t#category : 'Kernel-Things',`,
      `\t#package : 'Kernel',`,
      `\t#tag : 'Things'`,
      `}`,
      ``,
      `{ #category : 'accessing' }`,
      `Thing >> at: i put: v [ ^ #( int x; int y ) ]`,
      ``,
      `{ #category : 'deprecation' }`,
      `Thing >> old [ self deprecated: 'Use new' transformWith: '\`@r old' -> '\`@r new'. ^ self new ]`,
      ``,
      `{ #category : 'deprecation' }`,
      `Thing >> notReally [ "self deprecated: 'only in a comment'" ^ 'self deprecated: ''in a string''' ]`,
      ``,
      `{ #category : 'instance creation' }`,
      `Thing class >> new [ ^ self basicNew ]`,
      ``,
      `{ #category : 'deprecation' }`,
      `Thing class >> older [ ^ self deprecated: 'gone'; yourself ]`,
    ].join("\n"),
    "Kernel/TShape.trait.st": `Trait { #name : 'TShape', #package : 'Kernel' }\n\n{ #category : 'x' }\nTShape >> area [ ^ 0 ]\n\n{ #category : 'x' }\nTShape classSide >> unit [ ^ 1 ]\n`,
    "Extra/package.st": "Package { #name : 'Extra' }\n",
    "Extra/Thing.extension.st": `Extension { #name : 'Thing' }\n\n{ #category : '*Extra' }\nThing >> + other [ ^ self ]\n`,
    "Extra/Elsewhere.extension.st": `Extension { #name : 'Elsewhere' }\n\n{ #category : '*Extra' }\nElsewhere class >> fromExtra [ ^ nil ]\n`,
  });

describe("buildIndex", () => {
  it("reads definitions, selectors on both sides, extensions and deprecations with the project's Tonel reader", () => {
    const { index, files, problems } = buildIndex(mini(), SOURCE);
    expect(problems).toEqual([]);
    expect(files).toBe(4);
    expect(index.source).toEqual(SOURCE);
    expect(index.classes["Thing"]).toEqual({
      classInstVars: ["cache"],
      classSelectors: ["new", "older"],
      classTraitComposition: "TShape classTrait",
      classVars: ["Count"],
      deprecatedClassSelectors: ["older"],
      deprecatedInstanceSelectors: ["old"],
      extendedBy: ["Extra"],
      instVars: ["a", "b"],
      instanceSelectors: ["+", "at:put:", "notReally", "old"],
      layout: "variable",
      package: "Kernel",
      sharedPools: ["ThingPool"],
      superclass: "Object",
      tag: "Things",
      traitComposition: "TShape - {#area}",
      traits: ["TShape"],
    });
    expect(index.traits["TShape"]).toMatchObject({ superclass: null, package: "Kernel", instanceSelectors: ["area"], classSelectors: ["unit"] });
    expect(index.classes["Elsewhere"]).toMatchObject({ package: null, definedOutsideThisRepository: true, classSelectors: ["fromExtra"], extendedBy: ["Extra"] });
    expect(index.notCovered.classesReferencedButNotDefinedHere).toEqual(["Elsewhere", "Object"]);
    expect(index.globals).toEqual(PHARO_GLOBALS);
    expect(index.counts).toMatchObject({ classes: 2, classesDefinedHere: 1, traits: 1, packages: 1, methodDefinitions: 9 });
  });

  it("writes the same index twice (sorted keys and lists), and compareIndexes finds no difference with itself", () => {
    const root = mini();
    const a = buildIndex(root, SOURCE).index;
    const b = buildIndex(root, SOURCE).index;
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(compareIndexes(a, b)).toEqual([]);
    const changed = structuredClone(b);
    changed.classes["Thing"]!.instanceSelectors.push("extra");
    delete changed.traits["TShape"];
    expect(compareIndexes(a, changed)).toEqual([
      "classes: instanceSelectors differs for 1: Thing (+extra)",
      "traits only in the other index (1): TShape",
    ]);
  });

  it("loads an index as plain or gzipped JSON", () => {
    const { index } = buildIndex(mini(), SOURCE);
    const dir = mkdtempSync(join(tmpdir(), "pharo-index-file-"));
    writeFileSync(join(dir, "i.json"), JSON.stringify(index));
    writeFileSync(join(dir, "i.json.gz"), gzipSync(JSON.stringify(index)));
    expect(loadPharoIndex(join(dir, "i.json")).isClass("Thing")).toBe(true);
    expect(loadPharoIndex(join(dir, "i.json.gz")).isTrait("TShape")).toBe(true);
  });
});

describe("the committed index", () => {
  it("names where it was built from, and holds Pharo 12's classes, traits and globals", () => {
    const { data } = loadPharoIndex(defaultIndexFile());
    expect(data.source).toEqual({ repository: "pharo-project/pharo", ref: "Pharo12", commit: "89d0e0e998e70f047c7df5eb97f3dc4065e9ee52" });
    expect(Object.keys(data.classes).length).toBeGreaterThan(7000);
    expect(data.classes["Process"]?.instanceSelectors).toContain("terminate");
    expect(data.traits["TSortable"]).toBeDefined();
    expect(data.globals).toEqual(PHARO_GLOBALS);
    // Found by reading the AST, not the text: commented-out deprecations are not deprecations.
    expect(data.classes["Context"]?.deprecatedInstanceSelectors ?? []).not.toContain("method");
  });
});
