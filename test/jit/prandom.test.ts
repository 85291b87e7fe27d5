// bpf_get_prandom_u32 on a machine (vm/helpers/random.ts): each CPU's xorshift64* state lives in
// its scratch area, the interpreter's helper and the JIT's inline code (jit/lower/prandom.ts)
// step the same state, so the engines draw the same numbers, CPU by CPU, run after run; a seed
// makes a machine's numbers the same each time.

import { describe, expect, it } from "vitest";
import type { JitProgram } from "../../jit/engine.js";
import { assemble } from "../../vm/asm/index.js";
import { getEngine } from "../../vm/engines.js";
import { PRANDOM_STATE, prandomStep, UNSEEDED_MUL } from "../../vm/helpers/random.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { load, makeRig } from "../helpers/harness.js";

const SOURCE = "call 7\nexit";

describe("get_prandom_u32 on a machine", () => {
  it("the interpreter and the JIT (inline, no helper import) step the same per-CPU state", async () => {
    const rig = makeRig("xdp", { cpus: 2 });
    const interp = await load(rig, SOURCE, "interpreter");
    const jit = (await load(rig, SOURCE, "jit")) as JitProgram;
    expect(jit.compiled.plan.helpers).not.toContain(7);
    const view = new DataView(rig.memory.buffer);
    const at = (cpu: number): number => rig.layout.cpu(cpu).scratch + PRANDOM_STATE;
    // A memory set up by hand: both CPUs start unseeded.
    expect([view.getBigUint64(at(0), true), view.getBigUint64(at(1), true)]).toEqual([0n, 0n]);
    const model = [UNSEEDED_MUL, (UNSEEDED_MUL * 2n) & ((1n << 64n) - 1n)];
    for (let k = 0; k < 300; k++) {
      const cpu = k % 2;
      const engine = k % 3 === 0 ? interp : jit;
      const { state, value } = prandomStep(model[cpu]!);
      model[cpu] = state;
      expect(engine.run({ cpu }), `draw ${k} on CPU ${cpu} (${engine === jit ? "JIT" : "interpreter"})`).toBe(value);
      expect(view.getBigUint64(at(cpu), true)).toBe(state);
    }
  });

  it("a seed gives a machine the same numbers each time; another seed, others; the bits are balanced", async () => {
    const draws = async (seed: number, engine: "interpreter" | "jit"): Promise<bigint[]> => {
      const machine = createNodeMachine({ type: "xdp", cpus: 2, prandomSeed: seed });
      const prog = await (await getEngine(engine)).load({ insns: assemble(SOURCE), name: "rnd" }, machine);
      const out = Array.from({ length: 2048 }, (_, k) => prog.run({ cpu: k % 2 }));
      prog.dispose();
      return out;
    };
    const a = await draws(7, "jit");
    expect(await draws(7, "interpreter")).toEqual(a);
    const b = await draws(8, "jit");
    expect(b.filter((v, k) => v === a[k]).length).toBeLessThan(3);
    for (let bit = 0n; bit < 32n; bit++) {
      const ones = a.filter((v) => (v >> bit) & 1n).length;
      expect(ones, `bit ${bit}`).toBeGreaterThan(a.length * 0.42);
      expect(ones, `bit ${bit}`).toBeLessThan(a.length * 0.58);
    }
    expect(a.every((v) => v >= 0n && v < 1n << 32n)).toBe(true);
  });
});
