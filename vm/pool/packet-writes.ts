// May a program write packet memory? The pool runs programs that cannot in place on the shared
// corpus (no copy per packet, DESIGN.md "The JIT"); the others get a per-CPU copy in the CPU's
// packet slot. The kernel's verifier knows the answer exactly (env->seen_direct_write, and
// bpf_helper_changes_pkt_data for helpers) but vm/verifier does not report it yet, so this is a
// conservative scan of its own: it may say "writes" for a program that does not (that program
// then pays a copy), never the reverse — for a program the verifier accepts.
//
// The scan is a forward data-flow over every instruction (all paths, loops to a fixpoint) of
// where each register's value may come from — a bit set of CTX (the ctx pointer), PKT (a
// packet pointer or anything derived from one) and OTHER:
//   - at entry r1 = CTX, r10 and the rest OTHER;
//   - a load from a CTX base at a packet field (data, data_end, data_meta: the type's
//     CtxField.kind) gives PKT; ALU results carry the union of their operands' sources (pointer
//     arithmetic keeps the pointer's source; scalars derived from a pointer keep it too, which
//     only costs precision);
//   - a store of a PKT value to memory (a spill) makes every later 8-byte load possibly PKT;
//   - helpers return OTHER (no helper returns a packet pointer) and clobber r1..r5; local calls
//     pass r1..r5 to the callee and return a scalar (the verifier forbids returning pointers).
// The program writes packet memory if any st/stx/atomic may have a PKT base, if it calls a helper
// that changes packet data (helperRule().pktChanging: xdp_adjust_*, skb_store_bytes, ...), or if
// it passes a possibly-PKT pointer to a helper not known to only read its memory arguments.

import type { Insn } from "../isa/instruction.js";
import { describe, jumpTarget } from "../isa/table.js";
import type { ProgramType } from "../programs/types.js";
import { helperRule } from "../verifier/helper-rules.js";
import { commonKfuncs } from "../helpers/kfunc/index.js";

/** Kfunc ids of the open-coded iterators: they touch nothing but their stack slot. */
const ITER_KFUNCS: ReadonlySet<number> = new Set(commonKfuncs().filter((k) => k.proto.iter).map((k) => k.id));

const CTX = 1;
const PKT = 2;
const OTHER = 4;

/**
 * Helpers whose pointer arguments are only read (map keys and values, csum_diff's buffers,
 * output records): a packet pointer passed to them does not mean a packet write.
 */
const READ_ONLY_HELPERS: ReadonlySet<number> = new Set([
  1, 2, 3, // map_lookup_elem, map_update_elem, map_delete_elem
  6, // trace_printk
  25, // perf_event_output
  28, // csum_diff
  87, // map_push_elem
  130, // ringbuf_output
]);

export interface PacketWrites {
  /** True when the program may write packet memory (so it must not run in place). */
  readonly writes: boolean;
  /** Why, naming the instruction; or why not. */
  readonly reason: string;
}

type Regs = Uint8Array; // 11 registers, a source bit set each

function packetFieldOffsets(type: ProgramType): Set<number> {
  return new Set((type.ctx?.fields ?? []).filter((f) => f.kind !== "scalar").map((f) => f.offset));
}

export function packetWrites(insns: readonly Insn[], type: ProgramType): PacketWrites {
  const pktFields = packetFieldOffsets(type);
  // A spill of a packet pointer taints every later 8-byte load; when it first happens the
  // analysis restarts with the flag set (it only grows, so at most two passes).
  for (let spilled = false; ; spilled = true) {
    const result = analyse(insns, type, pktFields, spilled);
    if (result === "spill") continue;
    return result;
  }
}

function analyse(insns: readonly Insn[], type: ProgramType, pktFields: Set<number>, spilled: boolean): PacketWrites | "spill" {
  const n = insns.length;
  const states: Array<Regs | undefined> = new Array(n);
  const entry = new Uint8Array(11).fill(OTHER);
  if (type.ctx) entry[1] = CTX;
  else entry[1] = entry[2] = PKT | OTHER; // no ctx: r1 is the packet itself
  const work: number[] = [];
  const flow = (to: number, regs: Regs): void => {
    if (to < 0 || to >= n) return;
    const old = states[to];
    if (!old) {
      states[to] = regs.slice();
      work.push(to);
      return;
    }
    let changed = false;
    for (let r = 0; r < 11; r++) {
      const joined = old[r]! | regs[r]!;
      if (joined !== old[r]) {
        old[r] = joined;
        changed = true;
      }
    }
    if (changed) work.push(to);
  };
  flow(0, entry);
  const at = (i: number, what: string): PacketWrites => ({ writes: true, reason: `insn ${i}: ${what}` });
  while (work.length > 0) {
    const i = work.pop()!;
    const ins = insns[i]!;
    const def = describe(ins);
    const regs = states[i]!.slice();
    if (!def) return at(i, "unknown opcode (assumed to write)");
    switch (def.kind) {
      case "alu":
        regs[ins.dst] = def.op === "mov" ? (def.reg ? regs[ins.src]! : OTHER) : regs[ins.dst]! | (def.reg ? regs[ins.src]! : 0);
        break;
      case "movsx":
        regs[ins.dst] = regs[ins.src]!;
        break;
      case "neg":
      case "end":
        break;
      case "lddw":
        regs[ins.dst] = OTHER;
        flow(i + 2, regs);
        continue;
      case "ldpkt":
        regs[0] = OTHER;
        for (let r = 1; r <= 5; r++) regs[r] = OTHER;
        break;
      case "ldx": {
        const base = regs[ins.src]!;
        let loaded = OTHER;
        if (base & CTX && pktFields.has(ins.off)) loaded |= PKT;
        if (spilled && def.bytes === 8) loaded |= PKT;
        regs[ins.dst] = loaded;
        break;
      }
      case "st":
        if (regs[ins.dst]! & PKT) return at(i, `${def.mnemonic} through a packet pointer (r${ins.dst})`);
        break;
      case "stx":
      case "atomic":
        if (regs[ins.dst]! & PKT) return at(i, `${def.mnemonic} through a packet pointer (r${ins.dst})`);
        if (!spilled && regs[ins.src]! & PKT) return "spill";
        if (def.kind === "atomic" && (def.fetch || def.aop === "cmpxchg")) {
          const target = def.aop === "cmpxchg" ? 0 : ins.src;
          regs[target] = spilled && def.bytes === 8 ? PKT | OTHER : OTHER;
        }
        break;
      case "call":
        if (def.target === "helper") {
          const rule = helperRule(ins.imm);
          if (rule?.pktChanging) return at(i, `calls ${rule.name}, which changes packet data`);
          if (!READ_ONLY_HELPERS.has(ins.imm)) {
            for (let r = 1; r <= 5; r++) {
              if (regs[r]! & PKT) return at(i, `passes a packet pointer (r${r}) to helper ${rule?.name ?? ins.imm}, which may write through it`);
            }
          }
        } else if (def.target === "local") {
          const callee = new Uint8Array(11).fill(OTHER);
          for (let r = 1; r <= 5; r++) callee[r] = regs[r]!;
          flow(i + 1 + ins.imm, callee);
        } else if (!ITER_KFUNCS.has(ins.imm) || [1, 2, 3, 4, 5].some((r) => regs[r]! & PKT)) {
          // An iterator's kfuncs (vm/helpers/kfunc) write only the iterator's stack slot.
          return at(i, "calls a kfunc (assumed to write)");
        }
        regs[0] = OTHER;
        for (let r = 1; r <= 5; r++) regs[r] = OTHER;
        break;
      case "callx":
        // The helper is known only at run time: it may be one that changes packet data.
        return at(i, "callx (helper chosen at run time)");
      case "exit":
        continue;
      case "ja":
        flow(jumpTarget(ins, def, i)!, regs);
        continue;
      case "jcond":
      case "maygoto":
        flow(jumpTarget(ins, def, i)!, regs);
        break;
    }
    flow(i + 1, regs);
  }
  return { writes: false, reason: "no store, atomic or helper can reach packet memory" };
}
