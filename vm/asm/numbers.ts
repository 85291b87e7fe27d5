// Integer literals of the assembler: how they are read, which ranges each field accepts, and how
// the disassembler prints them.
//
// Immediates are 32-bit fields that the ISA reads as signed (RFC 9669 §3: imm is s32), but the
// conformance files also write bit patterns such as `0xffffffff` or `0x80000000`; both spellings
// are accepted and mean the same 32 bits. `lddw` takes the whole u64 range and negative decimals.

/** A literal as written: optional sign, then decimal digits or `0x` hex digits. */
const LITERAL = /^(0x[0-9a-f]+|[0-9]+)$/i;

export function isLiteral(text: string): boolean {
  return LITERAL.test(text);
}

/** The value of an unsigned literal (`isLiteral` must hold). */
export function literalValue(text: string): bigint {
  return BigInt(text.toLowerCase());
}

/** A signed integer range a field accepts, and how to fold an accepted value into the field. */
export interface FieldRange {
  readonly what: string;
  readonly min: bigint;
  readonly max: bigint;
}

/** 32-bit immediate: s32, or a u32 bit pattern (stored as the same 32 bits). */
export const IMM32: FieldRange = { what: "32 bits", min: -(1n << 31n), max: (1n << 32n) - 1n };
/** 64-bit immediate of lddw: s64 or u64. */
export const IMM64: FieldRange = { what: "64 bits", min: -(1n << 63n), max: (1n << 64n) - 1n };
/**
 * Signed 32-bit jump distance in imm (`ja32`, `call local`, `lddw func`): a count of slots, so
 * only the s32 range; a u32 bit pattern such as 0xffffffff is not a spelling of -1 here.
 */
export const S32: FieldRange = { what: "s32 range (-2147483648..2147483647)", min: -(1n << 31n), max: (1n << 31n) - 1n };
/** 16-bit signed offset (memory offsets, jump offsets). */
export const S16: FieldRange = { what: "s16 range (-32768..32767)", min: -32768n, max: 32767n };
/** Raw fields of the `.insn` directive. */
export const U8: FieldRange = { what: "0..255", min: 0n, max: 255n };
export const U4: FieldRange = { what: "0..15", min: 0n, max: 15n };

export const inRange = (v: bigint, r: FieldRange): boolean => v >= r.min && v <= r.max;

/** The s32 a 32-bit immediate stores. */
export const toImm32 = (v: bigint): number => Number(BigInt.asIntN(32, v));

/**
 * Print a 32-bit immediate the way bpf_conformance's disassembler does: small and negative
 * values in decimal, other values as hex bit patterns. Every form reads back to the same bits.
 */
export function formatImm(imm: number): string {
  if (imm >= -10 && imm <= 10) return String(imm);
  if (imm < 0 && imm !== -0x80000000) return String(imm);
  return "0x" + (imm >>> 0).toString(16);
}

/** Print a 64-bit lddw immediate (given as u64). */
export function formatImm64(v: bigint): string {
  return v <= 10n ? String(v) : "0x" + v.toString(16);
}

/** Print a signed offset with its sign, as jumps are written: `+3`, `-1`, `+0`. */
export function formatRel(n: number): string {
  return n < 0 ? String(n) : "+" + n;
}

/** Print a memory operand: `[%r1]`, `[%r1+4]`, `[%r10-8]`. */
export function formatMem(reg: number, off: number): string {
  return off === 0 ? `[%r${reg}]` : `[%r${reg}${formatRel(off)}]`;
}
