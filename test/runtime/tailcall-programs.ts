// The tail-call test programs and map set, shared by the interpreter's tests
// (test/runtime/tailcall.test.ts) and the JIT's (test/jit/tailcall.test.ts), so both engines
// are checked on the same chains.

import type { RuntimeMachine } from "../../vm/runtime/machine.js";
import { readU64, u32 } from "./fixture.js";

/** jmp: the PROG_ARRAY; trace: which stages ran, in order; count: how many programs ran. */
export const MAPS = [
  { name: "jmp", type: "prog_array", keySize: 4, valueSize: 4, maxEntries: 4 },
  { name: "trace", type: "queue", keySize: 0, valueSize: 8, maxEntries: 64 },
  { name: "count", type: "array", keySize: 4, valueSize: 8, maxEntries: 1 },
] as const;

/** Push `mark` to the trace queue, then tail-call slot `next`; on fall-through return `fallback`. */
export const stage = (mark: number, next: number, fallback: number): string => `
  mov %r6, %r1
  stdw [%r10-8], ${mark}
  lddw %r1, map_fd 1
  mov %r2, %r10
  add %r2, -8
  mov %r3, 0
  call 87
  mov %r1, %r6
  lddw %r2, map_fd 0
  mov %r3, ${next}
  call 12
  mov %r0, ${fallback}
  exit`;

/** count[0]++, then `body`. */
export const counting = (body: string): string => `
  mov %r6, %r1
  stw [%r10-4], 0
  lddw %r1, map_fd 2
  mov %r2, %r10
  add %r2, -4
  call 1
  jeq %r0, 0, skip
  mov %r1, 1
  lock add [%r0], %r1
  skip:
  ${body}`;

/** The marks the stages pushed, in order (empties the queue). */
export const drain = (m: RuntimeMachine): bigint[] => {
  const out: bigint[] = [];
  for (let v = m.maps.queue("trace").pop(); v; v = m.maps.queue("trace").pop()) out.push(readU64(v));
  return out;
};

export const count = (m: RuntimeMachine): bigint => readU64(m.maps.keyed("count").lookup(u32(0))!);
