// What esbuild would otherwise read by itself, outside the read guard (red team finding 1):
//
//   - input source maps: a `//# sourceMappingURL=` comment (a file, or a data: URL whose
//     `sources` name files) made esbuild read any file the user can read (the STUI home's key,
//     /proc/self/environ) into the bundle's map, or /dev/zero without end. Every file the guard
//     loads has those comments neutralized before esbuild sees it, the bundle's own map carries
//     no sourcesContent, and its `sources` are checked against the files the guard let in;
//   - tsconfig.json / jsconfig.json (with `extends` anywhere, even /dev/zero): esbuild gets a
//     tsconfig from us instead (tsconfigRaw), the compiler options of the script folder's own
//     tsconfig.json that change how code compiles, read through the guard, never `extends` or paths;
//   - package.json files met while resolving: each one an import could lead esbuild to is checked
//     first (a regular file of bounded size, not under /proc, /dev or /sys).

import { lstatSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { ReadRefused, readAllowed, type ReadPolicy } from "./bundle-guard.js";

/** The comment forms esbuild's lexer takes as a source map (`//# `, `//@ `, `/*# `, `/*@ `), with any spacing. */
const SOURCE_MAP_COMMENT = /(\/[/*])([#@])(\s*)sourceMappingURL=/g;

/** The text with every source-map comment made inert (esbuild no longer sees a URL to read). */
export function neutralizeSourceMaps(text: string): string {
  return text.replace(SOURCE_MAP_COMMENT, "$1$2$3sourceMappingURL-ignored-by-stui=");
}

/** Compiler options esbuild honours that only change how code compiles (no file is named). */
const COMPILE_OPTIONS = ["jsx", "jsxFactory", "jsxFragmentFactory", "jsxImportSource", "experimentalDecorators", "useDefineForClassFields", "verbatimModuleSyntax", "preserveValueImports", "importsNotUsedAsValues", "alwaysStrict", "strict", "target"] as const;

/** JSON with comments and trailing commas (tsconfig's dialect) → JSON. */
function stripJsonc(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const end = /"(?:[^"\\]|\\.)*"/y;
      end.lastIndex = i;
      const m = end.exec(text);
      if (!m) return out + text.slice(i);
      out += m[0];
      i += m[0].length - 1;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      const close = text.indexOf("*/", i + 2);
      i = close < 0 ? text.length : close + 1;
    } else out += c;
  }
  return out.replace(/,(\s*[}\]])/g, "$1");
}

/** The tsconfig esbuild gets: the compile options of tsconfig.json (or jsconfig.json) in the script's folder, nothing it would read further. */
export function scriptTsconfig(script: string, policy: ReadPolicy): { compilerOptions: Record<string, unknown> } {
  for (const name of ["tsconfig.json", "jsconfig.json"]) {
    const file = path.join(path.dirname(script), name);
    let text: string;
    try {
      text = readAllowed(file, policy).toString("utf8");
    } catch {
      continue;
    }
    try {
      const parsed = JSON.parse(stripJsonc(text)) as { compilerOptions?: Record<string, unknown> };
      const picked: Record<string, unknown> = {};
      for (const key of COMPILE_OPTIONS) if (parsed.compilerOptions?.[key] !== undefined) picked[key] = parsed.compilerOptions[key];
      return { compilerOptions: picked };
    } catch {
      return { compilerOptions: {} };
    }
  }
  return { compilerOptions: {} };
}

/** Largest package.json esbuild may read while resolving. */
const MAX_PACKAGE_JSON_BYTES = 10 * 1024 * 1024;
const SYSTEM = ["/proc/", "/dev/", "/sys/"];

/** Refuse (ReadRefused) a package.json at `file` that esbuild could not read safely: not a regular file, too big, or under /proc, /dev, /sys. */
function checkPackageJson(file: string, checked: Set<string>): void {
  if (checked.has(file)) return;
  checked.add(file);
  try {
    lstatSync(file);
  } catch {
    return;
  }
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return; // a dangling symlink: esbuild cannot read it either
  }
  const stat = statSync(real);
  if (SYSTEM.some((d) => real.startsWith(d)) || !stat.isFile()) throw new ReadRefused(`${file}${real === file ? "" : ` (really ${real})`} is not a regular file: stui will not bundle through it`);
  if (stat.size > MAX_PACKAGE_JSON_BYTES) throw new ReadRefused(`${file} is ${stat.size} bytes: stui will not bundle through a package.json over ${MAX_PACKAGE_JSON_BYTES} bytes`);
}

/** Every folder from `dir` up to the root. */
function* upFrom(dir: string): Generator<string> {
  for (let d = dir; ; d = path.dirname(d)) {
    yield d;
    if (path.dirname(d) === d) return;
  }
}

/**
 * Before esbuild resolves `spec` from `importer`: the package.json files it may read on the way
 * (beside the importer and up, and in each node_modules folder the import could name).
 */
export function checkResolution(spec: string, importerDir: string, checked: Set<string>): void {
  for (const dir of upFrom(importerDir)) checkPackageJson(path.join(dir, "package.json"), checked);
  if (spec.startsWith(".") || spec.startsWith("/")) {
    const target = path.resolve(importerDir, spec);
    for (const dir of [target, ...upFrom(path.dirname(target))]) checkPackageJson(path.join(dir, "package.json"), checked);
    return;
  }
  if (spec.startsWith("#") || /^[a-z]+:/i.test(spec)) return;
  const parts = spec.split("/");
  for (const dir of upFrom(importerDir)) {
    const modules = path.join(dir, "node_modules");
    for (let n = 1; n <= parts.length; n++) checkPackageJson(path.join(modules, ...parts.slice(0, n), "package.json"), checked);
  }
}

/** The bundle's inline source map must name only files the guard let in (and the host's own entry). */
export function checkMapSources(code: string, allowed: ReadonlySet<string>): void {
  const m = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/.exec(code);
  if (!m) return;
  const map = JSON.parse(Buffer.from(m[1]!, "base64").toString("utf8")) as { sources?: unknown[]; sourcesContent?: unknown[] };
  if (map.sourcesContent?.some((c) => c !== null)) throw new ReadRefused("the bundle's source map carries file contents: refused");
  for (const source of map.sources ?? []) {
    if (typeof source !== "string" || !(allowed.has(source) || allowed.has(safeDecode(source)))) throw new ReadRefused(`the bundle's source map names ${JSON.stringify(source)}, which the read guard did not let in: refused`);
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
