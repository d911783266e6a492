import { defineConfig } from "vitest/config";

// `npm run test:outside`: the packages as a user gets them — built, packed, installed into a
// scratch project outside the repository (test/outside/). Not part of `npm test` (it builds and
// installs, which takes a minute or two); `.ci/run` runs it after `npm test`.
export default defineConfig({
  // The test itself (freePort, the server it starts) uses the workspace sources, as npm test
  // does; what it puts under test is the packed build, installed in the scratch project.
  resolve: { conditions: ["stui-source"] },
  ssr: { resolve: { conditions: ["stui-source"], externalConditions: ["stui-source"] } },
  test: {
    include: ["test/outside/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: "forks",
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});
