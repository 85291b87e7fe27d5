// BLOOM_FILTER maps (vm/maps/as/bloom.ts) against the kernel's bloom_filter.c, through
// fixtures/bloom_filter.c: three BPF_F_ZERO_SEED filters of 64 bits (4-byte values and 3 hash
// functions, 6-byte values and the default 5, 16-byte values added from the packet and 15), so
// small that most answers to values never added are false positives. Each answer depends on
// the exact bits the kernel's jhash picks; the counts below are Linux 6.18's on these frames,
// so our engines are held to them even where the kernel is not here, and where it is, every
// frame's verdict is compared with its own run.

import { afterAll, describe, expect, it } from "vitest";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, runKernel, runOurs } from "./objects.js";

const status = kernelAvailability();
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const obj = fixtureObject("bloom_filter");
const data = frames("mix:400:seed=3");

/**
 * The counts array as Linux 6.18 left it: per filter, its "maybe" and "absent" answers and the
 * program's hash of their sequence.
 */
const KERNEL_COUNTS = {
  small: [113n, 58n, 0xc8040fb905d967c1n],
  odd: [58n, 113n, 0x62d15e0c91e39440n],
  wide: [3n, 168n, 0x7abc5959a3b9db21n],
};

const countsOf = (lines: readonly string[]): typeof KERNEL_COUNTS => {
  const n = lines.map((l) => Buffer.from(l.split("=")[1]!, "hex").readBigUInt64LE());
  return { small: n.slice(0, 3), odd: n.slice(3, 6), wide: n.slice(6, 9) };
};

describe("BLOOM_FILTER: the kernel's hashes and bits", () => {
  for (const engine of ["interpreter", "jit"] as const) {
    it(`${engine}: every filter answers as Linux 6.18 did on the same frames`, async () => {
      const ours = await runOurs(obj, engine, data);
      expect(countsOf(ours.maps.counts!)).toEqual(KERNEL_COUNTS);
    });
  }

  it.skipIf(!status.ok)(`the kernel: the same verdict on every frame, the same counts and answer sequences (${status.ok ? "bpf() here" : `skipped: ${status.reason}`})`, async () => {
    const theirs = runKernel(obj, data);
    expect(countsOf(theirs.maps.counts!)).toEqual(KERNEL_COUNTS);
    for (const engine of ["interpreter", "jit"] as const) {
      const ours = await runOurs(obj, engine, data);
      expect(ours.results.map((r) => r.verdict), engine).toEqual(theirs.results.map((r) => r.verdict));
      expect(ours.maps.counts, engine).toEqual(theirs.maps.counts);
    }
  });
});
