// What every packet-helper twin shares: the answer that sends the JIT to the TypeScript helper,
// and the address test the TypeScript helpers apply (../memory.ts Mem.span).

/** Not a result any helper returns: "call the TypeScript helper instead" (jit/map-exports.ts PACKET_SLOW). */
export const SLOW: i64 = i64.MIN_VALUE;

/** vm/memory/layout.ts NULL_GUARD. */
const NULL_GUARD: u64 = 0x1000;

/** Mem.span's test: [reg, reg + len) past the null guard and inside the memory. */
@inline export function inMemory(reg: u64, len: u64): bool {
  return reg >= NULL_GUARD && reg <= 0xffffffff && reg + len <= (<u64>memory.size() << 16);
}
