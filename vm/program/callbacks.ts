// Function addresses (`lddw rX, func` with src = BPF_PSEUDO_FUNC): how a callback passed to a
// helper such as bpf_loop is represented while the program runs.
//
// The kernel puts the subprogram's real address in the register; the verifier types it
// PTR_TO_FUNC, which a program may only pass to a helper that takes a callback (no arithmetic,
// no dereference). Here it is a tagged value: the high word marks it as a function address and
// the low word is the slot where the subprogram starts. Engines turn it back into the function
// (the interpreter jumps to the slot, the JIT calls the subprogram's wasm function). The high
// word is not zero, so the value is never an address of the 32-bit memory: a program that
// dereferences it anyway (only possible without the verifier) faults.

/** High word of a function address (an arbitrary marker: "bpf callback"). */
export const FUNC_ADDRESS_HI = 0xbfc0_0000 | 0;

/** The value `lddw rX, func` loads for the subprogram starting at `slot`. */
export function funcAddress(slot: number): bigint {
  return (BigInt(FUNC_ADDRESS_HI >>> 0) << 32n) | BigInt(slot >>> 0);
}

/** The slot a function address names, or -1 if (lo, hi) is not a function address. */
export function funcAddressSlot(lo: number, hi: number): number {
  return (hi | 0) === FUNC_ADDRESS_HI ? lo >>> 0 : -1;
}
