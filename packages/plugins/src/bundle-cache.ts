// The bundle cache under $STUI_HOME/cache/bundles: one folder per script path, holding the
// bundle and a manifest (the sha256 of every input file, of the bundle itself, and the
// plugin declaration read from the source). Owner-only (folders 0700, files 0600); a folder
// owned by someone else or open to others is not used. A cached bundle is used only when
// every input still hashes the same AND the bundle's own bytes hash to what the manifest
// recorded; the host then runs those very bytes (a private copy), not the cache file.

import { createHash } from "node:crypto";
import { chmodSync, lstatSync, mkdirSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { checkData, readAllowed, type ReadPolicy } from "./bundle-guard.js";
import type { StaticDeclaration } from "./plugin-declaration.js";

/** Bumped whenever a bundle built by an older host would run differently (3: absolute source maps; 4: no input source maps, no sourcesContent; 5: data inputs recorded, bundled only from read grants). */
const FORMAT = 5;

export interface CachedBundle {
  code: Buffer;
  inputs: string[];
  declaration: StaticDeclaration;
}

interface Manifest {
  format: number;
  script: string;
  inputs: Record<string, string>;
  /** The inputs bundled as data: used again only while a read grant still covers them. */
  data: string[];
  bundle: string;
  declaration: StaticDeclaration;
}

export const sha256 = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");

export class CacheError extends Error {
  override readonly name = "CacheError";
}

/** Create `dir` (and its parents) owner-only, or check that an existing one is ours and closed to others. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) throw new CacheError(`${dir} is not a folder`);
  if (typeof process.getuid === "function" && stat.uid !== process.getuid()) throw new CacheError(`${dir} belongs to another user (uid ${stat.uid}): stui will not keep bundles there`);
  if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

export class BundleCache {
  constructor(readonly root: string) {}

  dirFor(script: string): string {
    return path.join(this.root, sha256(`${FORMAT}\0${script}`).slice(0, 24));
  }

  /** The cached bundle, if it is still valid; `undefined` on any doubt, `tampered` when its bytes changed (the caller rebuilds). */
  async lookup(script: string, policy: ReadPolicy): Promise<CachedBundle | { tampered: string } | undefined> {
    const dir = this.dirFor(script);
    let manifest: Manifest;
    let code: Buffer;
    try {
      for (const p of [dir, path.join(dir, "manifest.json"), path.join(dir, "script.mjs")]) {
        const stat = lstatSync(p);
        if (typeof process.getuid === "function" && stat.uid !== process.getuid()) return undefined;
        if ((stat.mode & 0o077) !== 0) return undefined;
      }
      manifest = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as Manifest;
      if (manifest.format !== FORMAT || manifest.script !== script) return undefined;
      code = await readFile(path.join(dir, "script.mjs"));
    } catch {
      return undefined;
    }
    if (sha256(code) !== manifest.bundle) return { tampered: `the cached bundle ${path.join(dir, "script.mjs")} does not match the hash its manifest recorded (changed outside stui): not run, rebuilt` };
    for (const [file, hash] of Object.entries(manifest.inputs)) {
      try {
        if (manifest.data.includes(file)) checkData(file, policy);
        if (sha256(readAllowed(file, policy)) !== hash) return undefined;
      } catch {
        return undefined;
      }
    }
    return { code, inputs: Object.keys(manifest.inputs), declaration: manifest.declaration };
  }

  async store(script: string, entry: { code: Buffer; inputs: Record<string, string>; data: string[]; declaration: StaticDeclaration }): Promise<void> {
    ensurePrivateDir(this.root);
    const dir = this.dirFor(script);
    ensurePrivateDir(dir);
    // Write then rename, so a concurrent run never reads half a file.
    const tmp = path.join(dir, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
    await writeFile(tmp, entry.code, { mode: 0o600 });
    await rename(tmp, path.join(dir, "script.mjs"));
    const manifest: Manifest = { format: FORMAT, script, inputs: entry.inputs, data: entry.data, bundle: sha256(entry.code), declaration: entry.declaration };
    await writeFile(tmp, JSON.stringify(manifest), { mode: 0o600 });
    await rename(tmp, path.join(dir, "manifest.json"));
  }
}
