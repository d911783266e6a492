/**
 * JSON Schema → TypeBox source. Handles the subset the protocol uses and
 * refuses anything else, so a schema change cannot silently lose a constraint.
 */
import { type SchemaNode, SchemaError, refName } from "../schema.js";

/** Schema keywords that become TypeBox options unchanged. */
const OPTION_KEYWORDS = [
  "description",
  "default",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "uniqueItems",
] as const;

/** Keywords the converter understands (everything else is an error). */
const KNOWN = new Set<string>([
  ...OPTION_KEYWORDS,
  "$ref",
  "type",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "enum",
  "const",
  "oneOf",
  "anyOf",
  "examples",
  "title",
  "x-stui-permission",
  "x-stui-idempotent",
]);

function options(node: SchemaNode, extra: Record<string, unknown> = {}, only?: readonly string[]): string {
  const o: Record<string, unknown> = {};
  for (const k of only ?? OPTION_KEYWORDS) if (node[k] !== undefined) o[k] = node[k];
  Object.assign(o, extra);
  return Object.keys(o).length ? JSON.stringify(o) : "";
}

function withOptions(call: string, args: string[], opts: string): string {
  return `${call}(${[...args, ...(opts ? [opts] : [])].join(", ")})`;
}

function literal(value: unknown, node: SchemaNode): string {
  if (value === null) return "Type.Null()";
  if (typeof value === "object") throw new SchemaError(`object/array literals in enum/const are not supported`);
  return withOptions("Type.Literal", [JSON.stringify(value)], options(node, {}, ["description"]));
}

function scalar(type: string, node: SchemaNode): string {
  switch (type) {
    case "string":
      return withOptions("Type.String", [], options(node, {}, ["description", "default", "minLength", "maxLength"]));
    case "integer":
      return withOptions("Type.Integer", [], options(node, {}, ["description", "default", "minimum", "maximum"]));
    case "number":
      return withOptions("Type.Number", [], options(node, {}, ["description", "default", "minimum", "maximum"]));
    case "boolean":
      return withOptions("Type.Boolean", [], options(node, {}, ["description", "default"]));
    case "null":
      return "Type.Null()";
    default:
      throw new SchemaError(`type ${type} needs a shape (object/array) the converter handles elsewhere`);
  }
}

/** TypeBox expression for a schema node; `$ref`s become the referenced constant's name. */
/** `since(pointer)`, when given, names the first version with a property; it goes into the property's TSDoc. */
export function typeboxExpression(node: SchemaNode, path: string, since?: (pointer: string) => string): string {
  for (const k of Object.keys(node)) {
    if (!KNOWN.has(k)) throw new SchemaError(`${path}: keyword ${k} is not supported by the TypeScript generator`);
  }
  if (node.$ref) {
    const name = refName(node.$ref);
    // A $ref with its own description keeps the referenced type; the description goes to the doc comment.
    return name;
  }
  if (node.const !== undefined) return literal(node.const, node);
  if (node.enum) {
    const members = node.enum.map((v) => literal(v, {}));
    return members.length === 1 ? members[0]! : withOptions("Type.Union", [`[${members.join(", ")}]`], options(node, {}, ["description", "default"]));
  }
  if (node.oneOf || node.anyOf) {
    const branches = (node.oneOf ?? node.anyOf)!;
    // oneOf of bare `required` lists constrains an object's properties; it is kept as an option below.
    if (!(node.type === "object" && branches.every((b) => Object.keys(b).every((k) => k === "required")))) {
      const members = branches.map((b, i) => typeboxExpression(b, `${path}/${node.oneOf ? "oneOf" : "anyOf"}/${i}`, since));
      return withOptions("Type.Union", [`[${members.join(", ")}]`], options(node, {}, ["description"]));
    }
  }
  if (Array.isArray(node.type)) {
    const members = node.type.map((t) => scalar(t, { ...node, description: undefined, default: undefined }));
    return withOptions("Type.Union", [`[${members.join(", ")}]`], options(node, {}, ["description", "default"]));
  }
  switch (node.type) {
    case "object": {
      const required = new Set(node.required ?? []);
      const props = node.properties ?? {};
      const extra: Record<string, unknown> = {};
      if (node.additionalProperties === false) extra.additionalProperties = false;
      else if (node.additionalProperties !== undefined && node.additionalProperties !== true) {
        throw new SchemaError(`${path}: additionalProperties must be a boolean`);
      }
      if (node.oneOf) extra.oneOf = node.oneOf;
      if (node.anyOf) extra.anyOf = node.anyOf;
      if (Object.keys(props).length === 0 && node.additionalProperties !== false) {
        return withOptions("Type.Record", ["Type.String()", "Type.Unknown()"], options(node, {}, ["description"]));
      }
      for (const r of required) if (!(r in props)) throw new SchemaError(`${path}: required property ${r} is not defined`);
      const fields = Object.entries(props).map(([name, prop]) => {
        const pointer = `${path}/properties/${name}`;
        const docText = [prop.description, since ? `@since ${since(pointer)}` : undefined].filter(Boolean).join(" ");
        const doc = docText ? `/** ${docText.replace(/\*\//g, "*\\/")} */\n` : "";
        const expr = typeboxExpression(prop, pointer, since);
        return `${doc}${JSON.stringify(name)}: ${required.has(name) ? expr : `Type.Optional(${expr})`}`;
      });
      return withOptions("Type.Object", [`{\n${fields.join(",\n")}\n}`], options(node, extra, ["description"]));
    }
    case "array":
      if (!node.items) throw new SchemaError(`${path}: arrays need items`);
      return withOptions(
        "Type.Array",
        [typeboxExpression(node.items, `${path}/items`, since)],
        options(node, {}, ["description", "default", "minItems", "maxItems", "uniqueItems"]),
      );
    case undefined:
      throw new SchemaError(`${path}: a schema needs a type, $ref, const, enum, oneOf or anyOf`);
    default:
      return scalar(node.type, node);
  }
}
