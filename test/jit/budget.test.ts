// The JIT's instruction budget (JitOptions.maxInsns): a program run without the verifier that
// loops forever stops with a fault naming the loop, as the interpreter's budget stops it, in
// every shape a loop can take — a loop, nested loops, loops across bpf-to-bpf calls and bpf_loop
// callbacks, irreducible flow (the dispatch loop) — and each run (each packet of a batch) starts
// with the whole budget.

import { describe, expect, it } from "vitest";
import { compile } from "../../jit/compile.js";
import { JitEngine } from "../../jit/engine.js";
import { baseHelpers } from "../../vm/helpers/index.js";
import { assemble } from "../../vm/asm/assembler.js";
import { BpfRuntimeError } from "../../vm/errors.js";
import { A, AluOp, JmpOp, load, makeMachine } from "./util.js";

const asm = (...lines: string[]) => assemble(lines.join("\n"));

async function outcome(lines: string[], maxInsns: number, args: bigint[] = []): Promise<bigint | BpfRuntimeError> {
  const { prog } = await load(asm(...lines), { maxInsns, args });
  try {
    return prog.run({ args });
  } catch (err) {
    if (err instanceof BpfRuntimeError) return err;
    throw err;
  } finally {
    prog.dispose();
  }
}

/** r0 = r1 iterations of a 3-instruction loop (header at insn 1). */
const COUNTED = ["mov %r0, 0", "loop:", "add %r0, 1", "jlt %r0, %r1, loop", "exit"];

describe("the JIT's instruction budget", () => {
  it("stops a loop that never ends, naming its first instruction", async () => {
    const err = await outcome(["mov %r0, 0", "loop:", "add %r0, 1", "ja loop", "exit"], 1_000_000);
    expect(err).toBeInstanceOf(BpfRuntimeError);
    expect((err as BpfRuntimeError).where.insn).toBe(1);
    expect((err as Error).message).toMatch(/^insn 1 \(add %r0, 1\): instruction budget exhausted: .* past 1000000 instructions/);
  });

  it("charges each iteration its loop's length: a run within the budget ends, one past it stops", async () => {
    // 1,000 iterations of a 2-slot loop (add, jlt) cost 2,000, plus one charge on entry.
    expect(await outcome(COUNTED, 2_002, [1000n])).toBe(1000n);
    expect(await outcome(COUNTED, 1_990, [1000n])).toBeInstanceOf(BpfRuntimeError);
  });

  it("the budget is shared across calls: a callee's loop spends the caller's budget", async () => {
    // main calls f (a 100-iteration loop) forever; f's own iterations alone never reach the budget.
    const lines = ["loop:", "mov %r1, 100", "call local f", "ja loop", "exit", "f:", "mov %r0, 0", "inner:", "add %r0, 1", "jlt %r0, %r1, inner", "exit"];
    const err = await outcome(lines, 100_000);
    expect(err).toBeInstanceOf(BpfRuntimeError);
    expect((err as Error).message).toMatch(/instruction budget exhausted/);
    // And a finite run of the same shape passes with room to spare.
    const finite = ["mov %r6, 0", "loop:", "mov %r1, 100", "call local f", "add %r6, 1", "jlt %r6, 10, loop", "mov %r0, %r6", "exit", "f:", "mov %r0, 0", "inner:", "add %r0, 1", "jlt %r0, %r1, inner", "exit"];
    expect(await outcome(finite, 100_000)).toBe(10n);
    expect(await outcome(finite, 1_000)).toBeInstanceOf(BpfRuntimeError);
  });

  it("a bpf_loop callback that never returns stops", async () => {
    const lines = ["mov %r1, 4", "lddw %r2, func cb", "mov %r3, 0", "mov %r4, 0", "call 181", "exit", "cb:", "mov %r0, 0", "spin:", "add %r0, 1", "ja spin", "exit"];
    expect(await outcome(lines, 1_000_000)).toBeInstanceOf(BpfRuntimeError);
  });

  it("irreducible flow (the dispatch loop) is counted too", async () => {
    // The loop 2..4 is entered in its middle (slot 3) from slot 1: a dispatch loop. It never ends.
    const prog = [
      A.mov64(0, 0), // 0
      A.jmp(JmpOp.JGT, 1, 10, 1), // 1: → 3
      A.alu64(AluOp.ADD, 0, 1), // 2: loop header: r0 += 1
      A.alu64(AluOp.ADD, 0, 2), // 3: r0 += 2
      A.ja(-3), // 4: → 2
      A.exit(),
    ];
    const { prog: p } = await load(prog, { maxInsns: 10_000 });
    expect(() => p.run({ args: [20n] })).toThrow(/instruction budget exhausted/);
  });

  it("each run, and each packet of a batch, starts with the whole budget", async () => {
    const machine = makeMachine();
    const prog = await new JitEngine({ maxInsns: 2_500 }).load({ insns: asm(...COUNTED), name: "counted" }, machine);
    for (let k = 0; k < 5; k++) expect(prog.run({ args: [1000n] })).toBe(1000n);
    prog.dispose();
    // A batch of the raw type: r2 = the descriptor's length, 1,000 iterations each, 4 packets.
    const batched = await new JitEngine({ maxInsns: 2_500 }).load({ insns: asm("mov %r0, 0", "loop:", "add %r0, 1", "jlt %r0, %r2, loop", "exit"), name: "batched" }, machine);
    const base = machine.layout.cpu(0).packetData;
    const view = new DataView(machine.memory.buffer);
    for (let k = 0; k < 4; k++) {
      view.setUint32(base + 8 * k, base, true);
      view.setUint32(base + 8 * k + 4, 1000, true);
    }
    batched.runBatch({ descAddr: base, count: 4, resultsAddr: base + 64 });
    expect(Array.from({ length: 4 }, (_, k) => view.getBigUint64(base + 64 + 8 * k, true))).toEqual([1000n, 1000n, 1000n, 1000n]);
    batched.dispose();
  });

  it("maxInsns: Infinity counts nothing (less code); other values are refused", async () => {
    const insns = asm(...COUNTED);
    const target = { pages: makeMachine().layout.pages, shared: false, helpers: baseHelpers() };
    const counted = await compile(insns, target, {});
    const free = await compile(insns, target, { maxInsns: Infinity });
    expect(free.binary.length).toBeLessThan(counted.binary.length);
    for (const bad of [0, -1, 1.5, NaN]) {
      await expect(compile(insns, target, { maxInsns: bad })).rejects.toThrow(/maxInsns must be a positive integer or Infinity/);
    }
  });
});
