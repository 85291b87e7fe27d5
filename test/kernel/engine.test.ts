import { describe, expect, it } from "vitest";
import { AluOp, Cls, JmpOp, Mode, Size, Src, CallSrc } from "../../vm/isa/opcodes.js";
import { insn, type Insn } from "../../vm/isa/instruction.js";
import { Layout } from "../../vm/memory/layout.js";
import { baseHelpers } from "../../vm/helpers/index.js";
import type { Machine, Region } from "../../vm/engine.js";
import { KernelError, kernelEngine } from "../../vm/node/kernel/engine.js";
import { WRAPPER_LENGTH } from "../../vm/node/kernel/wrap.js";
import { kernelAvailability } from "./available.js";

const status = kernelAvailability();

const alu64 = (op: number, dst: number, imm: number, off = 0): Insn => insn(Cls.ALU64 | op | Src.K, dst, 0, off, imm);
const alu64x = (op: number, dst: number, src: number, off = 0): Insn => insn(Cls.ALU64 | op | Src.X, dst, src, off);
const alu32x = (op: number, dst: number, src: number, off = 0): Insn => insn(Cls.ALU | op | Src.X, dst, src, off);
const lddw = (dst: number, value: bigint): Insn[] => [
  insn(Cls.LD | Mode.IMM | Size.DW, dst, 0, 0, Number(BigInt.asIntN(32, value))),
  insn(0, 0, 0, 0, Number(BigInt.asIntN(32, value >> 32n))),
];
const exit = (): Insn => insn(Cls.JMP | JmpOp.EXIT);

function machine(): Machine {
  const layout = new Layout({ cpus: 1, packetMax: 4096 });
  return { layout, memory: layout.createMemory(), helpers: baseHelpers() };
}

function inputRegion(m: Machine, bytes: Uint8Array): Region {
  const start = m.layout.cpu(0).packetData;
  new Uint8Array(m.memory.buffer, start, bytes.length).set(bytes);
  return { start, end: start + bytes.length, writable: true, name: "input" };
}

describe.skipIf(!status.ok)("kernel engine (conformance programs as XDP subprograms)", () => {
  const engine = kernelEngine();

  it("passes r1 = memory, r2..r5 as given, and returns all 64 bits of r0", async () => {
    const m = machine();
    const region = inputRegion(m, new Uint8Array([0xef, 0xcd, 0xab, 0x90, 0x78, 0x56, 0x34, 0x12]));
    // r0 = *(u64 *)(r1 + 0) ^ r5
    const prog = await engine.load({ insns: [insn(Cls.LDX | Mode.MEM | Size.DW, 0, 1, 0), alu64x(AluOp.XOR, 0, 5), exit()], name: "xor" }, m);
    try {
      const r0 = prog.run({ args: [BigInt(region.start), 8n, 0n, 0n, 0xff00000000000000n], regions: [region] });
      expect(r0).toBe(0xed34567890abcdefn);
    } finally {
      prog.dispose();
    }
  });

  it("writes the program's memory stores back into the machine's memory", async () => {
    const m = machine();
    const region = inputRegion(m, new Uint8Array(16));
    const prog = await engine.load(
      { insns: [insn(Cls.ST | Mode.MEM | Size.W, 1, 0, 4, 0x11223344), insn(Cls.STX | Mode.MEM | Size.DW, 1, 2, 8), alu64(AluOp.MOV, 0, 0), exit()] },
      m,
    );
    try {
      prog.run({ args: [BigInt(region.start), 0xaabbn], regions: [region] });
      const after = new Uint8Array(m.memory.buffer, region.start, 16);
      expect([...after]).toEqual([0, 0, 0, 0, 0x44, 0x33, 0x22, 0x11, 0xbb, 0xaa, 0, 0, 0, 0, 0, 0]);
    } finally {
      prog.dispose();
    }
  });

  it("gives the body the full 512-byte stack and bpf-to-bpf calls", async () => {
    const m = machine();
    const insns: Insn[] = [
      insn(Cls.ST | Mode.MEM | Size.DW, 10, 0, -512, 7), // the deepest slot of frame 0
      alu64(AluOp.MOV, 1, 5),
      insn(Cls.JMP | JmpOp.CALL, 0, CallSrc.LOCAL, 0, 3), // call sub (insn 6)
      insn(Cls.LDX | Mode.MEM | Size.DW, 2, 10, -512),
      alu64x(AluOp.ADD, 0, 2),
      exit(),
      // sub: r0 = r1 * 3
      alu64x(AluOp.MOV, 0, 1),
      alu64(AluOp.MUL, 0, 3),
      exit(),
    ];
    const prog = await engine.load({ insns }, m);
    try {
      expect(prog.run({ args: [0n] })).toBe(22n);
    } finally {
      prog.dispose();
    }
  });

  it("answers with the kernel's semantics for the corner cases (division by zero, INT_MIN / -1, movsx)", async () => {
    const m = machine();
    const cases: Array<[string, Insn[], bigint]> = [
      ["div by zero is 0", [alu64(AluOp.MOV, 0, 7), alu64(AluOp.MOV, 1, 0), alu64x(AluOp.DIV, 0, 1)], 0n],
      ["mod by zero leaves dst", [alu64(AluOp.MOV, 0, 7), alu64(AluOp.MOV, 1, 0), alu64x(AluOp.MOD, 0, 1)], 7n],
      ["mod32 by zero zero-extends", [alu64(AluOp.MOV, 0, -1), alu64(AluOp.MOV, 1, 0), alu32x(AluOp.MOD, 0, 1)], 0xffffffffn],
      ["sdiv INT64_MIN / -1", [...lddw(0, 0x8000000000000000n), alu64(AluOp.MOV, 1, -1), alu64x(AluOp.DIV, 0, 1, 1)], 0x8000000000000000n],
      ["smod INT64_MIN % -1", [...lddw(0, 0x8000000000000000n), alu64(AluOp.MOV, 1, -1), alu64x(AluOp.MOD, 0, 1, 1)], 0n],
      ["lsh by 65 masks to 1", [alu64(AluOp.MOV, 0, 1), alu64(AluOp.MOV, 1, 65), alu64x(AluOp.LSH, 0, 1)], 2n],
      ["movsx8 64", [alu64(AluOp.MOV, 1, 0x80), alu64x(AluOp.MOV, 0, 1, 8)], 0xffffffffffffff80n],
    ];
    for (const [what, body, expected] of cases) {
      const prog = await engine.load({ insns: [...body, exit()], name: what }, m);
      try {
        expect(prog.run({}), what).toBe(expected);
      } finally {
        prog.dispose();
      }
    }
  });

  it("reports a refusal at the program's own instruction index", async () => {
    const m = machine();
    let error: unknown;
    try {
      (await engine.load({ insns: [alu64(AluOp.MOV, 0, 0), alu64x(AluOp.ADD, 0, 8), exit()], name: "uninit" }, m)).dispose();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KernelError);
    expect((error as KernelError).where.insn).toBe(1);
    expect((error as KernelError).message).toContain(`at insn 1 (verifier log numbers instructions from the XDP wrapper: subtract ${WRAPPER_LENGTH})`);
  });

  it("times runs with the kernel's own clock", async () => {
    const m = machine();
    const prog = await engine.load({ insns: [alu64(AluOp.MOV, 0, 1), exit()] }, m);
    try {
      const timed = prog.runTimed({}, 1000);
      expect(timed.r0).toBe(1n);
      expect(timed.ns).toBeGreaterThan(0);
    } finally {
      prog.dispose();
    }
  });
});
