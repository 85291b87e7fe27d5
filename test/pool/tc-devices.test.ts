// check_mtu and the tunnel helpers in the worker pool (2 workers; tc, and XDP through the JIT's
// packet driver; both engines): the machine's device table reaches the workers (describeMachine
// → attachMachine), and every packet starts without tunnel info even though the pool's packet
// loop does not clear the run record (ContextWriter.place clears the tunnel word for each skb).
// Needs an up-to-date `npm run build` (the workers run dist/).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { CpuPool, corpusRegionSize } from "../../vm/pool/index.js";
import type { PoolProgram } from "../../vm/pool/index.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import type { RuntimeMachine } from "../../vm/runtime/machine.js";

const CPUS = 2;
/** A device the program asks about by ifindex: MTU 100 (+ 14 bytes of Ethernet). */
const DEVICES = [{ ifindex: 1, mtu: 65536, name: "lo" }, { ifindex: 7, mtu: 100, name: "tun7" }];

/**
 * r0 = check_mtu(ifindex 7) (0 fits, 1 FRAG_NEEDED); 99 when a get before any set finds tunnel
 * info (a previous packet's), 98 when the set fails, 97 when the get after it does not read the
 * packet's length back as tunnel_id.
 */
const PROGRAM = `
  mov %r6, %r1
  stw [%r10-4], 0
  mov %r2, 7
  mov %r3, %r10
  add %r3, -4
  mov %r4, 0
  mov %r5, 0
  call 163
  mov %r7, %r0
  mov %r1, %r6
  mov %r2, %r10
  add %r2, -56
  mov %r3, 44
  mov %r4, 0
  call 20
  jne %r0, -22, stale
${Array.from({ length: 6 }, (_, i) => `  stdw [%r10-${104 - 8 * i}], 0`).join("\n")}
  ldxw %r1, [%r6+0]
  stxw [%r10-104], %r1
  stw [%r10-100], 0x0100000a
  mov %r1, %r6
  mov %r2, %r10
  add %r2, -104
  mov %r3, 44
  mov %r4, 0
  call 21
  jne %r0, 0, setfail
  mov %r1, %r6
  mov %r2, %r10
  add %r2, -56
  mov %r3, 44
  mov %r4, 0
  call 20
  jne %r0, 0, getfail
  ldxw %r1, [%r10-56]
  ldxw %r2, [%r6+0]
  jne %r1, %r2, getfail
  mov %r0, %r7
  exit
stale:
  mov %r0, 99
  exit
setfail:
  mov %r0, 98
  exit
getfail:
  mov %r0, 97
  exit
`;

const packets = Array.from({ length: 4000 }, (_, i) => {
  const p = new Uint8Array(60 + ((i * 37) % 140));
  p.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x88, 0xb5]);
  return p;
});
const tooBig = packets.filter((p) => p.length > 114).length;

describe("check_mtu and tunnel keys in the pool (tc, 2 workers)", () => {
  let machine: RuntimeMachine;
  let pool: CpuPool;
  const programs: Record<string, PoolProgram> = {};

  beforeAll(async () => {
    machine = createNodeMachine({ type: "sched_cls", shared: true, cpus: CPUS, devices: DEVICES, corpusSize: corpusRegionSize(packets, CPUS) });
    pool = await CpuPool.create(machine);
    pool.loadCorpus(packets);
    const program = { insns: assemble(PROGRAM), name: "tc_devices" };
    for (const engine of ["jit", "interpreter"] as const) programs[engine] = await pool.load(program, { engine });
  }, 120_000);
  afterAll(async () => pool?.close());

  for (const engine of ["jit", "interpreter"]) {
    it(`${engine}: the workers know device 7; each packet starts without tunnel info`, async () => {
      const run = await pool.run(programs[engine]!, { workers: CPUS, chunk: 64 });
      expect(run.packets).toBe(packets.length);
      // TC_ACT_OK (0) fits, TC_ACT_RECLASSIFY (1) is FRAG_NEEDED; nothing else.
      const values = Object.values(run.verdicts).reduce((a, b) => a + b, 0);
      expect(values).toBe(packets.length);
      expect(Object.keys(run.verdicts).length, JSON.stringify(run.verdicts)).toBe(2);
      expect(Math.min(...Object.values(run.verdicts))).toBe(Math.min(tooBig, packets.length - tooBig));
    }, 60_000);
  }
});

/** XDP: XDP_PASS (2) when the frame fits device 7's MTU, XDP_TX (3) when it does not; 0 if *mtu_len is not 100. */
const XDP_PROGRAM = `
  stw [%r10-4], 0
  mov %r2, 7
  mov %r3, %r10
  add %r3, -4
  mov %r4, 0
  mov %r5, 0
  call 163
  ldxw %r1, [%r10-4]
  jne %r1, 100, bad
  add %r0, 2
  exit
bad:
  mov %r0, 0
  exit
`;

describe("check_mtu in the pool (XDP, 2 workers: the JIT's packet driver and the interpreter's loop)", () => {
  let machine: RuntimeMachine;
  let pool: CpuPool;
  const programs: Record<string, PoolProgram> = {};

  beforeAll(async () => {
    machine = createNodeMachine({ type: "xdp", shared: true, cpus: CPUS, devices: DEVICES, corpusSize: corpusRegionSize(packets, CPUS) });
    pool = await CpuPool.create(machine);
    pool.loadCorpus(packets);
    const program = { insns: assemble(XDP_PROGRAM), name: "xdp_devices" };
    for (const engine of ["jit", "interpreter"] as const) programs[engine] = await pool.load(program, { engine });
  }, 120_000);
  afterAll(async () => pool?.close());

  for (const engine of ["jit", "interpreter"]) {
    it(`${engine}: frames over device 7's MTU are FRAG_NEEDED`, async () => {
      const run = await pool.run(programs[engine]!, { workers: CPUS, chunk: 64 });
      expect(run.verdicts).toEqual({ XDP_PASS: packets.length - tooBig, XDP_TX: tooBig });
    }, 60_000);
  }
});
