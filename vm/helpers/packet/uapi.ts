// Numbers the packet helpers share with the kernel: helper flags from include/uapi/linux/bpf.h,
// errno values (include/uapi/asm-generic/errno*.h, plus the kernel-internal ENOTSUPP), and the
// return codes of XDP and tc programs. Helpers return errors negated, as the kernel's do.

// ---- errno ----------------------------------------------------------------------------------
export const EFAULT = 14;
export const EACCES = 13;
export const E2BIG = 7;
export const ENOENT = 2;
export const ENOMEM = 12;
export const EINVAL = 22;
export const ENOSPC = 28;
export const EBUSY = 16;
export const EOPNOTSUPP = 95;
/** No such device: check_mtu's ifindex names none (net/core/filter.c __dev_via_ifindex). */
export const ENODEV = 19;
/** Protocol error: get_tunnel_key asked for the other address family than the tunnel's. */
export const EPROTO = 71;
/** Result too large: clone_redirect's skb without a link-layer header. */
export const ERANGE = 34;
/** include/linux/errno.h: "operation is not supported", kernel-internal but seen by programs. */
export const ENOTSUPP = 524;

/** `-errno` as the u64 a helper leaves in r0. */
export const errno = (e: number): bigint => BigInt.asUintN(64, BigInt(-e));

// ---- enum xdp_action / tc_action ---------------------------------------------------------
export const XDP_ABORTED = 0;
export const XDP_DROP = 1;
export const XDP_PASS = 2;
export const XDP_TX = 3;
export const XDP_REDIRECT = 4;
export const TC_ACT_SHOT = 2;
export const TC_ACT_REDIRECT = 7;

// ---- flags of skb_store_bytes --------------------------------------------------------------
export const BPF_F_RECOMPUTE_CSUM = 1n << 0n;
export const BPF_F_INVALIDATE_HASH = 1n << 1n;

// ---- flags of l3_csum_replace / l4_csum_replace --------------------------------------------
/** The low four bits: size of the replaced field (0 = `to` is a csum_diff result, 2, 4). */
export const BPF_F_HDR_FIELD_MASK = 0xfn;
export const BPF_F_PSEUDO_HDR = 1n << 4n;
export const BPF_F_MARK_MANGLED_0 = 1n << 5n;
export const BPF_F_MARK_ENFORCE = 1n << 6n;
export const BPF_F_IPV6 = 1n << 7n;
/** What l4_csum_replace leaves instead of a zero UDP checksum (net/checksum.h CSUM_MANGLED_0). */
export const CSUM_MANGLED_0 = 0xffff;

// ---- flags of redirect / redirect_map --------------------------------------------------------
export const BPF_F_INGRESS = 1n << 0n;
export const BPF_F_BROADCAST = 1n << 3n;
export const BPF_F_EXCLUDE_INGRESS = 1n << 4n;

// ---- flags of perf_event_output -------------------------------------------------------------
export const BPF_F_INDEX_MASK = 0xffffffffn;
export const BPF_F_CURRENT_CPU = BPF_F_INDEX_MASK;
/** Bits 32..51: how many packet bytes to append to the record (skb / xdp event output). */
export const BPF_F_CTXLEN_MASK = 0xfffffn << 32n;

// ---- packet geometry --------------------------------------------------------------------------
/** An Ethernet header: the least an XDP packet may shrink to (adjust_head / adjust_tail). */
export const ETH_HLEN = 14;
/**
 * sizeof(struct xdp_frame) on 64-bit kernels: the kernel keeps the first 40 bytes of the
 * headroom for it, so neither data nor data_meta may move below data_hard_start + 40
 * (bpf_xdp_adjust_head / bpf_xdp_adjust_meta). Checked on this machine's 6.18: with 256 bytes of
 * headroom, adjust_head(-216) succeeds and adjust_head(-217) fails.
 */
export const XDP_FRAME_SIZE = 40;
/** xdp_metalen_invalid(): at most type_max(skb_shared_info.meta_len) = 255 bytes, 4-aligned. */
export const XDP_META_MAX = 255;
/** INT_MAX: skb_load_bytes / skb_store_bytes refuse larger offsets before looking at the skb. */
export const INT_MAX = 0x7fffffff;

// ---- skb resizing: change_head / change_tail / adjust_room / vlan_push / vlan_pop ------------
/** include/uapi/asm-generic/errno.h: adjust_room's encapsulation of an already encapsulated skb. */
export const EALREADY = 114;
/**
 * BPF_SKB_MAX_LEN = SKB_MAX_ALLOC = SKB_MAX_ORDER(0, 2): four 4 KiB pages less
 * SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) (320 on x86-64) = 16064 bytes, the most
 * change_head / change_tail / adjust_room let a (non-GSO) skb grow to.
 */
export const SKB_MAX_ALLOC = 16064;
export const VLAN_HLEN = 4;
/** The EtherTypes the skb helpers test skb->protocol against (host order). */
export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_P_8021Q = 0x8100;
export const ETH_P_8021AD = 0x88a8;
/** skb->protocol of raw 802.3 (payload starting 0xffff) and of LLC frames (if_ether.h). */
export const ETH_P_802_3 = 0x0001;
export const ETH_P_802_2 = 0x0004;
/** sizeof(struct iphdr) / sizeof(struct ipv6hdr): bpf_skb_net_base_len. */
export const IPV4_HLEN = 20;
export const IPV6_HLEN = 40;

// ---- modes and flags of skb_adjust_room (enum bpf_adj_room_mode, BPF_F_ADJ_ROOM_*) ------------
export const BPF_ADJ_ROOM_NET = 0;
export const BPF_ADJ_ROOM_MAC = 1;
export const BPF_F_ADJ_ROOM_FIXED_GSO = 1n << 0n;
export const BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 = 1n << 1n;
export const BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 = 1n << 2n;
export const BPF_F_ADJ_ROOM_ENCAP_L4_GRE = 1n << 3n;
export const BPF_F_ADJ_ROOM_ENCAP_L4_UDP = 1n << 4n;
export const BPF_F_ADJ_ROOM_NO_CSUM_RESET = 1n << 5n;
export const BPF_F_ADJ_ROOM_ENCAP_L2_ETH = 1n << 6n;
/** 6.3+ (not in libbpf 1.1.2's headers): the outer header a shrink removes was IPv4 / IPv6. */
export const BPF_F_ADJ_ROOM_DECAP_L3_IPV4 = 1n << 7n;
export const BPF_F_ADJ_ROOM_DECAP_L3_IPV6 = 1n << 8n;
/** BPF_F_ADJ_ROOM_ENCAP_L2(len): the inner MAC header's length in bits 56..63. */
export const BPF_ADJ_ROOM_ENCAP_L2_SHIFT = 56n;
export const BPF_ADJ_ROOM_ENCAP_L2_MASK = 0xffn;
