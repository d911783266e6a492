import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkTree } from "./checker.js";
import { DEFAULT_C_HEADER } from "./cli.js";
import { classifyCType, parseCHeader } from "./ffi-check.js";

const fixture = (p: string): string => fileURLToPath(new URL(`../fixtures/ffi-mismatch/${p}`, import.meta.url));
const miniHeader = () => parseCHeader("mini-zmq.h", readFileSync(fixture("mini-zmq.h"), "utf8"));

describe("parseCHeader", () => {
  it("reads prototypes (export macro, unnamed and multi-line parameters, const char* returns) and integer defines", () => {
    const h = miniHeader();
    expect([...h.functions.keys()].sort()).toEqual(["zmq_curve_keypair", "zmq_errno", "zmq_msg_size", "zmq_send", "zmq_socket", "zmq_strerror"]);
    expect(h.functions.get("zmq_curve_keypair")).toMatchObject({ returns: "int", params: ["buffer", "buffer"] });
    expect(h.functions.get("zmq_send")).toMatchObject({ returns: "int", params: ["pointer", "pointer", "size_t", "int"] });
    expect(h.functions.get("zmq_socket")).toMatchObject({ returns: "pointer", params: ["pointer", "int"] });
    expect(h.functions.get("zmq_strerror")).toMatchObject({ returns: "string", params: ["int"] });
    expect(h.functions.get("zmq_errno")?.params).toEqual([]);
    expect(h.defines.get("ZMQ_DONTWAIT")).toBe(1);
    expect(h.defines.get("ZMQ_ROUTER")).toBe(6);
    expect(h.defines.get("ZMQ_EVENT_HANDSHAKE_FAILED_AUTH")).toBe(0x4000);
  });

  it("classifies C types the way a uFFI call sees them", () => {
    expect(classifyCType("const char *")).toBe("string");
    expect(classifyCType("char *")).toBe("buffer"); // C writes into it: a String copy would lose the writes
    expect(classifyCType("const zmq_msg_t *")).toBe("pointer");
    expect(classifyCType("int *")).toBe("int*");
    expect(classifyCType("size_t")).toBe("size_t");
    expect(classifyCType("long")).toBe("other");
  });
});

describe("the FFI check", () => {
  it("reports wrong arity, wrong return type, undeclared functions and constants that disagree", () => {
    const result = checkTree({ root: fixture("src"), cHeaders: [miniHeader()] });
    const lines = result.problems.map((p) => `${p.line}:${p.column} ${p.kind} ${p.message}`);
    expect(lines).toEqual([
      "15:4 ffi-mismatch ZMQ_DONTWAIT is 1 in mini-zmq.h, not 2",
      "29:2 ffi-mismatch ZMQ_STREAM is not #defined in mini-zmq.h",
      "47:18 ffi-mismatch zmq_poll is not declared in mini-zmq.h",
      "53:18 ffi-mismatch zmq_send: takes 3 argument(s), C takes 4 (C: int zmq_send(void *s_, const void *buf_, size_t len_, int flags_))",
      "59:18 ffi-mismatch zmq_socket: returns int, C returns pointer (C: void * zmq_socket(void *, int type_))",
      "78:18 ffi-mismatch zmq_curve_keypair: argument 1 is string, C has buffer (C: int zmq_curve_keypair(char *z85_public_key_, char *z85_secret_key_))",
    ]);
    expect(result.unresolved).toBe(6);
    expect(result.notes).toContain("FFI: 7 ffiCall: signatures and 4 constants checked against mini-zmq.h");
  });

  it("says it skipped the check when no header is given", () => {
    const result = checkTree({ root: fixture("src") });
    expect(result.problems).toEqual([]);
    expect(result.skipped.join("\n")).toMatch(/FFI signatures/);
  });

  const real = existsSync(DEFAULT_C_HEADER);
  it.skipIf(!real)(`pharo/src agrees with ${DEFAULT_C_HEADER} (skipped without libzmq3-dev)`, () => {
    const root = fileURLToPath(new URL("../../../pharo/src", import.meta.url));
    const result = checkTree({ root, cHeaders: [parseCHeader(DEFAULT_C_HEADER, readFileSync(DEFAULT_C_HEADER, "utf8"))] });
    expect(result.problems.filter((p) => p.kind === "ffi-mismatch")).toEqual([]);
    const note = result.notes.find((n) => n.startsWith("FFI:"))!;
    const [, calls, constants] = /FFI: (\d+) ffiCall: signatures and (\d+) constants/.exec(note)!;
    expect(Number(calls)).toBeGreaterThanOrEqual(15);
    expect(Number(constants)).toBeGreaterThanOrEqual(5);
  });
});
