// The kernel's printf for BPF programs: bpf_bprintf_prepare (kernel/bpf/helpers.c), which checks
// the format and gathers the arguments, then bstr_printf (lib/vsprintf.c), which renders them.
// trace_printk, trace_vprintk and snprintf (../strings.ts) share it; the verifier checks a
// constant format with formatValid (check_bpf_snprintf_call).
//
// The format is a NUL-terminated string in program memory, printable ASCII and white space only.
// Conversions: %d %i %u %x %X with optional l / ll, %c, %s, %%, and the pointer forms %p %pK %px
// %ps %pS %pB %pks %pus %pI4 %pi4 %pI6 %pi6; flags 0 + - space and a width, no precision. At most
// `args.length` conversions. Everything else is -EINVAL, as in the kernel. String arguments and
// IP addresses are read from the memory; an unreadable one prints as "" (a string) or zeros (an
// address), as the kernel's copy_from_kernel_nofault fallbacks do; %pus always prints "" (it
// reads user memory, and all of ours is kernel memory). Checked against 6.18 through snprintf,
// whose output we can read back (test/helpers/strings.test.ts).
//
// Where we cannot match the kernel: %p and %pK print the raw address as 16 hex digits (the
// kernel prints a per-boot hash of it); %ps / %pS / %pB print "0x<address>" (what the kernel
// prints for an address with no kernel symbol, which every address of ours is).

import { Mem } from "../packet/memory.js";
import { EINVAL, ENOSPC } from "../packet/uapi.js";

/** MAX_BPRINTF_BUF: the rendered text is cut to 1023 bytes (the return value is not). */
export const MAX_BPRINTF_BUF = 1024;
/** MAX_BPRINTF_BIN_ARGS: room for the gathered arguments, strings included. */
export const MAX_BPRINTF_BIN_ARGS = 512;

interface Spec {
  left: boolean;
  plus: boolean;
  space: boolean;
  zero: boolean;
  /** -1: none. */
  width: number;
}

type Piece =
  | { readonly kind: "text"; readonly bytes: readonly number[] }
  | { readonly kind: "num"; readonly value: bigint; readonly signed: boolean; readonly base: 10 | 16; readonly upper: boolean; readonly spec: Spec }
  | { readonly kind: "str"; readonly bytes: readonly number[]; readonly spec: Spec }
  | { readonly kind: "char"; readonly code: number; readonly spec: Spec }
  /** Pre-formatted pointer output (%pI4, %pB, %pks ...): copied without width. */
  | { readonly kind: "raw"; readonly bytes: readonly number[] };

export type BprintfResult = { readonly ok: true; readonly bytes: Uint8Array; readonly length: number } | { readonly ok: false; readonly errno: number };

const isPrint = (c: number): boolean => c >= 0x20 && c <= 0x7e;
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isPunct = (c: number): boolean => isPrint(c) && c !== 0x20 && !isAlnum(c);
const isAlnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const ascii = (s: string): number[] => Array.from(s, (ch) => ch.charCodeAt(0));
const ch = (s: string): number => s.charCodeAt(0);

class Failure {
  constructor(readonly errno: number) {}
}

/**
 * The gathered-argument buffer of bpf_bprintf_prepare: only its fill level matters here. The
 * verifier's check of a format (no arguments gathered) has no limit.
 */
class BinArgs {
  at = 0;

  constructor(readonly limit = MAX_BPRINTF_BIN_ARGS) {}

  /** A number of `size` bytes, 4-aligned. */
  number(size: number): void {
    this.at = Math.ceil(this.at / 4) * 4;
    if (this.limit - this.at < size) throw new Failure(ENOSPC);
    this.at += size;
  }

  /** Room left for a NUL-terminated string; -ENOSPC when there is none (strings, %c). */
  room(): number {
    if (this.at >= this.limit) throw new Failure(ENOSPC);
    return this.limit - this.at;
  }

  /** A snprintf'ed string (%pB, %pI4 ...): it advances by its full length even when cut. */
  formatted(text: number[]): number[] {
    const room = Math.max(0, this.limit - this.at);
    this.at += text.length + 1;
    return text.slice(0, Math.max(0, room - 1));
  }
}

/** strncpy_from_kernel_nofault: up to count - 1 bytes and a NUL; undefined when unreadable. */
function copyString(mem: Mem, addr: bigint, count: number): number[] | undefined {
  const start = addr <= 0xffffffffn ? Number(addr) : -1;
  if (!mem.valid(start, 1)) return undefined;
  const bytes = mem.bytes;
  const out: number[] = [];
  for (let i = start; i < start + count - 1; i++) {
    if (i >= bytes.length) return undefined; // ran off the memory before the NUL
    if (bytes[i] === 0) return out;
    out.push(bytes[i]!);
  }
  return out; // cut: the last byte of the room becomes the NUL
}

function readIp(mem: Mem, addr: bigint, size: number): number[] {
  const start = addr <= 0xffffffffn ? Number(addr) : -1;
  return mem.valid(start, size) ? Array.from(mem.bytes.subarray(start, start + size)) : new Array<number>(size).fill(0);
}

const hex = (v: bigint | number, digits = 0): string => v.toString(16).padStart(digits, "0");

/** printk's %pI4 / %pi4 / %pI6 / %pi6. */
function formatIp(kind: number, version: number, ip: number[]): number[] {
  if (version === 4) {
    return ascii(ip.map((b) => (kind === ch("i") ? String(b).padStart(3, "0") : String(b))).join("."));
  }
  const groups = Array.from({ length: 8 }, (_, k) => hex((ip[2 * k]! << 8) | ip[2 * k + 1]!, 4));
  return ascii(kind === ch("i") ? groups.join("") : groups.join(":"));
}

/**
 * Check a format and gather its arguments (bpf_bprintf_prepare), then render it. `fmt` is the
 * whole fmt_size bytes; `args` the program's raw u64 arguments. The text kept is cut to `keep`
 * bytes (trace_printk's MAX_BPRINTF_BUF - 1 by default; snprintf's str_size - 1); `length`
 * counts every byte, as bstr_printf returns it.
 */
export function bprintf(mem: Mem, fmt: Uint8Array, args: readonly bigint[], keep = MAX_BPRINTF_BUF - 1): BprintfResult {
  const nul = fmt.indexOf(0);
  if (nul < 0) return { ok: false, errno: EINVAL };
  let pieces: Piece[];
  try {
    pieces = prepare(mem, fmt.subarray(0, nul + 1), args, new BinArgs());
  } catch (err) {
    if (err instanceof Failure) return { ok: false, errno: err.errno };
    throw err;
  }
  const out = render(pieces, keep);
  return { ok: true, bytes: Uint8Array.from(out.kept), length: out.length };
}

let noMemory: Mem | undefined;

/**
 * The verifier's check of a constant format (check_bpf_snprintf_call: bpf_bprintf_prepare
 * without gathering): `fmt` up to its NUL, `numArgs` conversions at most. Only the format's
 * rules apply; no argument is read, so the argument buffer cannot fill up.
 */
export function formatValid(fmt: Uint8Array, numArgs: number): boolean {
  const nul = fmt.indexOf(0);
  if (nul < 0) return false;
  noMemory ??= new Mem(new WebAssembly.Memory({ initial: 0 }));
  try {
    prepare(noMemory, fmt.subarray(0, nul + 1), new Array<bigint>(numArgs).fill(0n), new BinArgs(Infinity));
    return true;
  } catch (err) {
    if (err instanceof Failure) return false;
    throw err;
  }
}

/** The format being walked: its bytes (ending with the NUL) and the current index. */
interface Cursor {
  readonly f: Uint8Array;
  i: number;
}

/** The byte `k` places after the current one (0 past the end). */
const peek = (c: Cursor, k = 0): number => c.f[c.i + k] ?? 0;

/** bpf_bprintf_prepare's walk over the format. */
function prepare(mem: Mem, f: Uint8Array, args: readonly bigint[], bin: BinArgs): Piece[] {
  const pieces: Piece[] = [];
  const c: Cursor = { f, i: 0 };
  let text: number[] = [];
  let spec = 0;
  for (; c.i < f.length - 1; c.i++) {
    const b = peek(c);
    if ((!isPrint(b) && !isSpace(b)) || b > 0x7f) throw new Failure(EINVAL);
    if (b !== ch("%") || peek(c, 1) === ch("%")) {
      text.push(b);
      if (b === ch("%")) c.i++; // "%%" prints one '%'
      continue;
    }
    if (spec >= args.length) throw new Failure(EINVAL);
    if (text.length) pieces.push({ kind: "text", bytes: text });
    text = [];
    c.i++;
    pieces.push(conversion(mem, c, bin, args[spec++]!));
  }
  if (text.length) pieces.push({ kind: "text", bytes: text });
  return pieces;
}

/** One conversion after its '%'; leaves the cursor on its last byte. */
function conversion(mem: Mem, c: Cursor, bin: BinArgs, arg: bigint): Piece {
  const s = flagsAndWidth(c);
  switch (peek(c)) {
    case ch("p"):
      return pointerConversion(mem, c, bin, arg, s);
    case ch("s"):
      if (!endsConversion(peek(c, 1))) throw new Failure(EINVAL);
      return { kind: "str", bytes: stringArg(mem, bin, arg), spec: s };
    case ch("c"):
      bin.room();
      bin.at += 1;
      return { kind: "char", code: Number(arg & 0xffn), spec: s };
    default:
      return integerConversion(c, bin, arg, s);
  }
}

/** The optional "[0 +-]*" flags and "[1-9][0-9]*" width. */
function flagsAndWidth(c: Cursor): Spec {
  const s: Spec = { left: false, plus: false, space: false, zero: false, width: -1 };
  for (;; c.i++) {
    const k = peek(c);
    if (k === ch("0")) s.zero = true;
    else if (k === ch("+")) s.plus = true;
    else if (k === ch("-")) s.left = true;
    else if (k === ch(" ")) s.space = true;
    else break;
  }
  if (peek(c) >= ch("1") && peek(c) <= ch("9")) {
    let width = 0;
    for (; peek(c) >= ch("0") && peek(c) <= ch("9"); c.i++) width = Math.min(width * 10 + peek(c) - ch("0"), 0x7fffffff);
    // printf_spec.field_width is a signed 24-bit field: wider values wrap (negative = none).
    s.width = ((width & 0xffffff) << 8) >> 8;
  }
  return s;
}

/** %d %i %u %x %X with l / ll: 4 or 8 bytes of argument. */
function integerConversion(c: Cursor, bin: BinArgs, arg: bigint, s: Spec): Piece {
  let size = 4;
  for (let n = 0; n < 2 && peek(c) === ch("l"); n++, c.i++) size = 8;
  const k = peek(c);
  if (k !== ch("i") && k !== ch("d") && k !== ch("u") && k !== ch("x") && k !== ch("X")) throw new Failure(EINVAL);
  bin.number(size);
  const signed = k === ch("i") || k === ch("d");
  const bits = size * 8;
  const value = signed ? BigInt.asIntN(bits, arg) : BigInt.asUintN(bits, arg);
  return { kind: "num", value, signed, base: k === ch("x") || k === ch("X") ? 16 : 10, upper: k === ch("X"), spec: s };
}

/**
 * %p and its extensions. bstr_printf skips every alphanumeric byte after the extension, so
 * the cursor ends on the last of them.
 */
function pointerConversion(mem: Mem, c: Cursor, bin: BinArgs, arg: bigint, s: Spec): Piece {
  const next = peek(c, 1);
  if (next === 0 || isSpace(next) || isPunct(next)) {
    bin.number(8);
    return pointer(0, arg, s);
  }
  let piece: Piece;
  if ((next === ch("k") || next === ch("u")) && peek(c, 2) === ch("s")) {
    c.i += 2;
    if (!endsConversion(peek(c, 1))) throw new Failure(EINVAL);
    // %pus reads user memory (strncpy_from_user_nofault), and a program's memory here is all
    // kernel memory (stack, maps, packet): the copy fails and prints "", as the kernel's does
    // for a kernel address.
    piece = { kind: "raw", bytes: next === ch("u") ? stringArg(mem, bin, arg, false) : stringArg(mem, bin, arg) };
  } else if (next === ch("K") || next === ch("x") || next === ch("s") || next === ch("S")) {
    c.i++;
    bin.number(8);
    piece = pointer(next, arg, s);
  } else if (next === ch("B")) {
    c.i++;
    // sprint_backtrace looks address - 1 up, and without a symbol prints the address itself.
    piece = { kind: "raw", bytes: bin.formatted(ascii(`0x${hex(BigInt.asUintN(64, arg))}`)) };
  } else if ((next === ch("i") || next === ch("I")) && (peek(c, 2) === ch("4") || peek(c, 2) === ch("6"))) {
    const version = peek(c, 2) === ch("4") ? 4 : 6;
    c.i += 2;
    piece = { kind: "raw", bytes: bin.formatted(formatIp(next, version, readIp(mem, arg, version === 4 ? 4 : 16))) };
  } else {
    throw new Failure(EINVAL);
  }
  while (isAlnum(peek(c, 1))) c.i++;
  return piece;
}

/** A string conversion must be followed by the end, white space or punctuation. */
const endsConversion = (c: number): boolean => c === 0 || isSpace(c) || isPunct(c);

/** A %s argument copied into the argument buffer: cut to the room left, "" when unreadable. */
function stringArg(mem: Mem, bin: BinArgs, arg: bigint, readable = true): number[] {
  const room = bin.room();
  const bytes = (readable ? copyString(mem, arg, room) : undefined) ?? [];
  bin.at += bytes.length + 1;
  return bytes;
}

/** %p / %pK / %px print hex digits; %ps / %pS a symbol, which for us is "0x<address>". */
function pointer(variant: number, arg: bigint, s: Spec): Piece {
  const addr = BigInt.asUintN(64, arg);
  if (variant === ch("s") || variant === ch("S")) return { kind: "str", bytes: ascii(`0x${hex(addr)}`), spec: s };
  // pointer_string: without a width, 16 digits zero-padded.
  const spec = s.width === -1 ? { ...s, width: 16, zero: true } : s;
  return { kind: "num", value: addr, signed: false, base: 16, upper: false, spec };
}

/** The rendered text: the first `keep` bytes kept, every byte counted. */
class Output {
  readonly kept: number[] = [];
  length = 0;

  constructor(private readonly keep: number) {}

  push(bytes: readonly number[]): void {
    for (const b of bytes) this.pad(1, b);
  }

  pad(n: number, byte: number): void {
    for (let k = 0; k < n && this.kept.length < this.keep; k++) this.kept.push(byte);
    this.length += Math.max(0, n);
  }
}

function render(pieces: readonly Piece[], keep: number): Output {
  const out = new Output(keep);
  for (const p of pieces) {
    switch (p.kind) {
      case "text":
      case "raw":
        out.push(p.bytes);
        break;
      case "num":
        number(out, p.value, p.signed, p.base, p.upper, p.spec);
        break;
      case "str":
        widen(out, p.bytes, p.spec);
        break;
      case "char":
        widen(out, [p.code], p.spec);
        break;
    }
  }
  return out;
}

/** widen_string: pad to the width with spaces, before or (with '-') after. */
function widen(out: Output, bytes: readonly number[], s: Spec): void {
  const pad = s.width - bytes.length;
  if (!s.left) out.pad(pad, 0x20);
  out.push(bytes);
  if (s.left) out.pad(pad, 0x20);
}

/** lib/vsprintf.c number() without precision or prefixes. */
function number(out: Output, value: bigint, signed: boolean, base: 10 | 16, upper: boolean, s: Spec): void {
  let sign = "";
  let magnitude = value;
  if (signed) {
    if (value < 0n) {
      sign = "-";
      magnitude = -value;
    } else if (s.plus) sign = "+";
    else if (s.space) sign = " ";
  }
  let digits = magnitude.toString(base);
  if (upper) digits = digits.toUpperCase();
  const pad = s.width - sign.length - digits.length;
  if (!s.left && !s.zero) out.pad(pad, 0x20);
  out.push(ascii(sign));
  if (!s.left && s.zero) out.pad(pad, 0x30);
  out.push(ascii(digits));
  if (s.left) out.pad(pad, 0x20);
}
