// State pruning (the kernel's states_equal / regsafe / stacksafe / check_ids): a path reaching a
// checkpoint whose state is "within" a state already proven safe from the same instruction is
// safe too, and need not be explored again. Within means: for every live register and every
// stack byte the old state cared about, each value the current state allows, the old one
// allowed too — where scalars count only if the old state's are precise (precision.ts: some
// path after it relied on their values).
//
// Register liveness is static (cfg.ts): a register not live at the instruction is never read
// before being written, so its value cannot matter. Stack slot liveness is gathered as paths are
// explored (stack-liveness.ts) and counts only against a checkpoint proven safe (WITHIN).

import { scalarEquals, scalarWithin } from "./bounds.js";
import { Slot, type Frame, type VState } from "./state.js";
import { spillSize } from "./stack.js";
import { UNKNOWN_SCALAR, type Reg } from "./regs.js";
import { callerLive, type Cfg } from "./cfg.js";
import { locksWithin } from "./spin-lock.js";
import type { SlotMask, StackLiveness } from "./stack-liveness.js";

const slotLive = (m: SlotMask, k: number): boolean => ((k < 32 ? m.lo >>> k : m.hi >>> (k - 32)) & 1) === 1;

/** One-to-one correspondence of ids between the old and the current state (check_ids). */
class IdMap {
  private readonly fwd = new Map<number, number>();
  private readonly back = new Map<number, number>();

  ok(old: number, cur: number): boolean {
    if (old === 0 && cur === 0) return true;
    if (old === 0 || cur === 0) return false;
    const f = this.fwd.get(old);
    const b = this.back.get(cur);
    if (f === undefined && b === undefined) {
      this.fwd.set(old, cur);
      this.back.set(cur, old);
      return true;
    }
    return f === cur && b === old;
  }
}

/**
 * How states are compared (the kernel's enum exact_level): WITHIN for pruning against a state
 * proven safe (imprecise scalars match anything), RANGE for a loop's earlier iteration still
 * being explored (every value by its range: precision is not known yet), EXACT for infinite
 * loops.
 */
export const Compare = { WITHIN: 0, RANGE: 1, EXACT: 2 } as const;
export type CompareMode = (typeof Compare)[keyof typeof Compare];

/** old ⊒ cur (or old = cur when exact), at the same instruction. */
export function statesWithin(cfg: Cfg, old: VState, cur: VState, mode: CompareMode, allowUninit: boolean, liveness?: StackLiveness): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  if (old.refs.length !== cur.refs.length) return false;
  const ids = new IdMap();
  for (let k = 0; k < old.frames.length; k++) {
    const fo = old.frames[k]!;
    const fc = cur.frames[k]!;
    if (fo.callsite !== fc.callsite) return false;
    // func_states_equal: a state that had run more bpf_loop iterations than this one (its
    // nr_loops left fewer to explore) does not cover it — this one may still iterate.
    if (fo.callbackDepth > fc.callbackDepth) return false;
    const top = k === old.frames.length - 1;
    // A caller's registers count as live where it resumes (cfg.ts callerLive).
    const live = top ? cfg.liveIn[cur.pc]! : callerLive(cfg, old.frames, k);
    for (let i = 0; i <= 10; i++) {
      if ((live & (1 << i)) === 0) continue;
      if (!regWithin(fo.regs[i]!, fc.regs[i]!, ids, mode)) return false;
    }
    // Slots no path reads after `old` cannot matter (stack-liveness.ts), when `old` is a checkpoint
    // whose paths are all explored (WITHIN); in a loop visit still open (RANGE) every slot counts.
    const slots = liveness && mode === Compare.WITHIN ? liveness.live(old, k, LIVE) : ALL_SLOTS;
    if (!stackWithin(fo, fc, ids, mode, allowUninit, slots)) return false;
  }
  for (let i = 0; i < old.refs.length; i++) {
    if (!ids.ok(old.refs[i]!.id, cur.refs[i]!.id)) return false;
  }
  // refsafe: the held bpf_spin_lock, its id mapped as the registers' are.
  return locksWithin(old.lock, cur.lock, (o, c) => ids.ok(o, c));
}

function regWithin(o: Reg, c: Reg, ids: IdMap, mode: CompareMode): boolean {
  // The very same register: within, but its ids still join the id map (check_ids runs for every
  // compared register), or a later id — the held spin lock's, another register's — could map
  // to a different one where this one already maps to itself. Imprecise scalars' ids are
  // never compared (regsafe returns before check_scalar_ids).
  if (o === c) return (o.type === "scalar" && !o.precise && mode === Compare.WITHIN) || (ids.ok(o.id, c.id) && ids.ok(o.ref, c.ref));
  if (mode === Compare.EXACT) return regEquals(o, c, ids);
  if (o.type === "not_init") return true; // the old path never read it
  if (o.type !== c.type) return false;
  switch (o.type) {
    case "scalar":
      // No path after the checkpoint relied on this value (precision.ts): any scalar will do.
      if (!o.precise && mode === Compare.WITHIN) return true;
      // Linked scalars: if the old state relied on two registers being equal (or one being the
      // other plus a constant), so must this one.
      if (o.id !== 0 && (c.id === 0 || o.off !== c.off || !ids.ok(o.id, c.id))) return false;
      return scalarWithin(o.s, c.s);
    case "packet":
    case "packet_meta":
      // At least the old range (any access safe before is safe now); a pointer known at or past
      // data_end decided branches, so that mark must be the same (regsafe's [BEYOND|AT]_PKT_END
      // case).
      if (o.range < 0 || c.range < 0 ? o.range !== c.range : o.range > c.range) return false;
      return o.off === c.off && ids.ok(o.id, c.id) && scalarWithin(o.s, c.s);
    case "map_ptr":
      return o.map === c.map;
    case "iter":
    case "dynptr":
      // An iterator's slot (iter-slot.ts): same type and state, references mapped; the depth
      // does not count (stacksafe's STACK_ITER case), or iterations could never converge. Half
      // of a dynptr (dynptr-slot.ts): same type and half, references mapped; its own id does
      // not count (STACK_DYNPTR).
      return o.map === c.map && o.range === c.range && ids.ok(o.ref, c.ref);
    default:
      return (
        o.off === c.off && o.map === c.map && o.frame === c.frame && o.range === c.range &&
        ids.ok(o.id, c.id) && ids.ok(o.ref, c.ref) && scalarWithin(o.s, c.s)
      );
  }
}

function regEquals(o: Reg, c: Reg, ids: IdMap): boolean {
  return (
    o.type === c.type && o.off === c.off && o.map === c.map && o.frame === c.frame && o.range === c.range &&
    ids.ok(o.id, c.id) && ids.ok(o.ref, c.ref) && scalarEquals(o.s, c.s)
  );
}

/** Every slot live: comparisons without liveness (ranges, exact, loops still being explored). */
const ALL_SLOTS: SlotMask = { lo: -1, hi: -1 };
const LIVE: SlotMask = { lo: 0, hi: 0 };

function stackWithin(fo: Frame, fc: Frame, ids: IdMap, mode: CompareMode, allowUninit: boolean, live: SlotMask): boolean {
  if (fo.sameStack(fc) && !hasIds(fo)) return true;
  const exact = mode === Compare.EXACT;
  // Slots never written in the old frame (all INVALID) match anything (below): the current
  // frame's other slots matter only for an exact comparison.
  const slots = exact ? Math.max(fo.slotsUsed, fc.slotsUsed) : fo.slotsUsed;
  for (let k = 0; k < slots; k++) {
    const base = 512 - 8 * (k + 1);
    // A slot no path reads from here on (clean_func_state makes it STACK_INVALID, which stacksafe
    // skips). An iterator's or a dynptr's slot always counts: its reads are its kfuncs' and
    // helpers' (iter.ts, dynptr.ts), not marked.
    if (!slotLive(live, k) && fo.bytes[base] !== Slot.ITER && fo.bytes[base] !== Slot.DYNPTR) continue;
    const so = fo.spills[k];
    const sc = fc.spills[k];
    if (so && !sc && !exact && so.type === "scalar" && spillSize(fo, k) === 8 && allMisc(fc, base, allowUninit)) {
      // A 64-bit scalar spill against a slot of unknown bytes (stacksafe's scalar_reg_for_stack):
      // a load there gives an unknown scalar, within the spill only if nothing relied on its value.
      if (!regWithin(so, UNKNOWN_SCALAR, ids, mode)) return false;
      continue;
    }
    if (so && (!sc || spillSize(fo, k) !== spillSize(fc, k) || !regWithin(so, sc, ids, mode))) return false;
    if (exact && !so && sc) return false;
    for (let b = base; b < base + 8; b++) {
      const to = fo.bytes[b]!;
      const tc = fc.bytes[b]!;
      if (exact) {
        if (to !== tc || fo.known[b] !== fc.known[b]) return false;
        continue;
      }
      if (to === Slot.SPILL) {
        if (tc !== Slot.SPILL) return false; // the spill's extent must match (its reg was compared above)
        continue;
      }
      // Never read on the old path, or (allowUninit) read as unknown bytes: anything will do
      // (stacksafe). Even a spilled pointer: the path after the checkpoint was proven safe for
      // any value read there, and a pointer's value is one; that it may become a number is the
      // pointer leak root is allowed (allow_ptr_leaks).
      if (to === Slot.INVALID) continue;
      // A byte the old path knew as a constant and relied on (a map key, a value read back
      // and used: precision.ts marks the slot) must be that constant here too.
      if (fo.known[b]! >= 0 && fo.known[b] !== fc.known[b] && (fo.knownPrecise(k) || mode === Compare.RANGE)) return false;
      if (to === tc) continue;
      // MISC reads as an unknown scalar: a known zero or a spilled scalar's byte is within it.
      // Where uninitialised reads are allowed, anything is (stacksafe: old STACK_MISC matches
      // any slot with allow_uninit_stack; a pointer as above).
      if (to === Slot.MISC && (allowUninit || tc === Slot.ZERO || (tc === Slot.SPILL && sc?.type === "scalar"))) continue;
      return false;
    }
  }
  return true;
}

/** is_stack_all_misc: every byte of the slot at `base` written with unknown bytes (or, allowUninit, never written). */
function allMisc(f: Frame, base: number, allowUninit: boolean): boolean {
  for (let b = base; b < base + 8; b++) {
    const t = f.bytes[b];
    if (t !== Slot.MISC && !(allowUninit && t === Slot.INVALID)) return false;
  }
  return true;
}

/**
 * widen_imprecise_scalars, for callbacks (callbacks.ts): `cur` returns to a helper call that
 * `old` (the previous iteration's checkpoint there, same frames) went through. A scalar that
 * `old` holds imprecise — nothing relied on its value so far — and that changed becomes
 * unknown in `cur`, so that the next comparison with it can succeed instead of unrolling the
 * callback once per value. Constant bytes of plain stores (tracked here, never by the kernel,
 * for which they are unknown) are forgotten whenever they changed, relied on or not: a loop the
 * kernel sees converge must converge here too.
 */
export function widenImprecise(old: VState, cur: VState): void {
  const ids = new IdMap();
  const widen = (o: Reg | undefined, c: Reg): Reg =>
    o !== undefined && o.type === "scalar" && c.type === "scalar" && !o.precise && !regEquals(o, c, ids) ? UNKNOWN_SCALAR : c;
  for (let k = old.frames.length - 1; k >= 0; k--) {
    const fo = old.frames[k]!;
    const fc = cur.frames[k]!;
    for (let i = 0; i < 10; i++) fc.regs[i] = widen(fo.regs[i], fc.regs[i]!);
    for (let s = 0; s < fc.slotsUsed; s++) {
      const so = fo.spills[s];
      const sc = fc.spills[s];
      if (so && sc) {
        const w = widen(so, sc);
        if (w !== sc) {
          fc.own();
          fc.spills[s] = w;
          fc.known.fill(-1, 512 - 8 * (s + 1), 512 - 8 * s); // the spilled constant's bytes too
        }
      }
      forgetChangedBytes(fo, fc, s);
    }
  }
}

/** Constant bytes of plain stores in slot s that differ from `fo`'s are no longer known in `fc`. */
function forgetChangedBytes(fo: Frame, fc: Frame, s: number): void {
  const base = 512 - 8 * (s + 1);
  for (let b = base; b < base + 8; b++) {
    if (fc.known[b]! < 0 || fc.known[b] === fo.known[b] || fc.bytes[b] === Slot.SPILL) continue;
    fc.own();
    fc.known[b] = -1;
  }
}

/**
 * Forget scalar ids held by a single register (clear_singular_ids): a link to nothing carries
 * no information, and keeping it would make the checkpoint needlessly hard to match.
 */
export function clearSingularIds(st: VState): void {
  let ids: number[] | undefined;
  const note = (r: Reg | undefined): void => {
    if (r !== undefined && r.id !== 0 && r.type === "scalar") (ids ??= []).push(r.id);
  };
  for (const f of st.frames) {
    for (let i = 0; i < 10; i++) note(f.regs[i]);
    for (let k = 0; k < f.slotsUsed; k++) note(f.spills[k]);
  }
  if (!ids) return;
  const all = ids;
  const once = (id: number): boolean => all.indexOf(id) === all.lastIndexOf(id);
  st.mapRegs((r) => (r.type === "scalar" && r.id !== 0 && once(r.id) ? { ...r, id: 0, off: 0 } : r));
}

/**
 * A number equal for identical states (on the top frame's live registers), so that the
 * infinite-loop check compares a state only with the few checkpoints that could equal it.
 */
export function stateDigest(cfg: Cfg, st: VState): number {
  const live = cfg.liveIn[st.pc]!;
  const regs = st.frame.regs;
  let h = st.frames.length;
  for (let i = 0; i < 10; i++) {
    if ((live & (1 << i)) === 0) continue;
    const r = regs[i]!;
    h = (Math.imul(h, 31) + r.type.length + r.off * 7 + r.range * 13) | 0;
    if (r.type === "scalar" || r.s.t.ml !== 0 || r.s.t.vl !== 0) {
      h = (Math.imul(h, 31) + r.s.t.vl + r.s.umaxL) | 0;
    }
  }
  return h;
}

/** Spilled registers whose ids must still be matched even when the stacks are the same arrays. */
function hasIds(f: Frame): boolean {
  for (let k = 0; k < f.slotsUsed; k++) {
    const r = f.spills[k];
    if (r !== undefined && (r.id !== 0 || r.ref !== 0)) return true;
  }
  return false;
}
