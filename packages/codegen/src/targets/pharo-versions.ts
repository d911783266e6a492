/**
 * The Pharo side of protocol versions: the tables STUIProtocol answers per version (commands,
 * params validators and defaults, permissions, error kinds, result and error data types, shaping
 * plans), the one method that checks a request's params in its version (checkParams:method:version:,
 * used by the handler's dispatch and by STUIServer>>prepare:), and the methods that shape a reply
 * for an older version. pharo.ts puts these methods into its classes.
 */
import { type Command, type ProtocolSchema } from "../schema.js";
import { type ShapePlan, versionShapes } from "../shaping.js";
import { type SinceIndex } from "../since.js";
import { literal, st } from "./pharo-literals.js";

/** A method as pharo.ts writes it. */
export interface VersionMethod {
  classSide: boolean;
  category: string;
  pattern: string;
  body: string[];
}

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
  const defaults = (c: Command) => dict(Object.entries(c.defaults).map(([k, v]) => [k, literal(v)]));
  const paramPermissions = (c: Command) => dict(Object.entries(c.paramPermissions).map(([k, v]) => [k, st(v)]));
  return [
    `${st(s.version)} -> (Dictionary newFrom: {`,
    `\t'commands' -> ${array(s.commands.map((c) => c.method))} .`,
    `\t'paramsValidators' -> ${dict(s.commands.map((c) => [c.method, `#problemsOf${c.paramsType}:`]))} .`,
    `\t'paramsDefaults' -> ${dict(s.commands.map((c) => [c.method, defaults(c)]))} .`,
    `\t'permissions' -> ${dict(s.commands.map((c) => [c.method, st(c.permission)]))} .`,
    `\t'paramPermissions' -> ${dict(s.commands.filter((c) => Object.keys(c.paramPermissions).length > 0).map((c) => [c.method, paramPermissions(c)]))} .`,
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
      `"Per protocol version: its commands, each command's params validator selector (of validatorFor: that version), params defaults, permission class and params members that need another one, each command's error kinds, the envelope error kinds, result and error data type names, and the shaping plans that turn a reply of version ${newest.version} into one of that version. Built afresh on every call."`,
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
    m("public", "checkParams: params method: methodName version: aVersion", [
      `"The one check of a request's method and params: answer a copy of params with the defaults of protocol version aVersion filled in, or an unsignalled STUIUnknownMethodError (a method that version lacks) or STUIInvalidParamsError (params that fail that version's schema, every problem listed). No member of params is read before that version's validator has accepted them."`,
      `| table selector problems full |`,
      `table := (self tableFor: aVersion) ifNil: [ ^ STUIUnknownMethodError method: methodName known: Array new ].`,
      `selector := (table at: 'paramsValidators') at: methodName ifAbsent: [ ^ STUIUnknownMethodError method: methodName known: (table at: 'commands') ].`,
      `problems := (self validatorFor: aVersion) perform: selector with: params.`,
      `problems isEmpty ifFalse: [ ^ STUIInvalidParamsError method: methodName errors: problems ].`,
      `full := params copy.`,
      `((table at: 'paramsDefaults') at: methodName) keysAndValuesDo: [ :key :value | full at: key ifAbsentPut: [ value ] ].`,
      `^ full`,
    ]),
    m("accessing", "permissionsFor: methodName params: params version: aVersion", [
      `"A fresh Array of the permission classes one call needs in protocol version aVersion: the command's own, plus those a params member present in this call adds (inspect with an expression needs eval too). Empty for a command that version lacks. params have passed checkParams:method:version:."`,
      `| table needed |`,
      `table := (self tableFor: aVersion) ifNil: [ ^ Array new ].`,
      `needed := OrderedCollection new.`,
      `needed add: ((table at: 'permissions') at: methodName ifAbsent: [ ^ Array new ]).`,
      `((table at: 'paramPermissions') at: methodName ifAbsent: [ Dictionary new ]) keysAndValuesDo: [ :member :permission |`,
      `\t((params at: member ifAbsent: [ nil ]) notNil and: [ (needed includes: permission) not ])`,
      `\t\tifTrue: [ needed add: permission ] ].`,
      `^ needed asArray`,
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
        `"Answer the command's result (a Dictionary) as protocol version aVersion defines the command, or an unsignalled STUIProtocolError for a method that version lacks or params that fail its schema (STUIProtocol checkParams:method:version:). The result is not yet shaped for aVersion (STUIProtocol shape:method:version: does that). Errors a handler signals pass through to the caller."`,
        `| checked |`,
        `checked := STUIProtocol checkParams: (params ifNil: [ Dictionary new ]) method: methodName version: aVersion.`,
        `(checked isKindOf: STUIProtocolError) ifTrue: [ ^ checked ].`,
        `^ self handle: methodName checkedParams: checked`,
      ],
    },
    {
      classSide: false,
      category: "request handling",
      pattern: "handle: methodName checkedParams: fullParams",
      body: [
        `"Answer handle<Command>: fullParams, which have passed STUIProtocol checkParams:method:version: (dispatch:params:version: or STUIServer>>prepare: did that). A command an older version served here has but the newest lacks has no handler: an unsignalled internalError. Errors a handler signals pass through to the caller."`,
        `| selector |`,
        `selector := self class commandSelectors at: methodName ifAbsent: [`,
        `\t^ STUIInternalError detail: 'no handler for ' , methodName asString , ' in protocol ' , STUIProtocol version ].`,
        `^ self perform: selector with: fullParams`,
      ],
    },
  ];
}
