// What each program type allows beyond its context layout (vm/programs): direct packet access,
// context fields that exist in the struct but that this type may not read, narrow context
// loads. These are the kernel's <type>_is_valid_access and may_access_direct_pkt_data rules
// (net/core/filter.c), kept as one table.

import { BPF_XDP_DEVMAP, type ProgramTypeName } from "../programs/types.js";

export interface TypeRules {
  /** Loads through PTR_TO_PACKET (kernel: may_access_direct_pkt_data, BPF_READ). */
  readonly packetRead: boolean;
  /** Stores through PTR_TO_PACKET (BPF_WRITE). */
  readonly packetWrite: boolean;
  /** Fields of the ctx struct this type may not read (kernel returns false for them). */
  readonly noRead: ReadonlySet<string>;
  /** Loads narrower than a field (bpf_ctx_narrow_access_ok): skb types yes, xdp no. */
  readonly narrowReads: boolean;
}

/** __sk_buff fields from family to local_port: socket fields, not for skb programs. */
const SK_FIELDS = [
  "family", "remote_ip4", "local_ip4", "remote_ip6_0", "remote_ip6_1", "remote_ip6_2", "remote_ip6_3",
  "local_ip6_0", "local_ip6_1", "local_ip6_2", "local_ip6_3", "remote_port", "local_port",
];

const RULES: Record<ProgramTypeName, TypeRules> = {
  // The conformance type has no ctx: r1 is plain memory (see Env.memSize).
  conformance: { packetRead: false, packetWrite: false, noRead: new Set(), narrowReads: true },
  // sk_filter_is_valid_access: no direct packet access, no tc_classid, tstamp, wire_len...
  socket_filter: {
    packetRead: false,
    packetWrite: false,
    noRead: new Set(["tc_classid", "data", "data_meta", "data_end", "tstamp", "wire_len", "hwtstamp", "flow_keys", ...SK_FIELDS]),
    narrowReads: true,
  },
  // tc_cls_act_is_valid_access.
  sched_cls: { packetRead: true, packetWrite: true, noRead: new Set(["flow_keys", ...SK_FIELDS]), narrowReads: true },
  // xdp_is_valid_access: egress_ifindex only for devmap programs; exact 4-byte loads.
  xdp: { packetRead: true, packetWrite: true, noRead: new Set(["egress_ifindex"]), narrowReads: false },
};

/** xdp_is_valid_access: a program attached to a DEVMAP slot (BPF_XDP_DEVMAP) reads egress_ifindex too. */
const XDP_DEVMAP: TypeRules = { ...RULES.xdp, noRead: new Set() };

export const typeRules = (name: ProgramTypeName, expectedAttach = 0): TypeRules =>
  name === "xdp" && expectedAttach === BPF_XDP_DEVMAP ? XDP_DEVMAP : RULES[name];
