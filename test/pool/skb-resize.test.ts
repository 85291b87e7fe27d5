// The skb helpers that change length and headers in the worker pool (2 workers, tc, both
// engines): each packet starts as a fresh skb — no accelerated VLAN tag, the network header 14
// bytes after the MAC header — although the previous packet on that CPU pushed an L2 header and
// two tags (ContextWriter.place rewrites the vlan fields and resets the header state kept after
// the __sk_buff). Needs an up-to-date `npm run build` (the workers run dist/).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { CpuPool, corpusRegionSize } from "../../vm/pool/index.js";
import type { PoolProgram } from "../../vm/pool/index.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import type { RuntimeMachine } from "../../vm/runtime/machine.js";

const CPUS = 2;

/**
 * 99 when the skb is not fresh (a tag present, or the byte at the network header is not frame
 * byte 14); then change_head(14) and two vlan_push, and r0 = the new len & 1 — 0 or 1 by the
 * frame's length parity — or 98 when a call fails.
 */
const PROGRAM = `
  mov %r6, %r1
  ldxw %r2, [%r6+20]
  jne %r2, 0, stale
  mov %r1, %r6
  mov %r2, 0
  mov %r3, %r10
  add %r3, -8
  mov %r4, 1
  mov %r5, 1
  call 68
  jne %r0, 0, stale
  mov %r1, %r6
  mov %r2, 14
  mov %r3, %r10
  add %r3, -16
  mov %r4, 1
  call 26
  ldxb %r1, [%r10-8]
  ldxb %r2, [%r10-16]
  jne %r1, %r2, stale
  mov %r1, %r6
  mov %r2, 14
  mov %r3, 0
  call 43
  jne %r0, 0, fail
  mov %r1, %r6
  mov %r2, 0x81
  mov %r3, 7
  call 18
  jne %r0, 0, fail
  mov %r1, %r6
  mov %r2, 0x81
  mov %r3, 8
  call 18
  jne %r0, 0, fail
  ldxw %r0, [%r6+0]
  and %r0, 1
  exit
stale:
  mov %r0, 99
  exit
fail:
  mov %r0, 98
  exit
`;

const packets = Array.from({ length: 4000 }, (_, i) => {
  const p = Uint8Array.from({ length: 60 + ((i * 37) % 141) }, (_, k) => (k * 13 + i) & 0xff);
  p.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]);
  return p;
});
const odd = packets.filter((p) => p.length % 2 === 1).length;

describe("skb length and header helpers in the pool (tc, 2 workers)", () => {
  let machine: RuntimeMachine;
  let pool: CpuPool;
  const programs: Record<string, PoolProgram> = {};

  beforeAll(async () => {
    machine = createNodeMachine({ type: "sched_cls", shared: true, cpus: CPUS, corpusSize: corpusRegionSize(packets, CPUS) });
    pool = await CpuPool.create(machine);
    pool.loadCorpus(packets);
    const program = { insns: assemble(PROGRAM), name: "skb_resize_pool" };
    for (const engine of ["jit", "interpreter"] as const) programs[engine] = await pool.load(program, { engine });
  }, 120_000);
  afterAll(async () => pool?.close());

  for (const engine of ["jit", "interpreter"]) {
    it(`${engine}: every packet starts as a fresh skb and grows by 18 bytes`, async () => {
      const run = await pool.run(programs[engine]!, { workers: CPUS, chunk: 64 });
      expect(run.packets).toBe(packets.length);
      // +14 (change_head) +4 (the second push writes the first tag into the frame): the parity
      // stays, so TC_ACT_OK (0) for even frames, TC_ACT_RECLASSIFY (1) for odd ones.
      expect(run.verdicts, JSON.stringify(run.verdicts)).toEqual({ TC_ACT_OK: packets.length - odd, TC_ACT_RECLASSIFY: odd });
    }, 60_000);
  }
});
