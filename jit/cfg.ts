// The control-flow graph the JIT lowers: the program split into subprograms (one wasm function
// each, DESIGN.md "The JIT") and each subprogram into basic blocks in program order.
//
// Subprograms start at slot 0 and at every target of a bpf-to-bpf call (`call` with
// src = BPF_PSEUDO_CALL, RFC 9669 §4.3.2) or of a callback's address (`lddw` with
// src = BPF_PSEUDO_FUNC: bpf_loop calls it, lower/loop.ts); each runs to the next start, as the kernel's
// check_subprogs() splits them. A jump may not leave its subprogram, and the last instruction
// of a subprogram must be `exit` or `ja` (kernel: "last insn is not an exit or jmp") — falling
// into the next subprogram is refused.

import { BpfError } from "../vm/errors.js";
import type { Insn } from "../vm/isa/instruction.js";
import { Pseudo } from "../vm/isa/opcodes.js";
import { subprogramStarts } from "../vm/program/subprograms.js";
import type { Decoded } from "./decode.js";

/** Slots [start, end) ending in a jump, an exit, or the slot before the next block's leader. */
export interface BasicBlock {
  readonly start: number;
  readonly end: number;
}

export interface FuncCfg {
  readonly index: number;
  /** Slots [start, end) of the subprogram. */
  readonly start: number;
  readonly end: number;
  readonly blocks: readonly BasicBlock[];
  /** Slot → index (within its function) of the block it starts; only meaningful at leaders. */
  readonly blockAt: Int32Array;
  /** Block → the block its last instruction jumps to (-1: none; a block holds at most one jump). */
  readonly jumps: Int32Array;
  /**
   * Indices of the functions this one calls (bpf-to-bpf), and of the callbacks whose address it
   * takes (called where it calls bpf_loop: they count as its callees for the frame depth, as
   * the kernel's check_max_stack_depth counts them).
   */
  readonly callees: ReadonlySet<number>;
}

export interface ProgramCfg {
  readonly funcs: readonly FuncCfg[];
  /** Entry slot → function index. */
  readonly funcAt: ReadonlyMap<number, number>;
}

/** Where a jump at slot i goes (RFC 9669 §4.3: pc-relative to the next slot). */
export function jumpTarget(def: Decoded, ins: Insn, i: number): number | undefined {
  if (!def) return undefined;
  if (def.kind === "ja") return i + 1 + (def.long ? ins.imm : ins.off);
  if (def.kind === "jcond") return i + 1 + ins.off;
  return undefined;
}

/** The first slot of the subprogram a local call at slot i enters. */
export function callTarget(ins: Insn, i: number): number {
  return i + 1 + ins.imm;
}

const isLocalCall = (def: Decoded): boolean => def?.kind === "call" && def.target === "local";
const isFuncAddress = (def: Decoded): boolean => def?.kind === "lddw" && def.pseudo === Pseudo.FUNC;

export function buildCfg(insns: readonly Insn[], decoded: readonly Decoded[]): ProgramCfg {
  const entries = functionEntries(insns, decoded);
  const funcAt = new Map(entries.map((slot, index) => [slot, index]));
  const blockAt = new Int32Array(insns.length).fill(-1);
  const funcs = entries.map((start, index) =>
    buildFunc(insns, decoded, index, start, entries[index + 1] ?? insns.length, funcAt, blockAt),
  );
  return { funcs, funcAt };
}

/** Subprogram starts as the rest of the runtime splits them, after checking every call target. */
function functionEntries(insns: readonly Insn[], decoded: readonly Decoded[]): number[] {
  decoded.forEach((def, i) => {
    if (isLocalCall(def)) checkSlot(decoded, callTarget(insns[i]!, i), i, "call");
    if (isFuncAddress(def)) checkSlot(decoded, callTarget(insns[i]!, i), i, "callback address");
  });
  return subprogramStarts(insns);
}

function checkSlot(decoded: readonly Decoded[], target: number, i: number, what: string): void {
  if (target < 0 || target >= decoded.length) {
    throw new BpfError(`${what} at insn ${i} goes to ${target}, outside the program (0..${decoded.length - 1})`, {
      insn: i,
    });
  }
  if (decoded[target] === undefined) {
    throw new BpfError(`${what} at insn ${i} goes into the middle of the lddw at insn ${target - 1}`, { insn: i });
  }
}

function buildFunc(
  insns: readonly Insn[],
  decoded: readonly Decoded[],
  index: number,
  start: number,
  end: number,
  funcAt: ReadonlyMap<number, number>,
  blockAt: Int32Array,
): FuncCfg {
  const leader = new Uint8Array(end - start);
  leader[0] = 1;
  const targetOf = new Int32Array(end - start).fill(-1); // a jump's slot → its target slot
  const callees = new Set<number>();
  let last = start;
  for (let i = start; i < end; i++) {
    const def = decoded[i];
    if (!def) continue;
    last = i;
    const target = jumpTarget(def, insns[i]!, i);
    if (target !== undefined) {
      checkSlot(decoded, target, i, "jump");
      if (target < start || target >= end) {
        throw new BpfError(`jump at insn ${i} to ${target} leaves its subprogram (insns ${start}..${end - 1})`, {
          insn: i,
        });
      }
      leader[target - start] = 1;
      targetOf[i - start] = target;
    }
    if ((target !== undefined || def.kind === "exit") && i + 1 < end) leader[i + 1 - start] = 1;
    if (isLocalCall(def) || isFuncAddress(def)) callees.add(funcAt.get(callTarget(insns[i]!, i))!);
  }
  const lastDef = decoded[last]!;
  if (lastDef.kind !== "exit" && lastDef.kind !== "ja") {
    const where = end === insns.length ? "the end of the program" : `the next subprogram at insn ${end}`;
    throw new BpfError(`insn ${last} (${lastDef.mnemonic}) falls through to ${where}: the last insn must be exit or ja`, {
      insn: last,
    });
  }
  const blocks: BasicBlock[] = [];
  const jumpTo = new Int32Array(end - start).fill(-1); // block → the slot its jump goes to (-1: none)
  for (let i = start; i < end; i++) {
    if (leader[i - start]) {
      if (blocks.length) (blocks[blocks.length - 1] as { end: number }).end = i;
      blockAt[i] = blocks.length;
      blocks.push({ start: i, end });
    }
    if (targetOf[i - start]! >= 0) jumpTo[blocks.length - 1] = targetOf[i - start]!; // a jump ends its block
  }
  const jumps = jumpTo.slice(0, blocks.length); // target slots → their blocks
  for (let k = 0; k < jumps.length; k++) if (jumps[k]! >= 0) jumps[k] = blockAt[jumps[k]!]!;
  return { index, start, end, blocks, blockAt, jumps, callees };
}
