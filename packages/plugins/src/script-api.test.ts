import { describe, expect, it } from "vitest";
import { STUI_ERROR_CODES as CLIENT_CODES, StuiError as ClientError } from "@stui/client";
import { deserializeError, serializeError } from "./ipc.js";
import { STUI_ERROR_CODES, isStuiError } from "./script-api.js";

describe("a script's error codes", () => {
  it("are exactly @stui/client's, so every client error reaches the script with its code", () => {
    expect([...STUI_ERROR_CODES].sort()).toEqual([...CLIENT_CODES].sort());
    for (const code of CLIENT_CODES) {
      const crossed = deserializeError(serializeError(new ClientError(code, `a ${code} failure`)));
      expect(isStuiError(crossed, code), code).toBe(true);
      expect(crossed.message).toBe(`a ${code} failure`);
    }
  });
});
