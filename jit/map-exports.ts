// Which map helper (linux/bpf.h id) is which export of the maps runtime (vm/maps/as/index.ts),
// and how each register becomes an export argument — vm/runtime/README.md §4 as data. The
// packet helpers the runtime also exports (vm/helpers/packet/as/) are listed the same way.
//
// The JIT reads this table to import the exports wasm-to-wasm and to know what the helper's
// checks are (the map pointer's type, the key/value/data memory, a ring buffer record), so that
// it can prove them at compile time or test them in wasm before taking the fast path. The
// interpreter's helpers (vm/helpers/maps.ts) call the same exports through JS; this file is pure
// data with no JIT dependency so that they can be derived from it too (one source of truth:
// proposed to move to vm/helpers/map-exports.ts, see jit/README.md).

import * as abi from "../vm/maps/abi.js";
import type { MapsExports } from "../vm/maps/runtime.js";

/** What a register holds for the helper, i.e. what its check is (vm/helpers/maps.ts Checks). */
export type ArgRole =
  /** A map of the machine whose type the helper accepts (check_map_func_compatibility). */
  | "map"
  /** key_size bytes of readable memory past the null guard. */
  | "key"
  /** value_size bytes of memory past the null guard. */
  | "value"
  /** As many bytes as the next register says (0: no check). */
  | "data"
  /** A ring buffer record bpf_ringbuf_reserve handed out, not yet submitted or discarded. */
  | "record"
  /** Any value (sizes, flags). */
  | "scalar";

/**
 * One export parameter: a register (low 32 bits as i32, or all 64 as i64), the running CPU, the
 * address of its run record (vm/runtime/record.ts), or the end of its packet slot
 * (vm/memory/layout.ts), all three i32.
 */
export type ExportParam =
  | { readonly reg: 1 | 2 | 3 | 4 | 5; readonly as: "i32" | "i64" }
  | { readonly cpu: true }
  | { readonly record: true }
  | { readonly slotEnd: true };

export interface MapHelperExport {
  /** BPF_FUNC_* id. */
  readonly id: number;
  /** HelperDef.name of the helper (the machine's helper table must hold it under `id`). */
  readonly helper: string;
  readonly export: keyof MapsExports;
  /** r1, r2, ... in order: what each argument register holds. */
  readonly roles: readonly ArgRole[];
  readonly params: readonly ExportParam[];
  /**
   * "u32": an address (or 0) zero-extended to r0; "i64": r0 as is; "void": r0 = 0 (RET_VOID);
   * "i64_or_slow": r0 as is, or PACKET_SLOW for "call the JS helper" (the packet helpers' twins).
   */
  readonly result: "u32" | "i64" | "void" | "i64_or_slow";
}

const r = (reg: 1 | 2 | 3 | 4 | 5, as: "i32" | "i64" = "i32"): ExportParam => ({ reg, as });
const CPU: ExportParam = { cpu: true };
const RECORD: ExportParam = { record: true };
const SLOT_END: ExportParam = { slotEnd: true };

/** The generic export of each map helper: it dispatches on the map's type at run time. */
const GENERIC: readonly MapHelperExport[] = [
  { id: 1, helper: "map_lookup_elem", export: "map_lookup", roles: ["map", "key"], params: [r(1), r(2), CPU], result: "u32" },
  {
    id: 2,
    helper: "map_update_elem",
    export: "map_update",
    roles: ["map", "key", "value", "scalar"],
    params: [r(1), r(2), r(3), r(4, "i64"), CPU],
    result: "i64",
  },
  // The cpu is r3's low 32 bits (a u32 argument); the export answers NULL past the map's CPUs.
  {
    id: 195,
    helper: "map_lookup_percpu_elem",
    export: "map_lookup_percpu_elem",
    roles: ["map", "key", "scalar"],
    params: [r(1), r(2), r(3)],
    result: "u32",
  },
  { id: 3, helper: "map_delete_elem", export: "map_delete", roles: ["map", "key"], params: [r(1), r(2)], result: "i64" },
  { id: 87, helper: "map_push_elem", export: "map_push", roles: ["map", "value", "scalar"], params: [r(1), r(2), r(3, "i64")], result: "i64" },
  { id: 88, helper: "map_pop_elem", export: "map_pop", roles: ["map", "value"], params: [r(1), r(2)], result: "i64" },
  { id: 89, helper: "map_peek_elem", export: "map_peek", roles: ["map", "value"], params: [r(1), r(2)], result: "i64" },
  {
    id: 130,
    helper: "ringbuf_output",
    export: "ringbuf_output",
    roles: ["map", "data", "scalar", "scalar"],
    params: [r(1), r(2), r(3, "i64"), r(4, "i64")],
    result: "i64",
  },
  {
    id: 131,
    helper: "ringbuf_reserve",
    export: "ringbuf_reserve",
    roles: ["map", "scalar", "scalar"],
    params: [r(1), r(2, "i64"), r(3, "i64")],
    result: "u32",
  },
  { id: 132, helper: "ringbuf_submit", export: "ringbuf_submit", roles: ["record", "scalar"], params: [r(1), r(2, "i64")], result: "void" },
  { id: 133, helper: "ringbuf_discard", export: "ringbuf_discard", roles: ["record", "scalar"], params: [r(1), r(2, "i64")], result: "void" },
  { id: 134, helper: "ringbuf_query", export: "ringbuf_query", roles: ["map", "scalar"], params: [r(1), r(2, "i64")], result: "i64" },
];

/**
 * bpf_map_lookup_elem of a map whose type is known at compile time (a map pointer from lddw):
 * the type's own lookup, with no dispatch on the type at run time — as the kernel's verifier
 * makes such a call go straight to the type's map_lookup_elem.
 */
const lookupOf = (name: keyof MapsExports, params: readonly ExportParam[]): MapHelperExport => ({
  id: 1, helper: "map_lookup_elem", export: name, roles: ["map", "key"], params, result: "u32",
});
const HASH_LOOKUP = lookupOf("hash_lookup", [r(1), r(2)]);
const LRU_HASH_LOOKUP = lookupOf("lru_hash_lookup", [r(1), r(2)]);
const PERCPU_HASH_LOOKUP = lookupOf("percpu_hash_lookup", [r(1), r(2), CPU]);
const TYPED: ReadonlyMap<number, MapHelperExport> = new Map([
  [abi.BPF_MAP_TYPE_HASH, HASH_LOOKUP],
  [abi.BPF_MAP_TYPE_LRU_HASH, LRU_HASH_LOOKUP],
  [abi.BPF_MAP_TYPE_PERCPU_HASH, PERCPU_HASH_LOOKUP],
  [abi.BPF_MAP_TYPE_LRU_PERCPU_HASH, PERCPU_HASH_LOOKUP],
]);

/** Every export the JIT may import: the generic ones and the typed lookups. */
export const MAP_HELPER_EXPORTS: readonly MapHelperExport[] = [...GENERIC, HASH_LOOKUP, LRU_HASH_LOOKUP, PERCPU_HASH_LOOKUP];

const BY_ID = new Map(GENERIC.map((e) => [e.id, e]));

/** The export behind helper `id`, if it is a map helper. */
export const mapHelperExport = (id: number): MapHelperExport | undefined => BY_ID.get(id);

/**
 * What a packet export returns instead of r0 when an address the helper would dereference is not
 * in the memory: "call the JS helper", which faults as the interpreter does (i64.MIN_VALUE, which
 * no helper returns; SLOW in vm/helpers/packet/as/memory.ts).
 */
export const PACKET_SLOW = -(1n << 63n);

/** A twin taking the helper's registers as i64 (then `extra`), answering r0 or PACKET_SLOW. */
const packet = (id: number, helper: keyof MapsExports, arity: number, extra: readonly ExportParam[] = []): MapHelperExport => ({
  id,
  helper,
  export: helper,
  roles: Array<ArgRole>(arity).fill("scalar"),
  params: [...([1, 2, 3, 4, 5] as const).slice(0, arity).map((reg) => r(reg, "i64")), ...extra],
  result: "i64_or_slow",
});

/**
 * The packet helpers' twins in the runtime (vm/helpers/packet/as/, which vm/helpers/packet/twins.ts
 * maps HelperDefs to): most check their own addresses and may answer PACKET_SLOW; redirect (23,
 * XDP's and tc's) and redirect_map (51) always answer, redirect_map's map being checked as a map
 * helper's. The run record and packet slot are the running CPU's.
 */
export const PACKET_HELPER_EXPORTS: readonly MapHelperExport[] = [
  packet(26, "skb_load_bytes", 4),
  packet(9, "skb_store_bytes", 5),
  packet(10, "l3_csum_replace", 5),
  packet(11, "l4_csum_replace", 5),
  packet(28, "csum_diff", 5),
  packet(39, "skb_pull_data", 2),
  packet(40, "csum_update", 2),
  packet(68, "skb_load_bytes_relative", 5, [RECORD]),
  packet(44, "xdp_adjust_head", 2, [RECORD, SLOT_END]),
  packet(54, "xdp_adjust_meta", 2, [RECORD, SLOT_END]),
  packet(65, "xdp_adjust_tail", 2, [RECORD, SLOT_END]),
  packet(188, "xdp_get_buff_len", 1, [RECORD]),
  packet(189, "xdp_load_bytes", 4, [RECORD]),
  packet(190, "xdp_store_bytes", 4, [RECORD]),
  { id: 23, helper: "redirect", export: "xdp_redirect", roles: ["scalar", "scalar"], params: [r(1, "i64"), r(2, "i64"), RECORD], result: "i64" },
  { id: 23, helper: "redirect", export: "tc_redirect", roles: ["scalar", "scalar"], params: [r(1, "i64"), r(2, "i64"), RECORD], result: "i64" },
  {
    id: 51,
    helper: "redirect_map",
    export: "xdp_redirect_map",
    roles: ["map", "scalar", "scalar"],
    params: [r(1), r(2, "i64"), r(3, "i64"), RECORD, CPU],
    result: "i64",
  },
];

const PACKET_BY_EXPORT = new Map(PACKET_HELPER_EXPORTS.map((e) => [e.export, e]));

/** The twin entry of runtime export `name`. */
export const packetExport = (name: keyof MapsExports): MapHelperExport | undefined => PACKET_BY_EXPORT.get(name);

/** The export for helper `entry` on a map known to be of `mapType`: a typed one, or `entry`. */
export const typedMapExport = (entry: MapHelperExport, mapType: number): MapHelperExport =>
  (entry.id === 1 && TYPED.get(mapType)) || entry;
