// Two XDP programs for the pools' error tests (errors.test.ts here, test/browser/pool.test.ts for
// the web pool), as assembly: one that faults on packets of exactly 61 bytes, one whose verdict
// is the packet's length minus 58.

// XDP_PASS, except for packets of exactly 61 bytes: those load from an address far outside the
// memory — a wasm trap in the JIT, a fault in the interpreter (which checks every access).
export const FAULTY = `
  ldxw %r2, [%r1+0]
  ldxw %r3, [%r1+4]
  sub %r3, %r2
  jne %r3, 61, +3
  lddw %r5, 0x7ffffff0
  ldxdw %r0, [%r5+0]
  mov %r0, 2
  exit
`;

// The packet's length minus 58 as the verdict: 60 bytes → XDP_PASS, 61 → XDP_TX, 62 → XDP_REDIRECT.
export const LENGTH = `
  ldxw %r2, [%r1+0]
  ldxw %r0, [%r1+4]
  sub %r0, %r2
  sub %r0, 58
  exit
`;

/** Verdict names of LENGTH by packet length. */
export const LENGTH_VERDICTS: Readonly<Record<number, string>> = { 60: "XDP_PASS", 61: "XDP_TX", 62: "XDP_REDIRECT" };

/** 4000 packet lengths: 60 or 62, and one packet of 61 bytes (index 2500) on which FAULTY faults. */
export const FAULT_LENGTHS: readonly number[] = Array.from({ length: 4000 }, (_, i) => (i === 2500 ? 61 : 60 + (i % 3 === 0 ? 2 : 0)));
