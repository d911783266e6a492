// `stui run --watch`: run, then run again whenever one of the bundle's source files
// changes (a change during a run kills that run first, closing its sessions).

import { watch, type FSWatcher } from "node:fs";
import path from "node:path";
import { EXIT, type ExitCode } from "./exit-codes.js";
import type { RunSummary } from "./host.js";

export interface WatchOptions {
  /** One run; it must stop soon after `signal` aborts. */
  run(signal: AbortSignal, onInputs: (inputs: string[]) => void): Promise<RunSummary>;
  script: string;
  log(line: string): void;
  /** Stops watching (Ctrl-C). */
  signal: AbortSignal;
  /** Called after each run (tests observe runs through it). */
  onRun?: (summary: RunSummary, runIndex: number) => void;
}

function watchFiles(files: readonly string[], onChange: () => void): () => void {
  const byDir = new Map<string, Set<string>>();
  for (const f of files) {
    if (f.split(path.sep).includes("node_modules")) continue;
    const dir = path.dirname(f);
    if (!byDir.has(dir)) byDir.set(dir, new Set());
    byDir.get(dir)?.add(path.basename(f));
  }
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  for (const [dir, names] of byDir) {
    try {
      // Watch the folder, not the file: editors often replace a file by renaming.
      watchers.push(
        watch(dir, (_event, name) => {
          if (name === null || !names.has(name.toString())) return;
          clearTimeout(timer);
          timer = setTimeout(onChange, 50);
        }),
      );
    } catch {
      // A folder that vanished: nothing to watch there.
    }
  }
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}

export async function watchScript(options: WatchOptions): Promise<ExitCode> {
  let inputs = [path.resolve(options.script)];
  for (let runIndex = 1; !options.signal.aborted; runIndex++) {
    const controller = new AbortController();
    let changed = false;
    let wake: () => void = () => undefined;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    let stop = watchFiles(inputs, () => {
      changed = true;
      controller.abort();
      wake();
    });
    const onStop = (): void => {
      controller.abort();
      wake();
    };
    options.signal.addEventListener("abort", onStop, { once: true });
    const summary = await options.run(controller.signal, (bundleInputs) => {
      // Now that the bundle is known, watch every file that went into it.
      inputs = bundleInputs;
      stop();
      stop = watchFiles(inputs, () => {
        changed = true;
        controller.abort();
        wake();
      });
    });
    if (summary.inputs.length > 0) inputs = summary.inputs;
    options.onRun?.(summary, runIndex);
    if (!changed && !options.signal.aborted) {
      const files = inputs.filter((f) => !f.split(path.sep).includes("node_modules")).length;
      options.log(`stui: exit ${summary.exitCode}; watching ${files} file${files === 1 ? "" : "s"} for changes (Ctrl-C to stop)`);
      await woken;
    }
    stop();
    options.signal.removeEventListener("abort", onStop);
    if (changed && !options.signal.aborted) options.log(`stui: change detected, running ${path.basename(options.script)} again`);
  }
  return EXIT.interrupted;
}
