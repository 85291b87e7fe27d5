// BPF_F_TEST_STATE_FREQ (VerifyOptions.testStateFreq): a checkpoint at every prune point a path
// reaches (is_state_visited's force_new_state). It changes which checkpoints paths meet, hence
// the processed instruction counts: on every program of corpus/verifier that both verifiers
// accept, ours with the flag are the kernel's with the flag (loaded with prog_flags 8 into this
// machine's kernel; skipped without bpf()).

import { afterAll, describe, expect, test } from "vitest";
import { kernelBridge, kernelMapSpec, verifierStats } from "../../vm/node/kernel/engine.js";
import { PROGRAM_TYPES } from "../../vm/programs/types.js";
import { verify } from "../../vm/verifier/index.js";
import { kernelAvailability } from "../kernel/available.js";
import { loadCorpus, type CorpusEntry } from "./corpus.js";
import { kernelHelperTable } from "./kernel-helpers.js";

const BPF_F_TEST_STATE_FREQ = 8;
const helpers = kernelHelperTable();
const accepted = loadCorpus().filter((e) => e.expect === undefined && e.kernel.mode !== "skip");
const ours = (e: CorpusEntry, testStateFreq: boolean) => verify(e.insns, { type: e.type, maps: e.maps, helpers, testStateFreq });

describe("BPF_F_TEST_STATE_FREQ", () => {
  test("more checkpoints, the same verdicts", () => {
    let more = 0;
    for (const e of accepted) {
      const plain = ours(e, false);
      const freq = ours(e, true);
      expect(freq.message, e.name).toBeUndefined();
      expect(freq.states, e.name).toBeGreaterThanOrEqual(plain.states);
      if (freq.states > plain.states) more++;
    }
    expect(more).toBeGreaterThan(accepted.length / 4);
  });

  const status = kernelAvailability();
  if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason})`);
  test.skipIf(!status.ok)("processed instructions with the flag are the kernel's with it", () => {
    const differ: string[] = [];
    for (const e of accepted) {
      const prog = kernelBridge().load(e.insns, {
        type: PROGRAM_TYPES[e.type].kernelType!, flags: BPF_F_TEST_STATE_FREQ, log: 4, name: e.name,
        maps: e.maps.map(kernelMapSpec),
      });
      const kernel = verifierStats(prog.log)!.processedInsns;
      prog.close();
      const here = ours(e, true).processedInsns;
      if (here !== kernel) differ.push(`${e.name}: ${here} here, ${kernel} in the kernel`);
    }
    console.log(`BPF_F_TEST_STATE_FREQ: processed counts equal on ${accepted.length - differ.length} of ${accepted.length} corpus programs${differ.map((d) => `\n  ${d}`).join("")}`);
    expect(differ.length).toBeLessThanOrEqual(accepted.length * 0.1);
  });
  afterAll(() => {
    if (status.ok) kernelBridge().close();
  });
});
