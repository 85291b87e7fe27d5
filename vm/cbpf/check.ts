// The classic BPF checker, with the kernel's rules (net/core/filter.c: bpf_check_basics_ok,
// bpf_check_classic, check_load_and_stores). A program that passes cannot loop (all jumps go
// forward and stay inside the program), always returns, never divides by a constant zero and
// never reads a scratch word M[k] that some path to it has not written.

import { BpfError } from "../errors.js";
import { formatSockFilter, type SockFilter } from "./filter.js";
import { BPF_MAXINSNS, BPF_MEMWORDS, SKF_AD_MAX, SKF_AD_OFF } from "./opcodes.js";
import { describeCbpf } from "./table.js";

/** Ancillary loads the kernel knows (bpf_anc_helper): k = SKF_AD_OFF + one of these. */
const KNOWN_ANCILLARY = new Set([0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60]);

/** k of an LD ABS names an ancillary field (SKF_AD_OFF + n), whether or not n is known. */
export function isAncillary(k: number): boolean {
  return k >>> 0 >= SKF_AD_OFF >>> 0;
}

export function ancillaryIndex(k: number): number | undefined {
  const n = (k | 0) - SKF_AD_OFF;
  return n >= 0 && n < SKF_AD_MAX && KNOWN_ANCILLARY.has(n) ? n : undefined;
}

function fail(filter: readonly SockFilter[], pc: number, why: string): never {
  throw new BpfError(`classic BPF insn ${pc} (${formatSockFilter(filter[pc]!, pc)}): ${why}`, { insn: pc });
}

/**
 * Why a ja is refused. A k that wraps the 32-bit pc around lands on an earlier instruction: a
 * loop. libpcap emits exactly that for `protochain` (its user-space bpf_filter runs it, and its
 * bpf_validate lets the wrap through), but Linux takes only forward jumps, so on Linux libpcap
 * falls back to filtering in user space; a socket filter cannot run it.
 */
function jaRefusal(pc: number, k: number, len: number): string {
  const target = (pc + 1 + k) % 2 ** 32;
  if (target <= pc) {
    return `jumps backward to insn ${target} (k = 0x${k.toString(16)} wraps around): Linux's classic BPF only jumps forward, so loops such as libpcap's 'protochain' code cannot run as a socket filter`;
  }
  return `jump target ${pc + 1 + k} is past the last instruction ${len - 1}`;
}

/** Per-instruction rules (bpf_check_classic's switch). */
function checkInsn(filter: readonly SockFilter[], pc: number): void {
  const f = filter[pc]!;
  const def = describeCbpf(f.code);
  const len = filter.length;
  if (!def) fail(filter, pc, `opcode 0x${f.code.toString(16).padStart(2, "0")} is not a classic BPF instruction Linux accepts`);
  const k = f.k >>> 0;
  switch (def.kind) {
    case "alu":
      if (!def.x && (def.alu === "div" || def.alu === "mod") && k === 0) fail(filter, pc, `${def.alu === "div" ? "division" : "modulo"} by the constant 0`);
      if (!def.x && (def.alu === "lsh" || def.alu === "rsh") && k >= 32) fail(filter, pc, `shift by ${k} (must be below 32)`);
      return;
    case "ld_mem":
    case "ldx_mem":
    case "st":
    case "stx":
      if (k >= BPF_MEMWORDS) fail(filter, pc, `scratch word M[${k}] does not exist (M[0]..M[${BPF_MEMWORDS - 1}])`);
      return;
    case "ja":
      // Unsigned: a huge k cannot wrap around into a backward jump.
      if (k >= len - pc - 1) fail(filter, pc, jaRefusal(pc, k, len));
      return;
    case "jcond":
      if (pc + f.jt + 1 >= len) fail(filter, pc, `jump-if-true target ${pc + 1 + f.jt} is past the last instruction ${len - 1}`);
      if (pc + f.jf + 1 >= len) fail(filter, pc, `jump-if-false target ${pc + 1 + f.jf} is past the last instruction ${len - 1}`);
      return;
    case "ld_abs":
      if (isAncillary(k) && ancillaryIndex(k) === undefined) fail(filter, pc, `unknown ancillary load SKF_AD_OFF + ${(k | 0) - SKF_AD_OFF}`);
      return;
    default:
      return;
  }
}

/**
 * check_load_and_stores: a forward pass with one bitmask of written M[] words per instruction;
 * a jump narrows its targets' masks to what is written on every way in.
 */
function checkScratchMemory(filter: readonly SockFilter[]): void {
  const masks = new Array<number>(filter.length).fill(0xffff);
  let valid = 0;
  filter.forEach((f, pc) => {
    valid &= masks[pc]!;
    const def = describeCbpf(f.code)!;
    switch (def.kind) {
      case "st":
      case "stx":
        valid |= 1 << f.k;
        break;
      case "ld_mem":
      case "ldx_mem":
        if (!(valid & (1 << f.k))) fail(filter, pc, `reads M[${f.k}] before every path to it has written it`);
        break;
      case "ja":
        masks[pc + 1 + f.k] = masks[pc + 1 + f.k]! & valid;
        valid = 0xffff;
        break;
      case "jcond":
        masks[pc + 1 + f.jt] = masks[pc + 1 + f.jt]! & valid;
        masks[pc + 1 + f.jf] = masks[pc + 1 + f.jf]! & valid;
        valid = 0xffff;
        break;
    }
  });
}

/** Refuse what Linux's classic checker refuses, with a BpfError naming the instruction. */
export function checkClassic(filter: readonly SockFilter[]): void {
  if (filter.length === 0) throw new BpfError("classic BPF program is empty (it must end in a ret)");
  if (filter.length > BPF_MAXINSNS) {
    throw new BpfError(`classic BPF program has ${filter.length} instructions, more than the ${BPF_MAXINSNS} Linux allows`, { insn: BPF_MAXINSNS });
  }
  for (let pc = 0; pc < filter.length; pc++) checkInsn(filter, pc);
  const last = filter.length - 1;
  const end = describeCbpf(filter[last]!.code)!.kind;
  if (end !== "ret_k" && end !== "ret_a") fail(filter, last, "the last instruction must be a ret");
  checkScratchMemory(filter);
}
