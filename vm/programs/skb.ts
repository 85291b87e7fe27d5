// struct __sk_buff, the context of BPF_PROG_TYPE_SOCKET_FILTER and BPF_PROG_TYPE_SCHED_CLS
// (include/uapi/linux/bpf.h). Offsets must match the UAPI exactly: clang-compiled programs
// hard-code them.
//
// LD_ABS / LD_IND (RFC 9669 §5.5) read the packet of the skb in r6 (the kernel requires ctx in
// r6 for them): both engines find the packet through this struct's `data` and `data_end`,
// which hold real addresses here.

import { ctxLayout, ctxField, type FieldSpec, type NarrowStore } from "./context.js";

/** sk_buff keeps these in a __u16 (convert_ctx_access: BPF_H stores and loads). */
const U16: NarrowStore = { bytes: 2 };
/** skb->queue_mapping: a __u16, and NO_QUEUE_MAPPING (0xffff) or more is not stored. */
const QUEUE_MAPPING: NarrowStore = { bytes: 2, dropsFrom: 0xffff };

const FIELDS: readonly FieldSpec[] = [
  ["len", 4],
  ["pkt_type", 4],
  ["mark", 4],
  ["queue_mapping", 4, "scalar", QUEUE_MAPPING],
  ["protocol", 4],
  ["vlan_present", 4],
  ["vlan_tci", 4],
  ["vlan_proto", 4],
  ["priority", 4],
  ["ingress_ifindex", 4],
  ["ifindex", 4],
  ["tc_index", 4, "scalar", U16],
  ["cb0", 4],
  ["cb1", 4],
  ["cb2", 4],
  ["cb3", 4],
  ["cb4", 4],
  ["hash", 4],
  ["tc_classid", 4, "scalar", U16],
  ["data", 4, "packet"],
  ["data_end", 4, "packet_end"],
  ["napi_id", 4],
  ["family", 4],
  ["remote_ip4", 4],
  ["local_ip4", 4],
  ["remote_ip6_0", 4],
  ["remote_ip6_1", 4],
  ["remote_ip6_2", 4],
  ["remote_ip6_3", 4],
  ["local_ip6_0", 4],
  ["local_ip6_1", 4],
  ["local_ip6_2", 4],
  ["local_ip6_3", 4],
  ["remote_port", 4],
  ["local_port", 4],
  ["data_meta", 4, "packet_meta"],
  ["flow_keys", 8],
  ["tstamp", 8],
  ["wire_len", 4],
  ["gso_segs", 4],
  ["sk", 8, "sock_common"],
  ["gso_size", 4],
  // A __u8, then `__u32 :24` of padding: no field covers 181..183, so every access there is
  // refused, as bpf_skb_is_valid_access refuses the padding.
  ["tstamp_type", 1],
  ["hwtstamp", 8],
];

const CB = ["cb0", "cb1", "cb2", "cb3", "cb4"];

/** Socket filters may write only cb[] (kernel: sk_filter_is_valid_access). */
export const SK_BUFF_SOCKET = ctxLayout("__sk_buff", FIELDS, CB);

/** tc programs may also write mark, priority, tc_index, tc_classid, queue_mapping, tstamp
 * (kernel: tc_cls_act_is_valid_access). */
export const SK_BUFF_TC = ctxLayout("__sk_buff", FIELDS, [
  ...CB,
  "mark",
  "priority",
  "tc_index",
  "tc_classid",
  "queue_mapping",
  "tstamp",
]);

/** cgroup_skb programs may write mark, priority, cb[] and tstamp (kernel: cg_skb_is_valid_access;
 * tstamp needs CAP_SYS_ADMIN, which a loader of cgroup programs has). */
export const SK_BUFF_CGROUP = ctxLayout("__sk_buff", FIELDS, [...CB, "mark", "priority", "tstamp"]);

/** Lightweight-tunnel programs may write mark, priority and cb[] (kernel: lwt_is_valid_access). */
export const SK_BUFF_LWT = ctxLayout("__sk_buff", FIELDS, [...CB, "mark", "priority"]);

/** Where LD_ABS/LD_IND find the packet: offsets of data and data_end in __sk_buff. */
export const SKB_DATA_OFFSET = ctxField(SK_BUFF_SOCKET, "data").offset; // 76
export const SKB_DATA_END_OFFSET = ctxField(SK_BUFF_SOCKET, "data_end").offset; // 80
export const SKB_LEN_OFFSET = ctxField(SK_BUFF_SOCKET, "len").offset; // 0
