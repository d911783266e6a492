// A plugin's declaration, read from its source without running any of it: `stui list` shows
// it, and `stui run` grants from it (and refuses a plugin whose object at run time says
// anything else). Parsed with @babel/parser (TypeScript syntax), not with patterns: a comment,
// a string or a second `definePlugin` cannot fool it.
//
// Readable forms (name, description and permissions must be literals in the call itself):
//   export default definePlugin({ name: "x", description: "…", permissions: ["read"], run … });
//   const plugin = definePlugin({ … });  export default plugin;
// where definePlugin is imported from "@stui/plugins" (under any local name).

import { parse } from "@babel/parser";
import { isPermission, type PluginDeclaration } from "./permissions.js";
import { CONTROL_CHARACTER, escapeCharacter } from "./terminal-text.js";

/** What the source says the module is. */
export type StaticDeclaration =
  | { kind: "plugin"; plugin: PluginDeclaration }
  | { kind: "script" }
  | { kind: "unreadable"; error: string; line?: number; column?: number };

// A minimal view of the Babel AST: only the fields read here.
interface Node {
  type: string;
  [key: string]: unknown;
}

const WRAPPERS = new Set(["TSAsExpression", "TSSatisfiesExpression", "TSNonNullExpression", "ParenthesizedExpression", "TSTypeAssertion"]);

function unwrap(node: Node | null | undefined): Node | undefined {
  let n = node ?? undefined;
  while (n && WRAPPERS.has(n.type)) n = n.expression as Node;
  return n;
}

function stringValue(node: Node | undefined): string | undefined {
  const n = unwrap(node);
  if (n?.type === "StringLiteral") return n.value as string;
  if (n?.type === "TemplateLiteral" && (n.expressions as Node[]).length === 0) return ((n.quasis as Node[])[0]?.value as { cooked?: string } | undefined)?.cooked;
  return undefined;
}

function keyName(prop: Node): string | undefined {
  if (prop.computed) return undefined;
  const key = prop.key as Node;
  if (key.type === "Identifier") return key.name as string;
  return stringValue(key);
}

/** Where a node starts (1-based line and column), for messages. */
interface At {
  line: number;
  column: number;
}

function at(node: Node | undefined): At | undefined {
  const start = (node?.loc as { start?: { line: number; column: number } } | undefined)?.start;
  return start ? { line: start.line, column: start.column + 1 } : undefined;
}

class Unreadable extends Error {
  constructor(
    message: string,
    readonly where?: At,
  ) {
    super(message);
  }
}

function readObject(arg: Node | undefined): PluginDeclaration {
  const obj = unwrap(arg);
  if (obj?.type !== "ObjectExpression") throw new Unreadable("definePlugin's argument is not an object literal", at(arg));
  const seen = new Map<string, Node>();
  for (const prop of obj.properties as Node[]) {
    if (prop.type === "SpreadElement") throw new Unreadable("definePlugin's object has a spread (...): its declaration must be written out", at(prop));
    const name = keyName(prop);
    if (name === undefined) throw new Unreadable("definePlugin's object has a computed key", at(prop));
    if (seen.has(name)) throw new Unreadable(`definePlugin's object sets "${name}" twice`, at(prop));
    seen.set(name, prop);
  }
  const value = (key: string): Node | undefined => {
    const prop = seen.get(key);
    if (!prop) return undefined;
    if (prop.type !== "ObjectProperty") throw new Unreadable(`"${key}" must be a plain property, not a method or accessor`, at(prop));
    return prop.value as Node;
  };
  const name = stringValue(value("name"));
  if (name === undefined) throw new Unreadable(`"name" must be a string literal`, at(value("name") ?? obj));
  const description = stringValue(value("description"));
  if (description === undefined) throw new Unreadable(`"description" must be a string literal`, at(value("description") ?? obj));
  for (const [key, text] of [["name", name], ["description", description]] as const) {
    // Shown on terminals (stui list, the approval question): a control character there could hide or forge text (red team finding 7).
    const bad = CONTROL_CHARACTER.exec(text);
    if (bad) throw new Unreadable(`"${key}" holds a control character (${escapeCharacter(bad[0])} at character ${bad.index + 1}): a plugin's name and description are one line of plain text`, at(value(key)));
  }
  const list = unwrap(value("permissions"));
  if (list?.type !== "ArrayExpression") throw new Unreadable(`"permissions" must be an array literal of permission classes`, at(value("permissions") ?? obj));
  const permissions = (list.elements as (Node | null)[]).map((e) => stringValue(e ?? undefined));
  if (permissions.some((p) => p === undefined)) throw new Unreadable(`"permissions" must hold only string literals`, at(list));
  const unknown = (permissions as string[]).filter((p) => !isPermission(p));
  if (unknown.length > 0) throw new Unreadable(`declares unknown permission classes: ${unknown.join(", ")}`, at(list));
  return { name, description, permissions: permissions as PluginDeclaration["permissions"] };
}

/** Read the declaration of the module whose source is `source` (file name for messages and the parser). */
export function readDeclaration(source: string, file: string): StaticDeclaration {
  let ast: { program: { body: Node[] } };
  try {
    ast = parse(source, { sourceType: "module", sourceFilename: file, plugins: ["typescript", "importAttributes", "topLevelAwait", "explicitResourceManagement"], errorRecovery: false }) as unknown as { program: { body: Node[] } };
  } catch (error) {
    const loc = (error as { loc?: { line: number; column: number } }).loc;
    // The parser's message ends in its own 0-based "(line:column)"; the location is given 1-based beside it.
    const message = (error as Error).message.replace(/\s*\(\d+:\d+\)$/, "");
    return { kind: "unreadable", error: `does not parse: ${message}`, ...(loc ? { line: loc.line, column: loc.column + 1 } : {}) };
  }
  const body = ast.program.body;
  // Local names bound to @stui/plugins' definePlugin.
  const definePlugin = new Set<string>();
  for (const stmt of body) {
    if (stmt.type !== "ImportDeclaration" || (stmt.source as Node).value !== "@stui/plugins" || stmt.importKind === "type") continue;
    for (const spec of stmt.specifiers as Node[]) {
      const imported = spec.imported as Node | undefined;
      if (spec.type === "ImportSpecifier" && (imported?.name ?? imported?.value) === "definePlugin") definePlugin.add((spec.local as Node).name as string);
    }
  }
  const exported = body.filter((s) => s.type === "ExportDefaultDeclaration");
  const reexportsDefault = body.some(
    (s) => (s.type === "ExportNamedDeclaration" && ((s.specifiers as Node[] | undefined) ?? []).some((sp) => ((sp.exported as Node).name ?? (sp.exported as Node).value) === "default")) || s.type === "ExportAllDeclaration",
  );
  if (exported.length === 0) {
    return reexportsDefault ? { kind: "unreadable", error: "re-exports its default export from elsewhere: write the definePlugin call in the plugin's own file" } : { kind: "script" };
  }
  let decl = unwrap(exported[0]!.declaration as Node);
  try {
    if (decl?.type === "Identifier") {
      const local = decl.name as string;
      const binding = body
        .filter((s) => s.type === "VariableDeclaration" && s.kind === "const")
        .flatMap((s) => s.declarations as Node[])
        .find((d) => (d.id as Node).type === "Identifier" && (d.id as Node).name === local);
      if (!binding) throw new Unreadable(`the default export "${local}" is not a top-level const`, at(exported[0]));
      decl = unwrap(binding.init as Node);
    }
    if (decl?.type !== "CallExpression") return { kind: "unreadable", error: "the default export is not a definePlugin({ … }) call (stui reads plugin declarations without running them)", ...at(exported[0]) };
    const callee = unwrap(decl.callee as Node);
    if (callee?.type !== "Identifier" || !definePlugin.has(callee.name as string)) {
      return { kind: "unreadable", error: 'the default export is not a call of definePlugin imported from "@stui/plugins"', ...at(exported[0]) };
    }
    return { kind: "plugin", plugin: readObject((decl.arguments as Node[])[0]) };
  } catch (error) {
    if (error instanceof Unreadable) return { kind: "unreadable", error: error.message, ...error.where };
    throw error;
  }
}

/** Whether a declaration the plugin made at run time is the one read from its source. */
export function sameDeclaration(a: PluginDeclaration, b: { name: string; description: string; permissions: readonly string[] }): boolean {
  const sorted = (p: readonly string[]): string => JSON.stringify([...new Set(p)].sort());
  return a.name === b.name && a.description === b.description && sorted(a.permissions) === sorted(b.permissions) && b.permissions.length === new Set(b.permissions).size;
}
