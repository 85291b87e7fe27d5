// The string helpers of bpf_base_func_proto (kernel/bpf/helpers.c), open to every program type:
// snprintf (165), strncmp (182), strtol (105) and strtoul (106).
//
// snprintf formats as trace_printk does (./trace/bprintf.ts: bpf_bprintf_prepare + bstr_printf)
// into the program's buffer. Its format and strncmp's s2 are ARG_PTR_TO_CONST_STR: the verifier
// proved them NUL-terminated in a frozen read-only map value (vm/verifier/const-str.ts); without
// the verifier (the interpreter runs unverified programs too) a string that runs off the memory
// stops the run with a BpfRuntimeError, as every bad helper pointer does (packet/memory.ts).

import { BpfRuntimeError } from "../errors.js";
import type { HelperDef } from "./registry.js";
import { memOf, u32, type Mem } from "./packet/memory.js";
import { EINVAL, ERANGE, errno } from "./packet/uapi.js";
import { bprintf } from "./trace/bprintf.js";

/** MAX_BPRINTF_VARARGS: snprintf takes at most 12 u64 arguments. */
const MAX_BPRINTF_VARARGS = 12;

/** The bytes of the NUL-terminated string at `addr`, without the NUL. */
function cString(mem: Mem, helper: string, what: string, reg: bigint): Uint8Array {
  const at = mem.span(helper, what, reg, 1);
  const nul = mem.bytes.indexOf(0, at);
  if (nul < 0) throw new BpfRuntimeError(`${helper}: ${what} at 0x${at.toString(16)} has no NUL before the end of the memory`, { addr: at });
  return mem.bytes.subarray(at, nul);
}

/**
 * bpf_snprintf(str, str_size, fmt, data, data_len): data_len must be a multiple of 8, at most
 * 12 arguments, data non-NULL when data_len is not 0 (-EINVAL otherwise); a format error is
 * bpf_bprintf_prepare's -EINVAL / -ENOSPC. bstr_printf writes the first str_size - 1 bytes and a
 * NUL (nothing when str_size is 0); the result is the whole text's length plus the NUL.
 */
export const snprintfHelper: HelperDef = {
  id: 165,
  name: "snprintf",
  args: ["ptr_to_writable_mem_or_null", "const_size_or_zero", "ptr_to_const_str", "ptr_to_mem_or_null", "const_size_or_zero"],
  ret: "integer",
  impl: (ctx, str, strSizeReg, fmtReg, data, dataLenReg) => {
    const mem = memOf(ctx.memory);
    const dataLen = u32(dataLenReg);
    if (dataLen % 8 || dataLen > MAX_BPRINTF_VARARGS * 8 || (dataLen && data === 0n)) return errno(EINVAL);
    const fmt = cString(mem, "snprintf", "fmt", fmtReg);
    const at = dataLen ? mem.span("snprintf", "data", data, dataLen) : 0;
    const args = Array.from({ length: dataLen / 8 }, (_, k) => mem.view.getBigUint64(at + 8 * k, true));
    const size = u32(strSizeReg);
    const withNul = new Uint8Array(fmt.length + 1);
    withNul.set(fmt);
    const out = bprintf(mem, withNul, args, Math.max(0, size - 1));
    if (!out.ok) return errno(out.errno);
    if (size > 0) {
      const to = mem.span("snprintf", "str", str, size);
      mem.bytes.set(out.bytes, to);
      mem.bytes[to + out.bytes.length] = 0;
    }
    return BigInt(out.length + 1);
  },
};

/**
 * bpf_strncmp(s1, s1_sz, s2): lib/string.c strncmp over at most s1_sz bytes, stopping at a NUL
 * of either string; bytes compare unsigned and the result is -1, 0 or 1.
 */
export const strncmpHelper: HelperDef = {
  id: 182,
  name: "strncmp",
  args: ["ptr_to_mem", "const_size", "ptr_to_const_str"],
  ret: "integer",
  impl: (ctx, s1Reg, sizeReg, s2Reg) => {
    const mem = memOf(ctx.memory);
    const size = u32(sizeReg);
    const s1 = mem.span("strncmp", "s1", s1Reg, size);
    const s2 = cString(mem, "strncmp", "s2", s2Reg);
    for (let i = 0; i < size; i++) {
      const a = mem.bytes[s1 + i]!;
      const b = s2[i] ?? 0; // s2's NUL
      if (a !== b) return a < b ? BigInt.asUintN(64, -1n) : 1n;
      if (a === 0) break;
    }
    return 0n;
  },
};

// ---- strtol / strtoul ---------------------------------------------------------------------------

/** BPF_STRTOX_BASE_MASK: the base is flags' low 5 bits; any other bit is -EINVAL. */
const BASE_MASK = 0x1fn;
const U64_MAX = (1n << 64n) - 1n;

/** The kernel's isspace (lib/ctype.c): \t \n \v \f \r, space, and Latin-1 NBSP (0xa0). */
const isSpace = (c: number): boolean => (c >= 0x09 && c <= 0x0d) || c === 0x20 || c === 0xa0;
const digitOf = (c: number): number => (c >= 0x30 && c <= 0x39 ? c - 0x30 : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 ? (c | 0x20) - 0x61 + 10 : 99);

type Parsed = { readonly value: bigint; readonly negative: boolean; readonly consumed: number } | { readonly errno: number };

/**
 * __bpf_strtoull: skip white space, take one '-', copy at most 63 of the bytes left (the
 * kernel's str[64]), let base 0 pick 16 ("0x" before a hex digit), 8 (a leading 0) or 10 and
 * base 16 skip "0x" (_parse_integer_fixup_radix), then take digits below the base
 * (_parse_integer). No digit is -EINVAL, a value past 64 bits -ERANGE. `consumed` counts the
 * bytes from buf to the last digit.
 */
function parse(buf: Uint8Array, flags: bigint): Parsed {
  let base = Number(flags & BASE_MASK);
  if (![0, 8, 10, 16].includes(base) || flags & ~BASE_MASK) return { errno: EINVAL };
  let i = 0;
  while (i < buf.length && isSpace(buf[i]!)) i++;
  const negative = i < buf.length && buf[i] === 0x2d;
  if (negative) i++;
  if (i === buf.length) return { errno: EINVAL };
  const s = new Uint8Array(64); // NUL after the copy
  s.set(buf.subarray(i, i + 63));
  let p = 0;
  if (base === 0) base = s[0] !== 0x30 ? 10 : (s[1]! | 0x20) === 0x78 && digitOf(s[2]!) < 16 ? 16 : 8;
  if (base === 16 && s[0] === 0x30 && (s[1]! | 0x20) === 0x78) p = 2;
  let value = 0n;
  let digits = 0;
  let overflow = false;
  for (let d = digitOf(s[p]!); d < base; d = digitOf(s[p]!)) {
    value = value * BigInt(base) + BigInt(d);
    if (value > U64_MAX) overflow = true;
    digits++;
    p++;
  }
  if (overflow) return { errno: ERANGE };
  if (digits === 0) return { errno: EINVAL };
  return { value, negative, consumed: i + p };
}

/** strtol's / strtoul's result from a parse: the value to store and r0. */
type Convert = (p: { value: bigint; negative: boolean }) => bigint | number;

/** __bpf_strtoll: a negative value must fit in s64 (down to -2^63), a positive one too. */
const toSigned: Convert = ({ value, negative }) => {
  if (negative) return value > 1n << 63n ? ERANGE : BigInt.asUintN(64, -value);
  return value >= 1n << 63n ? ERANGE : value;
};

/** bpf_strtoul: a '-' is -EINVAL. */
const toUnsigned: Convert = ({ value, negative }) => (negative ? EINVAL : value);

/**
 * strtol / strtoul(buf, buf_len, flags, res): *res is zeroed first, then set on success; r0 is
 * the number of bytes consumed or -errno.
 */
function strtox(id: number, name: string, convert: Convert): HelperDef {
  return {
    id,
    name,
    args: ["ptr_to_mem", "const_size", "anything", "ptr_to_aligned_u64_out"],
    ret: "integer",
    impl: (ctx, bufReg, lenReg, flags, resReg) => {
      const mem = memOf(ctx.memory);
      const len = u32(lenReg);
      const res = mem.span(name, "res", resReg, 8);
      const at = mem.span(name, "buf", bufReg, len);
      const buf = mem.bytes.subarray(at, at + len);
      mem.view.setBigUint64(res, 0n, true);
      const parsed = parse(buf, flags);
      if ("errno" in parsed) return errno(parsed.errno);
      const value = convert(parsed);
      if (typeof value === "number") return errno(value);
      mem.view.setBigUint64(res, value, true);
      return BigInt(parsed.consumed);
    },
  };
}

export const strtolHelper = strtox(105, "strtol", toSigned);
export const strtoulHelper = strtox(106, "strtoul", toUnsigned);

/** The string helpers, for baseHelpers(). */
export const stringHelpers = (): HelperDef[] => [snprintfHelper, strncmpHelper, strtolHelper, strtoulHelper];
