// Lightweight-tunnel programs in the worker pool (2 workers, both engines): each packet is
// placed as the runtime places it for these types — data at the network header, the MAC header
// in front of it — and an lwt_xmit program that writes the packet directly and returns
// BPF_OK / BPF_DROP / BPF_REDIRECT (bpf_redirect) gets the verdicts counted as on one CPU.
// Needs an up-to-date `npm run build` (the workers run dist/).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { CpuPool, corpusRegionSize } from "../../vm/pool/index.js";
import type { PoolProgram } from "../../vm/pool/index.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import type { RuntimeMachine } from "../../vm/runtime/machine.js";

const CPUS = 2;

/**
 * The IP version at data (the network header) must match skb->protocol (0x0800 → 4, 0x86dd → 6);
 * then the first byte is rewritten in place (direct write, lwt_xmit only) and the verdict is
 * BPF_REDIRECT (bpf_redirect to ifindex 1) for IPv4 and BPF_OK for IPv6; anything else is
 * BPF_DROP.
 */
const PROGRAM = `
  mov %r6, %r1
  ldxw %r2, [%r6+76]
  ldxw %r3, [%r6+80]
  mov %r4, %r2
  add %r4, 1
  mov %r0, 2
  jgt %r4, %r3, out
  ldxb %r5, [%r2+0]
  rsh %r5, 4
  ldxw %r7, [%r6+16]
  jne %r7, 0x0008, v6
  jne %r5, 4, out
  stb [%r2+0], 0x46
  mov %r1, 1
  mov %r2, 0
  call 23
  ja out
v6:
  jne %r7, 0xdd86, out
  jne %r5, 6, out
  stb [%r2+0], 0x61
  mov %r0, 0
out:
  exit
`;

const frame = (i: number): Uint8Array => {
  const kind = i % 3;
  const p = Uint8Array.from({ length: 60 + ((i * 37) % 141) }, (_, k) => (k * 13 + i) & 0xff);
  p.set(kind === 0 ? [0x08, 0x00] : kind === 1 ? [0x86, 0xdd] : [0x08, 0x06], 12);
  // Every fifth IPv4 / IPv6 frame has the other version in its header: dropped.
  if (kind < 2) p[14] = (kind === 0) !== (i % 5 === 0) ? 0x45 : 0x60;
  return p;
};
const packets = Array.from({ length: 3000 }, (_, i) => frame(i));
const expected: Record<string, number> = {};
packets.forEach((_, i) => {
  const name = i % 3 === 2 || i % 5 === 0 ? "BPF_DROP" : i % 3 === 0 ? "BPF_REDIRECT" : "BPF_OK";
  expected[name] = (expected[name] ?? 0) + 1;
});

describe("lwt_xmit programs in the pool (2 workers)", () => {
  let machine: RuntimeMachine;
  let pool: CpuPool;
  const programs: Record<string, PoolProgram> = {};

  beforeAll(async () => {
    machine = createNodeMachine({ type: "lwt_xmit", shared: true, cpus: CPUS, corpusSize: corpusRegionSize(packets, CPUS) });
    pool = await CpuPool.create(machine);
    pool.loadCorpus(packets);
    const program = { insns: assemble(PROGRAM), name: "lwt_xmit_pool" };
    for (const engine of ["jit", "interpreter"] as const) programs[engine] = await pool.load(program, { engine });
  }, 120_000);
  afterAll(async () => pool?.close());

  for (const engine of ["jit", "interpreter"]) {
    it(`${engine}: every packet seen from its network header, verdicts as on one CPU`, async () => {
      const run = await pool.run(programs[engine]!, { workers: CPUS, chunk: 64 });
      expect(run.packets).toBe(packets.length);
      expect(Object.keys(expected).length).toBe(3);
      expect(run.verdicts, JSON.stringify(run.verdicts)).toEqual(expected);
    }, 60_000);
  }
});

describe("lwt_seg6local in the pool", () => {
  it("is refused: verified here, not run (the kernel cannot test-run it either)", async () => {
    const small = packets.slice(0, 4);
    const m = createNodeMachine({ type: "lwt_seg6local", shared: true, cpus: 1, corpusSize: corpusRegionSize(small, 1) });
    const run = async (): Promise<unknown> => {
      const p = await CpuPool.create(m);
      try {
        p.loadCorpus(small);
        return await p.run(await p.load({ insns: assemble("mov %r0, 0\nexit"), name: "seg6" }, { engine: "interpreter" }), { workers: 1 });
      } finally {
        await p.close();
      }
    };
    await expect(run()).rejects.toThrow(/lwt_seg6local programs are verified here but not run/);
  }, 60_000);
});
