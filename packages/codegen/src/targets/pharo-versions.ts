/**
 * The Pharo side of protocol versions: the tables STUIProtocol answers per version (commands,
 * error kinds, result and error data types, validator class, shaping plans) and the methods that
 * shape a reply for an older version. pharo.ts puts these methods into its classes.
 */
import { type ProtocolSchema } from "../schema.js";
import { type ShapePlan, versionShapes } from "../shaping.js";
import { type SinceIndex } from "../since.js";

/** A method as pharo.ts writes it. */
export interface VersionMethod {
  classSide: boolean;
  category: string;
  pattern: string;
  body: string[];
}

const st = (text: string) => `'${text.replace(/'/g, "''")}'`;
const array = (items: readonly string[]) => `{ ${items.map(st).join(" . ")} }`;
const dict = (pairs: [string, string][]) => `(Dictionary newFrom: { ${pairs.map(([k, v]) => `${st(k)} -> ${v}`).join(" . ")} })`;

/** `1.0` → `STUIProtocolValidatorV1dot0`; the newest version keeps `STUIProtocolValidator`. */
export function validatorClassName(version: string, newest: string): string {
  return version === newest ? "STUIProtocolValidator" : `STUIProtocolValidatorV${version.replace(".", "dot")}`;
}

function planLiteral(plan: ShapePlan): string {
  const pairs: [string, string][] = [];
  if (plan.keep) pairs.push(["keep", array(plan.keep)]);
  if (plan.properties) pairs.push(["properties", dict(Object.entries(plan.properties).map(([k, p]) => [k, planLiteral(p)]))]);
  if (plan.items) pairs.push(["items", planLiteral(plan.items)]);
  return dict(pairs);
}

function versionTable(s: ProtocolSchema, newest: ProtocolSchema): string[] {
  const shapes = s === newest ? {} : versionShapes(s, newest).types;
  return [
    `${st(s.version)} -> (Dictionary newFrom: {`,
    `\t'commands' -> ${array(s.commands.map((c) => c.method))} .`,
    `\t'commandErrors' -> ${dict(s.commands.map((c) => [c.method, array(c.errors)]))} .`,
    `\t'envelopeErrors' -> ${array(s.envelopeErrors)} .`,
    `\t'resultTypes' -> ${dict(s.commands.map((c) => [c.method, st(c.resultType)]))} .`,
    `\t'errorDataTypes' -> ${dict(s.errors.map((e) => [e.kind, st(e.dataType)]))} .`,
    `\t'shapes' -> ${dict(Object.entries(shapes).map(([k, p]) => [k, planLiteral(p)]))} })`,
  ];
}

/** Class-side methods of STUIProtocol about versions. */
export function protocolVersionMethods(newest: ProtocolSchema, served: readonly ProtocolSchema[], since: SinceIndex): VersionMethod[] {
  const tables = served.flatMap((s, i) => versionTable(s, newest).map((l, j, all) => `\t${l}${j === all.length - 1 && i < served.length - 1 ? " ." : ""}`));
  const m = (category: string, pattern: string, body: string[]): VersionMethod => ({ classSide: true, category, pattern, body });
  return [
    m("accessing", "supportedVersions", [`"A fresh Array of every protocol version a server built from this code answers, oldest first (docs/protocol-evolution.md)."`, `^ ${array(served.map((s) => s.version))}`]),
    m("accessing", "versionTables", [
      `"Per protocol version: its commands, each command's error kinds, the envelope error kinds, result and error data type names, and the shaping plans that turn a reply of version ${newest.version} into one of that version."`,
      `^ Dictionary newFrom: {`,
      ...tables,
      `}`,
    ]),
    m("accessing", "tableFor: aVersion", [`"The table of a supported version (see versionTables), or nil."`, `^ self versionTables at: aVersion ifAbsent: [ nil ]`]),
    m("accessing", "commandNamesFor: aVersion", [`"A fresh Array of the commands protocol version aVersion defines; empty for an unknown version."`, `^ ((self tableFor: aVersion) ifNil: [ ^ Array new ]) at: 'commands'`]),
    m("accessing", "sinceVersions", [`"Per command, the first version of this major that has it."`, `^ ${dict(newest.commands.map((c) => [c.method, st(since.command(c.method))]))}`]),
    m("accessing", "validatorFor: aVersion", [
      `"A validator of the params and envelope of protocol version aVersion."`,
      ...served.filter((s) => s !== newest).map((s) => `aVersion = ${st(s.version)} ifTrue: [ ^ ${validatorClassName(s.version, newest.version)} new ].`),
      `^ STUIProtocolValidator new`,
    ]),
    m("public", "shape: anAnswer method: methodName version: aVersion", [
      `"Answer anAnswer (a result Dictionary, or an unsignalled STUIProtocolError) as protocol version aVersion defines it: members an older closed object does not know are left out, and an error kind the version (or that command in the version) lacks becomes an internalError naming it. The answer of the newest version is anAnswer itself."`,
      `| table |`,
      `aVersion = self version ifTrue: [ ^ anAnswer ].`,
      `table := (self tableFor: aVersion) ifNil: [ ^ anAnswer ].`,
      `(anAnswer isKindOf: STUIProtocolError) ifTrue: [ ^ self shapeError: anAnswer method: methodName version: aVersion table: table ].`,
      `^ self apply: ((table at: 'shapes') at: ((table at: 'resultTypes') at: methodName ifAbsent: [ '' ]) ifAbsent: [ nil ]) to: anAnswer`,
    ]),
    m("private", "shapeError: anError method: methodName version: aVersion table: table", [
      `"anError as protocol version aVersion (whose table is table) defines it (see shape:method:version:)."`,
      `| allowed plan shaped |`,
      `allowed := (table at: 'envelopeErrors') , ((table at: 'commandErrors') at: methodName ifAbsent: [ Array new ]).`,
      `(allowed includes: anError kind) ifFalse: [`,
      `\t^ STUIInternalError detail: anError kind , ' (not an error kind of ' , methodName asString , ' in protocol ' , aVersion , '): ' , anError messageText asString ].`,
      `plan := (table at: 'shapes') at: ((table at: 'errorDataTypes') at: anError kind ifAbsent: [ '' ]) ifAbsent: [ nil ].`,
      `plan ifNil: [ ^ anError ].`,
      `shaped := anError class new.`,
      `shaped messageText: anError messageText.`,
      `(self apply: plan to: anError data) keysAndValuesDo: [ :key :value | shaped dataAt: key put: value ].`,
      `^ shaped`,
    ]),
    m("private", "apply: aPlan to: aValue", [
      `"A fresh copy of aValue shaped by aPlan (keep: the members to keep, properties: plans per member, items: the plan of each element); aValue itself when aPlan is nil."`,
      `| keep properties items result |`,
      `aPlan ifNil: [ ^ aValue ].`,
      `aValue isArray ifTrue: [`,
      `\titems := aPlan at: 'items' ifAbsent: [ nil ].`,
      `\t^ items ifNil: [ aValue ] ifNotNil: [ aValue collect: [ :each | self apply: items to: each ] ] ].`,
      `aValue isDictionary ifFalse: [ ^ aValue ].`,
      `keep := aPlan at: 'keep' ifAbsent: [ nil ].`,
      `properties := aPlan at: 'properties' ifAbsent: [ Dictionary new ].`,
      `result := Dictionary new.`,
      `aValue keysAndValuesDo: [ :key :value |`,
      `\t(keep isNil or: [ keep includes: key ]) ifTrue: [`,
      `\t\tresult at: key put: (self apply: (properties at: key ifAbsent: [ nil ]) to: value) ] ].`,
      `^ result`,
    ]),
  ];
}

/** Instance-side dispatch of STUIProtocolHandler by version. */
export function handlerVersionMethods(): VersionMethod[] {
  return [
    {
      classSide: false,
      category: "request handling",
      pattern: "dispatch: methodName params: params version: aVersion",
      body: [
        `"Answer the command's result (a Dictionary) as protocol version aVersion defines the command, or an unsignalled STUIProtocolError for a method that version lacks or params that fail its schema. The result is not yet shaped for aVersion (STUIProtocol shape:method:version: does that). Errors a handler signals pass through to the caller."`,
        `| selector known |`,
        `known := STUIProtocol commandNamesFor: aVersion.`,
        `selector := self class commandSelectors at: methodName ifAbsent: [ nil ].`,
        `(selector isNil or: [ (known includes: methodName) not ]) ifTrue: [ ^ STUIUnknownMethodError method: methodName known: known ].`,
        `^ self perform: selector with: (params ifNil: [ Dictionary new ]) with: (STUIProtocol validatorFor: aVersion)`,
      ],
    },
  ];
}
