/**
 * A TEST DOUBLE, not Smalltalk: handlers for the STUI test server that answer a fixed table of
 * scripted expressions. `evaluate` knows exactly the codes in SCRIPT below and answers
 * internalError ("scripted test double: no script for …") for anything else; it never parses or
 * runs code. Use it to drive a client against the test server with predictable answers:
 *
 *   npx stui-test-server --handlers packages/testkit/examples/scripted-handlers.ts
 *
 * Workspace variables are scripted too: `x := 3 + 4` stores x in the session (7), and `x`
 * then answers it, so a client can see a variable survive between evaluations.
 */
import type { Value } from "@stui/client/protocol";
import { ProtocolError, type TestHandlers } from "../src/index.js";
import { withScriptedCommands } from "./scripted-commands.js";

interface Scripted {
  /** The answer, or an error the script raises. */
  value?: Omit<Value, "handle">;
  error?: ProtocolError;
  /** A workspace variable this code assigns. */
  assigns?: string;
}

const int = (n: number): Omit<Value, "handle"> => ({ printString: String(n), className: "SmallInteger", truncated: false });

/** Every expression this double knows, and what it answers. */
export const SCRIPT: Readonly<Record<string, Scripted>> = {
  "3 + 4": { value: int(7) },
  "x := 3 + 4": { value: int(7), assigns: "x" },
  "Smalltalk version": { value: { printString: "'Pharo12.0.0 (scripted test double)'", className: "ByteString", truncated: false } },
  "1/0": {
    error: new ProtocolError("evaluationError", {
      exceptionClass: "ZeroDivide",
      messageText: "",
      description: "ZeroDivide (scripted)",
      frames: [{ index: 0, method: "UndefinedObject>>DoIt", receiverClass: "UndefinedObject", printString: "UndefinedObject>>DoIt", line: 1 }],
    }),
  },
  "1 to: 3 do: [:i | i printString": {
    error: new ProtocolError("syntaxError", { description: "']' expected (scripted)", line: 1, column: 31, position: 31 }),
  },
};

const handlers: TestHandlers = {
  evaluate(params, context) {
    const session = context.session;
    const known = session?.variables.get(params.code);
    const script = SCRIPT[params.code];
    if (!script && !known) {
      throw new ProtocolError("internalError", {
        detail: `scripted test double: no script for ${JSON.stringify(params.code)}; it only knows ${Object.keys(SCRIPT).map((code) => JSON.stringify(code)).join(", ")} and session variables`,
      });
    }
    if (script?.error) {
      session?.recordHistory({ code: params.code, ok: false, printString: script.error.message });
      throw script.error;
    }
    let value: Value = known ?? { ...script!.value! };
    if (script?.assigns && session) session.setVariable(script.assigns, value);
    if (params.keepHandle && session) value = session.keepHandle(value);
    const historyIndex = session?.recordHistory({ code: params.code, ok: true, printString: value.printString, className: value.className });
    return { value, durationMs: 0, ...(historyIndex !== undefined ? { historyIndex } : {}) };
  },

  "handles.release"(params, context) {
    return context.requireSession().releaseHandles(params.handles);
  },
};

/** With the scripted 1.2 commands (scripted-commands.ts). */
export default withScriptedCommands(handlers);
