// The packet helpers a program type may call, as the kernel's <type>_func_proto lists them
// (net/core/filter.c: xdp_func_proto, tc_cls_act_func_proto, sk_filter_func_proto). Some ids mean
// different functions per type — redirect (23) and perf_event_output (25) — so a machine's
// helper table is built for one program type.
//
//   xdp:           xdp_adjust_head/meta/tail, redirect (XDP), redirect_map, csum_diff,
//                  perf_event_output (XDP), xdp_get_buff_len, xdp_load_bytes, xdp_store_bytes,
//                  check_mtu (XDP), fib_lookup (XDP), get_cgroup_classid (no argument)
//   sched_cls:     skb_load_bytes, skb_store_bytes, l3/l4_csum_replace, csum_diff, redirect (tc),
//                  get_hash_recalc, set_hash_invalid, set_hash, perf_event_output (skb),
//                  skb_pull_data, skb_load_bytes_relative, csum_update, redirect_peer,
//                  redirect_neigh, clone_redirect, csum_level, skb_set_tstamp
//                  check_mtu (skb), skb_get/set_tunnel_key, skb_get/set_tunnel_opt, skb_get_xfrm_state, fib_lookup (skb),
//                  skb_change_tail/head, skb_vlan_push/pop, skb_adjust_room, skb_change_proto/type,
//                  get_socket_cookie, get_socket_uid, skb_cgroup_id, skb_ancestor_cgroup_id,
//                  get_cgroup_classid (the skb's), get_route_realm, skb_ecn_set_ce, skb_cgroup_classid,
//                  get_netns_cookie
//   socket_filter: skb_load_bytes, skb_load_bytes_relative, perf_event_output (skb),
//                  get_socket_cookie, get_socket_uid, get_cgroup_classid (no argument), get_netns_cookie
//   cgroup_skb:    skb_load_bytes, skb_load_bytes_relative, perf_event_output (skb),
//                  skb_ecn_set_ce, sk_lookup_tcp/udp, skc_lookup_tcp, sk_release,
//                  sk_fullsock, tcp_sock, get_listener_sock, get_socket_cookie/uid,
//                  skb_cgroup_id, skb_ancestor_cgroup_id, sk_cgroup_id, sk_ancestor_cgroup_id,
//                  get_cgroup_classid (no argument), get_netns_cookie — of cg_skb_func_proto;
//                  sk_storage_* are not built (skb_cgroup_classid is tc's only)
//   xdp, sched_cls also: sk_lookup_tcp/udp, skc_lookup_tcp, sk_release (sk-lookup.ts),
//                  tcp_check_syncookie, tcp_gen_syncookie (syncookie.ts);
//                  tcp_raw_gen_syncookie_ipv4/6, tcp_raw_check_syncookie_ipv4/6 (syncookie-raw.ts);
//   sched_cls also: sk_fullsock, tcp_sock, get_listener_sock, sk_assign (sk-cast.ts)
//   lwt_in, lwt_out, lwt_xmit, lwt_seg6local: lwt.ts
//
// trace_printk / trace_vprintk are for every type: ../trace.ts traceHelpers.

import type { Layout } from "../../memory/layout.js";
import type { ProgramTypeName } from "../../programs/types.js";
import type { HelperDef } from "../registry.js";
import { PerfEventSink, type PerfSlot, skbPerfEventOutput, xdpPerfEventOutput } from "../trace.js";
import { csumDiff, l3CsumReplace, l4CsumReplace } from "./csum.js";
import { FLOW_HASH_SEED, flowHashHelpers } from "./flow-hash.js";
import { type MapLookup, tcRedirect, xdpRedirect, xdpRedirectMap } from "./redirect.js";
import { tcRedirectNeigh, tcRedirectPeer } from "./redirect-peer-neigh.js";
import { cloneRedirect } from "./clone-redirect.js";
import { csumLevel } from "./csum-level.js";
import { skbSetTstamp } from "./skb-tstamp.js";
import { skbLoadBytes, skbStoreBytes } from "./skb-bytes.js";
import { skbEcnSetCe } from "./skb-ecn.js";
import { lwtHelpers } from "./lwt.js";
import { csumUpdate, skbLoadBytesRelative, skbPullData } from "./skb-linear.js";
import { skbAdjustRoom } from "./skb-adjust-room.js";
import { skbProtoHelpers } from "./skb-proto.js";
import { skbResizeHelpers } from "./skb-resize.js";
import { skbVlanHelpers } from "./skb-vlan.js";
import { xdpAdjustHelpers } from "./xdp-adjust.js";
import { xdpBytesHelpers } from "./xdp-bytes.js";
import { skbCheckMtu, xdpCheckMtu } from "./check-mtu.js";
import { DeviceTable } from "./devices.js";
import { tunnelHelpers } from "./tunnel-key.js";
import { skbGetXfrmState } from "./xfrm-state.js";
import { skbFibLookup, xdpFibLookup } from "./fib-lookup.js";
import { Network } from "../../net/model.js";
import { NO_SOCKETS, skLookupHelpers, type SocketTable } from "./sk-lookup.js";
import { syncookieHelpers } from "./syncookie.js";
import { rawSyncookieHelpers } from "./syncookie-raw.js";
import { skAssign, skCastHelpers } from "./sk-cast.js";
import { checkCgroup, getCgroupClassid, skbCgroupClassid, skbCgroupHelpers, skCgroupHelpers, type CgroupModel } from "./skb-cgroup.js";
import { getSocketCookie, getSocketUid } from "./skb-socket.js";
import { getRouteRealm } from "./route-realm.js";
import { getNetnsCookie } from "./netns-cookie.js";

export { csumDiff, l3CsumReplace, l4CsumReplace } from "./csum.js";
export { csumAdd, csumFold, csumFrom32to16, csumPartial, csumReplace2, csumReplace4, csumReplaceByDiff, csumSub } from "./checksum.js";
export { FLOW_HASH_SEED, flowHash, flowHashHelpers, flowKeys, type FlowKeys } from "./flow-hash.js";
export { jhash, jhash2 } from "./jhash.js";
export { type MapLookup, tcRedirect, xdpRedirect, xdpRedirectMap } from "./redirect.js";
export { REDIRECT_NEIGH, REDIRECT_NEXTHOP, REDIRECT_PEER, tcRedirectNeigh, tcRedirectPeer } from "./redirect-peer-neigh.js";
export { cloneRedirect } from "./clone-redirect.js";
export { csumLevel } from "./csum-level.js";
export { skbSetTstamp } from "./skb-tstamp.js";
export { skbLoadBytes, skbStoreBytes } from "./skb-bytes.js";
export { skbEcnSetCe } from "./skb-ecn.js";
export { csumUpdate, skbLoadBytesRelative, skbPullData } from "./skb-linear.js";
export { skbAdjustRoom } from "./skb-adjust-room.js";
export { skbProtoHelpers } from "./skb-proto.js";
export { skbResizeHelpers } from "./skb-resize.js";
export { resetSkbState } from "./skb-state.js";
export { skbVlanHelpers } from "./skb-vlan.js";
export { xdpAdjustHelpers } from "./xdp-adjust.js";
export { xdpBytesHelpers } from "./xdp-bytes.js";
export { XDP_HARD_END, XDP_LINEAR_MAX, XDP_PAGE, setXdpFrags, xdpFrags } from "./xdp-frags.js";
export * as uapi from "./uapi.js";
export { BPF_MTU_CHK_RET_FRAG_NEEDED, BPF_MTU_CHK_RET_SUCCESS, BPF_MTU_CHK_SEGS, skbCheckMtu, xdpCheckMtu } from "./check-mtu.js";
export { DeviceTable, LOOPBACK, type Device } from "./devices.js";
export { TUNNEL_KEY_SIZE, tunnelHelpers } from "./tunnel-key.js";
export { skbGetXfrmState } from "./xfrm-state.js";
export { skbFibLookup, xdpFibLookup } from "./fib-lookup.js";
export { NO_SOCKETS, skLookupHelpers, skRelease, socketAt, type SocketTable } from "./sk-lookup.js";
export { syncookieHelpers } from "./syncookie.js";
export { rawSyncookieHelpers, SYNCOOKIE_SECRET } from "./syncookie-raw.js";
export { skAssign, skCastHelpers } from "./sk-cast.js";
export { checkCgroup, getCgroupClassid, ROOT_CGROUP, skbCgroupClassid, skbCgroupHelpers, skCgroupHelpers, type Cgroup, type CgroupModel } from "./skb-cgroup.js";
export { COOKIE_COUNT, getSocketCookie, getSocketUid } from "./skb-socket.js";
export { getRouteRealm } from "./route-realm.js";
export { getNetnsCookie } from "./netns-cookie.js";

/** What the packet helpers need from a machine. */
export interface PacketHelperOptions {
  /** The machine's layout: each CPU's packet slot and scratch area. */
  readonly layout: Layout;
  /** Map lookup for redirect_map (the maps runtime's map_lookup). Without it, redirect_map faults. */
  readonly mapLookup?: MapLookup;
  /** Where perf_event_output records go. Default: a new sink with one slot per CPU. */
  readonly perf?: PerfEventSink;
  /** perf_event_output's slot check in a PERF_EVENT_ARRAY (the maps runtime's perf_event_slot). */
  readonly perfSlot?: PerfSlot;
  /** Seed of get_hash_recalc's flow hash. */
  readonly hashSeed?: number;
  /** Key of the raw syncookie helpers' cookies: four u32 words (default SYNCOOKIE_SECRET, fixed). */
  readonly syncookieSecret?: readonly number[];
  /** The devices check_mtu knows (devices.ts). Default: lo, ifindex 1, MTU 65536. */
  readonly devices?: DeviceTable;
  /** The routes, neighbours and devices fib_lookup knows, and the namespace cookies get_netns_cookie answers (vm/net/model.ts). Default: a fresh namespace (lo only, forwarding off, cookie 1). */
  readonly network?: Network;
  /** The sockets sk_lookup_tcp / sk_lookup_udp / skc_lookup_tcp find (sk-lookup.ts). Default: none. */
  readonly sockets?: SocketTable;
  /** The cgroup of the task running the programs (skb-cgroup.ts: cgroup ids, net_cls classid). Default: the root cgroup, classid 0. */
  readonly cgroup?: CgroupModel;
}

/** The packet helpers of one program type (none for the raw conformance type). */
export function packetHelpers(type: ProgramTypeName, options: PacketHelperOptions): HelperDef[] {
  const { layout } = options;
  const perf = options.perf ?? new PerfEventSink({ entries: layout.cpus });
  const cgroup = checkCgroup(options.cgroup);
  const network = options.network ?? new Network();
  switch (type) {
    case "xdp":
      return [
        ...xdpAdjustHelpers(layout), xdpRedirect(layout), xdpRedirectMap(layout, options.mapLookup), csumDiff, xdpPerfEventOutput(perf, options.perfSlot, layout),
        ...xdpBytesHelpers(layout),
        xdpCheckMtu(options.devices ?? new DeviceTable()),
        xdpFibLookup(network),
        ...skLookupHelpers(options.sockets ?? NO_SOCKETS, "xdp"), ...syncookieHelpers(options.sockets ?? NO_SOCKETS),
        ...rawSyncookieHelpers(options.syncookieSecret), getCgroupClassid(cgroup, false),
      ];
    case "sched_cls":
      return [
        skbLoadBytes, skbStoreBytes, l3CsumReplace, l4CsumReplace, csumDiff, tcRedirect(layout),
        ...flowHashHelpers(options.hashSeed ?? FLOW_HASH_SEED), skbPerfEventOutput(perf, options.perfSlot),
        skbPullData, skbLoadBytesRelative(layout), csumUpdate, tcRedirectPeer(layout), tcRedirectNeigh(layout),
        skbCheckMtu(options.devices ?? new DeviceTable()), ...tunnelHelpers(layout), skbGetXfrmState,
        skbFibLookup(network), cloneRedirect(layout, options.devices ?? new DeviceTable()), csumLevel(layout),
        skbSetTstamp(layout), ...skLookupHelpers(options.sockets ?? NO_SOCKETS, "skb"), ...syncookieHelpers(options.sockets ?? NO_SOCKETS),
        ...rawSyncookieHelpers(options.syncookieSecret),
        ...skCastHelpers(options.sockets ?? NO_SOCKETS, layout), skAssign,
        ...skbResizeHelpers(layout), ...skbVlanHelpers(layout), skbAdjustRoom(layout), ...skbProtoHelpers(layout),
        getSocketCookie(layout), getSocketUid, ...skbCgroupHelpers(cgroup), getCgroupClassid(cgroup, true), getRouteRealm, skbEcnSetCe(layout),
        skbCgroupClassid(cgroup), getNetnsCookie(network),
      ];
    case "socket_filter":
      return [skbLoadBytes, skbLoadBytesRelative(layout), skbPerfEventOutput(perf, options.perfSlot), getSocketCookie(layout), getSocketUid, getCgroupClassid(cgroup, false), getNetnsCookie(network)];
    case "cgroup_skb":
      return [skbLoadBytes, skbLoadBytesRelative(layout), skbPerfEventOutput(perf, options.perfSlot), skbEcnSetCe(layout), ...skLookupHelpers(options.sockets ?? NO_SOCKETS, "skb"),
        ...skCastHelpers(options.sockets ?? NO_SOCKETS, layout), getSocketCookie(layout), getSocketUid, ...skbCgroupHelpers(cgroup),
        ...skCgroupHelpers(cgroup, options.sockets ?? NO_SOCKETS, layout), getCgroupClassid(cgroup, false), getNetnsCookie(network)];
    case "lwt_in": case "lwt_out": case "lwt_xmit": case "lwt_seg6local":
      return lwtHelpers(type, { ...options, perf });
    case "conformance":
      return [];
  }
}
