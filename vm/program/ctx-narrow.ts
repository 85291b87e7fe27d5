// Accesses to context fields the kernel keeps narrower than their UAPI slot, after verification.
// The kernel rewrites every context access into an access to its own struct (convert_ctx_access,
// net/core/filter.c; the narrow-load shift and mask in convert_ctx_accesses, kernel/bpf/verifier.c);
// our contexts hold the UAPI structs themselves (vm/programs/context.ts), so almost every access
// means what it says. Not one to __sk_buff.tc_index, tc_classid or queue_mapping: sk_buff keeps
// them in a __u16, so the kernel stores and loads 2 bytes. Each such access is rewritten here at
// its own index (faults and the disassembly keep naming the same instructions):
//
// - a store (always 4 bytes: bpf_skb_is_valid_access) becomes a 2-byte store of the low half; the
//   slot's upper half, zero in every context we make, stays zero, so a 4-byte load, or a 1-byte
//   one of either upper byte (the kernel shifts the u16 right by 16 or 24), reads what the
//   kernel's does;
// - a 2-byte load of the upper half reads the low half: the kernel loads the u16 and, the load
//   being no narrower than it, neither shifts nor masks (`size < target_size` is false);
// - queue_mapping does not store NO_QUEUE_MAPPING (0xffff) or more: an immediate at or above it
//   makes the store a no-op (BPF_JMP_A(0); the s32 is compared as an int, so a negative one is
//   stored), and the kernel guards a register store with `if rY >= 0xffff goto +1`. One slot
//   cannot test a register, so the verifier's ranges decide: a register no path lets reach
//   0xffff is stored, one every path keeps at or above it is not, and one that may be either is
//   stored — its low 16 bits where the kernel stores nothing (README, Status).

import type { Insn } from "../isa/instruction.js";
import { Cls, JmpOp, size, Size } from "../isa/opcodes.js";
import { describe } from "../isa/table.js";
import { ctxFieldAt, type CtxField, type CtxLayout } from "../programs/context.js";

/** The unsigned values a register store's paths may store (the verifier's union over paths). */
export interface StoredRange {
  readonly umin: number;
  readonly umax: number;
}

const NOOP: Insn = { opcode: Cls.JMP | JmpOp.JA, dst: 0, src: 0, off: 0, imm: 0 };

/**
 * The replacement of each access among `accesses` (instructions that access the context) to a
 * field the kernel keeps narrower, by instruction; `values` (noteCtxStoreValue) for register stores.
 */
export function narrowCtxAccesses(
  insns: readonly Insn[], accesses: readonly number[], values: ReadonlyMap<number, StoredRange>, layout: CtxLayout | undefined,
): Map<number, Insn> {
  const out = new Map<number, Insn>();
  if (!layout) return out;
  for (const pc of accesses) {
    const ins = insns[pc]!;
    const def = describe(ins);
    if (def?.kind !== "st" && def?.kind !== "stx" && def?.kind !== "ldx") continue;
    const field = ctxFieldAt(layout, ins.off, def.bytes);
    if (!field?.store) continue;
    if (def.kind === "ldx") {
      if (def.bytes === 2 && ins.off === field.offset + 2) out.set(pc, { ...ins, off: field.offset });
    } else if (dropped(field, def.kind === "st" ? ins.imm : values.get(pc))) {
      out.set(pc, { ...NOOP });
    } else {
      out.set(pc, { ...ins, opcode: ins.opcode - size(ins.opcode) + Size.H });
    }
  }
  return out;
}

/** Whether the kernel's conversion stores nothing: an immediate at or above dropsFrom, or a register every path keeps there. */
function dropped(field: CtxField, value: number | StoredRange | undefined): boolean {
  const from = field.store!.dropsFrom;
  if (from === undefined || value === undefined) return false;
  return typeof value === "number" ? value >= from : value.umin >= from;
}

/** A verified program with narrowCtxAccesses' replacements; the same array if it has none. */
export function applyCtxRewrites(insns: readonly Insn[], rewrites: ReadonlyMap<number, Insn> | undefined): readonly Insn[] {
  if (!rewrites?.size) return insns;
  const out = [...insns];
  for (const [pc, ins] of rewrites) out[pc] = ins;
  return out;
}
