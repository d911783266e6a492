// Turns a user's script (TypeScript or JavaScript, ES modules, top-level await, npm
// dependencies) into one plain ESM file the sandboxed child can run without tsx (tsx
// cannot run under the permission model). Runs in the host, which is unrestricted, so every
// file esbuild loads passes the read guard (bundle-guard.ts) first.
//
// Bundles are cached by content (bundle-cache.ts): an unchanged script never loads esbuild.
// The build has a time limit (the run's --timeout, or BUILD_LIMIT_MS): a bundler stuck on a
// FIFO or a hung filesystem is stopped, not waited for.

import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { stuiHome } from "@stui/client/keys";
import { BundleCache, sha256 } from "./bundle-cache.js";
import { ReadRefused, checkData, checkReadable, checkResolverFiles, readAllowed, readPolicy, type ReadPolicy } from "./bundle-guard.js";
import { checkMapSources, checkResolution, neutralizeSourceMaps, scriptTsconfig } from "./bundle-hardening.js";
import { readDeclaration, type StaticDeclaration } from "./plugin-declaration.js";

/** A module beside `base`, as TypeScript in the repository or as the build's JavaScript when installed. */
function sourceOrBuilt(dir: string, name: string): string {
  const ts = path.join(dir, `${name}.ts`);
  return existsSync(ts) ? ts : path.join(dir, `${name}.js`);
}

const RUNTIME = sourceOrBuilt(fileURLToPath(new URL("./sandbox/", import.meta.url)), "runtime");
const SANDBOX_DIR = path.dirname(RUNTIME);
/** Files of the host's own runtime (this package's src and the generated protocol). */
const RUNTIME_DIRS = [path.dirname(SANDBOX_DIR), path.dirname(fileURLToPath(import.meta.resolve("@stui/client/protocol")))].map((d) => d + path.sep);
/** Whether a file is the host's own (its sandbox runtime, the generated protocol), not the script's. */
export const isRuntimeFile = (file: string): boolean => RUNTIME_DIRS.some((d) => file.startsWith(d));
const scriptSources = (inputs: string[]): string[] => inputs.filter((f) => !isRuntimeFile(f));

/** How long a build may take when the run has no --timeout. */
export const BUILD_LIMIT_MS = 60_000;

export interface Bundle {
  /** The bundled script (ESM), verified: the host runs exactly these bytes. */
  code: Buffer;
  /** Absolute paths of every file that went into the bundle (the cache checks them all). */
  inputs: string[];
  /** The script's own sources: inputs without the host's runtime files (what --watch watches). */
  sources: string[];
  /** Whether this run reused a cached bundle. */
  cached: boolean;
  /** The plugin declaration read from the script's source (never by running it). */
  declaration: StaticDeclaration;
}

/** A script that did not build: esbuild's messages, file:line:column first. */
export class BuildError extends Error {
  override readonly name = "BuildError";
  constructor(readonly messages: string[]) {
    super(messages.join("\n"));
  }
}

/** The build ran out of time; esbuild was stopped. */
export class BuildTimeout extends Error {
  override readonly name = "BuildTimeout";
}

/** The entry the child runs: the runtime first (lockdown, global `stui`), then the script. */
function entrySource(script: string): string {
  return [`import { __stuiStart } from "stui:runtime";`, `import * as script from ${JSON.stringify(script)};`, `await __stuiStart(script);`, ``].join("\n");
}

export interface BundleOptions {
  cacheDir?: string | undefined;
  /** The STUI home (never readable by the build); default stuiHome(). */
  home?: string | undefined;
  /** Stop the build after this long (BuildTimeout); default BUILD_LIMIT_MS. */
  limitMs?: number | undefined;
  /** Told about a cache entry that was not used because it had been tampered with. */
  log?: (line: string) => void;
  /**
   * The script's text, when it does not come from a file (`stui run -`): `scriptPath` then only
   * names it (its folder is where its imports resolve and what the read guard allows). Such a
   * script is never cached.
   */
  source?: string | undefined;
  /** Real folders the script may read (--allow-fs-read): the only places data imports are bundled from. */
  readGrants?: readonly string[] | undefined;
}

export async function bundleScript(scriptPath: string, options: BundleOptions = {}): Promise<Bundle> {
  const script = path.resolve(scriptPath);
  const home = options.home ?? stuiHome();
  const cache = new BundleCache(options.cacheDir ?? path.join(home, "cache", "bundles"));
  const policy = readPolicy(script, { home, runtime: RUNTIME_DIRS, data: options.readGrants });
  const given = options.source;
  const hit = given === undefined ? await cache.lookup(script, policy) : undefined;
  if (hit && "tampered" in hit) options.log?.(`stui: ${hit.tampered}`);
  else if (hit) return { code: hit.code, inputs: hit.inputs, sources: scriptSources(hit.inputs), cached: true, declaration: hit.declaration };

  try {
    checkResolverFiles(script);
    if (given === undefined) readAllowed(script, policy);
  } catch (error) {
    if (error instanceof ReadRefused) throw new BuildError([error.message]);
    throw error;
  }
  const esbuild = await import("esbuild");
  const dataInputs = new Set<string>();
  const limitMs = options.limitMs ?? BUILD_LIMIT_MS;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // The only way to end a build stuck in a read: stop esbuild's service process.
      void esbuild.stop();
      reject(new BuildTimeout(`bundling ${script} took longer than ${limitMs} ms and was stopped (is a file it reads a FIFO, or on a hung filesystem?)`));
    }, limitMs);
  });
  let result;
  try {
    result = await Promise.race([
      esbuild.build({
        stdin: { contents: entrySource(script), resolveDir: path.dirname(script), sourcefile: "stui-entry.js", loader: "js" },
        absWorkingDir: path.dirname(script),
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        write: false,
        metafile: true,
        outfile: "script.mjs",
        sourcemap: "inline",
        // Positions only: the bundle never carries file contents (bundle-hardening.ts).
        sourcesContent: false,
        // No tsconfig.json is read by esbuild itself (an `extends` could name any file).
        tsconfigRaw: scriptTsconfig(script, policy),
        // Stack traces in the child name the script's files where they really are (the bundle
        // itself lives elsewhere), so the host can point at the line that failed.
        sourceRoot: `${pathToFileURL(path.dirname(script)).href}/`,
        logLevel: "silent",
        // CommonJS dependencies may require() builtins; give the ESM bundle a require.
        banner: { js: `import { createRequire as __stuiCreateRequire } from "node:module"; const require = __stuiCreateRequire(import.meta.url);` },
        plugins: [sandboxResolver(policy, dataInputs, given === undefined ? undefined : { file: script, text: given })],
      }),
      expired,
    ]);
  } catch (error) {
    if (error instanceof BuildTimeout) throw error;
    const failure = error as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] };
    if (!failure.errors) throw error;
    throw new BuildError(failure.errors.map((m) => (m.location ? `${path.resolve(path.dirname(script), m.location.file)}:${m.location.line}:${m.location.column + 1}: ${m.text}` : m.text)));
  } finally {
    clearTimeout(timer);
  }
  const output = result.outputFiles[0];
  if (!output) throw new BuildError(["esbuild produced no output"]);
  const inputs = Object.keys(result.metafile.inputs)
    .filter((f) => !f.startsWith("<") && !f.startsWith("stui-entry") && !f.startsWith("stui:"))
    .map((f) => path.resolve(path.dirname(script), f.replace(/^file:/, "")));
  try {
    checkMapSources(output.text, new Set([...Object.keys(result.metafile.inputs), "stui-entry.js"]));
  } catch (error) {
    if (error instanceof ReadRefused) throw new BuildError([error.message]);
    throw error;
  }
  const code = Buffer.from(output.contents);
  if (given !== undefined) return { code, inputs, sources: scriptSources(inputs), cached: false, declaration: readDeclaration(given, script) };
  // (Only a file's script reaches here: its inputs are hashed for the cache.)
  const hashes: Record<string, string> = {};
  for (const f of inputs) hashes[f] = sha256(readAllowed(f, policy));
  const declaration = readDeclaration(readAllowed(script, policy).toString("utf8"), script);
  await cache.store(script, { code, inputs: hashes, data: [...dataInputs], declaration });
  return { code, inputs, sources: scriptSources(inputs), cached: false, declaration };
}

type EsbuildPlugin = import("esbuild").Plugin;
type Loader = import("esbuild").Loader;

const LOADERS: Record<string, Loader> = { ".ts": "ts", ".mts": "ts", ".cts": "ts", ".tsx": "tsx", ".js": "js", ".mjs": "js", ".cjs": "js", ".jsx": "jsx", ".json": "json", ".txt": "text" };

function loaderFor(file: string, type: string | undefined): Loader {
  if (type === "text" || type === "json") return type;
  if (type === "bytes") return "binary";
  const loader = LOADERS[path.extname(file).toLowerCase()];
  if (!loader) throw new ReadRefused(`cannot bundle ${file}: unknown file type (import it with { type: "text" } to get its text)`);
  return loader;
}

/**
 * Resolves @stui/plugins to the sandbox runtime, refuses what cannot work in the sandbox, and
 * loads every file itself, through the read guard.
 */
function sandboxResolver(policy: ReadPolicy, dataInputs: Set<string>, stdin?: { file: string; text: string }): EsbuildPlugin {
  return {
    name: "stui-sandbox",
    setup(build) {
      // Before esbuild resolves anything: the package.json files it would read on the way.
      const checked = new Set<string>();
      build.onResolve({ filter: /.*/ }, (args) => {
        try {
          if (args.resolveDir) checkResolution(args.path, args.resolveDir, checked);
        } catch (error) {
          if (error instanceof ReadRefused) return { errors: [{ text: error.message }] };
          throw error;
        }
        return undefined;
      });
      if (stdin) {
        // The script itself, from stdin, under its (absent) file name: its imports resolve from
        // that folder, through the guard; stack traces name it.
        build.onResolve({ filter: /.*/ }, (args) => (args.path === stdin.file ? { path: stdin.file } : undefined));
        build.onLoad({ filter: /.*/ }, (args) => (args.path === stdin.file ? { contents: neutralizeSourceMaps(stdin.text), loader: "ts", resolveDir: path.dirname(stdin.file) } : undefined));
      }
      build.onResolve({ filter: /^(@stui\/plugins|stui:runtime)$/ }, () => ({ path: RUNTIME }));
      // The runtime needs only createApi and PROTOCOL_VERSION: take them from their own
      // generated files, not the protocol index (which drags in TypeBox and the ajv
      // validators: 2.4 MB instead of ~100 kB, and a slower start).
      build.onResolve({ filter: /^@stui\/client\/protocol$/ }, (args) =>
        args.importer.startsWith(SANDBOX_DIR) ? { path: "runtime-protocol", namespace: "stui" } : undefined,
      );
      build.onLoad({ filter: /^runtime-protocol$/, namespace: "stui" }, () => {
        const gen = RUNTIME_DIRS[1]!.slice(0, -1);
        return {
          contents: `export { createApi } from ${JSON.stringify(sourceOrBuilt(gen, "client"))};\nexport { PROTOCOL_VERSION } from ${JSON.stringify(sourceOrBuilt(gen, "commands"))};\n`,
          loader: "ts",
          resolveDir: gen,
        };
      });
      build.onResolve({ filter: /^@stui\/plugins\// }, (args) => ({
        errors: [{ text: `"${args.path}" is not available in a script: import from "@stui/plugins"` }],
      }));
      build.onResolve({ filter: /^@stui\/client$/ }, () => ({
        errors: [{ text: `"@stui/client" cannot be used in a stui script: use the \`stui\` object (or import from "@stui/plugins"); the host holds the connection` }],
      }));
      build.onResolve({ filter: /^zeromq(\/.*)?$/ }, () => ({
        errors: [{ text: `"zeromq" cannot be used in a stui script: the sandbox reaches Pharo only through the host` }],
      }));
      build.onLoad({ filter: /\.node$/ }, (args) => ({
        errors: [{ text: `native addon ${args.path} cannot be loaded in a stui script (the sandbox refuses native addons)` }],
      }));
      // Every file esbuild loads: through the guard, read by us (never by esbuild).
      build.onLoad({ filter: /.*/, namespace: "file" }, (args) => {
        let bytes: Buffer;
        let loader: Loader;
        try {
          loader = loaderFor(args.path, args.with.type);
          if (!["ts", "tsx", "js", "jsx"].includes(loader)) {
            checkData(checkReadable(args.path, policy), policy, args.path);
            dataInputs.add(args.path);
          }
          bytes = readAllowed(args.path, policy);
        } catch (error) {
          if (error instanceof ReadRefused) return { errors: [{ text: error.message }] };
          throw error;
        }
        if (!["ts", "tsx", "js", "jsx", "json"].includes(loader)) return { contents: bytes, loader };
        // No input source map is ever followed (bundle-hardening.ts), in any file, node_modules too.
        const source = neutralizeSourceMaps(bytes.toString("utf8"));
        const own = !args.path.split(path.sep).includes("node_modules") && !RUNTIME_DIRS.some((d) => args.path.startsWith(d));
        // A bundle lives elsewhere than its sources: give each of the user's own modules its
        // original import.meta.url / filename / dirname, so new URL("./data.txt",
        // import.meta.url) still names the file beside the script (readable with a grant).
        if (!own || loader === "json" || !source.includes("import.meta.")) return { contents: source, loader };
        const contents = source
          .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href))
          .replaceAll("import.meta.filename", JSON.stringify(args.path))
          .replaceAll("import.meta.dirname", JSON.stringify(path.dirname(args.path)));
        return { contents, loader };
      });
    },
  };
}
