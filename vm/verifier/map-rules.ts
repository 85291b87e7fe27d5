// What each map lets a program do with it, from its type and its creation flags (kernel/bpf/
// verifier.c): loads and stores through a value pointer (check_map_access_type, after
// bpf_map_flags_to_cap), helpers that change a read-only map (record_func_map), and which
// helpers may take which map types (check_map_func_compatibility, the map's side; the helper's
// side is HelperRule.mapTypes in helper-rules.ts). Ids are linux/bpf.h's.

import { reject } from "./messages.js";
import type { Env, VerifierMap } from "./env.js";
import type { Access } from "./memory.js";
import { pointer, type Reg } from "./regs.js";

/** enum bpf_map_type values the rules below name. */
export const MapType = {
  HASH: 1, ARRAY: 2, PROG_ARRAY: 3, PERF_EVENT_ARRAY: 4, PERCPU_HASH: 5, PERCPU_ARRAY: 6,
  STACK_TRACE: 7, CGROUP_ARRAY: 8, LRU_HASH: 9, LRU_PERCPU_HASH: 10, LPM_TRIE: 11,
  ARRAY_OF_MAPS: 12, HASH_OF_MAPS: 13, DEVMAP: 14, SOCKMAP: 15, CPUMAP: 16, XSKMAP: 17, SOCKHASH: 18, QUEUE: 22, STACK: 23,
  CGROUP_STORAGE: 19, PERCPU_CGROUP_STORAGE: 21, SK_STORAGE: 24, DEVMAP_HASH: 25, RINGBUF: 27,
  INODE_STORAGE: 28, TASK_STORAGE: 29, BLOOM_FILTER: 30, USER_RINGBUF: 31, CGRP_STORAGE: 32,
} as const;

/** map_flags bits that limit what programs may do with the values (BPF_MAP_CREATE). */
export const MapFlag = { RDONLY_PROG: 1 << 7, WRONLY_PROG: 1 << 8 } as const;

/**
 * Flags the kernel adds at creation whatever user space asked: dev_map_alloc_check makes every
 * DEVMAP / DEVMAP_HASH BPF_F_RDONLY_PROG, as a lookup returns a pointer to the slot's own
 * struct bpf_devmap_val (its ifindex and program fd must not change under the device).
 */
const FORCED_FLAGS: ReadonlyMap<number, number> = new Map([
  [MapType.DEVMAP, MapFlag.RDONLY_PROG],
  [MapType.DEVMAP_HASH, MapFlag.RDONLY_PROG],
]);

/** The map's flags as the verifier sees them (after the map type's own additions). */
export const mapFlags = (map: VerifierMap): number => (map.flags ?? 0) | (FORCED_FLAGS.get(map.type) ?? 0);

/** bpf_map_flags_to_cap: RDONLY_PROG wins over WRONLY_PROG; neither = read and write. */
function mapCan(map: VerifierMap, access: Access): boolean {
  const flags = mapFlags(map);
  if (flags & MapFlag.RDONLY_PROG) return access === "read";
  if (flags & MapFlag.WRONLY_PROG) return access === "write";
  return true;
}

/**
 * check_map_access_type: a load from a write-only map's value or a store into a read-only one,
 * by the program or by a helper it passes the value to. `off` is the pointer's fixed offset plus
 * the instruction's (the kernel prints that, not the variable part).
 */
export function checkMapAccessType(map: VerifierMap, access: Access, off: number, size: number): void {
  if (mapCan(map, access)) return;
  const what = access === "write" ? "write into" : "read from";
  reject(`${what} map forbidden, value_size=${map.valueSize} off=${off} size=${size}`);
}

/** Helpers that change a map's contents (record_func_map refuses them on a RDONLY_PROG map). */
const MAP_WRITERS: ReadonlySet<number> = new Set([
  2, // map_update_elem
  3, // map_delete_elem
  87, // map_push_elem
  88, // map_pop_elem
]);

/** record_func_map: a read-only map must not be changed through a helper either. */
export function checkMapWriteHelper(map: VerifierMap, helper: number): void {
  if (MAP_WRITERS.has(helper) && mapFlags(map) & MapFlag.RDONLY_PROG) reject("write into map forbidden");
}

/**
 * check_map_func_compatibility, the map's side: map types that only their own helpers may take
 * (every other type: any helper with a map argument whose own side allows it).
 */
const MAP_HELPER_LIST: ReadonlyArray<readonly [number, readonly number[]]> = [
  [MapType.PROG_ARRAY, [12]], // tail_call
  // perf_event_read, perf_event_output, perf_event_read_value, skb_output, xdp_output
  [MapType.PERF_EVENT_ARRAY, [22, 25, 55, 111, 121]],
  // ringbuf_output, _reserve, _query, _reserve_dynptr, _submit_dynptr, _discard_dynptr
  [MapType.RINGBUF, [130, 131, 134, 198, 199, 200]],
  [MapType.USER_RINGBUF, [209]], // user_ringbuf_drain
  [MapType.STACK_TRACE, [27]], // get_stackid
  [MapType.CGROUP_ARRAY, [33, 37]], // skb_under_cgroup, current_task_under_cgroup
  // Device maps: redirect_map, and lookups (of a read-only value, FORCED_FLAGS).
  [MapType.DEVMAP, [51, 1]],
  [MapType.DEVMAP_HASH, [51, 1]],
  [MapType.CPUMAP, [51]],
  [MapType.XSKMAP, [51, 1]],
  [MapType.ARRAY_OF_MAPS, [1]],
  [MapType.HASH_OF_MAPS, [1]],
  [MapType.QUEUE, [89, 88, 87]], // map_peek_elem, map_pop_elem, map_push_elem
  [MapType.STACK, [89, 88, 87]],
  [MapType.BLOOM_FILTER, [89, 87]], // map_peek_elem, map_push_elem
  // Socket maps: their redirect and update helpers, sk_select_reuseport, lookups (a referenced
  // socket once NULL-checked: notNullReg), and map_update_elem / map_delete_elem where may_update_sockmap.
  [MapType.SOCKMAP, [52, 53, 60, 82, 1, 2, 3]], // sk_redirect_map, sock_map_update, msg_redirect_map
  [MapType.SOCKHASH, [72, 70, 71, 82, 1, 2, 3]], // sk_redirect_hash, sock_hash_update, msg_redirect_hash
  // Local storages: only their own get / delete (and kptr_xchg, 194); no map_lookup_elem.
  [MapType.CGROUP_STORAGE, [81]], // get_local_storage
  [MapType.PERCPU_CGROUP_STORAGE, [81]],
  [MapType.SK_STORAGE, [107, 108, 194]], // sk_storage_get, sk_storage_delete
  [MapType.INODE_STORAGE, [145, 146, 194]],
  [MapType.TASK_STORAGE, [156, 157, 194]],
  [MapType.CGRP_STORAGE, [210, 211, 194]],
];
const MAP_HELPERS: ReadonlyMap<number, ReadonlySet<number>> = new Map(MAP_HELPER_LIST.map(([type, ids]) => [type, new Set(ids)]));

/** SOCKMAP / SOCKHASH: values are sockets (resolve_map_arg_type, mark_ptr_or_null_reg). */
export const isSockMap = (mapType: number): boolean => mapType === MapType.SOCKMAP || mapType === MapType.SOCKHASH;

/**
 * may_update_sockmap, for the program types built here: socket filters, tc and XDP cannot hold
 * a locked socket, so they may update and delete; cgroup_skb and the lwt types may not.
 */
const SOCKMAP_UPDATERS: ReadonlySet<string> = new Set(["socket_filter", "sched_cls", "xdp"]);

/** May a helper with a map argument take a map of this type, as far as the map's side says? */
export function mapTypeTakesHelper(mapType: number, helper: number, progType: string): boolean {
  if (isSockMap(mapType) && (helper === 2 || helper === 3) && !SOCKMAP_UPDATERS.has(progType)) return false;
  return MAP_HELPERS.get(mapType)?.has(helper) ?? true;
}

/**
 * mark_ptr_not_null_reg: a pointer that may be null, on the side of a NULL check where it is
 * not. A value of a map of maps is the inner map itself: it becomes a map pointer to the outer
 * map's inner template (CONST_PTR_TO_MAP, reg->map_ptr = map->inner_map_meta), which the map
 * helpers take; anything else keeps its type without the "or null".
 */
export function notNullReg(env: Env, r: Reg): Reg {
  if (r.type === "mem_or_null") return { ...r, type: "mem", id: 0 };
  if (r.type === "rdonly_mem_or_null") return { ...r, type: "rdonly_mem", id: 0 };
  // A socket keeps its reference (ref_obj_id); the id is no longer needed (mark_ptr_or_null_reg).
  if (r.type === "sock_or_null" || r.type === "sock_common_or_null" || r.type === "tcp_sock_or_null") {
    return { ...r, type: r.type === "sock_or_null" ? "sock" : r.type === "tcp_sock_or_null" ? "tcp_sock" : "sock_common", id: 0 };
  }
  // An XSKMAP's value is the AF_XDP socket: PTR_TO_XDP_SOCK (memory.ts checks its loads).
  if (env.maps[r.map]?.type === MapType.XSKMAP) return pointer("xdp_sock", { map: r.map });
  // A socket map's is a socket, whose reference the lookup took (is_acquire_function).
  if (isSockMap(env.maps[r.map]?.type ?? 0)) return pointer("sock", { ref: r.ref });
  const inner = env.innerOf(r.map);
  // A value with a bpf_spin_lock keeps its id: it names the element whose lock is taken
  // (mark_ptr_or_null_reg, reg_may_point_to_spin_lock; vm/verifier/spin-lock.ts).
  const keepId = env.maps[r.map]?.spinLock !== undefined;
  return inner === undefined ? { ...r, type: "map_value", id: keepId ? r.id : 0 } : pointer("map_ptr", { map: inner });
}
