// The control-flow graph the JIT lowers: the program split into subprograms (one wasm function
// each, DESIGN.md "The JIT") and each subprogram into basic blocks in program order.
//
// It takes a program that passed vm/program validate() (compile.ts validates it, with the
// messages every engine gives): known opcodes, registers r0..r10 with r10 never written, jumps
// that land on an instruction of their own subprogram, local calls and callback addresses that
// land on an instruction, subprograms that end in `exit` or `ja`. Subprograms start at slot 0
// and at every target of a bpf-to-bpf call (`call` with src = BPF_PSEUDO_CALL, RFC 9669
// §4.3.2) or of a callback's address (`lddw` with src = BPF_PSEUDO_FUNC: bpf_loop calls it,
// lower/loop.ts); each runs to the next start, as the kernel's check_subprogs() splits them.

import type { Insn } from "../vm/isa/instruction.js";
import { Pseudo } from "../vm/isa/opcodes.js";
import { jumpTarget, type OpDef } from "../vm/isa/table.js";
import type { Subprogram } from "../vm/program/subprograms.js";

/** One slot: its definition, or `undefined` for the second slot of an `lddw`. */
export type Decoded = OpDef | undefined;

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

/** The first slot of the subprogram a local call at slot i enters. */
export function callTarget(ins: Insn, i: number): number {
  return i + 1 + ins.imm;
}

const isLocalCall = (def: Decoded): boolean => def?.kind === "call" && def.target === "local";
const isFuncAddress = (def: Decoded): boolean => def?.kind === "lddw" && def.pseudo === Pseudo.FUNC;

/** The CFG of a validated program: `decoded` and `subprograms` as validateProgram() gives them. */
export function buildCfg(insns: readonly Insn[], decoded: readonly Decoded[], subprograms: readonly Subprogram[]): ProgramCfg {
  const funcAt = new Map(subprograms.map((sub, index) => [sub.start, index]));
  const blockAt = new Int32Array(insns.length).fill(-1);
  const funcs = subprograms.map((sub, index) => buildFunc(insns, decoded, index, sub, funcAt, blockAt));
  return { funcs, funcAt };
}

function buildFunc(
  insns: readonly Insn[],
  decoded: readonly Decoded[],
  index: number,
  { start, end }: Subprogram,
  funcAt: ReadonlyMap<number, number>,
  blockAt: Int32Array,
): FuncCfg {
  const leader = new Uint8Array(end - start);
  leader[0] = 1;
  const targetOf = new Int32Array(end - start).fill(-1); // a jump's slot → its target slot
  const callees = new Set<number>();
  for (let i = start; i < end; i++) {
    const def = decoded[i];
    if (!def) continue;
    const target = jumpTarget(insns[i]!, def, i);
    if (target !== undefined) {
      leader[target - start] = 1;
      targetOf[i - start] = target;
    }
    if ((target !== undefined || def.kind === "exit") && i + 1 < end) leader[i + 1 - start] = 1;
    if (isLocalCall(def) || isFuncAddress(def)) callees.add(funcAt.get(callTarget(insns[i]!, i))!);
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
