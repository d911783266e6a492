/**
 * The docs target: one Markdown reference of the protocol, every command with
 * its params, result, errors, permission, retry safety and examples.
 */
import { type ProtocolSchema, type SchemaNode, parserDepthLimit, refName } from "../schema.js";
import { type HeaderFacts, header } from "../header.js";
import { type SinceIndex } from "../since.js";
import { compareSchemas } from "../compat.js";

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchor(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n+/g, " ");
}

/** A short human type for a schema node, with links to named types. */
export function typeLabel(node: SchemaNode): string {
  if (node.$ref) {
    const name = refName(node.$ref);
    return `[${name}](#${anchor(name)})`;
  }
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.enum) return node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(" \\| ");
  if (node.oneOf || node.anyOf) {
    const branches = (node.oneOf ?? node.anyOf)!;
    if (node.type !== "object") return branches.map(typeLabel).join(" \\| ");
  }
  const bounds: string[] = [];
  if (node.minLength !== undefined || node.maxLength !== undefined) bounds.push(`length ${node.minLength ?? 0}..${node.maxLength ?? "∞"}`);
  if (node.minimum !== undefined || node.maximum !== undefined) bounds.push(`${node.minimum ?? "-∞"}..${node.maximum ?? "∞"}`);
  if (node.minItems !== undefined || node.maxItems !== undefined) bounds.push(`${node.minItems ?? 0}..${node.maxItems ?? "∞"} items`);
  if (node.uniqueItems) bounds.push("unique");
  const suffix = bounds.length ? ` (${bounds.join(", ")})` : "";
  if (node.type === "array") return `array of ${node.items ? typeLabel(node.items) : "any"}${suffix}`;
  if (Array.isArray(node.type)) return node.type.join(" \\| ") + suffix;
  if (node.type === "object" && !node.properties) return `object${suffix}`;
  return `${node.type ?? "any"}${suffix}`;
}

/** " (since 1.1)" for what a later minor added; nothing for what the major's first version had. */
function sinceMark(since: SinceIndex | undefined, version: string | undefined): string {
  return since && version && version !== since.all[0]!.version ? ` *(since ${version})*` : "";
}

function propertiesTable(node: SchemaNode, since?: SinceIndex, pointer?: string): string[] {
  const props = Object.entries(node.properties ?? {});
  if (props.length === 0) return ["No fields."];
  const required = new Set(node.required ?? []);
  const rows = [
    "| field | type | required | default | description |",
    "| --- | --- | --- | --- | --- |",
    ...props.map(([name, p]) => {
      const notes = [p.description ?? ""];
      if (p["x-stui-permission"]) notes.push(`Needs the \`${p["x-stui-permission"]}\` permission.`);
      if (p["x-stui-idempotent"] === false) notes.push("Makes the call unsafe to retry.");
      const mark = pointer ? sinceMark(since, since?.pointer(`${pointer}/properties/${name}`)) : "";
      return `| \`${name}\`${mark} | ${typeLabel(p)} | ${required.has(name) ? "yes" : "no"} | ${p.default !== undefined ? `\`${JSON.stringify(p.default)}\`` : ""} | ${cell(notes.filter(Boolean).join(" "))} |`;
    }),
  ];
  if (node.oneOf) rows.push("", `Exactly one of: ${node.oneOf.map((b) => (b.required ?? []).map((r) => `\`${r}\``).join(" + ")).join(", ")}.`);
  if (node.additionalProperties === false) rows.push("", "No other fields are allowed.");
  return rows;
}

function json(value: unknown): string[] {
  return ["```json", JSON.stringify(value, null, 2), "```"];
}

/** One section per version of the major, newest first: what it changed, in the checker's words. */
function changelog(since: SinceIndex): string[] {
  const out = ["## Changelog", "", "Generated from the checker (`stui-codegen compat`); descriptions and examples are left out. See docs/protocol-evolution.md.", ""];
  const versions = since.all;
  for (let i = versions.length - 1; i >= 0; i--) {
    const v = versions[i]!;
    out.push(`### ${v.version}`, "");
    if (i === 0) {
      out.push(`First version of major ${v.version.split(".")[0]}: ${v.commands.length} commands, ${v.errors.length} error kinds.`, "");
      continue;
    }
    const changes = compareSchemas(versions[i - 1]!, v).filter((c) => c.severity !== "info");
    out.push(...(changes.length ? changes.map((c) => `- ${c.severity === "breaking" ? "**breaking** " : ""}\`${c.where}\`: ${c.message}`) : ["- No change beyond descriptions and examples."]), "");
  }
  return out;
}

export function docsFile(schema: ProtocolSchema, facts: HeaderFacts, since?: SinceIndex): string {
  const out: string[] = [header(facts, "html")];
  out.push(`# ${schema.title} ${schema.version} — reference`, "", schema.description, "");
  out.push(
    `Every request carries the protocol version it speaks in \`"stui"\`${since && since.all.length > 1 ? ` (${since.all.map((v) => `\`"${v.version}"\``).join(", ")}; this reference describes ${schema.version} and marks what a later minor added with *(since X.Y)*)` : ` (\`"${schema.version}"\`)`}. A message may be at most ${schema.maxMessageBytes} bytes (\`x-stui-limits.maxMessageBytes\`); larger ones are answered with \`messageTooLarge\`. Arrays and objects may nest at most ${parserDepthLimit(schema)} deep (\`x-stui-limits.maxJsonDepth\`); deeper ones are a \`parseError\`, in every version a server serves (the parser checks it before it knows the version).`,
    "",
  );
  out.push("## Commands", "", "| command | permission | safe to retry | summary |", "| --- | --- | --- | --- |");
  for (const c of schema.commands) {
    out.push(`| [\`${c.method}\`](#${anchor(c.method)})${sinceMark(since, since?.command(c.method))} | ${c.permission} | ${c.idempotent ? "yes" : "no"} | ${cell(c.description.split(/(?<=\.)\s/)[0]!)} |`);
  }
  out.push("", "## Permissions", "", "| class | allows |", "| --- | --- |");
  for (const [p, d] of Object.entries(schema.permissions)) out.push(`| \`${p}\` | ${cell(d)} |`);
  out.push("", "## Errors", "", "Every error reply has `error.code`, `error.message` and `error.data`, whose `kind` names the error and decides the rest of its shape.", "", "| kind | code | data | meaning |", "| --- | --- | --- | --- |");
  for (const e of schema.errors) out.push(`| \`${e.kind}\`${sinceMark(since, since?.errorKind(e.kind))} | ${e.code} | [${e.dataType}](#${anchor(e.dataType)}) | ${cell(e.description)} |`);
  out.push("", `Any request may also be answered with: ${schema.envelopeErrors.map((k) => `\`${k}\``).join(", ")}.`, "");

  for (const c of schema.commands) {
    const params = schema.defs[c.paramsType]!;
    const result = schema.defs[c.resultType]!;
    out.push(`## ${c.method}`, "", c.description, "");
    if (since) out.push(`Since ${since.command(c.method)}.`, "");
    out.push(`- Permission: \`${c.permission}\`${Object.keys(c.paramPermissions).length ? ` (plus ${Object.entries(c.paramPermissions).map(([k, v]) => `\`${v}\` when \`${k}\` is given`).join(", ")})` : ""}`);
    out.push(`- Safe to retry: ${c.idempotent ? "yes" : "no"}${c.paramNotIdempotent.length ? ` (no when ${c.paramNotIdempotent.map((k) => `\`${k}\``).join(", ")} is given)` : ""}`);
    out.push(`- Errors: ${c.errors.length ? c.errors.map((k) => `\`${k}\``).join(", ") : "none beyond the envelope's"}`, "");
    out.push(`### Params ([${c.paramsType}](#${anchor(c.paramsType)}))`, "", ...propertiesTable(params, since, `#/$defs/${c.paramsType}`), "");
    out.push(`### Result ([${c.resultType}](#${anchor(c.resultType)}))`, "", ...propertiesTable(result, since, `#/$defs/${c.resultType}`), "");
    c.examples.forEach((ex, i) => {
      out.push(`### Example${c.examples.length > 1 ? ` ${i + 1}` : ""}`, "", ...json(ex.request), "", ...json(ex.response), "");
    });
  }

  out.push("## Types", "");
  for (const name of Object.keys(schema.defs).sort()) {
    const node = schema.defs[name]!;
    out.push(`### ${name}`, "", node.description ?? "", "");
    if (node.type === "object" && node.properties) out.push(...propertiesTable(node, since, `#/$defs/${name}`), "");
    else out.push(`Type: ${typeLabel(node)}`, "");
  }
  if (since) out.push(...changelog(since));
  return out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd() + "\n";
}
