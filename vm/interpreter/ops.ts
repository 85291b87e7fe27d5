// Handler numbers of the interpreter's dispatch loop (exec.ts), and the mapping from an
// instruction's OpDef (vm/isa/table.ts, the one opcode table) to its handler. Handlers are
// specialised by everything describe() knows statically — operation, width, register or
// immediate operand, access size — so the loop never re-decodes an opcode.
//
// The numbers are dense and written out because exec.ts uses them as literal case labels
// (see there); test/interpreter/dispatch.test.ts keeps the two in step.

import type { OpDef } from "../isa/table.js";

export const Op = {
  // ALU64, immediate operand (imm sign-extended to 64 bits).
  ADD64_K: 0, SUB64_K: 1, MUL64_K: 2, DIV64_K: 3, SDIV64_K: 4, OR64_K: 5, AND64_K: 6, LSH64_K: 7, RSH64_K: 8,
  MOD64_K: 9, SMOD64_K: 10, XOR64_K: 11, MOV64_K: 12, ARSH64_K: 13,
  // ALU64, register operand.
  ADD64_X: 14, SUB64_X: 15, MUL64_X: 16, DIV64_X: 17, SDIV64_X: 18, OR64_X: 19, AND64_X: 20, LSH64_X: 21, RSH64_X: 22,
  MOD64_X: 23, SMOD64_X: 24, XOR64_X: 25, MOV64_X: 26, ARSH64_X: 27,
  // ALU (32-bit; results are zero-extended).
  ADD32_K: 28, SUB32_K: 29, MUL32_K: 30, DIV32_K: 31, SDIV32_K: 32, OR32_K: 33, AND32_K: 34, LSH32_K: 35, RSH32_K: 36,
  MOD32_K: 37, SMOD32_K: 38, XOR32_K: 39, MOV32_K: 40, ARSH32_K: 41,
  ADD32_X: 42, SUB32_X: 43, MUL32_X: 44, DIV32_X: 45, SDIV32_X: 46, OR32_X: 47, AND32_X: 48, LSH32_X: 49, RSH32_X: 50,
  MOD32_X: 51, SMOD32_X: 52, XOR32_X: 53, MOV32_X: 54, ARSH32_X: 55,
  NEG64: 56, NEG32: 57,
  MOVSX64_8: 58, MOVSX64_16: 59, MOVSX64_32: 60, MOVSX32_8: 61, MOVSX32_16: 62,
  // Byte order: le16/le32 truncate, le64 does nothing, be*/bswap* swap (little-endian machine).
  ZEXT16: 63, ZEXT32: 64, NOP: 65, SWAP16: 66, SWAP32: 67, SWAP64: 68,
  // JMP (64-bit compare), immediate then register operand; then JMP32.
  JEQ_K: 69, JGT_K: 70, JGE_K: 71, JSET_K: 72, JNE_K: 73, JSGT_K: 74, JSGE_K: 75, JLT_K: 76, JLE_K: 77, JSLT_K: 78, JSLE_K: 79,
  JEQ_X: 80, JGT_X: 81, JGE_X: 82, JSET_X: 83, JNE_X: 84, JSGT_X: 85, JSGE_X: 86, JLT_X: 87, JLE_X: 88, JSLT_X: 89, JSLE_X: 90,
  JEQ32_K: 91, JGT32_K: 92, JGE32_K: 93, JSET32_K: 94, JNE32_K: 95, JSGT32_K: 96, JSGE32_K: 97, JLT32_K: 98, JLE32_K: 99, JSLT32_K: 100, JSLE32_K: 101,
  JEQ32_X: 102, JGT32_X: 103, JGE32_X: 104, JSET32_X: 105, JNE32_X: 106, JSGT32_X: 107, JSGE32_X: 108, JLT32_X: 109, JLE32_X: 110, JSLT32_X: 111, JSLE32_X: 112,
  JA: 113,
  CALL_HELPER: 114, CALL_LOCAL: 115, CALLX: 116, EXIT: 117,
  LDDW: 118,
  LDPKT: 119,
  LDXB: 120, LDXH: 121, LDXW: 122, LDXDW: 123, LDXSB: 124, LDXSH: 125, LDXSW: 126,
  STB: 127, STH: 128, STW: 129, STDW: 130,
  STXB: 131, STXH: 132, STXW: 133, STXDW: 134,
  ATOMIC: 135,
  // bpf_tail_call (`call 12` when the machine's helper 12 is vm/helpers/tailcall.ts's): a jump.
  TAIL_CALL: 136,
  // bpf_loop (`call 181` when the machine's helper 181 is vm/helpers/loop.ts's): the loop starts
  // at the call and goes on in LOOP_NEXT, the slot each callback returns to (loop.ts).
  LOOP: 137,
  LOOP_NEXT: 138,
  // bpf_for_each_map_elem (`call 164` when the machine's helper 164 is vm/helpers/for-each.ts's):
  // the walk starts at the call; its callbacks return to LOOP_NEXT too (for-each.ts).
  FOR_EACH: 139,
  // may_goto: jump when the frame's budget (RunState.mayGoto) is spent, else spend one.
  MAY_GOTO: 140,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

const ALU_ORDER = ["add", "sub", "mul", "div", "sdiv", "or", "and", "lsh", "rsh", "mod", "smod", "xor", "mov", "arsh"] as const;
const COND_ORDER = ["jeq", "jgt", "jge", "jset", "jne", "jsgt", "jsge", "jlt", "jle", "jslt", "jsle"] as const;
const SIZE_INDEX = { 1: 0, 2: 1, 4: 2, 8: 3 } as const;

/** The handler that executes an instruction described by `def`. */
export function opFor(def: OpDef): number {
  switch (def.kind) {
    case "alu": {
      const base = def.wide ? (def.reg ? Op.ADD64_X : Op.ADD64_K) : def.reg ? Op.ADD32_X : Op.ADD32_K;
      return base + ALU_ORDER.indexOf(def.op);
    }
    case "neg":
      return def.wide ? Op.NEG64 : Op.NEG32;
    case "movsx":
      if (def.wide) return def.bits === 8 ? Op.MOVSX64_8 : def.bits === 16 ? Op.MOVSX64_16 : Op.MOVSX64_32;
      return def.bits === 8 ? Op.MOVSX32_8 : Op.MOVSX32_16;
    case "end":
      // RFC 9669 §4.2: "le" converts to little-endian, a no-op on this (little-endian) machine
      // apart from truncating to the width; "be" and "bswap" reverse the bytes.
      if (def.order === "le") return def.bits === 16 ? Op.ZEXT16 : def.bits === 32 ? Op.ZEXT32 : Op.NOP;
      return def.bits === 16 ? Op.SWAP16 : def.bits === 32 ? Op.SWAP32 : Op.SWAP64;
    case "jcond": {
      const base = def.wide ? (def.reg ? Op.JEQ_X : Op.JEQ_K) : def.reg ? Op.JEQ32_X : Op.JEQ32_K;
      return base + COND_ORDER.indexOf(def.cond);
    }
    case "ja":
      return Op.JA;
    case "maygoto":
      return Op.MAY_GOTO;
    case "call":
      return def.target === "local" ? Op.CALL_LOCAL : Op.CALL_HELPER;
    case "callx":
      return Op.CALLX;
    case "exit":
      return Op.EXIT;
    case "lddw":
      return Op.LDDW;
    case "ldpkt":
      return Op.LDPKT;
    case "ldx":
      return (def.signed ? Op.LDXSB : Op.LDXB) + SIZE_INDEX[def.bytes];
    case "st":
      return Op.STB + SIZE_INDEX[def.bytes];
    case "stx":
      return Op.STXB + SIZE_INDEX[def.bytes];
    case "atomic":
      return Op.ATOMIC;
  }
}
