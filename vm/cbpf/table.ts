// The classic opcodes Linux accepts (net/core/filter.c chk_code_allowed), each defined once:
// what it does (its kind) and how tcpdump -d writes it. The checker, the translator, the
// formatter and the test oracle all read this table.

import { CbpfAlu, CbpfClass, CbpfJmp, CbpfMisc, CbpfMode, CbpfRval, CbpfSize, CbpfSrc } from "./opcodes.js";

export type CbpfKind =
  | "alu" // A = A op (K | X)
  | "neg" // A = -A
  | "ld_abs" // A = packet[k] (or an extension when k is in the SKF_AD range)
  | "ld_ind" // A = packet[X + k]
  | "ld_len" // A = skb->len
  | "ld_imm" // A = k
  | "ld_mem" // A = M[k]
  | "ldx_len"
  | "ldx_imm"
  | "ldx_mem"
  | "ldx_msh" // X = 4 * (packet[k] & 0xf)
  | "st" // M[k] = A
  | "stx" // M[k] = X
  | "tax"
  | "txa"
  | "ret_k"
  | "ret_a"
  | "ja" // pc += k
  | "jcond"; // pc += (A op (K | X)) ? jt : jf

export type CbpfAluName = "add" | "sub" | "mul" | "div" | "mod" | "and" | "or" | "xor" | "lsh" | "rsh";
export type CbpfCondName = "jeq" | "jgt" | "jge" | "jset";

export interface CbpfDef {
  readonly kind: CbpfKind;
  readonly mnemonic: string;
  /** ALU and conditional jumps: the operation; loads: the access size in bytes. */
  readonly alu?: CbpfAluName;
  readonly cond?: CbpfCondName;
  readonly bytes?: 1 | 2 | 4;
  /** ALU and jumps: the operand is X (otherwise K). */
  readonly x?: boolean;
}

const TABLE = new Map<number, CbpfDef>();
const define = (code: number, def: CbpfDef): void => {
  if (TABLE.has(code)) throw new Error(`cBPF code 0x${code.toString(16)} defined twice`);
  TABLE.set(code, def);
};

const ALU: ReadonlyArray<[CbpfAluName, number]> = [
  ["add", CbpfAlu.ADD], ["sub", CbpfAlu.SUB], ["mul", CbpfAlu.MUL], ["div", CbpfAlu.DIV], ["mod", CbpfAlu.MOD],
  ["and", CbpfAlu.AND], ["or", CbpfAlu.OR], ["xor", CbpfAlu.XOR], ["lsh", CbpfAlu.LSH], ["rsh", CbpfAlu.RSH],
];
for (const [alu, op] of ALU) {
  define(CbpfClass.ALU | op | CbpfSrc.K, { kind: "alu", mnemonic: alu, alu, x: false });
  define(CbpfClass.ALU | op | CbpfSrc.X, { kind: "alu", mnemonic: alu, alu, x: true });
}
define(CbpfClass.ALU | CbpfAlu.NEG, { kind: "neg", mnemonic: "neg" });

const SIZES: ReadonlyArray<[number, 1 | 2 | 4, string]> = [
  [CbpfSize.W, 4, ""],
  [CbpfSize.H, 2, "h"],
  [CbpfSize.B, 1, "b"],
];
for (const [size, bytes, sfx] of SIZES) {
  define(CbpfClass.LD | size | CbpfMode.ABS, { kind: "ld_abs", mnemonic: `ld${sfx}`, bytes });
  define(CbpfClass.LD | size | CbpfMode.IND, { kind: "ld_ind", mnemonic: `ld${sfx}`, bytes });
}
define(CbpfClass.LD | CbpfSize.W | CbpfMode.LEN, { kind: "ld_len", mnemonic: "ld" });
define(CbpfClass.LD | CbpfMode.IMM, { kind: "ld_imm", mnemonic: "ld" });
define(CbpfClass.LD | CbpfMode.MEM, { kind: "ld_mem", mnemonic: "ld" });
define(CbpfClass.LDX | CbpfSize.W | CbpfMode.LEN, { kind: "ldx_len", mnemonic: "ldx" });
define(CbpfClass.LDX | CbpfSize.B | CbpfMode.MSH, { kind: "ldx_msh", mnemonic: "ldxb", bytes: 1 });
define(CbpfClass.LDX | CbpfMode.IMM, { kind: "ldx_imm", mnemonic: "ldx" });
define(CbpfClass.LDX | CbpfMode.MEM, { kind: "ldx_mem", mnemonic: "ldx" });
define(CbpfClass.ST, { kind: "st", mnemonic: "st" });
define(CbpfClass.STX, { kind: "stx", mnemonic: "stx" });
define(CbpfClass.MISC | CbpfMisc.TAX, { kind: "tax", mnemonic: "tax" });
define(CbpfClass.MISC | CbpfMisc.TXA, { kind: "txa", mnemonic: "txa" });
define(CbpfClass.RET | CbpfRval.K, { kind: "ret_k", mnemonic: "ret" });
define(CbpfClass.RET | CbpfRval.A, { kind: "ret_a", mnemonic: "ret" });
define(CbpfClass.JMP | CbpfJmp.JA, { kind: "ja", mnemonic: "ja" });
const CONDS: ReadonlyArray<[CbpfCondName, number]> = [["jeq", CbpfJmp.JEQ], ["jgt", CbpfJmp.JGT], ["jge", CbpfJmp.JGE], ["jset", CbpfJmp.JSET]];
for (const [cond, op] of CONDS) {
  define(CbpfClass.JMP | op | CbpfSrc.K, { kind: "jcond", mnemonic: cond, cond, x: false });
  define(CbpfClass.JMP | op | CbpfSrc.X, { kind: "jcond", mnemonic: cond, cond, x: true });
}

/** The definition of a classic opcode, or undefined if Linux does not accept it. */
export function describeCbpf(code: number): CbpfDef | undefined {
  return TABLE.get(code);
}

/** Every opcode Linux accepts (for tests and fuzzers). */
export function cbpfCodes(): number[] {
  return [...TABLE.keys()].sort((a, b) => a - b);
}
