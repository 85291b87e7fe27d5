// The verifier corpus (corpus/verifier): every unsafe program is rejected with the expected
// reason, every safe one accepted. Prints verification time and processed instructions per
// program (a figure, not an assertion).

import { describe, expect, test } from "vitest";
import { verify } from "../../vm/verifier/index.js";
import { kernelHelperTable } from "./kernel-helpers.js";
import { loadCorpus } from "./corpus.js";

const corpus = loadCorpus();
const helpers = kernelHelperTable();
const figures: string[] = [];

describe("verifier corpus", () => {
  test("has at least 60 unsafe and some safe programs", () => {
    expect(corpus.filter((e) => e.expect !== undefined).length).toBeGreaterThanOrEqual(60);
    expect(corpus.filter((e) => e.expect === undefined).length).toBeGreaterThanOrEqual(15);
  });

  for (const entry of corpus) {
    test(`${entry.name}: ${entry.expect === undefined ? "accepted" : "rejected"}`, () => {
      const r = verify(entry.insns, { type: entry.type, maps: entry.maps, helpers, log: 1 });
      figures.push(`${entry.name.padEnd(36)} ${r.accepted ? "accept" : "reject"} ${String(r.processedInsns).padStart(8)} insns ${r.ms.toFixed(2).padStart(9)} ms`);
      if (entry.expect === undefined) {
        expect(r.message, r.log).toBeUndefined();
        expect(r.accepted).toBe(true);
      } else {
        expect(r.accepted, r.log).toBe(false);
        expect(r.reason).toContain(entry.expect);
        expect(r.message).toMatch(/^insn \d+: /);
      }
    }, entry.slow ? 120_000 : 10_000);
  }

  // Root may read stack bytes never written (the kernel's allow_uninit_stack, our default);
  // with allowUninitStack: false these entries are refused as an unprivileged load would be.
  const strict = corpus.filter((e) => e.strict !== undefined);
  test("entries with a strict reason exist", () => expect(strict.length).toBeGreaterThanOrEqual(5));
  for (const entry of strict) {
    test(`${entry.name}: refused with allowUninitStack: false`, () => {
      const r = verify(entry.insns, { type: entry.type, maps: entry.maps, helpers, allowUninitStack: false });
      expect(r.accepted).toBe(false);
      expect(r.reason).toContain(entry.strict);
    });
  }

  test("figures", () => {
    console.log(`verification per corpus program:\n${figures.join("\n")}`);
    expect(figures.length).toBe(corpus.length);
  });
});
