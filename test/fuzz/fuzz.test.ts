/**
 * Fuzz: malformed JSON, wrong shapes (valid envelopes with mutated or random params for random
 * commands, mutated envelopes), random bytes, multi-frame junk and oversized messages, pipelined
 * over one DEALER socket in batches:
 *
 *   DEALER ──case 1──▶ ┐
 *          ──case 2──▶ │ server (reference, or STUI_ENDPOINT with STUI_EXTERNAL_SERVER=1)
 *          ──  …   ──▶ ┘
 *          ◀── exactly one schema-valid reply per case (any order) ──
 *
 * Afterwards the server must still answer ping, and every reply must have been schema-valid
 * (Response envelope, error data shape and code, the command's result shape) and carry the id
 * the server could read (null when it could not).
 *
 * STUI_FUZZ_CASES sets the number of cases (default 10000), STUI_FUZZ_SEED the seed (printed).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES } from "@stui/client/protocol";
import { startTestServer, type TestServer } from "@stui/testkit";
import { EXTERNAL_ENDPOINT, RawClient, envelope, expectResult, responseProblems, uniqueEndpoint } from "../helpers/index.js";
import { CASE_KINDS, CaseGenerator, Prng, type CaseKind, type FuzzCase } from "./cases.js";

const CASES = Number(process.env["STUI_FUZZ_CASES"] ?? 10_000);
const SEED = process.env["STUI_FUZZ_SEED"] !== undefined ? Number(process.env["STUI_FUZZ_SEED"]) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const BATCH = 250;
/** The reference server runs with a small limit so oversized cases are cheap; an external server has the protocol's. */
const REFERENCE_LIMIT = 4096;

describe("fuzz", () => {
  let server: TestServer | undefined;
  let endpoint: string;

  beforeAll(async () => {
    if (EXTERNAL_ENDPOINT) {
      endpoint = EXTERNAL_ENDPOINT;
    } else {
      server = await startTestServer({ endpoint: uniqueEndpoint("tcp"), maxMessageBytes: REFERENCE_LIMIT, replyCacheSize: 2000 });
      endpoint = server.endpoint;
    }
  });
  afterAll(async () => {
    await server?.close();
  });

  it(`${CASES} cases: one schema-valid reply each, and the server stays up`, async () => {
    expect(Number.isInteger(CASES) && CASES > 0, "STUI_FUZZ_CASES must be a positive integer").toBe(true);
    console.log(`fuzz: ${CASES} cases against ${server ? "the reference server" : endpoint}, seed ${SEED} (rerun with STUI_FUZZ_SEED=${SEED})`);
    const limit = server ? REFERENCE_LIMIT : MAX_MESSAGE_BYTES;
    const generator = new CaseGenerator(new Prng(SEED), limit, server ? CASES : 3);
    const client = RawClient.open(endpoint, "dealer", { receiveTimeoutMs: 15_000 });
    const failures: string[] = [];
    const perKind = Object.fromEntries(CASE_KINDS.map((kind) => [kind, 0])) as Record<CaseKind, number>;
    const errorKinds: Record<string, number> = {};
    /** The command each id was first sent with, to check a success reply's result shape. */
    const methodById = new Map<string, string>();
    const key = (id: unknown): string => `${typeof id}:${String(id)}`;
    const started = performance.now();

    try {
      for (let done = 0; done < CASES && failures.length < 20; done += BATCH) {
        const batch: FuzzCase[] = Array.from({ length: Math.min(BATCH, CASES - done) }, () => generator.next());
        for (const fuzzCase of batch) {
          perKind[fuzzCase.kind]++;
          if (fuzzCase.method && fuzzCase.expectedId !== null && !methodById.has(key(fuzzCase.expectedId))) methodById.set(key(fuzzCase.expectedId), fuzzCase.method);
          await client.sendFrames(fuzzCase.frames);
        }
        // Replies may come in any order: match them to the cases by id (null ids as a count).
        const expected = new Map<string, number>();
        for (const { expectedId } of batch) expected.set(key(expectedId), (expected.get(key(expectedId)) ?? 0) + 1);
        const delimitedExpected = batch.filter((c) => c.delimited).length;
        let delimitedSeen = 0;
        for (let i = 0; i < batch.length; i++) {
          const frames = await client.receiveFrames();
          const delimited = frames.length === 2 && frames[0]!.length === 0;
          if (delimited) delimitedSeen++;
          else if (frames.length !== 1) failures.push(`a reply came as ${frames.length} frames`);
          const text = frames[frames.length - 1]!.toString("utf8");
          let reply: unknown;
          try {
            reply = JSON.parse(text);
          } catch {
            failures.push(`a reply is not JSON: ${text.slice(0, 200)}`);
            continue;
          }
          const id = (reply as { id?: unknown }).id;
          const count = expected.get(key(id)) ?? 0;
          if (count === 0) failures.push(`a reply carries id ${JSON.stringify(id)}, which no case in the batch expected: ${text.slice(0, 200)}`);
          else expected.set(key(id), count - 1);
          const isSuccess = (reply as { result?: unknown }).result !== undefined;
          const method = isSuccess ? methodById.get(key(id)) : undefined;
          if (isSuccess && method === undefined) failures.push(`a success reply to id ${JSON.stringify(id)}, which was never a valid request: ${text.slice(0, 200)}`);
          const problems = responseProblems(reply, method);
          if (problems.length > 0) failures.push(`${problems.join("; ")} — in ${text.slice(0, 300)}`);
          const kind = (reply as { error?: { data?: { kind?: string } } }).error?.data?.kind;
          errorKinds[kind ?? "result"] = (errorKinds[kind ?? "result"] ?? 0) + 1;
        }
        if (delimitedSeen !== delimitedExpected) failures.push(`${delimitedSeen} replies came with a delimiter, ${delimitedExpected} requests had one`);
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      console.log(`fuzz: ${CASES} cases in ${seconds} s; sent ${JSON.stringify(perKind)}; answered ${JSON.stringify(errorKinds)}`);

      expect(failures, `seed ${SEED}`).toEqual([]);
      // Every kind of case was sent, and the server answered the whole range of envelope errors.
      if (CASES >= 1000) {
        for (const kind of CASE_KINDS) expect(perKind[kind], `no ${kind} cases (seed ${SEED})`).toBeGreaterThan(0);
        for (const kind of ["parseError", "invalidRequest", "invalidParams", "messageTooLarge", "result"]) expect(errorKinds[kind], `no ${kind} replies (seed ${SEED})`).toBeGreaterThan(0);
      }

      // Still alive: a fresh socket of each kind gets its ping answered.
      for (const kind of ["dealer", "req"] as const) {
        const probe = RawClient.open(endpoint, kind);
        try {
          expect(expectResult(await probe.request(envelope("ping", { echo: "still alive" })), "ping").echo).toBe("still alive");
        } finally {
          probe.close();
        }
      }
      if (server) {
        server.assertNoViolations();
        expect(server.handlerFailures).toEqual([]);
        expect(server.stats.messages).toBe(CASES + 2);
      }
    } finally {
      client.close();
    }
  }, 120_000);
});
