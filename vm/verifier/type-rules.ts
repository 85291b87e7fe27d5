// What each program type allows beyond its context layout (vm/programs): direct packet access,
// context fields that exist in the struct but that this type may not read, narrow context
// loads. These are the kernel's <type>_is_valid_access and may_access_direct_pkt_data rules
// (net/core/filter.c), kept as one table.

import { BPF_CGROUP_INET_EGRESS, BPF_XDP_DEVMAP, type ProgramTypeName } from "../programs/types.js";

export interface TypeRules {
  /** Loads through PTR_TO_PACKET (kernel: may_access_direct_pkt_data, BPF_READ). */
  readonly packetRead: boolean;
  /** Stores through PTR_TO_PACKET (BPF_WRITE). */
  readonly packetWrite: boolean;
  /** Fields of the ctx struct this type may not read (kernel returns false for them). */
  readonly noRead: ReadonlySet<string>;
  /** Loads narrower than a field (bpf_ctx_narrow_access_ok): skb types yes, xdp no. */
  readonly narrowReads: boolean;
  /** Fields only a whole load may read (bpf_skb_is_valid_access: the IPv4/IPv6 addresses). */
  readonly wholeReads?: ReadonlySet<string>;
  /** check_return_code: the range r0 must be in at program exit; undefined: any value. */
  readonly returnRange?: readonly [bigint, bigint];
}

/** __sk_buff fields from family to local_port: socket fields, not for skb programs. */
const SK_FIELDS = [
  "family", "remote_ip4", "local_ip4", "remote_ip6_0", "remote_ip6_1", "remote_ip6_2", "remote_ip6_3",
  "local_ip6_0", "local_ip6_1", "local_ip6_2", "local_ip6_3", "remote_port", "local_port",
];

/** The socket address fields bpf_skb_is_valid_access wants read as whole u32s. */
const SK_ADDRESSES = SK_FIELDS.filter((f) => f.includes("_ip"));

/** bpf_skb_is_valid_access: `sk`, `tstamp` and `hwtstamp` only by whole u64 loads. */
const SKB_WHOLE = ["sk", "tstamp", "hwtstamp"];

/**
 * lwt_is_valid_access: no tc_classid, socket fields, data_meta, tstamp, wire_len, hwtstamp;
 * bpf_skb_is_valid_access refuses flow_keys and tstamp_type; `sk` as for tc (the test run's
 * socket). Packet loads only (lwt_xmit writes too); no return range (check_return_code has none
 * for these types).
 */
const LWT: TypeRules = {
  packetRead: true,
  packetWrite: false,
  noRead: new Set(["tc_classid", ...SK_FIELDS, "data_meta", "tstamp", "wire_len", "hwtstamp", "flow_keys", "tstamp_type"]),
  narrowReads: true,
  wholeReads: new Set(SKB_WHOLE),
};

const RULES: Record<ProgramTypeName, TypeRules> = {
  // The conformance type has no ctx: r1 is plain memory (see Env.memSize).
  conformance: { packetRead: false, packetWrite: false, noRead: new Set(), narrowReads: true },
  // sk_filter_is_valid_access: no direct packet access, no tc_classid, tstamp, wire_len...;
  // bpf_skb_is_valid_access refuses tstamp_type.
  socket_filter: {
    packetRead: false,
    packetWrite: false,
    noRead: new Set(["tc_classid", "data", "data_meta", "data_end", "tstamp", "wire_len", "hwtstamp", "flow_keys", "tstamp_type", ...SK_FIELDS]),
    narrowReads: true,
  },
  // tc_cls_act_is_valid_access: tstamp_type as the u8 it is (the layout has no field over its
  // padding).
  sched_cls: {
    packetRead: true,
    packetWrite: true,
    noRead: new Set(["flow_keys", ...SK_FIELDS]),
    narrowReads: true,
    wholeReads: new Set(SKB_WHOLE),
  },
  // cg_skb_is_valid_access: no tc_classid, data_meta, wire_len; data/data_end for loads only
  // (may_access_direct_pkt_data refuses BPF_WRITE for CGROUP_SKB); the socket fields read the
  // skb's socket. bpf_skb_is_valid_access refuses tstamp_type (its own u8 in the UAPI) and
  // flow_keys; `sk` is a PTR_TO_SOCK_COMMON_OR_NULL there (the test run's socket).
  cgroup_skb: {
    packetRead: true,
    packetWrite: false,
    noRead: new Set(["tc_classid", "data_meta", "wire_len", "flow_keys", "tstamp_type"]),
    narrowReads: true,
    wholeReads: new Set([...SK_ADDRESSES, ...SKB_WHOLE]),
    returnRange: [0n, 1n],
  },
  // xdp_is_valid_access: egress_ifindex only for devmap programs; exact 4-byte loads.
  xdp: { packetRead: true, packetWrite: true, noRead: new Set(["egress_ifindex"]), narrowReads: false },
  lwt_in: LWT,
  lwt_out: LWT,
  // may_access_direct_pkt_data: LWT_XMIT alone of the lwt types writes the packet directly.
  lwt_xmit: { ...LWT, packetWrite: true },
  lwt_seg6local: LWT,
};

/** xdp_is_valid_access: a program attached to a DEVMAP slot (BPF_XDP_DEVMAP) reads egress_ifindex too. */
const XDP_DEVMAP: TypeRules = { ...RULES.xdp, noRead: new Set() };

/** check_return_code: a cgroup_skb program for BPF_CGROUP_INET_EGRESS may return 0..3 (2 and 3 ask for congestion notification). */
const CGROUP_SKB_EGRESS: TypeRules = { ...RULES.cgroup_skb, returnRange: [0n, 3n] };

export const typeRules = (name: ProgramTypeName, expectedAttach = 0): TypeRules =>
  name === "xdp" && expectedAttach === BPF_XDP_DEVMAP ? XDP_DEVMAP
  : name === "cgroup_skb" && expectedAttach === BPF_CGROUP_INET_EGRESS ? CGROUP_SKB_EGRESS
  : RULES[name];
