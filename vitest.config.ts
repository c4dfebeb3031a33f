import { defineConfig } from "vitest/config";

// One place for the test matrix: `conformance` runs on Node, Deno and Bun (see test/run-all.sh),
// `node` holds unit, meta and integration tests that only need Node.
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: "conformance", include: ["test/conformance/**/*.test.ts"] } },
      {
        extends: true,
        test: {
          name: "node",
          include: ["test/unit/**/*.test.ts", "test/meta/**/*.test.ts", "test/integration/**/*.test.ts", "test/runtime/**/*.test.ts", "test/interop/**/*.test.ts"],
        },
      },
    ],
  },
});
