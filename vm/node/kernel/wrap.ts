// How a conformance-style program (r1 = memory, r2 = length, r0 = result; RFC 9669 has no
// program type, bpf_conformance calls it that) runs in the kernel, which only runs real program
// types. We load it as BPF_PROG_TYPE_XDP, the memory being the packet:
//
//   packet  [0, capacity)               the memory the program gets in r1 (zero-padded)
//           [capacity, +32)             r2..r5 at entry, u64 LE each
//           [capacity+32, +8)           r0 at exit, u64 LE: written by the wrapper
//
//   wrapper (XDP main, no stack):       r6 = data; check data + capacity + 40 <= data_end;
//                                        r1 = data; r2..r5 = the trailer; call body;
//                                        *(u64 *)(r6 + capacity + 32) = r0; r0 = XDP_PASS; exit
//   body (the program, verbatim):        a bpf-to-bpf subprogram of the wrapper
//
// Why a subprogram: the body's own exits then return to the wrapper, which can store the full
// 64-bit r0 (test-run retval is a u32, and XDP's verifier insists r0 is 0..4 at exit) — no
// rewriting of the body's jumps, calls or exits. Its stack is its own frame; the wrapper uses no
// stack, and with the JIT on the kernel counts that as 0 bytes (round_up(0, 16)), so the body
// keeps the full 512 bytes of combined stack. It has one frame less (7 of MAX_CALL_FRAMES 8).
//
// What is comparable, and what is not:
// - r0 (all 64 bits) and the memory afterwards: yes.
// - r2..r5 arrive as bytes the verifier knows nothing about (unknown scalars), which is what a
//   conformance program assumes anyway. r1 is always the packet pointer (never 0).
// - The stack afterwards: not observable (the body's frame is gone when the wrapper resumes).
// - The verifier bounds memory by `capacity`, not by the region's true length.
// - The kernel refuses what it cannot prove safe (uninitialised registers, unbounded loops,
//   pointer arithmetic it cannot follow, helpers XDP may not call): those are refusals, not
//   mismatches.

import { AluOp, Cls, JmpOp, Mode, Size, Src, CallSrc } from "../../isa/opcodes.js";
import { insn, type Insn } from "../../isa/instruction.js";

/** Bytes after the memory: r2..r5 in, r0 out. */
export const TRAILER_SIZE = 40;
export const XDP_ABORTED = 0;
export const XDP_PASS = 2;
/** Largest capacity: XDP test runs take one page less headroom and skb_shared_info (~3.5 KiB). */
export const MAX_CAPACITY = 3072;

const ldxw = (dst: number, src: number, off: number): Insn => insn(Cls.LDX | Mode.MEM | Size.W, dst, src, off);
const ldxdw = (dst: number, src: number, off: number): Insn => insn(Cls.LDX | Mode.MEM | Size.DW, dst, src, off);
const stxdw = (dst: number, src: number, off: number): Insn => insn(Cls.STX | Mode.MEM | Size.DW, dst, src, off);
const mov = (dst: number, src: number): Insn => insn(Cls.ALU64 | AluOp.MOV | Src.X, dst, src);
const movImm = (dst: number, imm: number): Insn => insn(Cls.ALU64 | AluOp.MOV | Src.K, dst, 0, 0, imm);
const addImm = (dst: number, imm: number): Insn => insn(Cls.ALU64 | AluOp.ADD | Src.K, dst, 0, 0, imm);
const exit = (): Insn => insn(Cls.JMP | JmpOp.EXIT);

/** The XDP program that runs `body` as a conformance program over `capacity` bytes of memory. */
export function wrapConformance(body: readonly Insn[], capacity: number): Insn[] {
  const trailer = capacity;
  const head: Insn[] = [
    ldxw(2, 1, 0), // r2 = xdp_md.data
    ldxw(3, 1, 4), // r3 = xdp_md.data_end
    mov(4, 2),
    addImm(4, capacity + TRAILER_SIZE),
    insn(Cls.JMP | JmpOp.JGT | Src.X, 4, 3, 0), // if r4 > r3 goto bail (offset patched below)
    mov(6, 2),
    mov(1, 2),
    ldxdw(2, 6, trailer),
    ldxdw(3, 6, trailer + 8),
    ldxdw(4, 6, trailer + 16),
    ldxdw(5, 6, trailer + 24),
    insn(Cls.JMP | JmpOp.CALL, 0, CallSrc.LOCAL, 0, 0), // call body (imm patched below)
    stxdw(6, 0, trailer + 32),
    movImm(0, XDP_PASS),
    exit(),
  ];
  const bail = head.length;
  head.push(movImm(0, XDP_ABORTED), exit());
  const check = 4;
  const call = 11;
  head[check] = { ...head[check]!, off: bail - check - 1 };
  head[call] = { ...head[call]!, imm: head.length - call - 1 };
  return [...head, ...body];
}

/** Slots the wrapper puts before the body: body instruction i is wrapped instruction i + this. */
export const WRAPPER_LENGTH = wrapConformance([], 0).length;

/** The packet for one run: memory (padded to capacity), then r2..r5. */
export function conformancePacket(memory: Uint8Array, args: readonly bigint[], capacity: number): Uint8Array {
  const packet = new Uint8Array(capacity + TRAILER_SIZE);
  packet.set(memory.subarray(0, capacity));
  const view = new DataView(packet.buffer);
  for (let r = 2; r <= 5; r++) view.setBigUint64(capacity + (r - 2) * 8, BigInt.asUintN(64, args[r - 1] ?? 0n), true);
  return packet;
}

/** r0 as the wrapper stored it. */
export function conformanceResult(dataOut: Uint8Array, capacity: number): bigint {
  const view = new DataView(dataOut.buffer, dataOut.byteOffset, dataOut.byteLength);
  return view.getBigUint64(capacity + 32, true);
}
