// What the JIT knows about registers at a helper call, from a forward data-flow pass over one
// subprogram's basic blocks: a register holds a known 64-bit constant (a map pointer loaded by
// `lddw rX, map_fd N`, already resolved to the map's address by resolveLddw, or a callback's
// address from `lddw rX, func`), or the frame
// pointer plus a known offset (a key on the stack: `r2 = r10; r2 += -4`), or something unknown.
//
// The map helper lowering (lower/maps.ts) uses it to prove at compile time what the helper would
// check at run time — which map, of which type, and that the key lies on the stack — and to
// inline ARRAY / PERCPU_ARRAY lookups; tail calls use it to read a known PROG_ARRAY directly.
// Clang keeps the map pointer and the key pointer in the block of the call, but a loop may hoist
// them, so the pass joins facts over every path (equal facts survive, others become unknown),
// as the kernel verifier tracks const_map_ptr and stack pointers.

import type { Insn } from "../vm/isa/instruction.js";
import { NUM_REGS, Pseudo, R10 } from "../vm/isa/opcodes.js";
import { funcAddressOf } from "../vm/program/lddw.js";
import type { OpDef } from "../vm/isa/table.js";
import type { Decoded, FuncCfg } from "./cfg.js";

export type Known =
  | { readonly kind: "const"; readonly value: bigint }
  | { readonly kind: "fp"; readonly offset: number }
  | undefined;

/** Facts about r0..r10 just before a slot. */
export type RegFacts = readonly Known[];

const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const same = (a: Known, b: Known): boolean =>
  a === b || (a !== undefined && b !== undefined && a.kind === b.kind && (a.kind === "const" ? a.value === (b as typeof a).value : a.offset === (b as { offset: number }).offset));

/** r10 is this frame's pointer at entry of every subprogram; nothing else is known. */
function entryFacts(): Known[] {
  const regs: Known[] = new Array(NUM_REGS).fill(undefined);
  regs[R10] = { kind: "fp", offset: 0 };
  return regs;
}

/** The effect of the instruction at slot i on the facts (in place). */
function step(regs: Known[], def: OpDef, insns: readonly Insn[], i: number): void {
  const ins = insns[i]!;
  switch (def.kind) {
    case "lddw":
      // A callback's address is the value that names its subprogram (vm/program/callbacks.ts).
      regs[ins.dst] = def.pseudo === Pseudo.FUNC
        ? { kind: "const", value: funcAddressOf(insns, i) }
        : { kind: "const", value: U64((BigInt(insns[i + 1]!.imm >>> 0) << 32n) | BigInt(ins.imm >>> 0)) };
      return;
    case "alu":
      regs[ins.dst] = aluFact(regs, def, ins);
      return;
    case "neg":
    case "movsx":
    case "end":
    case "ldx":
      regs[ins.dst] = undefined;
      return;
    case "atomic":
      if (def.aop === "cmpxchg") regs[0] = undefined;
      else if (def.fetch) regs[ins.src] = undefined;
      return;
    case "ldpkt":
      regs[0] = undefined;
      return;
    case "call":
    case "callx":
      // A helper or callee may leave anything in r0..r5 (the kernel marks r1..r5 unreadable).
      for (let r = 0; r <= 5; r++) regs[r] = undefined;
      return;
    default:
      return;
  }
}

function aluFact(regs: readonly Known[], def: Extract<OpDef, { kind: "alu" }>, ins: Insn): Known {
  const imm = BigInt(ins.imm | 0);
  if (!def.wide) return def.op === "mov" && !def.reg ? { kind: "const", value: BigInt(ins.imm >>> 0) } : undefined;
  if (def.op === "mov") return def.reg ? regs[ins.src] : { kind: "const", value: U64(imm) };
  if ((def.op === "add" || def.op === "sub") && !def.reg) {
    const v = regs[ins.dst];
    const delta = def.op === "add" ? ins.imm | 0 : -(ins.imm | 0);
    if (v?.kind === "fp") return { kind: "fp", offset: v.offset + delta };
    if (v?.kind === "const") return { kind: "const", value: U64(v.value + BigInt(delta)) };
  }
  return undefined;
}

function join(into: Known[], from: readonly Known[]): boolean {
  let changed = false;
  for (let r = 0; r < NUM_REGS; r++) {
    if (into[r] !== undefined && !same(into[r], from[r])) {
      into[r] = undefined;
      changed = true;
    }
  }
  return changed;
}

/**
 * Facts before every slot of `func` in `wanted` (helper calls the lowering cares about). Returns
 * an empty map, without any analysis, when no slot is wanted.
 */
export function knownAt(
  func: FuncCfg,
  insns: readonly Insn[],
  decoded: readonly Decoded[],
  wanted: ReadonlySet<number>,
): Map<number, RegFacts> {
  const out = new Map<number, RegFacts>();
  if (wanted.size === 0) return out;
  const n = func.blocks.length;
  const entry: Array<Known[] | undefined> = new Array(n).fill(undefined);
  entry[0] = entryFacts();
  const pending = [0];
  const queued = new Uint8Array(n);
  queued[0] = 1;
  while (pending.length) {
    const k = pending.pop()!;
    queued[k] = 0;
    const regs = [...entry[k]!];
    const block = func.blocks[k]!;
    let last: OpDef | undefined;
    for (let i = block.start; i < block.end; i++) {
      const def = decoded[i];
      if (!def) continue;
      if (wanted.has(i)) out.set(i, [...regs]);
      step(regs, def, insns, i);
      last = def;
    }
    const succ: number[] = [];
    if (func.jumps[k]! >= 0) succ.push(func.jumps[k]!);
    if (last?.kind !== "exit" && last?.kind !== "ja" && k + 1 < n) succ.push(k + 1);
    for (const s of succ) {
      const before = entry[s];
      const changed = before ? join(before, regs) : ((entry[s] = [...regs]), true);
      if (changed && !queued[s]) {
        queued[s] = 1;
        pending.push(s);
      }
    }
  }
  return out;
}
