// cgroup_skb programs in the worker pool (2 workers, both engines): each packet is placed as the
// runtime places it for this type — data at the network header, the MAC header in front of it,
// the socket fields of BPF_PROG_TEST_RUN's socket — and the egress verdicts (0..3: allow, drop,
// with or without congestion notification) are counted as on one CPU. Needs an up-to-date
// `npm run build` (the workers run dist/).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { CpuPool, corpusRegionSize } from "../../vm/pool/index.js";
import type { PoolProgram } from "../../vm/pool/index.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import type { RuntimeMachine } from "../../vm/runtime/machine.js";

const CPUS = 2;

/**
 * Allow (bit 0) when the socket's family, the IP version at data and the EtherType in the MAC
 * header (skb_load_bytes_relative BPF_HDR_START_MAC, offset 12) agree: AF_INET, 4, 0x0800 or
 * AF_INET6, 6, 0x86dd; bit 1 (congestion notification) from skb->len's parity.
 */
const PROGRAM = `
  mov %r6, %r1
  mov %r1, %r6
  mov %r2, 12
  mov %r3, %r10
  add %r3, -8
  mov %r4, 2
  mov %r5, 0
  call 68
  mov %r7, 0
  jne %r0, 0, out
  ldxh %r8, [%r10-8]
  ldxw %r2, [%r6+76]
  ldxw %r3, [%r6+80]
  mov %r4, %r2
  add %r4, 1
  jgt %r4, %r3, out
  ldxb %r9, [%r2+0]
  rsh %r9, 4
  ldxw %r1, [%r6+88]
  jne %r1, 2, v6
  jne %r9, 4, out
  jne %r8, 0x0008, out
  mov %r7, 1
  ja out
v6:
  jne %r1, 10, out
  jne %r9, 6, out
  jne %r8, 0xdd86, out
  mov %r7, 1
out:
  ldxw %r0, [%r6+0]
  and %r0, 1
  lsh %r0, 1
  or %r0, %r7
  exit
`;

const frame = (i: number): Uint8Array => {
  const kind = i % 3;
  const p = Uint8Array.from({ length: 60 + ((i * 37) % 141) }, (_, k) => (k * 13 + i) & 0xff);
  p.set(kind === 0 ? [0x08, 0x00] : kind === 1 ? [0x86, 0xdd] : [0x08, 0x06], 12);
  // Every fifth IPv4 / IPv6 frame has the other version in its header: not allowed.
  if (kind < 2) p[14] = ((kind === 0) !== (i % 5 === 0) ? 0x45 : 0x60);
  return p;
};
const packets = Array.from({ length: 3000 }, (_, i) => frame(i));
const expected: Record<string, number> = {};
packets.forEach((p, i) => {
  const allow = i % 3 < 2 && i % 5 !== 0;
  const name = `${allow ? "allow" : "drop"}${(p.length - 14) % 2 ? "+cn" : ""}`;
  expected[name] = (expected[name] ?? 0) + 1;
});

describe("cgroup_skb programs in the pool (egress verdicts, 2 workers)", () => {
  let machine: RuntimeMachine;
  let pool: CpuPool;
  const programs: Record<string, PoolProgram> = {};

  beforeAll(async () => {
    machine = createNodeMachine({ type: "cgroup_skb", shared: true, cpus: CPUS, corpusSize: corpusRegionSize(packets, CPUS) });
    pool = await CpuPool.create(machine);
    pool.loadCorpus(packets);
    const program = { insns: assemble(PROGRAM), name: "cgroup_skb_pool" };
    for (const engine of ["jit", "interpreter"] as const) programs[engine] = await pool.load(program, { engine });
  }, 120_000);
  afterAll(async () => pool?.close());

  for (const engine of ["jit", "interpreter"]) {
    it(`${engine}: every packet seen from its network header, with its socket family and MAC header`, async () => {
      const run = await pool.run(programs[engine]!, { workers: CPUS, chunk: 64 });
      expect(run.packets).toBe(packets.length);
      expect(Object.keys(expected).length).toBe(4);
      expect(run.verdicts, JSON.stringify(run.verdicts)).toEqual(expected);
    }, 60_000);
  }
});
