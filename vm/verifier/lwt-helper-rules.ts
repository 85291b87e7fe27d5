// Which helpers the lightweight-tunnel types may call: lwt_out_func_proto, lwt_in_func_proto,
// lwt_xmit_func_proto and lwt_seg6local_func_proto (net/core/filter.c), as 6.18 answers them
// (test/verifier/lwt.test.ts loads a call to every id in the kernel and compares). The helpers
// of bpf_base_func_proto need nothing here: their rules name no types. helper-rules.ts adds
// these types to each rule that lists types, and takes the lwt-only helpers' rules from here.

import type { LwtTypeName, ProgramTypeName } from "../programs/types.js";
import type { HelperRule } from "./helper-rules.js";

/** lwt_out_func_proto beyond bpf_base_func_proto. */
const OUT = [
  26, // skb_load_bytes
  39, // skb_pull_data
  28, // csum_diff
  17, // get_cgroup_classid
  24, // get_route_realm
  34, // get_hash_recalc
  25, // perf_event_output
  33, // skb_under_cgroup
];

const PROTOS: Readonly<Record<LwtTypeName, readonly number[]>> = {
  lwt_out: OUT,
  lwt_in: [...OUT, 73], // lwt_push_encap
  lwt_xmit: [
    ...OUT,
    20, 21, 29, 30, // skb_get/set_tunnel_key, skb_get/set_tunnel_opt
    23, 13, // redirect, clone_redirect
    38, 43, // skb_change_tail, skb_change_head
    9, 40, 135, 10, 11, 41, // skb_store_bytes, csum_update, csum_level, l3/l4_csum_replace, set_hash_invalid
    73, // lwt_push_encap
  ],
  lwt_seg6local: [...OUT, 74, 75, 76], // lwt_seg6_store_bytes, lwt_seg6_adjust_srh, lwt_seg6_action
};

const LWT_TYPES = Object.keys(PROTOS) as LwtTypeName[];

/** The lwt types whose func_proto returns helper `id`. */
const lwtTypesOf = (id: number): LwtTypeName[] => LWT_TYPES.filter((t) => PROTOS[t].includes(id));

/** The rules of helpers only lwt programs call (bpf_helper_changes_pkt_data lists all four). */
export const LWT_RULES: ReadonlyArray<[number, HelperRule]> = [
  [73, { name: "lwt_push_encap", types: [], pktChanging: true }],
  [74, { name: "lwt_seg6_store_bytes", types: [], pktChanging: true }],
  [75, { name: "lwt_seg6_adjust_srh", types: [], pktChanging: true }],
  [76, { name: "lwt_seg6_action", types: [], pktChanging: true }],
];

/** `rule` with the lwt types that may call helper `id` added to its types (when it lists any). */
export function withLwtTypes(id: number, rule: HelperRule): HelperRule {
  if (!rule.types) return rule;
  const more = lwtTypesOf(id).filter((t) => !rule.types!.includes(t));
  return more.length ? { ...rule, types: [...rule.types, ...more] as ProgramTypeName[] } : rule;
}
