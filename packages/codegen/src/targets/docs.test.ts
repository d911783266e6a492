import { describe, expect, it } from "vitest";
import { anchor, typeLabel } from "./docs.js";

describe("docs", () => {
  it("links with GitHub's heading anchors (dots dropped, not turned into hyphens)", () => {
    expect(anchor("session.create")).toBe("sessioncreate");
    expect(anchor("ParseErrorData")).toBe("parseerrordata");
    expect(anchor("Example 2")).toBe("example-2");
  });

  it("labels types with their bounds and links named types", () => {
    expect(typeLabel({ type: "string", minLength: 1, maxLength: 64 })).toBe("string (length 1..64)");
    expect(typeLabel({ type: "array", items: { $ref: "#/$defs/SessionId" }, minItems: 1 })).toBe("array of [SessionId](#sessionid) (1..∞ items)");
    expect(typeLabel({ enum: ["instance", "class"] })).toBe('`"instance"` \\| `"class"`');
  });
});
