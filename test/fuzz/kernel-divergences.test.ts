// Programs where the fuzzer caught the Linux kernel (6.18.44 here) executing a program against
// its own semantics: its verifier pruned a live path and removed code as dead (each file's
// header says how, checked by hand). Our engines must give the true answer (`-- result`); the
// kernel's answer is printed, not asserted — it is the kernel's bug, and a fixed kernel agrees.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDataFile } from "../../vm/conformance/datafile.js";
import { conformanceMachine, runConformanceTest } from "../../vm/conformance/run.js";
import { engineNames, getEngine } from "../../vm/engines.js";
import { kernelAvailability } from "../kernel/available.js";

const dir = join(import.meta.dirname, "kernel-divergences");
const files = readdirSync(dir).filter((f) => f.endsWith(".data")).sort();
const ours = engineNames().filter((n) => n !== "kernel");
const kernel = kernelAvailability();

describe("kernel divergences found by fuzzing", () => {
  it("there are reproducers to check", () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
  });

  for (const file of files) {
    const test = parseDataFile(readFileSync(join(dir, file), "utf8"), file);

    for (const name of ours) {
      it(`${file}: ${name} gives the result worked out by hand`, async () => {
        const outcome = await runConformanceTest(test, await getEngine(name), conformanceMachine());
        expect(outcome.message).toBe("");
        expect(outcome.status).toBe("pass");
      });
    }

    it.skipIf(!kernel.ok)(`${file}: what this kernel answers (printed, not asserted)`, async () => {
      const outcome = await runConformanceTest(test, await getEngine("kernel"), conformanceMachine());
      console.log(`${file}: kernel ${kernel.kernel}: ${outcome.status === "pass" ? "agrees now (fixed kernel)" : `still diverges (${outcome.message})`}`);
      expect(["pass", "fail"]).toContain(outcome.status);
    });
  }
});
