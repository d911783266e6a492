/**
 * The checks: syntax, class references, selectors (known receivers and global
 * existence), deprecated sends, undeclared variables and abstract handlers
 * left unimplemented.
 */

import { checkFfi, type CHeader } from "./ffi-check.js";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Declaration, ExpressionNode, LiteralNode, SendNode, StatementNode } from "./ast.js";
import { emptyAllowList, type AllowList } from "./allow-list.js";
import { World, type OurBehavior, type OurMethod, type Side } from "./model.js";
import type { PharoIndex } from "./pharo-index.js";
import { readTonel, type TonelFile } from "./tonel.js";

export type ProblemKind =
  | "syntax-error"
  | "unknown-class"
  | "unresolved-selector"
  | "undeclared"
  | "missing-handler"
  | "deprecated"
  | "allow-list"
  | "ffi-mismatch";

export interface Problem {
  /** Absolute path of the file. */
  file: string;
  line: number;
  column: number;
  kind: ProblemKind;
  message: string;
}

export interface CheckOptions {
  /** Folder of Tonel packages (pharo/src). */
  root: string;
  /** The Pharo 12 index; without it the checks that need it are skipped. */
  index?: PharoIndex | undefined;
  allowList?: AllowList | undefined;
  /** C headers to check our ffiCall: signatures and documented constants against (e.g. zmq.h). */
  cHeaders?: readonly CHeader[] | undefined;
}

export interface CheckResult {
  problems: Problem[];
  files: number;
  methods: number;
  sends: number;
  unresolved: number;
  syntaxErrors: number;
  deprecated: number;
  /** Checks that could not run, in words. */
  skipped: string[];
  notes: string[];
}

/** The Pharo package that generated (abstract) handler classes live in. */
export const PROTOCOL_PACKAGE = "STUI-Protocol";

const RESERVED = new Set(["self", "super", "thisContext", "true", "false", "nil"]);
const INSTANCE_CREATION = new Set(["new", "new:", "basicNew", "basicNew:"]);

interface Type {
  name: string;
  side: Side;
  /** An allow-listed class outside the index: nothing is known about what it understands. */
  opaque?: boolean;
}

function listStFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && entry.name.endsWith(".st")) out.push(p);
    }
  };
  walk(root);
  return out;
}

export function checkTree(options: CheckOptions): CheckResult {
  const { root, index } = options;
  const allow = options.allowList ?? emptyAllowList();
  const result: CheckResult = { problems: [], files: 0, methods: 0, sends: 0, unresolved: 0, syntaxErrors: 0, deprecated: 0, skipped: [], notes: [] };
  if (!index) {
    result.skipped.push(
      "selector resolution (unresolved and deprecated sends)",
      "references to Pharo classes and globals",
      "undeclared variables in methods whose class chain leaves our code (other than Object)",
    );
  }

  const files: TonelFile[] = [];
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    result.notes.push(`${root} does not exist: nothing to check`);
  } else {
    for (const path of listStFiles(root)) files.push(readTonel(path, readFileSync(path, "utf8")));
    if (files.length === 0) result.notes.push(`${root} has no .st files: nothing to check`);
  }
  result.files = files.length;

  const report = (file: TonelFile | string, offsetOrLine: number, kind: ProblemKind, message: string, column?: number): void => {
    let line: number;
    let col: number;
    if (typeof file === "string") {
      line = offsetOrLine;
      col = column ?? 1;
    } else {
      ({ line, column: col } = file.lines.position(offsetOrLine));
    }
    result.problems.push({ file: typeof file === "string" ? file : file.path, line, column: col, kind, message });
    if (kind === "syntax-error") result.syntaxErrors++;
    else if (kind === "deprecated") result.deprecated++;
    else result.unresolved++;
  };

  for (const e of allow.errors) report(allow.path ?? "pharo-check-allow.json", e.line, "allow-list", e.message);

  const world = new World(index);
  for (const f of files) world.addDefinition(f, basename(dirname(f.path)));
  for (const f of files) world.addMethods(f);
  for (const f of files) {
    for (const e of f.errors) report(f, e.offset, "syntax-error", e.message);
    result.methods += f.methods.length;
  }

  const classKnown = (name: string): boolean | undefined => {
    if (world.isOurs(name) || allow.classes.has(name)) return true;
    if (!index) return undefined; // cannot tell
    return index.isClass(name) || index.isTrait(name) || index.isGlobal(name);
  };

  checkDefinitions(files, world, classKnown, report);

  const checker = new MethodChecker(world, index, allow, report, classKnown);
  for (const m of world.allMethods) checker.check(m);
  result.sends = checker.sends;

  checkAbstractHandlers(world, report);

  const headers = options.cHeaders ?? [];
  if (headers.length === 0) result.skipped.push("FFI signatures and constants (no C header given; e.g. --c-header /usr/include/zmq.h from libzmq3-dev)");
  for (const header of headers) {
    const counts = checkFfi(world.allMethods, header, (method, offset, message) => report(method.file, offset, "ffi-mismatch", message));
    if (counts.calls + counts.constants > 0) {
      result.notes.push(`FFI: ${counts.calls} ffiCall: signatures and ${counts.constants} constants checked against ${header.path}`);
    }
  }

  result.problems.sort(compareProblems);
  return result;
}

function compareProblems(a: Problem, b: Problem): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  if (a.column !== b.column) return a.column - b.column;
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}

type Reporter = (file: TonelFile, offset: number, kind: ProblemKind, message: string) => void;

function checkDefinitions(files: TonelFile[], world: World, classKnown: (n: string) => boolean | undefined, report: Reporter): void {
  for (const f of files) {
    const def = f.definition;
    if (!def) continue;
    const nameValue = def.fields.get("name");
    const name = nameValue && (nameValue.type === "string" || nameValue.type === "symbol") ? nameValue.value : undefined;
    if (def.type !== "Package" && !name) report(f, def.start, "syntax-error", `${def.type} definition has no #name`);
    if (def.type === "Class" || def.type === "Trait") {
      const b = name ? world.behaviors.get(name) : undefined;
      if (b && b.file !== f) report(f, def.start, "syntax-error", `${name} is also defined in ${basename(b.file.path)}`);
      if (b && b.file === f) {
        if (b.superclass && classKnown(b.superclass) === false) {
          report(f, b.fieldStart.get("superclass") ?? def.start, "unknown-class", `superclass ${b.superclass} of ${name} is not defined in our code or in Pharo 12`);
        }
        for (const t of [...b.traits, ...b.classTraits]) {
          if (!world.isKnownTrait(t.name) && classKnown(t.name) === false) {
            report(f, b.fieldStart.get("traits") ?? def.start, "unknown-class", `trait ${t.name} used by ${name} is not defined`);
          }
        }
        for (const p of b.pools) {
          if (classKnown(p) === false) report(f, b.fieldStart.get("pools") ?? def.start, "unknown-class", `shared pool ${p} used by ${name} is not defined`);
        }
      }
    }
    if (def.type === "Extension" && name && classKnown(name) === false) {
      report(f, def.start, "unknown-class", `extended class ${name} is not defined in our code or in Pharo 12`);
    }
    for (const m of f.methods) {
      if (name && def.type !== "Package" && m.className !== name) {
        report(f, m.start, "syntax-error", `method ${m.className}>>${m.selector} in the file of ${name}`);
      }
      if (def.type === "Package") report(f, m.start, "syntax-error", "methods are not allowed in package.st");
    }
  }
}

class MethodChecker {
  sends = 0;
  private method!: OurMethod;
  private scopes: Map<string, "arg" | "temp">[] = [];
  private vars: { names: Set<string>; complete: boolean } = { names: new Set(), complete: false };
  private cascadeTypes: (Type | null)[] = [];
  private readonly varCache = new Map<string, { names: Set<string>; complete: boolean }>();

  constructor(
    private readonly world: World,
    private readonly index: PharoIndex | undefined,
    private readonly allow: AllowList,
    private readonly report: Reporter,
    private readonly classKnown: (n: string) => boolean | undefined,
  ) {}

  check(m: OurMethod): void {
    if (!m.ast) return;
    this.method = m;
    const key = `${m.side} ${m.owner}`;
    let vars = this.varCache.get(key);
    if (!vars) this.varCache.set(key, (vars = this.world.visibleVariables(m.owner, m.side)));
    this.vars = vars;
    this.scopes = [new Map()];
    this.declare(m.ast.args, "arg");
    this.declare(m.ast.temps, "temp");
    this.statements(m.ast.statements);
  }

  private declare(decls: Declaration[], kind: "arg" | "temp"): void {
    const scope = this.scopes[this.scopes.length - 1];
    for (const d of decls) scope?.set(d.name, kind);
  }

  private scopeKind(name: string): "arg" | "temp" | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const k = this.scopes[i]?.get(name);
      if (k) return k;
    }
    return undefined;
  }

  private statements(stmts: StatementNode[]): void {
    for (const s of stmts) {
      if (s.kind === "return") this.visit(s.value);
      else this.visit(s);
    }
  }

  private problem(offset: number, kind: ProblemKind, message: string): void {
    this.report(this.method.file, offset, kind, message);
  }

  private literalType(node: LiteralNode): Type | null {
    switch (node.type) {
      case "string":
        return { name: /[^\u0000-\u00ff]/.test(node.value) ? "WideString" : "ByteString", side: "instance" };
      case "symbol":
        return { name: /[^\u0000-\u00ff]/.test(node.value) ? "WideSymbol" : "ByteSymbol", side: "instance" };
      case "char":
        return { name: "Character", side: "instance" };
      case "true":
        return { name: "True", side: "instance" };
      case "false":
        return { name: "False", side: "instance" };
      case "nil":
        return { name: "UndefinedObject", side: "instance" };
      case "number":
        switch (node.numberKind) {
          case "float":
            return { name: "SmallFloat64", side: "instance" };
          case "scaled":
            return { name: "ScaledDecimal", side: "instance" };
          case "fraction":
            return { name: "Fraction", side: "instance" };
          default:
            if (!node.large) return { name: "SmallInteger", side: "instance" };
            return { name: node.negative ? "LargeNegativeInteger" : "LargePositiveInteger", side: "instance" };
        }
    }
  }

  private blockClass(): string {
    return this.index?.isClass("FullBlockClosure") ? "FullBlockClosure" : "BlockClosure";
  }

  private visit(node: ExpressionNode): Type | null {
    switch (node.kind) {
      case "variable":
        return this.variable(node.name, node.start, false);
      case "literal":
        return this.literalType(node);
      case "literalArray":
        return { name: "Array", side: "instance" };
      case "byteArray":
        return { name: "ByteArray", side: "instance" };
      case "dynamicArray":
        this.statements(node.elements);
        return { name: "Array", side: "instance" };
      case "block":
        this.scopes.push(new Map());
        this.declare(node.args, "arg");
        this.declare(node.temps, "temp");
        this.statements(node.statements);
        this.scopes.pop();
        return { name: this.blockClass(), side: "instance" };
      case "assignment": {
        this.assignTarget(node.variable.name, node.variable.start);
        return this.visit(node.value);
      }
      case "cascadeReceiver":
        return this.cascadeTypes[this.cascadeTypes.length - 1] ?? null;
      case "cascade": {
        const t = this.visit(node.receiver);
        this.cascadeTypes.push(t);
        for (const m of node.messages) this.visit(m);
        this.cascadeTypes.pop();
        return null;
      }
      case "send":
        return this.send(node);
    }
  }

  private send(node: SendNode): Type | null {
    this.sends++;
    const receiverType = this.visit(node.receiver);
    for (const a of node.args) this.visit(a);
    this.checkSelector(node.selector, receiverType, node.selectorStart);
    const r = node.receiver;
    if (
      receiverType?.side === "class" &&
      r.kind === "variable" &&
      r.name !== "self" &&
      r.name !== "super" &&
      INSTANCE_CREATION.has(node.selector)
    ) {
      return receiverType.opaque ? { ...receiverType, side: "instance" } : { name: receiverType.name, side: "instance" };
    }
    if (node.selector === "yourself") return receiverType;
    return null;
  }

  private checkSelector(selector: string, type: Type | null, offset: number): void {
    if (this.allow.selectors.has(selector) || type?.opaque) return;
    if (type) {
      if (this.world.overridesDoesNotUnderstand(type.name, type.side)) return;
      const r = this.world.lookup(type.name, type.side, selector);
      const who = type.side === "class" ? `${type.name} class` : type.name;
      if (r.found) {
        if (r.deprecated) {
          const where = `${r.owner}${r.side === "class" ? " class" : ""}>>${selector}`;
          this.problem(offset, "deprecated", `#${selector} sent to ${who} is deprecated in Pharo 12 (${where})`);
        }
        return;
      }
      if (r.complete) {
        this.problem(offset, "unresolved-selector", `${who} does not understand #${selector}`);
        return;
      }
    }
    if (!this.index) return;
    const ours = this.world.ourSelectors.has(selector);
    if (!ours && !this.index.hasSelector(selector)) {
      this.problem(offset, "unresolved-selector", `#${selector} is not implemented by any Pharo 12 class or by our code`);
      return;
    }
    if (!ours && this.index.allImplementorsDeprecated(selector)) {
      this.problem(offset, "deprecated", `#${selector} is deprecated in every Pharo 12 class that implements it`);
    }
  }

  /** Resolves a variable reference; answers its type when known. */
  private variable(name: string, offset: number, assigning: boolean): Type | null {
    const owner = this.method.owner;
    const side = this.method.side;
    switch (name) {
      case "self": {
        if (this.world.isKnownTrait(owner) || !this.world.isKnownClass(owner)) return this.index ? this.nonOurSelf(owner, side) : null;
        return { name: owner, side };
      }
      case "super": {
        const sup = this.world.superclassOf(owner);
        return sup ? { name: sup, side } : null;
      }
      case "true":
        return { name: "True", side: "instance" };
      case "false":
        return { name: "False", side: "instance" };
      case "nil":
        return { name: "UndefinedObject", side: "instance" };
      case "thisContext":
        return { name: "Context", side: "instance" };
    }
    if (this.scopeKind(name)) return null;
    if (this.vars.names.has(name)) return null;
    if (this.world.isOurs(name)) return this.world.isKnownClass(name) ? { name, side: "class" } : null;
    if (this.allow.classes.has(name) && !this.index?.isClass(name)) return { name, side: "class", opaque: true };
    if (this.index) {
      if (this.index.isClass(name)) return { name, side: "class" };
      if (this.index.isTrait(name)) return null;
      if (this.index.isGlobal(name)) {
        const cls = this.index.globalClass(name);
        return cls ? { name: cls, side: "instance" } : null;
      }
    }
    const upper = name[0] !== undefined && name[0] >= "A" && name[0] <= "Z";
    if (upper) {
      // With the index, an unknown capitalised name is reported even when the class chain is
      // incomplete (its unknown superclass is reported on its own).
      if (this.classKnown(name) === undefined) return null;
      this.problem(offset, "unknown-class", `${assigning ? "assignment to " : ""}unknown class or global ${name}`);
    } else {
      if (!this.vars.complete) return null;
      this.problem(offset, "undeclared", assigning ? `assignment to undeclared variable ${name}` : `undeclared variable ${name}`);
    }
    return null;
  }

  /** `self` in an extension method of a Pharo class is an instance of that class. */
  private nonOurSelf(owner: string, side: Side): Type | null {
    return this.index?.isClass(owner) ? { name: owner, side } : null;
  }

  private assignTarget(name: string, offset: number): void {
    if (RESERVED.has(name)) {
      this.problem(offset, "syntax-error", `cannot store into ${name}`);
      return;
    }
    if (this.scopeKind(name) === "arg") {
      this.problem(offset, "syntax-error", `cannot store into argument ${name}`);
      return;
    }
    this.variable(name, offset, true);
  }
}

function checkAbstractHandlers(world: World, report: Reporter): void {
  const abstractSelectors = (b: OurBehavior, side: Side): string[] =>
    [...b.methods[side].values()].filter((m) => m.isAbstract).map((m) => m.selector);
  const implementsConcretely = (b: OurBehavior, side: Side, selector: string): boolean => {
    const m = b.methods[side].get(selector);
    if (m) return !m.isAbstract;
    const traits = side === "class" ? b.classTraits : b.traits;
    return traits.some((t) => !t.excluded.has(selector) && world.definesLocally(t.name, side, t.aliases.get(selector) ?? selector));
  };
  const hasSubclass = new Set<string>();
  for (const b of world.behaviors.values()) if (b.superclass) hasSubclass.add(b.superclass);

  for (const b of world.behaviors.values()) {
    if (b.isTrait) continue;
    const isProtocol = b.package === PROTOCOL_PACKAGE;
    if (isProtocol && !hasSubclass.has(b.name)) {
      const abstract = [...abstractSelectors(b, "instance"), ...abstractSelectors(b, "class").map((s) => `class>>${s}`)];
      if (abstract.length > 0) {
        report(b.file, b.start, "missing-handler", `${b.name} (${PROTOCOL_PACKAGE}) has abstract methods but no subclass implements them: ${abstract.map((s) => `#${s}`).join(", ")}`);
      }
      continue;
    }
    if (hasSubclass.has(b.name)) continue;
    // A leaf: walk up and collect abstract selectors declared by STUI-Protocol ancestors.
    const below: OurBehavior[] = [b];
    const reported = new Set<string>();
    let sup = b.superclass ? world.behaviors.get(b.superclass) : undefined;
    const seen = new Set<string>([b.name]);
    while (sup && !seen.has(sup.name)) {
      seen.add(sup.name);
      if (sup.package === PROTOCOL_PACKAGE) {
        for (const side of ["instance", "class"] as const) {
          for (const selector of abstractSelectors(sup, side)) {
            const key = `${side} ${selector}`;
            if (reported.has(key)) continue;
            if (below.some((c) => implementsConcretely(c, side, selector))) continue;
            reported.add(key);
            const sel = side === "class" ? `class>>${selector}` : selector;
            report(b.file, b.start, "missing-handler", `${b.name} does not implement #${sel}, abstract in ${sup.name} (${PROTOCOL_PACKAGE})`);
          }
        }
      }
      below.push(sup);
      sup = sup.superclass ? world.behaviors.get(sup.superclass) : undefined;
    }
  }
}
