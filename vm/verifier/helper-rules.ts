// Kernel facts about helpers that their signatures (vm/helpers HelperDef.args/ret) do not carry:
// which program types may call each one (the <type>_func_proto functions of net/core/filter.c and
// bpf_base_func_proto), which change packet data and so invalidate packet pointers
// (bpf_helper_changes_pkt_data), which acquire or release a reference, and which map types
// their map argument accepts (check_map_func_compatibility, the helper's side; the map's side
// is in map-rules.ts). Ids are linux/bpf.h's.

import type { ProgramTypeName } from "../programs/types.js";
import { MapType, mapTypeTakesHelper } from "./map-rules.js";
import { LWT_RULES, withLwtTypes } from "./lwt-helper-rules.js";

export { MapType };

export interface HelperRule {
  readonly name: string;
  /** Program types that may call it; undefined = every type (bpf_base_func_proto). */
  readonly types?: readonly ProgramTypeName[];
  readonly pktChanging?: boolean;
  /**
   * Its proto sets pkt_access: a packet pointer may be an argument (may_access_direct_pkt_data).
   * Checked against the kernel for every helper here with a memory argument: only the map
   * helpers below, csum_diff and the socket lookups.
   */
  readonly pktAccess?: boolean;
  /**
   * How many arguments its proto types, when fewer than the runtime's signature has: the rest
   * are ARG_DONTCARE, never checked (bpf_trace_printk_proto types fmt and fmt_size only, so
   * `bpf_printk("...")` with no values leaves r3-r5 as they are).
   */
  readonly protoArgs?: number;
  /** Returns a reference that must be released before exit (ringbuf_reserve). */
  readonly acquire?: boolean;
  /** Returns a view of its socket argument that shares its reference (is_ptr_cast_function). */
  readonly cast?: boolean;
  /** Map types its const_map_ptr argument accepts; undefined = any type whose own side allows it (map-rules.ts). */
  readonly mapTypes?: readonly number[];
}

/**
 * Map types usable only through their own helpers (not map_lookup_elem and friends), as the
 * interpreter's map helpers (vm/helpers/maps.ts) and the JIT's inlined map calls
 * (jit/lower/maps.ts) check them. The verifier uses the complete two-way rule, mapFuncCompatible
 * (which also keeps programs from updating or deleting in device maps and cpumaps).
 */
export const SPECIAL_MAPS: ReadonlySet<number> = new Set([
  MapType.PROG_ARRAY, MapType.PERF_EVENT_ARRAY, MapType.RINGBUF, MapType.QUEUE, MapType.STACK,
  MapType.BLOOM_FILTER,
  MapType.CPUMAP, // redirect_map only
  MapType.CGROUP_STORAGE, MapType.PERCPU_CGROUP_STORAGE, // get_local_storage only
  MapType.CGROUP_ARRAY, // skb_under_cgroup, current_task_under_cgroup only
]);

const SKB: readonly ProgramTypeName[] = ["socket_filter", "sched_cls", "cgroup_skb"];
const TC: readonly ProgramTypeName[] = ["sched_cls"];
const XDP: readonly ProgramTypeName[] = ["xdp"];
const NET: readonly ProgramTypeName[] = ["socket_filter", "sched_cls", "xdp", "cgroup_skb"];
const TC_XDP: readonly ProgramTypeName[] = ["sched_cls", "xdp"];
const CG: readonly ProgramTypeName[] = ["cgroup_skb"];
const TC_CG: readonly ProgramTypeName[] = ["sched_cls", "cgroup_skb"];
/** The socket lookups: tc_cls_act_func_proto, xdp_func_proto and cg_skb_func_proto. */
const SK_LOOKUP: readonly ProgramTypeName[] = ["sched_cls", "xdp", "cgroup_skb"];

const RULES: ReadonlyArray<[number, HelperRule]> = [
  [1, { name: "map_lookup_elem", pktAccess: true }],
  [2, { name: "map_update_elem", pktAccess: true }],
  [3, { name: "map_delete_elem", pktAccess: true }],
  [5, { name: "ktime_get_ns" }],
  [6, { name: "trace_printk", protoArgs: 2 }],
  [7, { name: "get_prandom_u32" }],
  [8, { name: "get_smp_processor_id" }],
  [9, { name: "skb_store_bytes", types: TC, pktChanging: true }],
  [10, { name: "l3_csum_replace", types: TC, pktChanging: true }],
  [11, { name: "l4_csum_replace", types: TC, pktChanging: true }],
  [12, { name: "tail_call", mapTypes: [MapType.PROG_ARRAY] }],
  [13, { name: "clone_redirect", types: TC, pktChanging: true }],
  // tc and lwt: bpf_get_cgroup_classid_proto (the skb); every other type: bpf_base_func_proto's
  // bpf_get_cgroup_classid_curr_proto (no argument). vm/helpers/packet/skb-cgroup.ts.
  [17, { name: "get_cgroup_classid" }],
  [18, { name: "skb_vlan_push", types: TC, pktChanging: true }],
  [19, { name: "skb_vlan_pop", types: TC, pktChanging: true }],
  [20, { name: "skb_get_tunnel_key", types: TC }],
  [21, { name: "skb_set_tunnel_key", types: TC }],
  [23, { name: "redirect", types: TC_XDP }],
  [25, { name: "perf_event_output", types: NET, mapTypes: [MapType.PERF_EVENT_ARRAY] }],
  [26, { name: "skb_load_bytes", types: SKB }],
  [28, { name: "csum_diff", types: TC_XDP, pktAccess: true }],
  [29, { name: "skb_get_tunnel_opt", types: TC }],
  [30, { name: "skb_set_tunnel_opt", types: TC }],
  [31, { name: "skb_change_proto", types: TC, pktChanging: true }],
  // Not in bpf_helper_changes_pkt_data: only skb->pkt_type changes (6.18 keeps packet pointers).
  [32, { name: "skb_change_type", types: TC }],
  [34, { name: "get_hash_recalc", types: TC }],
  [38, { name: "skb_change_tail", types: TC, pktChanging: true }],
  [39, { name: "skb_pull_data", types: TC, pktChanging: true }],
  [40, { name: "csum_update", types: TC }],
  [41, { name: "set_hash_invalid", types: TC }],
  [42, { name: "get_numa_node_id" }],
  [43, { name: "skb_change_head", types: TC, pktChanging: true }],
  [44, { name: "xdp_adjust_head", types: XDP, pktChanging: true }],
  [46, { name: "get_socket_cookie", types: SKB }],
  [47, { name: "get_socket_uid", types: SKB }],
  // vm/helpers/packet/netns-cookie.ts (checked on 6.18: refused to xdp and the lwt types).
  [122, { name: "get_netns_cookie", types: SKB }],
  [48, { name: "set_hash", types: TC }],
  [50, { name: "skb_adjust_room", types: TC, pktChanging: true }],
  [51, { name: "redirect_map", types: XDP, mapTypes: [MapType.DEVMAP, MapType.DEVMAP_HASH, MapType.CPUMAP, MapType.XSKMAP] }],
  [54, { name: "xdp_adjust_meta", types: XDP, pktChanging: true }],
  [65, { name: "xdp_adjust_tail", types: XDP, pktChanging: true }],
  [66, { name: "skb_get_xfrm_state", types: TC }],
  [68, { name: "skb_load_bytes_relative", types: SKB }],
  [69, { name: "fib_lookup", types: TC_XDP }],
  // Socket lookups (tc_cls_act_func_proto, xdp_func_proto, cg_skb_func_proto):
  // vm/helpers/packet/sk-lookup.ts; each returns a socket with a reference to release.
  [97, { name: "skb_ecn_set_ce", types: TC_CG }],
  // skb-cgroup.ts, route-realm.ts (checked on 6.18: 79 / 83 tc and cgroup_skb, 128 / 129
  // cgroup_skb only, 24 tc and lwt).
  [79, { name: "skb_cgroup_id", types: TC_CG }],
  [83, { name: "skb_ancestor_cgroup_id", types: TC_CG }],
  [128, { name: "sk_cgroup_id", types: CG }],
  [129, { name: "sk_ancestor_cgroup_id", types: CG }],
  // tc only (checked on 6.18: refused to socket_filter, xdp, cgroup_skb, lwt).
  [151, { name: "skb_cgroup_classid", types: TC }],
  // vm/helpers/cgroup-array.ts (checked on 6.18: 33 tc and lwt, 37 every type).
  [33, { name: "skb_under_cgroup", types: TC, mapTypes: [MapType.CGROUP_ARRAY] }],
  [37, { name: "current_task_under_cgroup", mapTypes: [MapType.CGROUP_ARRAY] }],
  [24, { name: "get_route_realm", types: TC }],
  [84, { name: "sk_lookup_tcp", types: SK_LOOKUP, acquire: true, pktAccess: true }],
  [85, { name: "sk_lookup_udp", types: SK_LOOKUP, acquire: true, pktAccess: true }],
  [99, { name: "skc_lookup_tcp", types: SK_LOOKUP, acquire: true, pktAccess: true }],
  [86, { name: "sk_release", types: SK_LOOKUP }],
  [100, { name: "tcp_check_syncookie", types: TC_XDP, pktAccess: true }],
  // sk_fullsock, tcp_sock, get_listener_sock: tc_cls_act_func_proto, cg_skb_func_proto.
  [95, { name: "sk_fullsock", types: TC_CG, cast: true }],
  [96, { name: "tcp_sock", types: TC_CG, cast: true }],
  [98, { name: "get_listener_sock", types: TC_CG }],
  [124, { name: "sk_assign", types: TC }],
  [110, { name: "tcp_gen_syncookie", types: TC_XDP, pktAccess: true }],
  // The raw syncookie protos (xdp_func_proto, tc_cls_act_func_proto): headers in the packet.
  [204, { name: "tcp_raw_gen_syncookie_ipv4", types: TC_XDP, pktAccess: true }],
  [205, { name: "tcp_raw_gen_syncookie_ipv6", types: TC_XDP, pktAccess: true }],
  [206, { name: "tcp_raw_check_syncookie_ipv4", types: TC_XDP, pktAccess: true }],
  [207, { name: "tcp_raw_check_syncookie_ipv6", types: TC_XDP, pktAccess: true }],
  [87, { name: "map_push_elem", pktAccess: true, mapTypes: [MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER] }],
  [88, { name: "map_pop_elem", mapTypes: [MapType.QUEUE, MapType.STACK] }],
  [89, { name: "map_peek_elem", mapTypes: [MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER] }],
  [125, { name: "ktime_get_boot_ns" }],
  [130, { name: "ringbuf_output", mapTypes: [MapType.RINGBUF] }],
  [131, { name: "ringbuf_reserve", acquire: true, mapTypes: [MapType.RINGBUF] }],
  [132, { name: "ringbuf_submit" }],
  [133, { name: "ringbuf_discard" }],
  [134, { name: "ringbuf_query", mapTypes: [MapType.RINGBUF] }],
  // bpf_xdp_check_mtu_proto / bpf_skb_check_mtu_proto (xdp_func_proto, tc_cls_act_func_proto).
  [163, { name: "check_mtu", types: TC_XDP }],
  [164, { name: "for_each_map_elem" }],
  [181, { name: "loop" }],
  // bpf_base_func_proto (CAP_BPF): every program type built here (vm/helpers/timer.ts).
  [169, { name: "timer_init" }],
  [170, { name: "timer_set_callback" }],
  [171, { name: "timer_start" }],
  [172, { name: "timer_cancel" }],
  [188, { name: "xdp_get_buff_len", types: XDP }],
  [189, { name: "xdp_load_bytes", types: XDP }],
  [190, { name: "xdp_store_bytes", types: XDP }],
  [135, { name: "csum_level", types: TC }],
  [192, { name: "skb_set_tstamp", types: TC }],
  [152, { name: "redirect_neigh", types: TC }],
  [155, { name: "redirect_peer", types: TC }],
  [208, { name: "ktime_get_tai_ns" }],
  // bpf_base_func_proto: every program type; check_map_func_compatibility: the per-CPU maps.
  [195, { name: "map_lookup_percpu_elem", pktAccess: true, mapTypes: [MapType.PERCPU_ARRAY, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH] }],
  // bpf_base_func_proto, every program type (vm/helpers/time.ts, vm/helpers/strings.ts); none
  // takes a packet pointer (no pkt_access: checked against 6.18 for snprintf and strncmp).
  [118, { name: "jiffies64" }],
  [160, { name: "ktime_get_coarse_ns" }],
  [165, { name: "snprintf" }],
  [182, { name: "strncmp" }],
  [105, { name: "strtol" }],
  [106, { name: "strtoul" }],
  // bpf_base_func_proto with CAP_PERFMON (root): vm/helpers/task.ts, vm/helpers/probe-read.ts.
  [14, { name: "get_current_pid_tgid" }],
  [15, { name: "get_current_uid_gid" }],
  [16, { name: "get_current_comm" }],
  // bpf_base_func_proto with CAP_BPF (every type, checked on 6.18): vm/helpers/current-cgroup.ts.
  [80, { name: "get_current_cgroup_id" }],
  // cg_skb_func_proto: the storage of the cgroup the program runs for (vm/helpers/cgroup-storage.ts).
  [81, { name: "get_local_storage", types: CG, mapTypes: [MapType.CGROUP_STORAGE, MapType.PERCPU_CGROUP_STORAGE] }],
  [123, { name: "get_current_ancestor_cgroup_id" }],
  [112, { name: "probe_read_user" }],
  [113, { name: "probe_read_kernel" }],
  [114, { name: "probe_read_user_str" }],
  [115, { name: "probe_read_kernel_str" }],
  // bpf_base_func_proto with CAP_BPF: the dynptr helpers (vm/helpers/dynptr.ts; the ring buffer
  // ones in vm/helpers/maps.ts; the verifier's side in vm/verifier/dynptr.ts).
  [197, { name: "dynptr_from_mem" }],
  [198, { name: "ringbuf_reserve_dynptr", mapTypes: [MapType.RINGBUF] }],
  [199, { name: "ringbuf_submit_dynptr" }],
  [200, { name: "ringbuf_discard_dynptr" }],
  [201, { name: "dynptr_read" }],
  [202, { name: "dynptr_write" }],
  [203, { name: "dynptr_data" }],
];

/** The lwt types join the rules whose helpers their func_protos return (lwt-helper-rules.ts). */
const BY_ID: ReadonlyMap<number, HelperRule> = new Map([...RULES, ...LWT_RULES].map(([id, rule]) => [id, withLwtTypes(id, rule)]));

export const helperRule = (id: number): HelperRule | undefined => BY_ID.get(id);

/**
 * check_map_func_compatibility, both sides: the map's type allows the helper (map-rules.ts) and
 * the helper allows the map's type (HelperRule.mapTypes; helpers without a list take any type
 * that the map's side allows).
 */
export function mapFuncCompatible(mapType: number, helper: number, progType: string): boolean {
  if (!mapTypeTakesHelper(mapType, helper, progType)) return false;
  const allowed = helperRule(helper)?.mapTypes;
  return allowed === undefined || allowed.includes(mapType);
}
