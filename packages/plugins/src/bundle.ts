// Turns a user's script (TypeScript or JavaScript, ES modules, top-level await, npm
// dependencies) into one plain ESM file the sandboxed child can run without tsx (tsx
// cannot run under the permission model). Runs in the host, which is unrestricted.
//
// Bundles are cached by content: the manifest beside each bundle records the sha256
// of every input file; a run whose inputs all still hash the same reuses the bundle
// and never loads esbuild.

import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const RUNTIME = fileURLToPath(new URL("./sandbox/runtime.ts", import.meta.url));
const SANDBOX_DIR = path.dirname(RUNTIME);
/** Files of the host's own runtime (this package's src and the generated protocol). */
const RUNTIME_DIRS = [path.dirname(SANDBOX_DIR), path.dirname(fileURLToPath(import.meta.resolve("@stui/client/protocol")))].map((d) => d + path.sep);
const scriptSources = (inputs: string[]): string[] => inputs.filter((f) => !RUNTIME_DIRS.some((d) => f.startsWith(d)));
const BUNDLE_FORMAT = 1;

export interface Bundle {
  /** The bundled script, an .mjs file. */
  file: string;
  /** The folder holding it (the child may read it). */
  dir: string;
  /** Absolute paths of every file that went into the bundle (the cache checks them all). */
  inputs: string[];
  /** The script's own sources: inputs without the host's runtime files (what --watch watches). */
  sources: string[];
  /** Whether this run reused a cached bundle. */
  cached: boolean;
}

/** A script that did not build: esbuild's messages, file:line:column first. */
export class BuildError extends Error {
  override readonly name = "BuildError";
  constructor(readonly messages: string[]) {
    super(messages.join("\n"));
  }
}

export function stuiHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.STUI_HOME ? path.resolve(env.STUI_HOME) : path.join(homedir(), ".stui");
}

interface Manifest {
  format: number;
  script: string;
  inputs: Record<string, string>;
}

const sha256 = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");

async function readManifest(dir: string, script: string): Promise<Manifest | undefined> {
  try {
    const m = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as Manifest;
    if (m.format !== BUNDLE_FORMAT || m.script !== script) return undefined;
    const checks = await Promise.all(Object.entries(m.inputs).map(async ([file, hash]) => sha256(await readFile(file)) === hash));
    return checks.every(Boolean) ? m : undefined;
  } catch {
    return undefined;
  }
}

/** The entry the child runs: the runtime first (lockdown, global `stui`), then the script. */
function entrySource(script: string): string {
  return [`import { __stuiStart } from "stui:runtime";`, `import * as script from ${JSON.stringify(script)};`, `await __stuiStart(script);`, ``].join("\n");
}

export async function bundleScript(scriptPath: string, options: { cacheDir?: string } = {}): Promise<Bundle> {
  const script = path.resolve(scriptPath);
  const cacheRoot = options.cacheDir ?? path.join(stuiHome(), "cache", "bundles");
  const dir = path.join(cacheRoot, sha256(`${BUNDLE_FORMAT}\0${script}`).slice(0, 24));
  const file = path.join(dir, "script.mjs");
  const cached = await readManifest(dir, script);
  if (cached) return { file, dir, inputs: Object.keys(cached.inputs), sources: scriptSources(Object.keys(cached.inputs)), cached: true };

  const esbuild = await import("esbuild");
  let result;
  try {
    result = await esbuild.build({
      stdin: { contents: entrySource(script), resolveDir: path.dirname(script), sourcefile: "stui-entry.js", loader: "js" },
      absWorkingDir: path.dirname(script),
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      outfile: file,
      write: false,
      metafile: true,
      sourcemap: "inline",
      logLevel: "silent",
      // CommonJS dependencies may require() builtins; give the ESM bundle a require.
      banner: { js: `import { createRequire as __stuiCreateRequire } from "node:module"; const require = __stuiCreateRequire(import.meta.url);` },
      plugins: [sandboxResolver()],
    });
  } catch (error) {
    const failure = error as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] };
    if (!failure.errors) throw error;
    throw new BuildError(failure.errors.map((m) => (m.location ? `${path.resolve(path.dirname(script), m.location.file)}:${m.location.line}:${m.location.column + 1}: ${m.text}` : m.text)));
  }
  const output = result.outputFiles[0];
  if (!output) throw new BuildError(["esbuild produced no output"]);
  const inputs = Object.keys(result.metafile.inputs)
    .filter((f) => !f.startsWith("<") && !f.startsWith("stui-entry") && !f.startsWith("stui:"))
    .map((f) => path.resolve(path.dirname(script), f));
  const hashes: Record<string, string> = {};
  await Promise.all(inputs.map(async (f) => (hashes[f] = sha256(await readFile(f)))));
  await mkdir(dir, { recursive: true });
  // Write then rename, so a concurrent run never reads half a file.
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, output.contents);
  await rename(tmp, file);
  const manifest: Manifest = { format: BUNDLE_FORMAT, script, inputs: hashes };
  const tmpManifest = `${tmp}.json`;
  await writeFile(tmpManifest, JSON.stringify(manifest));
  await rename(tmpManifest, path.join(dir, "manifest.json"));
  return { file, dir, inputs, sources: scriptSources(inputs), cached: false };
}

/** Whether the module at `scriptPath` has a default export (read statically, nothing runs). */
export async function hasDefaultExport(scriptPath: string): Promise<boolean> {
  const esbuild = await import("esbuild");
  const script = path.resolve(scriptPath);
  const result = await esbuild.build({ entryPoints: [script], bundle: false, write: false, metafile: true, format: "esm", platform: "node", outdir: "out", logLevel: "silent" });
  return Object.values(result.metafile.outputs).some((o) => o.exports.includes("default"));
}

type EsbuildPlugin = import("esbuild").Plugin;

/** Resolves @stui/plugins to the sandbox runtime and refuses what cannot work in the sandbox. */
function sandboxResolver(): EsbuildPlugin {
  return {
    name: "stui-sandbox",
    setup(build) {
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
          contents: `export { createApi } from ${JSON.stringify(path.join(gen, "client.ts"))};\nexport { PROTOCOL_VERSION } from ${JSON.stringify(path.join(gen, "commands.ts"))};\n`,
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
      // A bundle lives elsewhere than its sources: give each of the user's own modules
      // its original import.meta.url / filename / dirname, so new URL("./data.txt",
      // import.meta.url) still finds files beside the script.
      build.onLoad({ filter: /\.(c|m)?(t|j)sx?$/ }, async (args) => {
        if (args.path.split(path.sep).includes("node_modules") || args.path.startsWith(SANDBOX_DIR)) return undefined;
        const source = await readFile(args.path, "utf8");
        if (!source.includes("import.meta.")) return undefined;
        const contents = source
          .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href))
          .replaceAll("import.meta.filename", JSON.stringify(args.path))
          .replaceAll("import.meta.dirname", JSON.stringify(path.dirname(args.path)));
        const ext = path.extname(args.path).slice(1);
        const loader = ext.endsWith("x") ? (ext.includes("t") ? "tsx" : "jsx") : ext.includes("t") ? "ts" : "js";
        return { contents, loader };
      });
      build.onLoad({ filter: /\.node$/ }, (args) => ({
        errors: [{ text: `native addon ${args.path} cannot be loaded in a stui script (the sandbox refuses native addons)` }],
      }));
    },
  };
}
