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
