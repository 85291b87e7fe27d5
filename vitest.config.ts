import { defineConfig } from "vitest/config";

// Tests live under test/<area>/*.test.ts and import the TypeScript sources directly; the CLI
// tests spawn bin/ebpf-wasm.js, which runs the build in dist/ (`npm test` builds first).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Workers, not threads: engines and map tests create large shared memories.
    pool: "forks",
  },
});
