// WebAssembly opcodes the JIT emits (core spec §5.4; threads proposal for 0xFE-prefixed
// atomics), by Binaryen's operator names. One table for the direct builder (direct/module.ts),
// the instruction templates (lower/templates.ts) and their replay into Binaryen IR (lower/replay.ts).

export const BR_IF = 0x0d;
export const LOCAL_GET = 0x20;
export const LOCAL_SET = 0x21;
export const LOCAL_TEE = 0x22;
export const I32_CONST = 0x41;
export const I64_CONST = 0x42;

export const ARITH_I32 = { add: 0x6a, sub: 0x6b, mul: 0x6c, div_s: 0x6d, div_u: 0x6e, rem_s: 0x6f, rem_u: 0x70, and: 0x71, or: 0x72, xor: 0x73, shl: 0x74, shr_s: 0x75, shr_u: 0x76, rotl: 0x77, rotr: 0x78 } as const;
export const ARITH_I64 = { add: 0x7c, sub: 0x7d, mul: 0x7e, div_s: 0x7f, div_u: 0x80, rem_s: 0x81, rem_u: 0x82, and: 0x83, or: 0x84, xor: 0x85, shl: 0x86, shr_s: 0x87, shr_u: 0x88, rotl: 0x89, rotr: 0x8a } as const;
export const CMP_I32 = { eq: 0x46, ne: 0x47, lt_s: 0x48, lt_u: 0x49, gt_s: 0x4a, gt_u: 0x4b, le_s: 0x4c, le_u: 0x4d, ge_s: 0x4e, ge_u: 0x4f } as const;
export const CMP_I64 = { eq: 0x51, ne: 0x52, lt_s: 0x53, lt_u: 0x54, gt_s: 0x55, gt_u: 0x56, le_s: 0x57, le_u: 0x58, ge_s: 0x59, ge_u: 0x5a } as const;
export const LOAD_I32 = { load: 0x28, load8_s: 0x2c, load8_u: 0x2d, load16_s: 0x2e, load16_u: 0x2f } as const;
export const LOAD_I64 = { load: 0x29, load8_s: 0x30, load8_u: 0x31, load16_s: 0x32, load16_u: 0x33, load32_s: 0x34, load32_u: 0x35 } as const;
export const STORE_I32 = { store: 0x36, store8: 0x3a, store16: 0x3b } as const;
export const STORE_I64 = { store: 0x37, store8: 0x3c, store16: 0x3d, store32: 0x3e } as const;
/** One-operand integer operators. */
export const UNARY_I32 = { eqz: 0x45, extend8_s: 0xc0, extend16_s: 0xc1 } as const;
export const UNARY_I64 = { eqz: 0x50, extend8_s: 0xc2, extend16_s: 0xc3, extend32_s: 0xc4 } as const;
export const I32_WRAP_I64 = 0xa7;
export const I64_EXTEND_I32_S = 0xac;
export const I64_EXTEND_I32_U = 0xad;
