// The structured control-flow lowering (jit/structure.ts): which plan a CFG gets, and that
// programs of every shape — nested and crossing loops, irreducible flow, deep nesting, very large
// programs — run exactly as on the interpreter.

import { describe, expect, it } from "vitest";
import { planStructure } from "../../jit/structure.js";
import { compile } from "../../jit/compile.js";
import { synthetic } from "../../bench/micro/jit-programs.js";
import { baseHelpers } from "../../vm/helpers/index.js";
import type { Insn } from "../../vm/isa/instruction.js";
import { A, AluOp, both, JmpOp, makeMachine, run } from "./util.js";

/** planStructure of `count` blocks with these [from, to] jumps (each block ends in at most one). */
function plan(count: number, edges: Array<[number, number]>): ReturnType<typeof planStructure> {
  const jumps = new Int32Array(count).fill(-1);
  for (const [from, to] of edges) jumps[from] = to;
  return planStructure(count, jumps);
}

describe("planStructure", () => {
  it("straight-line code and forward jumps are structured", () => {
    expect(plan(4, [[0, 2], [1, 3]]).mode).toBe("structured");
  });
  it("a back edge makes a loop: the jump re-enters it by label", () => {
    const p = plan(3, [[1, 0], [2, 1]]);
    expect(p.mode).toBe("structured");
    expect(p.edge(2, 1)).toEqual({ kind: "br", label: "l1" });
    expect(p.edge(0, 2)).toEqual({ kind: "br", label: "b2" });
    expect(p.edge(0, 1)).toEqual({ kind: "fall" });
  });
  it("crossing loops are merged, not refused", () => {
    // loop A: 1..3, loop B: 2..5 (B's header inside A, its end after A's)
    expect(plan(7, [[3, 1], [5, 2]]).mode).toBe("structured");
  });
  it("a jump into the middle of a loop from before it is irreducible: dispatch loop", () => {
    // 0 → 2 jumps into the loop 1..3 past its header 1.
    const p = plan(5, [[0, 2], [3, 1]]);
    expect(p.mode).toBe("dispatch");
    expect(p.edge(3, 1)).toEqual({ kind: "dispatch", label: "dispatch", pc: 1 });
    expect(p.edge(0, 2)).toEqual({ kind: "br", label: "b2" });
  });
});

/** Sum of r1 down to 1 with the loop entered in the middle (irreducible in program order). */
const IRREDUCIBLE: Insn[] = [
  A.mov64(0, 0), // 0
  A.jmp(JmpOp.JGT, 1, 10, 2), // 1: if r1 > 10 enter at the loop's second half (slot 4)
  A.alu64(AluOp.ADD, 0, 1000), // 2: loop head: r0 += 1000
  A.alu64r(AluOp.ADD, 0, 1), // 3:             r0 += r1
  A.alu64(AluOp.SUB, 1, 1), // 4:              r1 -= 1
  A.jmp(JmpOp.JNE, 1, 0, -4), // 5: back to 2
  A.exit(), // 6
];

describe("control flow runs as on the interpreter", () => {
  it("an irreducible loop (dispatch mode)", async () => {
    // (r1 = 0 would loop 2^64 times: both engines would stop at their instruction budget.)
    for (const [interp, jit] of await both(IRREDUCIBLE, [[1n], [5n], [10n], [11n], [40n]])) expect(jit).toBe(interp);
  });

  it("nested loops with several back edges and early exits", async () => {
    const prog: Insn[] = [
      A.mov64(0, 0), A.mov64(2, 0), // 0,1
      A.mov64(3, 0), // 2: outer head
      A.alu64r(AluOp.ADD, 0, 3), // 3: inner head
      A.alu64(AluOp.ADD, 3, 1), // 4
      A.jmp(JmpOp.JEQ, 3, 3, 2), // 5: skip the `continue` on 3
      A.jmp(JmpOp.JLT, 3, 5, -4), // 6: inner back edge → 3
      A.ja(1), // 7
      A.jmp(JmpOp.JLT, 3, 6, -6), // 8: second back edge to the inner head → 3
      A.alu64(AluOp.ADD, 2, 1), // 9
      A.jmp(JmpOp.JGT, 0, 200, 1), // 10: early exit
      A.jmpr(JmpOp.JLT, 2, 1, -10), // 11: outer back edge → 2
      A.exit(), // 12
    ];
    for (const [interp, jit] of await both(prog, [[0n], [1n], [3n], [9n], [100n]])) expect(jit).toBe(interp);
  });

  it("a chain of 10,000 nested forward jumps (deep block nesting)", async () => {
    const n = 10_000; // jump offsets are 16-bit
    const prog: Insn[] = [A.mov64(0, 0)];
    // Each jump skips to the very end region: all blocks are open at once.
    for (let k = 0; k < n; k++) prog.push(A.jmp(JmpOp.JEQ, 1, k, 2 * (n - k) - 1));
    for (let k = 0; k < n; k++) prog.push(A.alu64(AluOp.ADD, 0, 1), A.exit());
    prog.push(A.exit());
    for (const [interp, jit] of await both(prog, [[0n], [7n], [9_999n], [50_000n]])) expect(jit).toBe(interp);
  });

  it("2,000 nested loops", async () => {
    const n = 2_000;
    const prog: Insn[] = [A.mov64(0, 0)];
    for (let k = 0; k < n; k++) prog.push(A.alu64(AluOp.ADD, 0, 1));
    // Innermost first: each back edge goes to an earlier header, so loops nest.
    // Jump k sits at slot n + 1 + 2k and goes back to add n - k: loop k encloses loop k - 1.
    for (let k = 0; k < n; k++) prog.push(A.jmp(JmpOp.JLT, 0, 3 * n, -3 * k - 2), A.alu64(AluOp.ADD, 0, 0));
    prog.push(A.exit());
    for (const [interp, jit] of await both(prog, [[0n]])) expect(jit).toBe(interp);
  });

  it("a 100,000-instruction program compiles and agrees with the interpreter", async () => {
    const prog = synthetic(100_000, 7);
    const machine = makeMachine();
    const c = await compile(prog, { pages: machine.layout.pages, shared: false, helpers: baseHelpers() });
    expect(c.stats.insns).toBe(100_000);
    for (const [interp, jit] of await both(prog, [[1n], [12345n]], { machine })) expect(jit).toBe(interp);
  }, 60_000);

  it("an irreducible program also compiles at opt 2 and through the Binaryen IR builder", async () => {
    expect(await run(IRREDUCIBLE, { args: [40n], opt: 2 })).toBe(await run(IRREDUCIBLE, { args: [40n] }));
    expect(await run(IRREDUCIBLE, { args: [40n], backend: "binaryen" })).toBe(await run(IRREDUCIBLE, { args: [40n] }));
  });

  it("random control flow — any jump to any block, irreducible included — agrees with the interpreter", async () => {
    // The differential fuzzer (vm/fuzz) writes structured programs only; these jump anywhere.
    const machine = makeMachine();
    const target = { pages: machine.layout.pages, shared: false, helpers: baseHelpers() };
    const random = rng(2026);
    const modes = { structured: 0, dispatch: 0 };
    for (let k = 0; k < 400; k++) {
      const prog = randomFlow(random);
      modes[(await compile(prog, target)).stats.dispatchFunctions > 0 ? "dispatch" : "structured"]++;
      const [[interp, jit]] = await both(prog, [[BigInt(k)]], { machine });
      expect(jit, `program ${k}`).toEqual(interp);
    }
    // Both plans were exercised (a jump into a loop past its header makes the dispatch loop).
    expect(modes.dispatch).toBeGreaterThan(50);
    expect(modes.structured).toBeGreaterThan(50);
  }, 60_000);
});

/** A small deterministic PRNG (LCG): a value in [0, n). */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0;
  return (n) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return Math.floor((x / 4294967296) * n);
  };
}

const ALU_OPS = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.OR, AluOp.AND, AluOp.XOR, AluOp.MOV, AluOp.LSH, AluOp.RSH, AluOp.ARSH];
const CONDS = [JmpOp.JEQ, JmpOp.JNE, JmpOp.JGT, JmpOp.JGE, JmpOp.JLT, JmpOp.JLE, JmpOp.JSGT, JmpOp.JSGE, JmpOp.JSLT, JmpOp.JSLE, JmpOp.JSET];

/**
 * r2..r8 set from r1 (the argument) and constants, then units that are an ALU instruction or a
 * conditional jump to the start of any unit. Every jump is preceded by `r9 -= 1; if r9 s< 0
 * goto exit`, so every cycle passes a decrement of r9 (30 at entry) and the program ends.
 */
function randomFlow(random: (n: number) => number): Insn[] {
  const prog: Insn[] = [A.mov64(0, 0), A.mov64(9, 30)];
  for (let r = 2; r <= 8; r++) prog.push(A.alu64r(AluOp.MOV, r, 1), A.alu64(AluOp.ADD, r, random(2000) - 1000));
  const kinds = Array.from({ length: 6 + random(30) }, () => (random(3) === 0 ? "jump" : "alu"));
  const starts: number[] = [];
  let pc = prog.length;
  for (const kind of kinds) {
    starts.push(pc);
    pc += kind === "jump" ? 3 : 1;
  }
  const exitAt = pc;
  for (const kind of kinds) {
    const at = prog.length;
    const [a, b] = [random(9), random(9)];
    const wide = random(4) !== 0;
    if (kind === "alu") {
      const op = ALU_OPS[random(ALU_OPS.length)]!;
      const shift = op === AluOp.LSH || op === AluOp.RSH || op === AluOp.ARSH;
      const imm = shift ? random(32) : random(2000) - 1000;
      if (random(2) === 0) prog.push(wide ? A.alu64r(op, a, b) : A.alu32r(op, a, b));
      else prog.push(wide ? A.alu64(op, a, imm) : A.alu32(op, a, imm));
      continue;
    }
    prog.push(A.alu64(AluOp.SUB, 9, 1), A.jmp(JmpOp.JSLT, 9, 0, exitAt - (at + 2)));
    const to = starts[random(starts.length)]! - (at + 3);
    const cond = CONDS[random(CONDS.length)]!;
    prog.push(random(2) === 0 ? A.jmpr(cond, a, b, to) : A.jmp(cond, a, random(200) - 100, to));
  }
  prog.push(A.exit());
  return prog;
}
