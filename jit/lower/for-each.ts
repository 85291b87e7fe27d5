// bpf_for_each_map_elem (helper 164, vm/helpers/for-each.ts) as a wasm loop around a direct call
// of the callback's function, when the machine's helper 164 is vm/helpers/for-each.ts's (the
// helper cannot call back into wasm itself). The walk is the helper's, step by step, in wasm over
// the maps runtime's memory (no call into the runtime or JavaScript per element):
//
//   if (r1 == map M) {                                 // one arm per candidate map
//     if (r4 != 0) r0 = -EINVAL
//     else if (r2 == address of callback k) {          // one arm per candidate callback
//       ARRAY / PERCPU_ARRAY:
//         i = 0
//         loop { *key_slot = i; r0 = f_k(M, key_slot, value(i), ctx = r3, 0); r1..r5 = as f_k left them
//                i++; if (r0 != 0 || i >= max_entries) { r0 = i; break } }
//       HASH and the other hash types:
//         b = 0; e = head(0); n = 0
//         loop { if (e is a nulls marker) { b++; if (b >= n_buckets) { r0 = n; break }; e = head(b); continue }
//                r0 = f_k(M, e.key, value(e), ctx, 0); r1..r5 = as f_k left them; n++
//                if (r0 != 0) { r0 = n; break }; e = e.next }      // e.next read after the call
//     } else fault "not the address of a callback"
//   } else the JS helper (it names what is wrong with r1, as the interpreter does)
//
// Candidates: the maps of a type with a walk, or the one a known r1 names (known.ts: the lddw's
// constant); the callbacks as for bpf_loop (loop.ts). This costs a few loads and a direct call
// per element, where calling the maps runtime's get_next_key + lookup would cost two calls and a
// key hash, and would restart from the first key when a callback deletes its element (the
// kernel's walk goes on). The array key's slot is the CPU's (vm/helpers/for-each.ts keySlotOffset),
// found from the run's stack bound: stack top = stackLow + MAX_CALL_FRAMES * 512.

import {
  FOR_EACH_BAD_FLAGS, FOR_EACH_ID, FOR_EACH_MAP_TYPES, isArrayMap, isForEachHelper, isPerCpuMap, keySlotOffset,
} from "../../vm/helpers/for-each.js";
import * as abi from "../../vm/maps/abi.js";
import type { MapDescriptor } from "../../vm/maps/descriptor.js";
import { MapType } from "../../vm/maps/types.js";
import { MAX_CALL_FRAMES, STACK_SIZE } from "../../vm/isa/opcodes.js";
import { funcAddress } from "../../vm/program/callbacks.js";
import type { Expr } from "../ir.js";
import { Fault } from "../faults.js";
import { CPU_GLOBAL, STACK_LOW_GLOBAL, type FnLowering, type ModuleState } from "./context.js";
import { callCallback, candidates } from "./loop.js";

/**
 * More (map, callback) pairs than this at one call (a call clang merged from several, r1 and r2
 * both unknown): instead of a walk per pair, the walk per callback reads the map's parameters
 * from locals the map arms set (sharedWalks), code linear in maps + callbacks.
 */
const MAX_ARMS = 64;

/** Helper 164 is bpf_for_each_map_elem, which the JIT runs itself. */
export const isForEach = (helpers: ModuleState["helpers"]): boolean => isForEachHelper(helpers.get(FOR_EACH_ID));

export function lowerForEach(f: FnLowering, i: number): Expr {
  const { m, bn } = f;
  const done = "each_done" + i;
  const maps = mapCandidates(f, i);
  const callbacks = candidates(f, i);
  if (maps.length * callbacks.length > MAX_ARMS) return sharedWalks(f, i, maps, callbacks, done);
  const exit = (value: Expr): Expr => m.block(null, [f.set(0, value), m.br(done, m.i32.const(1))], bn.none);
  const arms = maps.map((map) => {
    const perCallback = callbacks.map(([slot, fn]) =>
      m.if(m.i64.eq(f.get(2), m.i64.const(BigInt.asIntN(64, funcAddress(slot)))), m.block(null, [walk(f, i, map, fn, done), m.br(done, m.i32.const(1))], bn.none)),
    );
    const body = [
      m.if(m.i64.ne(f.get(4), m.i64.const(0)), exit(m.i64.const(FOR_EACH_BAD_FLAGS))),
      ...perCallback,
      f.fault(Fault.NOT_CALLBACK, i, f.get(2)),
    ];
    return m.if(m.i64.eq(f.get(1), m.i64.const(map.address)), m.block(null, body, bn.none));
  });
  // No candidate map: the JS helper's check of r1 throws the interpreter's fault.
  f.mod.usedHelpers.add(FOR_EACH_ID);
  const slow = f.set(0, f.callHelper(FOR_EACH_ID));
  return m.block(done, [...arms, slow], bn.none);
}

/** The maps r1 may name at slot i that have a walk. */
function mapCandidates(f: FnLowering, i: number): MapDescriptor[] {
  const all = [...f.mod.maps.values()].filter((d) => FOR_EACH_MAP_TYPES.includes(d.type));
  const r1 = f.factsAt(i)?.[1];
  if (r1?.kind !== "const") return all;
  return all.filter((d) => BigInt(d.address) === r1.value);
}

/**
 * What a walk reads of its map, as expressions: constants for a map known at the call, the
 * shared walks' packed locals otherwise. Array maps: the value plane (this CPU's for a
 * PERCPU_ARRAY), value stride and max_entries; hash maps: the per-CPU value stride (per-CPU
 * types only).
 */
interface WalkMap {
  readonly address: () => Expr;
  readonly plane: () => Expr;
  readonly valueStride: () => Expr;
  readonly maxEntries: () => Expr;
  readonly cpuStride: () => Expr;
}

/** The walk parameters of a map known at compile time. */
function knownMap(f: FnLowering, map: MapDescriptor): WalkMap {
  const { m, bn } = f;
  const c = (v: number) => (): Expr => m.i32.const(v);
  const plane = (): Expr =>
    map.type === MapType.PerCpuArray
      ? m.i32.add(m.i32.const(map.values), m.i32.mul(m.global.get(CPU_GLOBAL, bn.i32), m.i32.const(map.cpuStride)))
      : m.i32.const(map.values);
  return { address: c(map.address), plane, valueStride: c(map.valueStride), maxEntries: c(map.maxEntries), cpuStride: c(map.cpuStride) };
}

/** The walk of `map` calling function `fn`; r0 = the callback calls made, then br `done`. */
function walk(f: FnLowering, i: number, map: MapDescriptor, fn: number, done: string): Expr {
  const params = knownMap(f, map);
  const label = `${i}_${map.address}_${fn}`;
  return isArrayMap(map.type) ? arrayWalk(f, i, params, fn, label, done) : hashWalk(f, i, params, isPerCpuMap(map.type), fn, label, done);
}

/**
 * One callback call: r0 = fn(map, key, value, ctx, 0) in a frame below the caller's, r1..r5 as
 * the callback left them (the interpreter's shared registers).
 */
function callOnce(f: FnLowering, i: number, fn: number, map: WalkMap, key: Expr, value: Expr): Expr[] {
  const { m, bn } = f;
  const fp = (): Expr => m.i64.sub(f.get(10), m.i64.const(BigInt(STACK_SIZE)));
  const args = [m.i64.extend_u(map.address()), m.i64.extend_u(key), m.i64.extend_u(value), m.local.get(f.t64(0), bn.i64), m.i64.const(0)];
  return callCallback(f, i, fn, args, fp);
}

/**
 * The array key's slot for this frame: stack top + keySlotOffset(depth), depth = (stack top -
 * r10) / 512 (slots repeat every MAX_CALL_FRAMES frames, as keySlotOffset's), stack top =
 * stackLow + MAX_CALL_FRAMES * 512.
 */
function keySlot(f: FnLowering): Expr {
  const { m, bn } = f;
  const top = m.i32.add(m.i32.wrap(m.global.get(STACK_LOW_GLOBAL, bn.i64)), m.i32.const(MAX_CALL_FRAMES * STACK_SIZE));
  const depth4 = m.i32.and(m.i32.shr_u(m.i32.sub(top, f.get32(10)), m.i32.const(Math.log2(STACK_SIZE) - 2)), m.i32.const(4 * MAX_CALL_FRAMES - 1));
  return m.i32.add(m.i32.add(top, m.i32.const(keySlotOffset(0))), depth4);
}

/**
 * ARRAY / PERCPU_ARRAY: index 0 .. max_entries - 1 in t32(0), key slot in t32(1); r0 = index + 1
 * at the end. `label` makes the loop's label unique in the function.
 */
function arrayWalk(f: FnLowering, i: number, map: WalkMap, fn: number, label: string, done: string): Expr {
  const { m, bn } = f;
  const index = f.t32(0);
  const key = f.t32(1);
  const again = `each_anext${label}`;
  const idx = (): Expr => m.local.get(index, bn.i32);
  const value = m.i32.add(map.plane(), m.i32.mul(idx(), map.valueStride()));
  const body = [
    m.local.set(key, keySlot(f)),
    m.i32.store(0, 4, m.local.get(key, bn.i32), idx()),
    ...callOnce(f, i, fn, map, m.local.get(key, bn.i32), value),
    m.local.set(index, m.i32.add(idx(), m.i32.const(1))),
    m.if(
      m.i32.or(m.i64.ne(f.get(0), m.i64.const(0)), m.i32.ge_u(idx(), map.maxEntries())),
      m.block(null, [f.set(0, m.i64.extend_u(idx())), m.br(done, m.i32.const(1))], bn.none),
    ),
    m.br(again, m.i32.const(1)),
  ];
  return m.block(null, [m.local.set(f.t64(0), f.get(3)), m.local.set(index, m.i32.const(0)), m.loop(again, m.block(null, body, bn.none))], bn.none);
}

/**
 * HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH (per-CPU values when `perCpu`): bucket in t32(0),
 * element (or a chain's nulls marker) in t32(1), callback calls in t32(2).
 */
function hashWalk(f: FnLowering, i: number, map: WalkMap, perCpu: boolean, fn: number, label: string, done: string): Expr {
  const { m, bn } = f;
  const [bucket, elem, calls] = [f.t32(0), f.t32(1), f.t32(2)];
  const again = `each_hnext${label}`;
  const get = (local: number): Expr => m.local.get(local, bn.i32);
  const header = (field: number): Expr => m.i32.load(field, 4, map.address());
  const head = (): Expr => m.i32.load(0, 4, m.i32.add(header(abi.H_BUCKETS), m.i32.shl(get(bucket), m.i32.const(2))));
  const value = perCpu
    ? m.i32.add(m.i32.load(abi.E_PCPU, 4, get(elem)), m.i32.mul(m.global.get(CPU_GLOBAL, bn.i32), map.cpuStride()))
    : m.i32.add(get(elem), header(abi.H_VALUE_OFF));
  const finish = (): Expr => m.block(null, [f.set(0, m.i64.extend_u(get(calls))), m.br(done, m.i32.const(1))], bn.none);
  const nextBucket = m.block(null, [
    m.local.set(bucket, m.i32.add(get(bucket), m.i32.const(1))),
    m.if(m.i32.gt_u(get(bucket), header(abi.H_BUCKET_MASK)), finish()),
    m.local.set(elem, head()),
    m.br(again, m.i32.const(1)),
  ], bn.none);
  const body = [
    m.if(m.i32.and(get(elem), m.i32.const(1)), nextBucket),
    ...callOnce(f, i, fn, map, m.i32.add(get(elem), m.i32.const(abi.E_KEY)), value),
    m.local.set(calls, m.i32.add(get(calls), m.i32.const(1))),
    m.if(m.i64.ne(f.get(0), m.i64.const(0)), finish()),
    // The next link is read after the call: the callback may have deleted its element.
    m.local.set(elem, m.i32.load(abi.E_NEXT, 4, get(elem))),
    m.br(again, m.i32.const(1)),
  ];
  return m.block(null, [
    m.local.set(f.t64(0), f.get(3)),
    m.local.set(bucket, m.i32.const(0)),
    m.local.set(calls, m.i32.const(0)),
    m.local.set(elem, head()),
    m.loop(again, m.block(null, body, bn.none)),
  ], bn.none);
}

// ---- many candidates: walks shared by the maps, one per callback and map kind.
//
//   block sel { if (r1 == map M) { P = params(M); br sel } ...; the JS helper (names a bad r1) }
//   if (r4 != 0) r0 = -EINVAL
//   else if (r2 == address of callback k) { ARRAY: array walk of f_k over P; HASH: hash walk (per-CPU or not) }
//   ... else fault "not the address of a callback"
//
// P in two i64 temporaries: t64(1) = map address | (array: the CPU's value plane; hash: the
// per-CPU value stride) << 32; t64(2) = array: value stride | max_entries << 32 (stride >= 8, so
// non-zero), hash: 0 | per-CPU << 32.

const lo = (f: FnLowering, local: number): Expr => f.m.i32.wrap(f.m.local.get(local, f.bn.i64));
const hi = (f: FnLowering, local: number): Expr => f.m.i32.wrap(f.m.i64.shr_u(f.m.local.get(local, f.bn.i64), f.m.i64.const(32n)));
const pack = (f: FnLowering, low: Expr, high: Expr): Expr =>
  f.m.i64.or(f.m.i64.extend_u(low), f.m.i64.shl(f.m.i64.extend_u(high), f.m.i64.const(32n)));

/** The walk parameters the map arms of sharedWalks packed into t64(1) and t64(2). */
function packedMap(f: FnLowering): WalkMap {
  const [p1, p2] = [f.t64(1), f.t64(2)];
  return {
    address: () => lo(f, p1),
    plane: () => hi(f, p1),
    valueStride: () => lo(f, p2),
    maxEntries: () => hi(f, p2),
    cpuStride: () => hi(f, p1),
  };
}

function sharedWalks(f: FnLowering, i: number, maps: readonly MapDescriptor[], callbacks: ReadonlyArray<[number, number]>, done: string): Expr {
  const { m, bn } = f;
  const sel = "each_sel" + i;
  const [p1, p2] = [f.t64(1), f.t64(2)];
  const params = (map: MapDescriptor): Expr[] => {
    const known = knownMap(f, map);
    if (isArrayMap(map.type)) {
      return [m.local.set(p1, pack(f, known.address(), known.plane())), m.local.set(p2, pack(f, known.valueStride(), known.maxEntries()))];
    }
    const perCpu = isPerCpuMap(map.type);
    return [m.local.set(p1, pack(f, known.address(), m.i32.const(perCpu ? map.cpuStride : 0))), m.local.set(p2, pack(f, m.i32.const(0), m.i32.const(perCpu ? 1 : 0)))];
  };
  f.mod.usedHelpers.add(FOR_EACH_ID);
  const select = m.block(sel, [
    ...maps.map((map) => m.if(m.i64.eq(f.get(1), m.i64.const(map.address)), m.block(null, [...params(map), m.br(sel, m.i32.const(1))], bn.none))),
    // No candidate map: the JS helper's check of r1 throws the interpreter's fault.
    f.set(0, f.callHelper(FOR_EACH_ID)),
    m.br(done, m.i32.const(1)),
  ], bn.none);
  const packed = packedMap(f);
  const perCallback = callbacks.map(([slot, fn]) => {
    const label = `${i}_${fn}`;
    const isArray = m.i32.ne(lo(f, p2), m.i32.const(0));
    const walks = m.if(
      isArray,
      arrayWalk(f, i, packed, fn, label, done),
      m.if(m.i32.ne(hi(f, p2), m.i32.const(0)), hashWalk(f, i, packed, true, fn, label + "_1", done), hashWalk(f, i, packed, false, fn, label + "_0", done)),
    );
    return m.if(m.i64.eq(f.get(2), m.i64.const(BigInt.asIntN(64, funcAddress(slot)))), m.block(null, [walks, m.br(done, m.i32.const(1))], bn.none));
  });
  return m.block(done, [
    select,
    m.if(m.i64.ne(f.get(4), m.i64.const(0)), m.block(null, [f.set(0, m.i64.const(FOR_EACH_BAD_FLAGS)), m.br(done, m.i32.const(1))], bn.none)),
    ...perCallback,
    f.fault(Fault.NOT_CALLBACK, i, f.get(2)),
  ], bn.none);
}
