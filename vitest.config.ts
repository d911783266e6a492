import { defineConfig } from "vitest/config";

// One root config for every package. The soak and fuzz suites run here in a short
// form; `npm run test:slow` runs them long (STUI_SOAK_SECONDS, STUI_FUZZ_CASES), and
// the benchmarks (bench/, not *.test.ts) run only through `npm run bench`.
export default defineConfig({
  // The workspace packages' sources, not their builds (the "stui-source" export condition).
  resolve: { conditions: ["stui-source"] },
  ssr: { resolve: { conditions: ["stui-source"], externalConditions: ["stui-source"] } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    // test/outside builds, packs and installs the packages: `npm run test:outside` (vitest.outside.config.ts).
    exclude: ["**/node_modules/**", "**/fixtures/**", "test/outside/**"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
    // A temporary STUI_HOME with keys for every test file (servers authenticate clients by default).
    setupFiles: ["./test/setup/stui-home.ts"],
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});
