/** The suites mutation testing runs (`npm run mutate`): the in-memory ones, fast and runtime-free. */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/core/**/*.test.ts", "test/protocol/**/*.test.ts"],
    testTimeout: 20_000,
  },
});
