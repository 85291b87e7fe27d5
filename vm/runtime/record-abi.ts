// The layout of the per-CPU run record (./record.ts), shared by the TypeScript runtime and the
// packet helpers' AssemblyScript twins (vm/helpers/packet/as/), which write redirects and read
// fragment lengths there. Compiled by both tsc and asc, as vm/maps/abi.ts is, so the two sides
// cannot disagree on an offset: it must stay plain `export const NAME = <integer>;`.

export const RECORD_SIZE = 48;
/** u32: one of the REDIRECT_* kinds below (RedirectKind in ./record.ts). */
export const REC_REDIRECT_KIND = 0;
/** u32: the helper's flags (low 32 bits), e.g. BPF_F_INGRESS = 1. */
export const REC_REDIRECT_FLAGS = 4;
/** u32: the ifindex (bpf_redirect) or the map key (bpf_redirect_map). */
export const REC_REDIRECT_TARGET = 8;
/** u32: the map pointer (header address) for bpf_redirect_map. */
export const REC_REDIRECT_MAP = 12;
/**
 * u32: bytes of an XDP frame in fragments after data_end (a frame over 3520 bytes,
 * vm/helpers/packet/xdp-frags.ts), and u32: the data_end they follow.
 */
export const REC_XDP_FRAGS = 16;
export const REC_XDP_FRAGS_END = 20;
/**
 * u32: 1 when the skb's dst is the CPU's tunnel info (bpf_skb_set_tunnel_key succeeded in this
 * run), 0 otherwise: the kernel's skb_tunnel_info(skb). The info itself stays per CPU between
 * runs, as the kernel's per-CPU md_dst does (vm/helpers/packet/tunnel-key.ts).
 */
export const REC_TUNNEL = 24;
/** u32: clones bpf_clone_redirect sent in this run (vm/helpers/packet/clone-redirect.ts). */
export const REC_CLONES = 28;
/**
 * u32 each: the CGROUP_STORAGE and the PERCPU_CGROUP_STORAGE map (header address) whose storage
 * this run has, 0 before its first bpf_get_local_storage: the storage is zeroed then, as a test
 * run allocates a fresh one (vm/helpers/cgroup-storage.ts). Adjacent and 8-aligned: one u64
 * store clears both (the pool's packet driver).
 */
export const REC_CGROUP_STORAGE = 32;
export const REC_PERCPU_CGROUP_STORAGE = 36;
/**
 * u32: the lowest headroom address this run's XDP frame has exposed (xdp_adjust_head or
 * xdp_adjust_meta moving data or data_meta below where the frame was placed), 0 before the
 * first: the bytes from there up were zeroed when exposed (vm/helpers/packet/xdp-adjust.ts).
 */
export const REC_XDP_EXPOSED = 40;

/** Values of REC_REDIRECT_KIND: no redirect, bpf_redirect's ifindex, bpf_redirect_map's map and key. */
export const REDIRECT_NONE = 0;
export const REDIRECT_IFINDEX = 1;
export const REDIRECT_MAP = 2;
