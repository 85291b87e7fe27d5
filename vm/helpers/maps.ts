// Map helpers (linux/bpf.h ids): lookup/update/delete, queue and stack push/pop/peek, and the ring
// buffer producer. Each one calls the maps runtime's program-side export (vm/maps/as/index.ts),
// the same code user space and JIT-compiled programs reach, so every caller agrees byte for byte.
// Results are the kernel's: pointers as addresses (0 = NULL), errors as negative errno in r0.
//
// The interpreter runs programs the verifier may not have seen, so before handing anything to
// the runtime these check what the kernel verifier would have proven: the map pointer is a map of
// this machine of a type the helper accepts (check_map_func_compatibility), and keys, values and
// data lie in the memory past the null guard. A failed check throws; the interpreter reports it
// as a fault at the call instruction. The JIT may call the exports directly (vm/runtime/README.md).

import type { MapDescriptor } from "../maps/descriptor.js";
import type { MapSet } from "../maps/mapset.js";
import * as abi from "../maps/abi.js";
import { NULL_GUARD } from "../memory/layout.js";
import { helperRule, SPECIAL_MAPS } from "../verifier/helper-rules.js";
import { FOR_EACH_ID, FOR_EACH_MAP_TYPES, forEachMapElemHelper } from "./for-each.js";
import type { HelperArg, HelperDef, HelperRet } from "./registry.js";
import { checkDynptrSize, dynptrAt, dynptrOut, initDynptr, setNullDynptr } from "./dynptr.js";
import { DynptrType } from "./dynptr-type.js";
import { memOf, u32 } from "./packet/memory.js";
import { EINVAL, errno } from "./packet/uapi.js";

const BUSY = abi.BPF_RINGBUF_BUSY_BIT >>> 0;

/** Map pointer → descriptor, kept in step with the set (maps may be created after the helpers). */
class MapIndex {
  private byAddress = new Map<number, MapDescriptor>();
  private count = -1;

  constructor(private readonly maps: MapSet) {}

  get(address: number): MapDescriptor | undefined {
    if (this.count !== this.maps.size) this.rebuild();
    return this.byAddress.get(address);
  }

  ringbufs(): MapDescriptor[] {
    if (this.count !== this.maps.size) this.rebuild();
    return [...this.byAddress.values()].filter((d) => d.type === abi.BPF_MAP_TYPE_RINGBUF);
  }

  private rebuild(): void {
    this.byAddress = new Map(this.maps.describe().map((d) => [d.address, d]));
    this.count = this.maps.size;
  }
}

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

/** Checks shared by the map helpers of one machine (and cgroup-storage.ts's). */
export class MapChecks {
  private readonly index: MapIndex;
  private i32: Int32Array;

  constructor(private readonly maps: MapSet) {
    this.index = new MapIndex(maps);
    this.i32 = new Int32Array(maps.runtime.memory.buffer);
  }

  private get memoryBytes(): number {
    if (this.i32.buffer.byteLength === 0) this.i32 = new Int32Array(this.maps.runtime.memory.buffer);
    return this.i32.buffer.byteLength;
  }

  /** The map r1 points at, if the helper `id` may take it (kernel: check_map_func_compatibility). */
  map(reg: bigint, id: number, name: string): MapDescriptor {
    const map = reg <= 0xffffffffn ? this.index.get(Number(reg)) : undefined;
    if (!map) throw new Error(`R1 (${hex(reg)}) is not a map pointer of this machine`);
    const allowed = helperRule(id)?.mapTypes;
    if (allowed ? !allowed.includes(map.type) : SPECIAL_MAPS.has(map.type)) {
      throw new Error(`cannot pass map_type ${map.type} (map '${map.name}') into func bpf_${name}#${id}`);
    }
    return map;
  }

  /** `size` bytes at `reg` lie inside the memory and past the null guard: the address. */
  mem(reg: bigint, size: number, what: string): number {
    const addr = reg <= 0xffffffffn ? Number(reg) : Infinity;
    if (addr < NULL_GUARD || addr + size > this.memoryBytes) {
      throw new Error(`${what} [${hex(reg)}, +${size}) is ${addr < NULL_GUARD ? "a null pointer" : "outside the memory"}`);
    }
    return addr;
  }

  /** A record ringbuf_reserve handed out and nobody submitted or discarded yet. */
  record(reg: bigint, name: string): number {
    const sample = reg <= 0xffffffffn ? Number(reg) : -1;
    const hdr = sample - abi.BPF_RINGBUF_HDR_SZ;
    const ring = this.index.ringbufs().find((d) => hdr >= d.values && hdr < d.values + d.maxEntries);
    if (!ring || (hdr - ring.values) % 8 !== 0 || !(Atomics.load(this.i32, hdr >> 2) & BUSY)) {
      throw new Error(`bpf_${name}: R1 (${hex(reg)}) is not a ring buffer record reserved by bpf_ringbuf_reserve and not yet submitted or discarded`);
    }
    return sample;
  }
}

const def = (id: number, name: string, args: HelperArg[], ret: HelperRet, impl: HelperDef["impl"]): HelperDef => ({ id, name, args, ret, impl });

/** The map helpers of a machine, as closures over its maps (and their runtime). */
export function mapHelpers(maps: MapSet): HelperDef[] {
  const rt = maps.runtime.exports;
  const c = new MapChecks(maps);
  const key = (map: MapDescriptor, reg: bigint): number => c.mem(reg, map.keySize, `R2 key of map '${map.name}'`);
  const value = (map: MapDescriptor, reg: bigint, r: string): number => c.mem(reg, map.valueSize, `${r} value of map '${map.name}'`);

  return [
    // BPF_FUNC_map_lookup_elem: the value (this CPU's copy for per-CPU maps) or NULL.
    def(1, "map_lookup_elem", ["const_map_ptr", "ptr_to_map_key"], "ptr_to_map_value_or_null", (ctx, r1, r2) => {
      const map = c.map(r1, 1, "map_lookup_elem");
      return BigInt(rt.map_lookup(map.address, key(map, r2), ctx.cpu) >>> 0);
    }),
    // BPF_FUNC_map_lookup_percpu_elem: CPU `cpu`'s copy of a per-CPU map's value, or NULL for
    // a missing key or a cpu past the machine's CPUs (the kernel's `cpu >= nr_cpu_ids`; the
    // argument is a u32: r3's low 32 bits). The map types are the helper rule's.
    def(195, "map_lookup_percpu_elem", ["const_map_ptr", "ptr_to_map_key", "anything"], "ptr_to_map_value_or_null", (_ctx, r1, r2, r3) => {
      const map = c.map(r1, 195, "map_lookup_percpu_elem");
      return BigInt(rt.map_lookup_percpu_elem(map.address, key(map, r2), Number(r3 & 0xffffffffn)) >>> 0);
    }),
    // BPF_FUNC_map_update_elem: 0, -EEXIST (BPF_NOEXIST), -ENOENT (BPF_EXIST), -E2BIG (full), -EINVAL.
    def(2, "map_update_elem", ["const_map_ptr", "ptr_to_map_key", "ptr_to_map_value", "anything"], "integer", (ctx, r1, r2, r3, r4) => {
      const map = c.map(r1, 2, "map_update_elem");
      return rt.map_update(map.address, key(map, r2), value(map, r3, "R3"), r4, ctx.cpu);
    }),
    // BPF_FUNC_map_delete_elem: 0, -ENOENT, -EINVAL for arrays.
    def(3, "map_delete_elem", ["const_map_ptr", "ptr_to_map_key"], "integer", (_ctx, r1, r2) => {
      const map = c.map(r1, 3, "map_delete_elem");
      return rt.map_delete(map.address, key(map, r2));
    }),
    // BPF_FUNC_map_push_elem: 0, -E2BIG when full (BPF_EXIST overwrites the oldest), -EINVAL.
    def(87, "map_push_elem", ["const_map_ptr", "ptr_to_map_value", "anything"], "integer", (_ctx, r1, r2, r3) => {
      const map = c.map(r1, 87, "map_push_elem");
      return rt.map_push(map.address, value(map, r2, "R2"), r3);
    }),
    // BPF_FUNC_map_pop_elem / map_peek_elem: 0 with the value written, -ENOENT when empty. The
    // buffer is ARG_PTR_TO_MAP_VALUE | MEM_UNINIT: written, so it need not be initialised.
    def(88, "map_pop_elem", ["const_map_ptr", "ptr_to_uninit_map_value"], "integer", (_ctx, r1, r2) => {
      const map = c.map(r1, 88, "map_pop_elem");
      return rt.map_pop(map.address, value(map, r2, "R2"));
    }),
    def(89, "map_peek_elem", ["const_map_ptr", "ptr_to_uninit_map_value"], "integer", (_ctx, r1, r2) => {
      const map = c.map(r1, 89, "map_peek_elem");
      return rt.map_peek(map.address, value(map, r2, "R2"));
    }),
    // BPF_FUNC_ringbuf_output: copy `size` bytes into a new record; 0, -EAGAIN when full, -EINVAL.
    def(130, "ringbuf_output", ["const_map_ptr", "ptr_to_mem", "const_size_or_zero", "anything"], "integer", (_ctx, r1, r2, r3, r4) => {
      const map = c.map(r1, 130, "ringbuf_output");
      const data = r3 === 0n ? Number(r2 & 0xffffffffn) : c.mem(r2, r3 <= 0xffffffffn ? Number(r3) : Infinity, "R2 data");
      return rt.ringbuf_output(map.address, data, r3, r4);
    }),
    // BPF_FUNC_ringbuf_reserve: a record of `size` bytes or NULL (full, too large, flags != 0).
    def(131, "ringbuf_reserve", ["const_map_ptr", "const_alloc_size_or_zero", "anything"], "ptr_to_mem_or_null", (_ctx, r1, r2, r3) => {
      const map = c.map(r1, 131, "ringbuf_reserve");
      return BigInt(rt.ringbuf_reserve(map.address, r2, r3) >>> 0);
    }),
    // BPF_FUNC_ringbuf_submit / discard: RET_VOID (r0 is undefined after; 0 here).
    def(132, "ringbuf_submit", ["ptr_to_alloc_mem", "anything"], "void", (_ctx, r1, r2) => {
      rt.ringbuf_submit(c.record(r1, "ringbuf_submit"), r2);
      return 0n;
    }),
    def(133, "ringbuf_discard", ["ptr_to_alloc_mem", "anything"], "void", (_ctx, r1, r2) => {
      rt.ringbuf_discard(c.record(r1, "ringbuf_discard"), r2);
      return 0n;
    }),
    // BPF_FUNC_ringbuf_reserve_dynptr: a RINGBUF dynptr over a new record of `size` bytes; 0, or
    // -EINVAL (flags, no room) / -E2BIG (size) with a null dynptr (kernel/bpf/ringbuf.c).
    def(198, "ringbuf_reserve_dynptr", ["const_map_ptr", "anything", "anything", "ptr_to_uninit_dynptr_ringbuf"], "integer", (ctx, r1, r2, r3, r4) => {
      const map = c.map(r1, 198, "ringbuf_reserve_dynptr");
      const mem = memOf(ctx.memory);
      const at = dynptrOut(mem, "ringbuf_reserve_dynptr", r4);
      const size = u32(r2);
      const err = r3 !== 0n ? EINVAL : checkDynptrSize(size);
      const record = err ? 0 : rt.ringbuf_reserve(map.address, BigInt(size), 0n) >>> 0;
      if (record === 0) {
        setNullDynptr(mem, at);
        return errno(err || EINVAL);
      }
      initDynptr(mem, at, record, DynptrType.RINGBUF, size);
      return 0n;
    }),
    // BPF_FUNC_ringbuf_submit_dynptr / discard_dynptr: commit the dynptr's record (none for a
    // null dynptr) and make the dynptr null; RET_VOID.
    ...(["submit", "discard"] as const).map((how, k) =>
      def(199 + k, `ringbuf_${how}_dynptr`, ["ptr_to_dynptr_ringbuf_release", "anything"], "void", (ctx, r1, r2) => {
        const mem = memOf(ctx.memory);
        const name = `ringbuf_${how}_dynptr`;
        const { data } = dynptrAt(mem, name, r1);
        if (data === 0n) return 0n;
        rt[`ringbuf_${how}`](c.record(data, name), r2);
        setNullDynptr(mem, dynptrOut(mem, name, r1));
        return 0n;
      }),
    ),
    // BPF_FUNC_ringbuf_query: BPF_RB_AVAIL_DATA, RING_SIZE, CONS_POS, PROD_POS; 0 for other flags.
    def(134, "ringbuf_query", ["const_map_ptr", "anything"], "integer", (_ctx, r1, r2) => {
      const map = c.map(r1, 134, "ringbuf_query");
      return BigInt.asUintN(64, rt.ringbuf_query(map.address, r2));
    }),
    // BPF_FUNC_for_each_map_elem: the engines walk the map themselves (for-each.ts); the map r1
    // names must have a walk (the verifier's set_map_elem_callback_state).
    forEachMapElemHelper((r1) => {
      const map = c.map(r1, FOR_EACH_ID, "for_each_map_elem");
      if (!FOR_EACH_MAP_TYPES.includes(map.type)) throw new Error(`callback function not allowed for map '${map.name}' (map_type ${map.type})`);
      return map;
    }),
  ];
}
