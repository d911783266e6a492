import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { locatePackages } from "./host-code.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));

describe("locatePackages (red team 2, finding 2)", () => {
  it("finds @stui/client by its folder, though its `default` export points to a dist/ the repository may not have", () => {
    const { folders, missing } = locatePackages(["@stui/client", "esbuild"]);
    expect(realpathSync(folders.get("@stui/client")!)).toBe(`${REPO}packages/client`);
    expect(realpathSync(folders.get("esbuild")!)).toBe(`${REPO}node_modules/esbuild`);
    expect(missing).toEqual([]);
  });

  it("says which package it cannot find (write grants are then refused), except the optional zeromq", () => {
    const { folders, missing } = locatePackages(["@stui/client", "stui-no-such-package", "zeromq"], new URL("file:///nowhere/x.js").href);
    expect(missing).toEqual(["@stui/client", "stui-no-such-package"]);
    expect(folders.size).toBe(0);
  });
});
