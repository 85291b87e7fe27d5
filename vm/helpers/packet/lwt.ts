// The packet helpers of the lightweight-tunnel program types, as net/core/filter.c lists them:
//
//   lwt_out_func_proto:       skb_load_bytes, skb_pull_data, csum_diff, get_hash_recalc,
//                             perf_event_output (skb), get_cgroup_classid (the skb's),
//                             get_route_realm; skb_under_cgroup is not built
//   lwt_in_func_proto:        lwt_out's + lwt_push_encap (ingress: IP built, SEG6 refused)
//   lwt_xmit_func_proto:      lwt_out's + skb_get/set_tunnel_key, skb_get/set_tunnel_opt,
//                             redirect (tc's), clone_redirect, skb_change_tail / head,
//                             skb_store_bytes, csum_update, csum_level, l3/l4_csum_replace,
//                             set_hash_invalid, lwt_push_encap (egress: IP only)
//   lwt_seg6local_func_proto: lwt_out's + lwt_seg6_store_bytes, adjust_srh, action
//                             (signatures only: the type is verified, not run; lwt-seg6.ts)
//
// The same implementations as tc's: an lwt program's skb is a test-run skb placed from its
// network header (vm/runtime/context.ts), which these helpers read through skb-state.ts.

import type { LwtTypeName } from "../../programs/types.js";
import type { HelperDef } from "../registry.js";
import type { PacketHelperOptions } from "./index.js";
import { PerfEventSink, skbPerfEventOutput } from "../trace.js";
import { cloneRedirect } from "./clone-redirect.js";
import { csumDiff, l3CsumReplace, l4CsumReplace } from "./csum.js";
import { csumLevel } from "./csum-level.js";
import { DeviceTable } from "./devices.js";
import { FLOW_HASH_SEED, flowHashHelpers } from "./flow-hash.js";
import { lwtPushEncap } from "./lwt-encap.js";
import { lwtSeg6Helpers } from "./lwt-seg6.js";
import { tcRedirect } from "./redirect.js";
import { skbLoadBytes, skbStoreBytes } from "./skb-bytes.js";
import { csumUpdate, skbPullData } from "./skb-linear.js";
import { skbResizeHelpers } from "./skb-resize.js";
import { tunnelHelpers } from "./tunnel-key.js";
import { checkCgroup, getCgroupClassid } from "./skb-cgroup.js";
import { getRouteRealm } from "./route-realm.js";

const GET_HASH_RECALC = 34;
const SET_HASH_INVALID = 41;

export function lwtHelpers(type: LwtTypeName, options: PacketHelperOptions): HelperDef[] {
  const { layout } = options;
  const perf = options.perf ?? new PerfEventSink({ entries: layout.cpus });
  const hash = flowHashHelpers(options.hashSeed ?? FLOW_HASH_SEED, layout);
  const hashHelper = (id: number): HelperDef => hash.find((h) => h.id === id)!;
  const out = [
    skbLoadBytes, skbPullData, csumDiff, hashHelper(GET_HASH_RECALC), skbPerfEventOutput(perf, options.perfSlot),
    getCgroupClassid(checkCgroup(options.cgroup), true), getRouteRealm,
  ];
  switch (type) {
    case "lwt_out":
      return out;
    case "lwt_in":
      return [...out, lwtPushEncap(layout, true)];
    case "lwt_xmit":
      return [
        ...out, ...tunnelHelpers(layout), tcRedirect(layout), cloneRedirect(layout, options.devices ?? new DeviceTable()),
        ...skbResizeHelpers(layout), skbStoreBytes, csumUpdate, csumLevel(layout), l3CsumReplace, l4CsumReplace,
        hashHelper(SET_HASH_INVALID), lwtPushEncap(layout, false),
      ];
    case "lwt_seg6local":
      return [...out, ...lwtSeg6Helpers()];
  }
}
