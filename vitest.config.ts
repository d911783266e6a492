import { defineConfig } from "vitest/config";

// One root config for every package. Slow suites (soak, long fuzz, benchmarks)
// live in files named *.slow.ts / *.bench.ts and are run by their own scripts.
export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/fixtures/**"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});
