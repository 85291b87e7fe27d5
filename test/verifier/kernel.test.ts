// The kernel agrees: every corpus program is loaded (never attached) into this machine's kernel
// with bpf(BPF_PROG_LOAD) through the kernel bridge (vm/node/kernel). Unsafe programs must be
// refused by the kernel verifier too, safe ones accepted. A few corpus entries document a
// known difference (`# kernel: accept (why)`): there the kernel's acceptance is asserted, so the
// difference stays visible and checked. A refusal must also give the corpus's reason: the
// kernel's message or log contains the `expect` text (the kernel's words), or the entry's
// `# kernel-says:` text where the kernel words it otherwise. Skips with the reason when bpf()
// is not available.

import { afterAll, describe, expect, test } from "vitest";
import { KernelError, kernelBridge, kernelMapSpec } from "../../vm/node/kernel/engine.js";
import { PROGRAM_TYPES } from "../../vm/programs/types.js";
import { kernelAvailability } from "../kernel/available.js";
import { loadCorpus, type CorpusEntry } from "./corpus.js";

const corpus = loadCorpus();
const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason})`);

/** Load into the kernel: undefined if accepted, else the kernel's reason. */
function kernelVerdict(entry: CorpusEntry): string | undefined {
  try {
    const prog = kernelBridge().load(entry.insns, {
      type: PROGRAM_TYPES[entry.type].kernelType!,
      name: entry.name,
      maps: entry.maps.map(kernelMapSpec),
    });
    prog.close();
    return undefined;
  } catch (e) {
    if (e instanceof KernelError) return `${e.message}\n${e.log}`;
    throw e;
  }
}

describe.skipIf(!status.ok)("the kernel verifier agrees with the corpus", () => {
  afterAll(() => kernelBridge().close());
  for (const entry of corpus) {
    const wants = entry.expect === undefined ? "accept" : entry.kernel.mode;
    test.skipIf(entry.kernel.mode === "skip")(`${entry.name}: kernel ${wants}s${entry.kernel.why ? ` ${entry.kernel.why}` : ""}`, () => {
      const verdict = kernelVerdict(entry);
      if (wants === "accept") expect(verdict).toBeUndefined();
      else {
        expect(verdict, "the kernel accepted a program the corpus calls unsafe").toBeDefined();
        expect(verdict, "the kernel refused it for another reason").toContain(entry.kernelSays ?? entry.expect);
      }
    });
  }
});
