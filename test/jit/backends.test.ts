// The Binaryen IR builder (backend "binaryen") and Binaryen's optimiser (opt 1) must give the same
// answers as the default direct builder, which the shared engine suite covers
// (test/engines/jit.test.ts): the whole conformance corpus on both, with Binaryen validating.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { JitEngine } from "../../jit/engine.js";
import { parseDataFile } from "../../vm/conformance/datafile.js";
import { runConformanceTest } from "../../vm/conformance/run.js";
import { corpusFiles } from "../engines/suite.js";

const CORPUS = join(import.meta.dirname, "..", "..", "corpus", "conformance", "bpf_conformance");

for (const options of [{ backend: "binaryen" }, { opt: 1 }] as const) {
  describe(`conformance corpus with ${JSON.stringify(options)}`, () => {
    it("passes all tests", async () => {
      const engine = new JitEngine({ ...options, validate: true });
      const failures: string[] = [];
      for (const file of corpusFiles()) {
        const test = parseDataFile(readFileSync(join(CORPUS, file), "utf8"), file);
        const outcome = await runConformanceTest(test, engine);
        if (outcome.status !== "pass") failures.push(`${file}: ${outcome.message}`);
      }
      expect(failures).toEqual([]);
    }, 120_000);
  });
}
