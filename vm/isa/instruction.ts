// One 8-byte instruction slot (RFC 9669 §3, struct bpf_insn):
//
//   byte 0: opcode | byte 1: dst (low nibble), src (high nibble) | 2-3: off (s16 LE) | 4-7: imm (s32 LE)
//
// A program is an array of slots. `lddw` takes two slots: the second has opcode 0 and carries
// the upper 32 bits of the immediate in its imm. Keeping slots (not merged instructions) keeps
// instruction indices equal to the kernel's, so verifier and fault messages name the same `insn N`.

import { BpfError } from "../errors.js";

export interface Insn {
  opcode: number; // u8
  dst: number; // u4
  src: number; // u4
  off: number; // s16
  imm: number; // s32
}

export const INSN_SIZE = 8;

export function insn(opcode: number, dst = 0, src = 0, off = 0, imm = 0): Insn {
  return { opcode: opcode & 0xff, dst: dst & 0xf, src: src & 0xf, off: (off << 16) >> 16, imm: imm | 0 };
}

/** Decode raw bytecode into slots. The length must be a whole number of 8-byte slots. */
export function decode(bytes: Uint8Array): Insn[] {
  if (bytes.length % INSN_SIZE !== 0) {
    throw new BpfError(
      `bytecode length ${bytes.length} is not a multiple of ${INSN_SIZE} (truncated instruction at byte ${bytes.length - (bytes.length % INSN_SIZE)})`,
      { insn: Math.floor(bytes.length / INSN_SIZE) },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Insn[] = new Array(bytes.length / INSN_SIZE);
  for (let i = 0; i < out.length; i++) {
    const at = i * INSN_SIZE;
    const regs = bytes[at + 1]!;
    out[i] = {
      opcode: bytes[at]!,
      dst: regs & 0x0f,
      src: regs >> 4,
      off: view.getInt16(at + 2, true),
      imm: view.getInt32(at + 4, true),
    };
  }
  return out;
}

/** Encode slots back to bytes (little-endian, as the kernel and clang -target bpf use). */
export function encode(insns: readonly Insn[]): Uint8Array {
  const bytes = new Uint8Array(insns.length * INSN_SIZE);
  const view = new DataView(bytes.buffer);
  insns.forEach((ins, i) => {
    const at = i * INSN_SIZE;
    bytes[at] = ins.opcode & 0xff;
    bytes[at + 1] = (ins.dst & 0x0f) | ((ins.src & 0x0f) << 4);
    view.setInt16(at + 2, ins.off, true);
    view.setInt32(at + 4, ins.imm | 0, true);
  });
  return bytes;
}

/** The 64-bit immediate of an `lddw` at slot i (its second slot holds the high half). */
export function imm64(insns: readonly Insn[], i: number): bigint {
  const lo = BigInt(insns[i]!.imm >>> 0);
  const hi = BigInt(insns[i + 1]?.imm ?? 0) & 0xffffffffn;
  return (hi << 32n) | lo;
}
