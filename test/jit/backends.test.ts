// The Binaryen IR builder (backend "binaryen") and Binaryen's optimiser (opt 1) must give the same
// answers as the default direct builder, which the shared engine suite covers
// (test/engines/jit.test.ts): the whole conformance corpus on both, with Binaryen validating.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { JitEngine } from "../../jit/engine.js";
import { parseDataFile } from "../../vm/conformance/datafile.js";
import { runConformanceTest } from "../../vm/conformance/run.js";
import type { RuntimeMachine } from "../../vm/runtime/machine.js";
import { corpusFiles } from "../engines/suite.js";
import { agree, program, u32, u64 } from "./runtime.js";

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

// The runtime's imports (run-state globals, maps runtime exports, the program table with
// table.get / ref.is_null / call_indirect, atomic slot loads) through every builder and level.
describe.each([{ backend: "binaryen" }, { backend: "binaryen", opt: 2 }, { opt: 1 }] as const)("runtime features with %j", (options) => {
  it("map helpers, an inlined per-CPU lookup and a tail-call chain agree with the interpreter", async () => {
    const maps = [
      { name: "jmp", type: "prog_array", keySize: 4, valueSize: 4, maxEntries: 2 },
      { name: "h", type: "hash", keySize: 4, valueSize: 8, maxEntries: 4 },
      { name: "pc", type: "percpu_array", keySize: 4, valueSize: 8, maxEntries: 2 },
    ] as const;
    const target = "mov %r6, %r1\nstw [%r10-4], 1\nlddw %r1, map_fd 2\nmov %r2, %r10\nadd %r2, -4\ncall 1\njeq %r0, 0, out\nldxdw %r0, [%r0]\nout:\nadd %r0, 3\nexit";
    const setup = (m: RuntimeMachine): void => {
      m.maps.keyed("jmp").update(u32(0), u32(m.programs.add(program(target, "target"))));
      m.maps.perCpu("pc").update(u32(1), [u64(10n), u64(20n)]);
    };
    const steps = [
      { source: "stw [%r10-4], 2\nstdw [%r10-16], 7\nlddw %r1, map_fd 1\nmov %r2, %r10\nadd %r2, -4\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 0\ncall 2\nexit" },
      { source: "stw [%r10-4], 2\nlddw %r1, map_fd 1\nmov %r2, %r10\nadd %r2, -4\ncall 1\nldxdw %r0, [%r0]\nexit" },
      { source: "lddw %r2, map_fd 0\nmov %r3, 0\ncall 12\nmov %r0, 99\nexit", cpu: 1 },
      { source: "lddw %r2, map_fd 0\nstxdw [%r10-8], %r2\nldxdw %r2, [%r10-8]\nmov %r3, 0\ncall 12\nmov %r0, 99\nexit", cpu: 0 },
    ];
    const { outcomes } = await agree("xdp", maps, steps, setup, options);
    expect(outcomes).toEqual(["0x0", "0x7", "0x17", "0xd"]);
  });
});
