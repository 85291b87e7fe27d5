// bpf_spin_lock / bpf_spin_unlock on one CPU, every engine and JIT build: the lock word is taken
// during the section and free after it, the section's effects land, and the JIT's inline fast
// path (jit/lower/spin-lock.ts) agrees with the interpreter's helper at every builder and level
// (Binaryen validating the module). An address no lock can be at (an unverified program) is
// refused on both engines with the helper's error.

import { describe, expect, it } from "vitest";
import { JitEngine } from "../../jit/engine.js";
import { assemble } from "../../vm/asm/index.js";
import { getEngine } from "../../vm/engines.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import type { Engine } from "../../vm/engine.js";

/** Value: u64 counter at 0, the lock at 8; the section adds 1 to the counter. */
const PROGRAM = `
  stw [%r10-4], 0
  mov %r2, %r10
  add %r2, -4
  lddw %r1, map_fd 0
  call 1
  jne %r0, 0, +2
  mov %r0, 0
  exit
  mov %r6, %r0
  mov %r1, %r6
  add %r1, 8
  call 93
  ldxdw %r2, [%r6+0]
  add %r2, 1
  stxdw [%r6+0], %r2
  mov %r1, %r6
  add %r1, 8
  call 94
  mov %r0, 2
  exit`;

function machine() {
  return createNodeMachine({ type: "xdp", maps: [{ name: "v", type: "array", keySize: 4, valueSize: 16, maxEntries: 1, spinLock: 8 }] });
}

async function run(engine: Engine, insns = assemble(PROGRAM), packets = 10) {
  const m = machine();
  const runner = new PacketRunner(m, await engine.load({ insns, name: "lock" }, m));
  try {
    const out = runner.runBatch(Array.from({ length: packets }, () => new Uint8Array(64)), { results: true });
    const map = m.maps.keyed("v");
    const at = map.descriptor.values;
    const dv = new DataView(m.memory.buffer);
    return { verdicts: out.results!.map((r) => r.verdict), counter: dv.getBigUint64(at, true), lockWord: dv.getUint32(at + 8, true) };
  } finally {
    runner.dispose();
  }
}

const ENGINES: Array<[string, () => Promise<Engine>]> = [
  ["interpreter", () => getEngine("interpreter")],
  ["jit", () => getEngine("jit")],
  ...([{ opt: 1 }, { opt: 3 }, { backend: "binaryen" }] as const).map((o): [string, () => Promise<Engine>] => [`jit ${JSON.stringify(o)}`, async () => new JitEngine({ ...o, validate: true })]),
];

describe("bpf_spin_lock on one CPU", () => {
  for (const [name, make] of ENGINES) {
    it(`${name}: the section runs under the lock and leaves it free`, async () => {
      const r = await run(await make());
      expect(r.verdicts).toEqual(Array(10).fill("XDP_PASS"));
      expect(r.counter).toBe(10n);
      expect(r.lockWord).toBe(0);
    });
  }

  for (const name of ["interpreter", "jit"] as const) {
    it(`${name}: an unverified lock at the null page is refused with a clear error`, async () => {
      const insns = assemble(`
        mov %r1, 16
        call 93
        mov %r0, 2
        exit`);
      const m = machine();
      const engine = await getEngine(name);
      const prog = await engine.load({ insns, name: "bad" }, m);
      const runner = new PacketRunner(m, prog);
      try {
        expect(() => runner.runBatch([new Uint8Array(64)])).toThrow(/bpf_spin_lock: R1 \(0x10\) is not a 4-byte aligned struct bpf_spin_lock/);
      } finally {
        runner.dispose();
      }
    });
  }
});
