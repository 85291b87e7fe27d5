// Test helpers for the JIT unit tests: a machine, instruction builders (until the assembler is
// everywhere) and a one-call "compile and run".

import { JitEngine, type JitProgram } from "../../jit/engine.js";
import type { JitOptions } from "../../jit/compile.js";
import type { Machine } from "../../vm/engine.js";
import { baseHelpers, HelperTable } from "../../vm/helpers/index.js";
import type { HelperDef } from "../../vm/helpers/registry.js";
import { insn, type Insn } from "../../vm/isa/instruction.js";
import { AluOp, Atomic, CallSrc, Cls, JmpOp, Mode, Size, Src } from "../../vm/isa/opcodes.js";
import { Layout } from "../../vm/memory/layout.js";
import { Interpreter } from "../../vm/interpreter/engine.js";
import { BpfError } from "../../vm/errors.js";
import type { Region } from "../../vm/engine.js";

export function makeMachine(options: { shared?: boolean; helpers?: HelperDef[]; cpus?: number } = {}): Machine {
  const layout = new Layout({ cpus: options.cpus ?? 1, packetMax: 4096, mapsSize: 1 << 16 });
  const helpers = baseHelpers();
  for (const h of options.helpers ?? []) helpers.add(h);
  return { memory: layout.createMemory(options.shared ?? false), layout, helpers: helpers as HelperTable };
}

export interface RunOptions extends JitOptions {
  args?: bigint[];
  /** Input bytes copied to CPU 0's packet slot; r1 = address, r2 = length (unless args given). */
  mem?: Uint8Array;
  machine?: Machine;
}

export async function load(insns: Insn[], options: RunOptions = {}): Promise<{ prog: JitProgram; machine: Machine; addr: number }> {
  const machine = options.machine ?? makeMachine();
  const addr = machine.layout.cpu(0).packetData;
  if (options.mem) new Uint8Array(machine.memory.buffer).set(options.mem, addr);
  const prog = await new JitEngine({ validate: true, ...options }).load({ insns, name: "test" }, machine);
  return { prog, machine, addr };
}

/** Compile with Binaryen validation on and run once; returns r0 (unsigned). */
export async function run(insns: Insn[], options: RunOptions = {}): Promise<bigint> {
  const { prog, addr } = await load(insns, options);
  const args = options.args ?? (options.mem ? [BigInt(addr), BigInt(options.mem.length)] : []);
  try {
    return prog.run({ args });
  } finally {
    prog.dispose();
  }
}

export const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/** r0 or the error message (prefixed "error: "), for comparing engines. */
export type Outcome = string;

const outcome = (fn: () => bigint): Outcome => {
  try {
    return "0x" + fn().toString(16);
  } catch (err) {
    if (err instanceof BpfError) return "error: " + err.message;
    throw err;
  }
};

/**
 * Load `insns` on both the interpreter (the oracle) and the JIT and run each arg vector on both.
 * Returns [interpreter, jit] outcomes per run. Regions let the interpreter accept accesses the
 * test makes outside the stack.
 */
export async function both(
  insns: Insn[],
  argSets: bigint[][],
  options: JitOptions & { regions?: Region[]; machine?: Machine } = {},
): Promise<Array<[Outcome, Outcome]>> {
  const machine = options.machine ?? makeMachine();
  const interp = new Interpreter().loadSync({ insns, name: "test" }, machine);
  const jit = await new JitEngine(options).load({ insns, name: "test" }, machine);
  try {
    return argSets.map((args) => [
      outcome(() => interp.run({ args, regions: options.regions })),
      outcome(() => jit.run({ args })),
    ]);
  } finally {
    jit.dispose();
    interp.dispose();
  }
}

// Instruction builders, named as in the assembler.
const alu = (wide: boolean, op: number, reg: boolean) => (dst: number, srcOrImm: number, off = 0): Insn =>
  reg
    ? insn((wide ? Cls.ALU64 : Cls.ALU) | op | Src.X, dst, srcOrImm, off, 0)
    : insn((wide ? Cls.ALU64 : Cls.ALU) | op | Src.K, dst, 0, off, srcOrImm);

export const A = {
  alu64: (op: number, dst: number, imm: number, off = 0) => alu(true, op, false)(dst, imm, off),
  alu64r: (op: number, dst: number, src: number, off = 0) => alu(true, op, true)(dst, src, off),
  alu32: (op: number, dst: number, imm: number, off = 0) => alu(false, op, false)(dst, imm, off),
  alu32r: (op: number, dst: number, src: number, off = 0) => alu(false, op, true)(dst, src, off),
  mov64: (dst: number, imm: number) => alu(true, AluOp.MOV, false)(dst, imm),
  mov64r: (dst: number, src: number) => alu(true, AluOp.MOV, true)(dst, src),
  mov32: (dst: number, imm: number) => alu(false, AluOp.MOV, false)(dst, imm),
  lddw: (dst: number, v: bigint): Insn[] => [
    insn(Cls.LD | Mode.IMM | Size.DW, dst, 0, 0, Number(BigInt.asIntN(32, v))),
    insn(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n))),
  ],
  exit: () => insn(Cls.JMP | JmpOp.EXIT),
  ja: (off: number) => insn(Cls.JMP | JmpOp.JA, 0, 0, off),
  gotol: (imm: number) => insn(Cls.JMP32 | JmpOp.JA, 0, 0, 0, imm),
  jmp: (op: number, dst: number, imm: number, off: number) => insn(Cls.JMP | op | Src.K, dst, 0, off, imm),
  jmpr: (op: number, dst: number, src: number, off: number) => insn(Cls.JMP | op | Src.X, dst, src, off, 0),
  jmp32: (op: number, dst: number, imm: number, off: number) => insn(Cls.JMP32 | op | Src.K, dst, 0, off, imm),
  jmp32r: (op: number, dst: number, src: number, off: number) => insn(Cls.JMP32 | op | Src.X, dst, src, off, 0),
  call: (id: number) => insn(Cls.JMP | JmpOp.CALL, 0, CallSrc.HELPER, 0, id),
  callLocal: (rel: number) => insn(Cls.JMP | JmpOp.CALL, 0, CallSrc.LOCAL, 0, rel),
  callx: (reg: number) => insn(Cls.JMP | JmpOp.CALL | Src.X, reg),
  ldx: (size: number, dst: number, src: number, off: number) => insn(Cls.LDX | Mode.MEM | size, dst, src, off),
  ldxs: (size: number, dst: number, src: number, off: number) => insn(Cls.LDX | Mode.MEMSX | size, dst, src, off),
  stx: (size: number, dst: number, src: number, off: number) => insn(Cls.STX | Mode.MEM | size, dst, src, off),
  st: (size: number, dst: number, off: number, imm: number) => insn(Cls.ST | Mode.MEM | size, dst, 0, off, imm),
  atomic: (size: number, dst: number, src: number, off: number, op: number) =>
    insn(Cls.STX | Mode.ATOMIC | size, dst, src, off, op),
  end: (order: "le" | "be" | "swap", dst: number, bits: 16 | 32 | 64) =>
    insn((order === "swap" ? Cls.ALU64 : Cls.ALU) | AluOp.END | (order === "be" ? Src.X : Src.K), dst, 0, 0, bits),
  ldabs: (size: number, imm: number) => insn(Cls.LD | Mode.ABS | size, 0, 0, 0, imm),
  ldind: (size: number, src: number, imm: number) => insn(Cls.LD | Mode.IND | size, 0, src, 0, imm),
};

export { AluOp, Atomic, JmpOp, Size };
