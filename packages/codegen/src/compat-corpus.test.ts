/**
 * Every case of the corpus gets the verdict it must, and every witness is checked with ajv against
 * both schemas: the message really is accepted by one side and rejected by the other (after the
 * shaping a server applies, for replies).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CORPUS, type CorpusCase } from "./compat-corpus.js";
import { verdict } from "./compat.js";
import { parseProtocolSchema, type ProtocolSchema } from "./schema.js";
import { depthOfValue } from "./depth.js";
import { applyShape, versionShapes } from "./shaping.js";
import { createAjv } from "./targets/validators.js";

const released = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "../../../protocol/v1/releases/1.0.schema.json"), "utf8");

function pair(c: CorpusCase): [ProtocolSchema, ProtocolSchema] {
  const older = JSON.parse(released);
  c.before?.(older);
  const newer = JSON.parse(JSON.stringify(older));
  c.change(newer);
  return [parseProtocolSchema(JSON.stringify(older), "older.json"), parseProtocolSchema(JSON.stringify(newer), "newer.json")];
}

function validator(schema: ProtocolSchema, type: string) {
  const ajv = createAjv(false);
  ajv.addSchema(schema.raw, "s");
  const v = ajv.getSchema(`s#/$defs/${type}`);
  if (!v) throw new Error(`no $defs/${type}`);
  return (value: unknown) => v(value) as boolean;
}

/** A request as a server built from `schema` judges it: the parser's depth limit (params sit inside the request object), then ajv. */
function requestValidator(schema: ProtocolSchema, type: string) {
  const valid = validator(schema, type);
  const nesting = type === "Request" ? 0 : 1;
  return (value: unknown) => nesting + depthOfValue(value) <= (schema.maxJsonDepth ?? Infinity) && valid(value);
}

const SEVERITY = { info: 0, "needs-minor": 1, breaking: 2 } as const;

describe("the checker's corpus", () => {
  it("has at least 40 single-change cases, each with a reason and a witness or why there is none", () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(40);
    for (const c of CORPUS) {
      expect(c.reason.length, c.name).toBeGreaterThan(0);
      expect(Boolean(c.witness) !== Boolean(c.noWitness), `${c.name}: a witness xor the reason there is none`).toBe(true);
    }
    expect(new Set(CORPUS.map((c) => c.name)).size).toBe(CORPUS.length);
  });

  it.each(CORPUS.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const [older, newer] = pair(c);
    const v = verdict(older, newer);
    expect(v.changes.length, "the change is found").toBeGreaterThan(0);
    const worst = v.changes.reduce((m, x) => Math.max(m, SEVERITY[x.severity]), 0);
    const described = v.changes.map((x) => `${x.severity} ${x.where}: ${x.message}`).join("\n");
    expect(worst, described).toBe(SEVERITY[c.expected]);
    expect(v.changes.some((x) => x.severity === c.expected && x.where.includes(c.where)), described).toBe(true);
    expect(v.needed).toBe(c.expected === "breaking" ? "major" : c.expected === "needs-minor" ? "minor" : "none");

    if (!c.witness) return;
    const { type, value, direction, shaped } = c.witness;
    if (direction === "request") {
      const [oldAccepts, newAccepts] = [requestValidator(older, type), requestValidator(newer, type)];
      expect(oldAccepts(value), "the older schema accepts the witness").toBe(true);
      expect(newAccepts(value), "the newer schema rejects it").toBe(false);
      return;
    }
    const [oldAccepts, newAccepts] = [validator(older, type), validator(newer, type)];
    expect(newAccepts(value), "the newer server may send the witness").toBe(true);
    const plan = versionShapes(older, newer).types[type];
    if (shaped) {
      expect(oldAccepts(value), "the older client rejects it unshaped").toBe(false);
      expect(plan, "shaping has a plan for it").toBeDefined();
      expect(oldAccepts(applyShape(value, plan)), "the older client accepts it shaped").toBe(true);
    } else {
      expect(oldAccepts(applyShape(value, plan)), "the older client rejects it even after shaping").toBe(false);
    }
  });
});
