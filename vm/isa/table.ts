// The opcode table: every instruction of RFC 9669 and of the Linux kernel (v1–v4), defined once.
// The interpreter, the JIT, the assembler and the disassembler all read their semantics from
// `describe()`, so an opcode cannot mean one thing to the interpreter and another to the JIT.
//
// Several opcodes are refined by other fields (RFC 9669 §4, §5): `off` selects sdiv/smod (1)
// and movsx (8/16/32); `imm` selects the byte-swap width and the atomic operation; `src`
// selects the call kind and the lddw pseudo source. `describe()` folds all of that into one
// `OpDef`; an encoding that is none of these returns undefined.

import { AluOp, Atomic, CallSrc, Cls, JmpOp, Mode, Size, Src, SIZE_BYTES } from "./opcodes.js";
import type { Insn } from "./instruction.js";

export type AluName =
  | "add" | "sub" | "mul" | "div" | "sdiv" | "or" | "and" | "lsh" | "rsh"
  | "mod" | "smod" | "xor" | "mov" | "arsh";

export type CondName =
  | "jeq" | "jgt" | "jge" | "jset" | "jne" | "jsgt" | "jsge" | "jlt" | "jle" | "jslt" | "jsle";

export type AtomicName = "add" | "or" | "and" | "xor" | "xchg" | "cmpxchg";

export type Bytes = 1 | 2 | 4 | 8;

/** What an instruction does, with everything the interpreter and JIT need to know. */
export type OpDef =
  | { kind: "alu"; mnemonic: string; op: AluName; wide: boolean; reg: boolean }
  | { kind: "neg"; mnemonic: string; wide: boolean }
  | { kind: "movsx"; mnemonic: string; wide: boolean; bits: 8 | 16 | 32 }
  | { kind: "end"; mnemonic: string; order: "le" | "be" | "swap"; bits: 16 | 32 | 64 }
  | { kind: "ja"; mnemonic: string; long: boolean }
  | { kind: "maygoto"; mnemonic: string }
  | { kind: "jcond"; mnemonic: string; cond: CondName; wide: boolean; reg: boolean }
  | { kind: "call"; mnemonic: string; target: "helper" | "local" | "kfunc" }
  | { kind: "callx"; mnemonic: string }
  | { kind: "exit"; mnemonic: string }
  | { kind: "lddw"; mnemonic: string; pseudo: number }
  | { kind: "ldpkt"; mnemonic: string; bytes: 1 | 2 | 4; ind: boolean }
  | { kind: "ldx"; mnemonic: string; bytes: Bytes; signed: boolean }
  | { kind: "st"; mnemonic: string; bytes: Bytes }
  | { kind: "stx"; mnemonic: string; bytes: Bytes }
  | { kind: "atomic"; mnemonic: string; aop: AtomicName; bytes: 4 | 8; fetch: boolean };

export type OpKind = OpDef["kind"];

const ALU_OPS: ReadonlyArray<[AluName, number]> = [
  ["add", AluOp.ADD], ["sub", AluOp.SUB], ["mul", AluOp.MUL], ["div", AluOp.DIV],
  ["or", AluOp.OR], ["and", AluOp.AND], ["lsh", AluOp.LSH], ["rsh", AluOp.RSH],
  ["mod", AluOp.MOD], ["xor", AluOp.XOR], ["mov", AluOp.MOV], ["arsh", AluOp.ARSH],
];

/** Signed variants selected by off=1 (RFC 9669 §4.1, kernel v6.6 "cpu=v4"). */
const SIGNED_VARIANT: Partial<Record<AluName, AluName>> = { div: "sdiv", mod: "smod" };

const JMP_CONDS: ReadonlyArray<[CondName, number]> = [
  ["jeq", JmpOp.JEQ], ["jgt", JmpOp.JGT], ["jge", JmpOp.JGE], ["jset", JmpOp.JSET],
  ["jne", JmpOp.JNE], ["jsgt", JmpOp.JSGT], ["jsge", JmpOp.JSGE], ["jlt", JmpOp.JLT],
  ["jle", JmpOp.JLE], ["jslt", JmpOp.JSLT], ["jsle", JmpOp.JSLE],
];

const ATOMIC_OPS: ReadonlyArray<[AtomicName, number]> = [
  ["add", Atomic.ADD], ["or", Atomic.OR], ["and", Atomic.AND], ["xor", Atomic.XOR],
];

const SIZE_SUFFIX: Record<Bytes, string> = { 1: "b", 2: "h", 4: "w", 8: "dw" };

/** Per opcode byte: a function of the refining fields (off, imm, src) → its definition. */
type Refine = (ins: Insn) => OpDef | undefined;
const TABLE: Array<Refine | undefined> = new Array(256);

function define(opcode: number, refine: Refine): void {
  if (TABLE[opcode]) throw new Error(`opcode 0x${opcode.toString(16)} defined twice`);
  TABLE[opcode] = refine;
}

const fixed = (def: OpDef): Refine => () => def;

// ALU and ALU64 (RFC 9669 §4.1).
for (const wide of [false, true]) {
  const klass = wide ? Cls.ALU64 : Cls.ALU;
  const suffix = wide ? "" : "32";
  for (const [name, code] of ALU_OPS) {
    for (const reg of [false, true]) {
      const plain: OpDef = { kind: "alu", mnemonic: name + suffix, op: name, wide, reg };
      const signed = SIGNED_VARIANT[name];
      const signedDef: OpDef | undefined = signed && { kind: "alu", mnemonic: signed + suffix, op: signed, wide, reg };
      const movsx = name === "mov" && reg;
      define(klass | code | (reg ? Src.X : Src.K), (ins) => {
        if (ins.off === 0) return plain;
        if (ins.off === 1 && signedDef) return signedDef;
        // MOVSX (RFC 9669 §4.1): off = source width; 32-bit form sign-extends 8/16 only.
        if (movsx && (ins.off === 8 || ins.off === 16 || (wide && ins.off === 32))) {
          const bits = ins.off as 8 | 16 | 32;
          return { kind: "movsx", mnemonic: `movsx${bits}${wide ? 64 : 32}`, wide, bits };
        }
        return undefined;
      });
    }
  }
  define(klass | AluOp.NEG, fixed({ kind: "neg", mnemonic: "neg" + suffix, wide }));
}

// Byte swaps (RFC 9669 §4.2): ALU|END with K = to little-endian, X = to big-endian;
// ALU64|END|K = unconditional bswap (v4).
const swapWidth = (ins: Insn): 16 | 32 | 64 | undefined =>
  ins.imm === 16 || ins.imm === 32 || ins.imm === 64 ? ins.imm : undefined;
for (const [opcode, order] of [
  [Cls.ALU | AluOp.END | Src.K, "le"],
  [Cls.ALU | AluOp.END | Src.X, "be"],
  [Cls.ALU64 | AluOp.END | Src.K, "swap"],
] as const) {
  define(opcode, (ins) => {
    const bits = swapWidth(ins);
    return bits && { kind: "end", mnemonic: `${order === "swap" ? "bswap" : order}${bits}`, order, bits };
  });
}

// JMP and JMP32 (RFC 9669 §4.3).
for (const wide of [false, true]) {
  const klass = wide ? Cls.JMP : Cls.JMP32;
  const suffix = wide ? "" : "32";
  for (const [cond, code] of JMP_CONDS) {
    for (const reg of [false, true]) {
      define(klass | code | (reg ? Src.X : Src.K), fixed({ kind: "jcond", mnemonic: cond + suffix, cond, wide, reg }));
    }
  }
}
define(Cls.JMP | JmpOp.JA, fixed({ kind: "ja", mnemonic: "ja", long: false }));
// JMP32|JA is `gotol`: the target offset is in imm, not off (RFC 9669 §4.3.1).
define(Cls.JMP32 | JmpOp.JA, fixed({ kind: "ja", mnemonic: "ja32", long: true }));
define(Cls.JMP | JmpOp.CALL | Src.K, (ins) => {
  switch (ins.src) {
    case CallSrc.HELPER: return { kind: "call", mnemonic: "call", target: "helper" };
    case CallSrc.LOCAL: return { kind: "call", mnemonic: "call", target: "local" };
    case CallSrc.KFUNC: return { kind: "call", mnemonic: "call", target: "kfunc" };
    default: return undefined;
  }
});
// may_goto (0xe5): jump once the frame's iteration budget is spent (MAY_GOTO_LOOPS). src names
// the BPF_JCOND kind (0 = may_goto, the only one); vm/program/reserved.ts refuses the others
// with the kernel's check_cond_jmp_op message.
define(Cls.JMP | JmpOp.JCOND | Src.K, fixed({ kind: "maygoto", mnemonic: "may_goto" }));
// callx (0x8d): call the helper whose id is in a register. LLVM encodes the register in dst.
define(Cls.JMP | JmpOp.CALL | Src.X, fixed({ kind: "callx", mnemonic: "callx" }));
define(Cls.JMP | JmpOp.EXIT, fixed({ kind: "exit", mnemonic: "exit" }));

// Loads and stores (RFC 9669 §5).
for (const sizeCode of [Size.B, Size.H, Size.W, Size.DW]) {
  const bytes = SIZE_BYTES[sizeCode >> 3] as Bytes;
  const sfx = SIZE_SUFFIX[bytes];
  define(Cls.LDX | Mode.MEM | sizeCode, fixed({ kind: "ldx", mnemonic: "ldx" + sfx, bytes, signed: false }));
  if (bytes !== 8) {
    define(Cls.LDX | Mode.MEMSX | sizeCode, fixed({ kind: "ldx", mnemonic: "ldxs" + sfx, bytes, signed: true }));
  }
  define(Cls.ST | Mode.MEM | sizeCode, fixed({ kind: "st", mnemonic: "st" + sfx, bytes }));
  define(Cls.STX | Mode.MEM | sizeCode, fixed({ kind: "stx", mnemonic: "stx" + sfx, bytes }));
  if (bytes === 4 || bytes === 8) {
    define(Cls.STX | Mode.ATOMIC | sizeCode, (ins) => atomicDef(ins.imm, bytes));
  }
  // Legacy packet loads LD_ABS / LD_IND (RFC 9669 §5.5; kernel: skb programs only).
  if (bytes !== 8) {
    define(Cls.LD | Mode.ABS | sizeCode, fixed({ kind: "ldpkt", mnemonic: "ldabs" + sfx, bytes, ind: false }));
    define(Cls.LD | Mode.IND | sizeCode, fixed({ kind: "ldpkt", mnemonic: "ldind" + sfx, bytes, ind: true }));
  }
}
define(Cls.LD | Mode.IMM | Size.DW, (ins) => (ins.src <= 6 ? { kind: "lddw", mnemonic: "lddw", pseudo: ins.src } : undefined));

function atomicDef(imm: number, bytes: 4 | 8): OpDef | undefined {
  const sfx = bytes === 4 ? "32" : "";
  if (imm === Atomic.XCHG) return { kind: "atomic", mnemonic: "xchg" + sfx, aop: "xchg", bytes, fetch: true };
  if (imm === Atomic.CMPXCHG) return { kind: "atomic", mnemonic: "cmpxchg" + sfx, aop: "cmpxchg", bytes, fetch: true };
  for (const [aop, code] of ATOMIC_OPS) {
    if ((imm & ~Atomic.FETCH) === code) {
      const fetch = (imm & Atomic.FETCH) !== 0;
      return { kind: "atomic", mnemonic: aop + sfx, aop, bytes, fetch };
    }
  }
  return undefined;
}

/** The definition of one instruction slot, or undefined if the encoding is not a valid opcode. */
export function describe(ins: Insn): OpDef | undefined {
  return TABLE[ins.opcode]?.(ins);
}

/**
 * Where a jump at slot i goes (RFC 9669 §4.3: relative to the next slot; `gotol` carries its
 * offset in imm), or undefined if the instruction is not a jump.
 */
export function jumpTarget(ins: Insn, def: OpDef, i: number): number | undefined {
  switch (def.kind) {
    case "ja": return i + 1 + (def.long ? ins.imm : ins.off);
    case "jcond":
    case "maygoto": return i + 1 + ins.off;
    default: return undefined;
  }
}

/** Every opcode byte the table knows (for tests and fuzzers). */
export function knownOpcodes(): number[] {
  return TABLE.flatMap((refine, code) => (refine ? [code] : []));
}
