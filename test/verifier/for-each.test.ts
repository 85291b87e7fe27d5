// bpf_for_each_map_elem programs the verifier must accept, checked against the kernel's verifier
// too (the refusals are corpus/verifier/neg_for_each_*.asm). Kept out of corpus/verifier: its
// safe programs seed test/verifier/differential.test.ts's mutation fuzz, whose shared random
// sequence a new seed would shift for every program after it.

import { afterAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { kernelBridge, ProgType } from "../../vm/node/kernel/engine.js";
import { verify } from "../../vm/verifier/index.js";
import { kernelAvailability, kernelRefusal } from "../kernel/available.js";
import { kernelHelperTable } from "./kernel-helpers.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason})`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const MAPS = [
  { name: "arr", type: 2, keySize: 4, valueSize: 8, maxEntries: 8, flags: 0 },
  { name: "h", type: 5, keySize: 8, valueSize: 16, maxEntries: 32, flags: 0 },
];

/**
 * Walks of an ARRAY and a PERCPU_HASH: the array callback reads its key, updates its value,
 * sums into the caller's stack (callback_ctx) and stops at a value over 100; the hash callback
 * looks its own key up again (a PTR_TO_MAP_KEY as a helper's key) and writes its value.
 */
const SUM = `
stdw [%r10-8], 0
stdw [%r10-16], 0
lddw %r1, map_fd 0
lddw %r2, func arr_step
mov %r3, %r10
add %r3, -16
mov %r4, 0
call 164
mov %r6, %r0
lddw %r1, map_fd 1
lddw %r2, func hash_step
mov %r3, 0
mov %r4, 0
call 164
add %r0, %r6
ldxdw %r1, [%r10-8]
add %r0, %r1
exit
arr_step:
ldxw %r5, [%r2+0]
ldxdw %r0, [%r3+0]
add %r0, %r5
stxdw [%r3+0], %r0
ldxdw %r0, [%r4+8]
add %r0, %r5
stxdw [%r4+8], %r0
ldxdw %r1, [%r4+0]
add %r1, 1
stxdw [%r4+0], %r1
jgt %r0, 100, +2
mov %r0, 0
exit
mov %r0, 1
exit
hash_step:
mov %r6, %r3
call 1
jeq %r0, 0, +3
ldxdw %r1, [%r0+0]
add %r1, 1
stxdw [%r6+8], %r1
mov %r0, 0
exit`;

/**
 * The same callback walked with callback_ctx = the caller's stack (it adds 1000 to a u64 there)
 * and then with NULL. Its `jeq r4, 0` wants r4 precise; backtracking must drop the callback's
 * r1-r5 at its entry (backtrack_insn's is_sync_callback_calling_insn case), not mark every scalar
 * precise: the precise stack counter then escaped widening and the first walk never converged
 * ("The sequence of 8193 jumps is too complex", the kernel accepts it).
 */
const CTX_OR_NULL = `
stdw [%r10-8], 0
mov %r3, %r10
add %r3, -8
lddw %r1, map_fd 0
lddw %r2, func step
mov %r4, 0
call 164
mov %r6, %r0
lddw %r1, map_fd 0
lddw %r2, func step
mov %r3, 0
mov %r4, 0
call 164
add32 %r0, %r6
ldxdw %r1, [%r10-8]
add32 %r0, %r1
and32 %r0, 3
exit
step:
jeq %r4, 0, +3
ldxdw %r1, [%r4+0]
add %r1, 1000
stxdw [%r4+0], %r1
mov %r0, 0
exit`;

const kernelVerdict = (source: string): string | undefined => kernelRefusal(assemble(source), { type: ProgType.XDP, name: "for_each", maps: MAPS });

/** The kernel's verdict, or undefined (with the reason printed) when bpf() is not available. */
function kernelVerdictOrSkip(source: string): string | undefined {
  if (!status.ok) {
    console.log(`kernel comparison skipped: ${status.reason}`);
    return undefined;
  }
  return kernelVerdict(source);
}

describe("bpf_for_each_map_elem: safe programs", () => {
  it("walks of an array and a per-CPU hash map are accepted", () => {
    const r = verify(assemble(SUM), { type: "xdp", maps: MAPS, helpers: kernelHelperTable() });
    expect(r.message, r.log).toBeUndefined();
  });

  it.skipIf(!status.ok)("the kernel accepts them too", () => {
    expect(kernelVerdict(SUM)).toBeUndefined();
  });

  it("a callback testing its callback_ctx for NULL does not make the caller's counter precise", () => {
    const r = verify(assemble(CTX_OR_NULL), { type: "xdp", maps: MAPS, helpers: kernelHelperTable() });
    expect(r.message, r.log).toBeUndefined();
    expect(kernelVerdictOrSkip(CTX_OR_NULL)).toBeUndefined();
  });
});
