// bpf_for_each_map_elem (BPF_FUNC_for_each_map_elem = 164): `long bpf_for_each_map_elem(struct
// bpf_map *map, void *callback_fn, void *callback_ctx, u64 flags)` calls
// callback_fn(map, key, value, callback_ctx) for each element of the map; a callback returning
// non-zero (the verifier allows only 0 and 1) stops the walk. It returns the number of callback
// calls made, or -EINVAL for flags other than 0 (kernel/bpf/bpf_iter.c BPF_CALL_4, which hands
// over to the map's map_for_each_callback).
//
// The walk is the kernel's, map type by map type:
//   - ARRAY, PERCPU_ARRAY (arraymap.c bpf_for_each_array_elem): index 0 .. max_entries - 1; the
//     key is a u32 holding the index (on the helper's stack in the kernel, here in a slot of the
//     CPU's scratch area: keySlot); the value is the element, this CPU's copy for PERCPU_ARRAY.
//   - HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH (hashtab.c bpf_for_each_hash_elem): bucket 0
//     .. n_buckets - 1, each chain from its head; the key and value are the element's own (this
//     CPU's copy of the value for the per-CPU types). As in the kernel the next element is read
//     after the callback returns, so a callback may delete the element it is given, and LRU
//     maps are not touched (the walk is no lookup). The bucket order depends on the map's hash
//     seed, so only array order is something a program can rely on.
//
// The callback is a subprogram of the running program, so the engines run the walk themselves
// (the interpreter in its dispatch loop, vm/interpreter/for-each.ts; the JIT as a wasm loop
// around a call of the callback's function, jit/lower/for-each.ts); what they share is here.

import * as abi from "../maps/abi.js";
import type { MapDescriptor } from "../maps/descriptor.js";
import { MapType } from "../maps/types.js";
import { MAX_CALL_FRAMES, STACK_SIZE } from "../isa/opcodes.js";
import { CTX_SIZE, SCRATCH_SIZE } from "../memory/layout.js";
import { EINVAL } from "./packet/uapi.js";
import type { HelperDef } from "./registry.js";

export const FOR_EACH_ID = 164;

/** What bpf_for_each_map_elem returns for flags other than 0. */
export const FOR_EACH_BAD_FLAGS = -EINVAL;

/** The map types with a map_for_each_callback in the kernel (the others: "callback function not allowed for map"). */
export const FOR_EACH_MAP_TYPES: readonly number[] = [
  MapType.Hash, MapType.Array, MapType.PerCpuHash, MapType.PerCpuArray, MapType.LruHash, MapType.LruPerCpuHash,
];

export const isArrayMap = (type: number): boolean => type === MapType.Array || type === MapType.PerCpuArray;
export const isPerCpuMap = (type: number): boolean =>
  type === MapType.PerCpuArray || type === MapType.PerCpuHash || type === MapType.LruPerCpuHash;

/**
 * The helper table entry. Its signature serves the verifier; `mapAt` turns r1 into the map the
 * engines walk, refusing what the kernel verifier would have refused (not a map of this machine,
 * a map type without a walk) with the interpreter's fault message. Calling it as a function is
 * only reached for such a refusal (the JIT's check of an unproven r1): a valid call would be an
 * engine bug, as the engine must run the walk itself.
 */
export interface ForEachHelperDef extends HelperDef {
  readonly mapAt: (r1: bigint) => MapDescriptor;
}

export function forEachMapElemHelper(mapAt: (r1: bigint) => MapDescriptor): ForEachHelperDef {
  return {
    id: FOR_EACH_ID,
    name: "for_each_map_elem",
    args: ["const_map_ptr", "ptr_to_func", "ptr_to_stack_or_null", "anything"],
    ret: "integer",
    mapAt,
    impl: (_ctx, r1) => {
      mapAt(r1);
      throw new Error("bpf_for_each_map_elem calls back into the program: this engine does not implement callbacks (vm/helpers/for-each.ts)");
    },
  };
}

export const isForEachHelper = (def: HelperDef | undefined): def is ForEachHelperDef =>
  def !== undefined && def.id === FOR_EACH_ID && "mapAt" in def;

/**
 * Where an array walk keeps its u32 key, for a walk started in call frame `depth` (0 = the
 * program's): one of MAX_CALL_FRAMES slots at the end of the CPU's scratch area (vm/memory/
 * layout.ts: stack, then ctx, then scratch; the run record and redirect_map's key use its start,
 * vm/runtime/record.ts), so nested walks keep their own keys as the kernel's helper frames do.
 * Past MAX_CALL_FRAMES frames (after tail calls: STACK_FRAMES) the slots repeat: two walks a
 * multiple of 8 frames apart, both still running, would share one (a tail call made from inside
 * a walk's callback, then a walk 8 frames below). Returned relative to the CPU's stack top.
 */
export function keySlotOffset(depth: number): number {
  return CTX_SIZE + SCRATCH_SIZE - 4 * MAX_CALL_FRAMES + 4 * (depth % MAX_CALL_FRAMES);
}

/** Is [addr, addr + size) inside the key slots of the CPU whose stack top is `stackTop`? */
export function inKeySlots(stackTop: number, addr: number, size: number): boolean {
  const start = stackTop + keySlotOffset(0);
  return addr >= start && addr + size <= start + 4 * MAX_CALL_FRAMES;
}

/** The call frame whose frame pointer is `fp` on a CPU with stack top `stackTop`. */
export const frameDepth = (stackTop: number, fp: number): number => (stackTop - fp) / STACK_SIZE;

// ---- the hash walk, over the maps runtime's table (vm/maps/as/htab.ts: bucket heads of u32,
// a chain ends in the nulls marker (bucket << 1) | 1, element = [next | ... | key | value]).

/** The head of bucket `b` of hash map `map`. */
export function bucketHead(view: DataView, map: MapDescriptor, b: number): number {
  return view.getUint32(view.getUint32(map.address + abi.H_BUCKETS, true) + 4 * b, true);
}

/** Buckets of hash map `map`. */
export const bucketCount = (view: DataView, map: MapDescriptor): number => view.getUint32(map.address + abi.H_BUCKET_MASK, true) + 1;

/** A chain link that ends the chain (a nulls marker) rather than naming an element. */
export const isNulls = (link: number): boolean => (link & 1) !== 0;

/** The element after `elem` in its chain (or a nulls marker). */
export const nextLink = (view: DataView, elem: number): number => view.getUint32(elem + abi.E_NEXT, true);

/** The key of hash element `elem`. */
export const elemKey = (elem: number): number => elem + abi.E_KEY;

/** The value of hash element `elem` for `cpu` (that CPU's copy for the per-CPU types). */
export function elemValue(view: DataView, map: MapDescriptor, elem: number, cpu: number): number {
  if (isPerCpuMap(map.type)) return view.getUint32(elem + abi.E_PCPU, true) + cpu * map.cpuStride;
  return elem + view.getUint32(map.address + abi.H_VALUE_OFF, true);
}

/** The value of array element `index` for `cpu` (vm/maps/descriptor.ts's inlining contract). */
export function arrayValue(map: MapDescriptor, index: number, cpu: number): number {
  const base = map.values + index * map.valueStride;
  return map.type === MapType.PerCpuArray ? base + cpu * map.cpuStride : base;
}

/**
 * From bucket `b` on, the first element of a non-empty bucket: [bucket, element], or undefined
 * past the last bucket.
 */
export function seekBucket(view: DataView, map: MapDescriptor, b: number): [number, number] | undefined {
  const n = bucketCount(view, map);
  for (; b < n; b++) {
    const head = bucketHead(view, map, b);
    if (!isNulls(head)) return [b, head];
  }
  return undefined;
}
