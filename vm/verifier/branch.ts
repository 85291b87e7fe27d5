// Conditional jumps (the kernel's check_cond_jmp_op): decide the branch when the facts decide
// it, otherwise explore both sides, each refined by what its side of the comparison teaches:
//  - scalars: ranges and known bits (compare.ts), shared with linked copies (same id);
//  - `if ptr == 0` on a map_value_or_null: null on one side, a map value on the other, for
//    every copy with the same id (mark_ptr_or_null_regs);
//  - packet pointer vs data_end: the proven packet range (find_good_pkt_pointers) on one side,
//    the pointer known past data_end on the other (mark_pkt_end), which decides its later
//    comparisons with data_end (is_pkt_ptr_branch_taken).

import { ZERO, scalarConst, umaxNum, type Scalar } from "./bounds.js";
import { branchTaken, negate, refine, type Cond } from "./compare.js";
import { readReg } from "./alu.js";
import { immScalar, scalarAlu } from "./scalar-alu.js";
import { MAX_PACKET_OFF } from "./memory.js";
import { AT_PKT_END, BEYOND_PKT_END, fixedOffset, isNullScalar, isOrNull, isPacketLike, isPointer, isSockPointer, scalarReg, type Reg } from "./regs.js";
import type { Insn } from "../isa/instruction.js";
import type { OpDef } from "../isa/table.js";
import type { VState } from "./state.js";
import type { Env } from "./env.js";
import { markPrecise } from "./precision.js";
import { notNullReg } from "./map-rules.js";

export interface BranchOutcome {
  /** State for the fall-through side, undefined if that side cannot happen. */
  fall?: VState;
  /** State for the jump side. */
  jump?: VState;
}

type JcondDef = Extract<OpDef, { kind: "jcond" }>;

export function checkCondJmp(env: Env, st: VState, ins: Insn, def: JcondDef): BranchOutcome {
  const a = readReg(st, ins.dst);
  const b = def.reg ? readReg(st, ins.src) : scalarReg(immScalar(ins.imm));
  const cond: Cond = def.cond;
  if (a.type === "scalar" && b.type === "scalar") return scalarBranch(env, st, ins, def, a.s, b.s, cond);
  const decided = def.reg ? pointerDecided(a, b, cond, def.wide) ?? pktEndDecided(a, b, cond, def.wide) : pointerDecided(a, b, cond, def.wide);
  // Decided by a scalar being 0, or a null check by a register holding 0: that value counts.
  const markZero = (): void => {
    if (a.type === "scalar") markPrecise(env, st, ins.dst);
    if (def.reg && b.type === "scalar") markPrecise(env, st, ins.src);
  };
  if (decided !== undefined) {
    markZero();
    return decided ? { jump: st } : { fall: st };
  }
  const jump = st.clone();
  const fall = st;
  if (def.wide && (cond === "jeq" || cond === "jne")) {
    const eqSide = cond === "jeq" ? jump : fall;
    const neSide = cond === "jeq" ? fall : jump;
    // Only `dst == 0` (or == a register holding 0) with dst the nullable pointer (check_cond_jmp_op:
    // type_may_be_null(dst_reg->type)); `0 == ptr` decides nothing about ptr.
    if (markNull(env, a, b, eqSide, neSide)) {
      markZero();
      return { fall, jump };
    }
    if (def.reg) equalToNonNull(env, ins, a, b, eqSide);
  }
  if (def.wide && isPointer(a) && isPointer(b)) matchPacketPointers(a, b, ins, cond, fall, jump);
  return { fall, jump };
}

function scalarBranch(env: Env, st: VState, ins: Insn, def: JcondDef, a: Scalar, b: Scalar, cond: Cond): BranchOutcome {
  // A side left unexplored because of what the operands are makes their values count
  // (check_cond_jmp_op: mark_chain_precision when is_branch_taken decides).
  const operandsCount = (): void => {
    markPrecise(env, st, ins.dst);
    if (def.reg) markPrecise(env, st, ins.src);
  };
  const decided = branchTaken(a, b, cond, def.wide);
  if (decided !== undefined) {
    operandsCount();
    return decided ? { jump: st } : { fall: st };
  }
  const jump = st.clone();
  const okJump = applyRefinement(jump, ins, def, a, b, cond);
  const okFall = applyRefinement(st, ins, def, a, b, negate(cond));
  if (!okJump || !okFall) operandsCount();
  return { jump: okJump ? jump : undefined, fall: okFall ? st : undefined };
}

/** Narrow dst (and src, if a register) by `a cond b`; false if the side is infeasible. */
function applyRefinement(st: VState, ins: Insn, def: JcondDef, a: Scalar, b: Scalar, cond: Cond): boolean {
  if (def.reg && ins.src === ins.dst) return true;
  const r = refine(a, b, cond, def.wide);
  if (!r) return false;
  setScalar(st, ins.dst, r[0]);
  if (def.reg) setScalar(st, ins.src, r[1]);
  return true;
}

/**
 * Give a register a refined value, and every register linked to it (same id) too
 * (sync_linked_regs): a copy made with a constant added (off) gets the value plus the difference.
 */
function setScalar(st: VState, regno: number, s: Scalar): void {
  const old = st.regs[regno]!;
  if (old.id === 0) {
    st.regs[regno] = { ...old, s };
    return;
  }
  const { id, off } = old;
  const linked = (r: Reg): Reg => ({ ...r, s: r.off === off ? s : scalarAlu("add", s, scalarConst(BigInt(r.off - off)), true) });
  for (const frame of st.frames) {
    const regs = frame.regs;
    for (let i = 0; i < 10; i++) {
      const r = regs[i]!;
      if (r.id === id && r.type === "scalar") regs[i] = linked(r);
    }
    for (let k = 0; k < frame.slotsUsed; k++) {
      const r = frame.spills[k];
      if (r === undefined || r.id !== id || r.type !== "scalar") continue;
      frame.own();
      frame.spills[k] = linked(r);
    }
  }
}

/** A pointer that cannot be null compared with 0 (is_branch_taken for pointers). */
function pointerDecided(a: Reg, b: Reg, cond: Cond, wide: boolean): boolean | undefined {
  if (!wide || (cond !== "jeq" && cond !== "jne")) return undefined;
  const isZero = isNullScalar;
  // reg_not_null: only these types are known non-null (not ctx, stack or packet pointers).
  const nonNullPtr = (r: Reg): boolean => r.type === "map_value" || r.type === "map_key" || r.type === "mem" || r.type === "rdonly_mem" || r.type === "map_ptr" || isSockPointer(r);
  if ((nonNullPtr(a) && isZero(b)) || (nonNullPtr(b) && isZero(a))) return cond === "jne";
  return undefined;
}

/**
 * is_pkt_ptr_branch_taken: a packet pointer marked past data_end (BEYOND: > end) or at it
 * (AT: >= end) decides its unsigned comparisons with data_end. The kernel does not mark the
 * pointer precise: it is not a scalar.
 */
function pktEndDecided(a: Reg, b: Reg, cond: Cond, wide: boolean): boolean | undefined {
  if (!wide) return undefined;
  let pkt: Reg;
  let c: Cond;
  if (isPacketLike(a) && b.type === "packet_end") [pkt, c] = [a, cond];
  else if (a.type === "packet_end" && isPacketLike(b)) [pkt, c] = [b, flipCond(cond)];
  else return undefined;
  if (pkt.range >= 0) return undefined;
  switch (c) {
    case "jgt": // pkt > end
    case "jle": // pkt <= end
      return pkt.range === BEYOND_PKT_END ? c === "jgt" : undefined;
    case "jge": // pkt >= end
    case "jlt": // pkt < end
      return c === "jge"; // BEYOND or AT
    default:
      return undefined;
  }
}

/** `ptr == 0` where ptr may be null: on the null side it (and its copies) is 0, else not null. */
function markNull(env: Env, p: Reg, z: Reg, nullSide: VState, otherSide: VState): boolean {
  if (!isOrNull(p) || !isNullScalar(z) || p.id === 0) return false;
  const id = p.id;
  nullSide.mapRegs((r) => (isOrNull(r) && r.id === id ? scalarReg(ZERO) : r));
  // A reference that turned out null was never acquired (kernel: release on the null branch) —
  // only for the acquiring helper's own result (ref_obj_id == id), not for a pointer derived
  // from a referenced one (bpf_sk_fullsock, bpf_tcp_sock), whose reference stays held.
  if (p.ref && p.ref === p.id) nullSide.refs = nullSide.refs.filter((x) => x.id !== p.ref);
  otherSide.mapRegs((r) => (isOrNull(r) && r.id === id ? notNullReg(env, r) : r));
  return true;
}

/**
 * Two pointers compared equal, one of them possibly null and the other not: on the equal side the
 * nullable one is not null either (check_cond_jmp_op; that register only, not its copies).
 */
function equalToNonNull(env: Env, ins: Insn, a: Reg, b: Reg, eqSide: VState): void {
  if (!isPointer(a) || !isPointer(b) || isOrNull(a) === isOrNull(b)) return;
  const regno = isOrNull(a) ? ins.dst : ins.src;
  eqSide.regs[regno] = notNullReg(env, eqSide.regs[regno]!);
}

/**
 * try_match_pkt_pointers: `pkt' op pkt_end` proves bytes below pkt' readable on the side where
 * pkt' <= pkt_end (or <). "fall" is the kernel's this_branch, "jump" its other_branch.
 */
function matchPacketPointers(a: Reg, b: Reg, ins: Insn, cond: Cond, fall: VState, jump: VState): void {
  const isData = (r: Reg, end: Reg): boolean =>
    (r.type === "packet" && end.type === "packet_end") ||
    (r.type === "packet_meta" && end.type === "packet" && end.off === 0 && fixedOffset(end));
  // Normalise to "data' cond end".
  let data: Reg;
  let c: Cond;
  let regno: number;
  if (isData(a, b)) [data, c, regno] = [a, cond, ins.dst];
  else if (isData(b, a)) [data, c, regno] = [b, flipCond(cond), ins.src];
  else return;
  // The side where data' > end (or >= end) knows it of this register (mark_pkt_end; packet
  // pointers against data_end only, not pkt_meta against data).
  const pastEnd = (st: VState, range: number): void => {
    if (data.type === "packet") st.regs[regno] = { ...st.regs[regno]!, range };
  };
  switch (c) {
    case "jgt": // data' > end: fall-through knows data' <= end
      goodPkt(fall, data, false);
      return pastEnd(jump, BEYOND_PKT_END);
    case "jlt": // data' < end on the jump side
      goodPkt(jump, data, true);
      return pastEnd(fall, AT_PKT_END);
    case "jge": // data' >= end false: data' < end
      goodPkt(fall, data, true);
      return pastEnd(jump, AT_PKT_END);
    case "jle":
      goodPkt(jump, data, false);
      return pastEnd(fall, BEYOND_PKT_END);
    default:
      return;
  }
}

function flipCond(c: Cond): Cond {
  const m: Partial<Record<Cond, Cond>> = { jgt: "jlt", jlt: "jgt", jge: "jle", jle: "jge" };
  return m[c] ?? c;
}

/** find_good_pkt_pointers: every packet pointer with data's id gets range >= data.off. */
function goodPkt(st: VState, data: Reg, rightOpen: boolean): undefined {
  if (data.off < 0 || (data.off === 0 && rightOpen)) return undefined;
  const umax = umaxNum(data.s);
  if (umax > MAX_PACKET_OFF || umax + data.off > MAX_PACKET_OFF) return undefined;
  const range = data.off + (rightOpen ? 1 : 0);
  st.mapRegs((r) => (r.type === data.type && r.id === data.id && r.range < range ? { ...r, range } : r));
  return undefined;
}
