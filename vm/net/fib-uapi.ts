// include/uapi/linux/bpf.h: struct bpf_fib_lookup (64 bytes), the BPF_FIB_LOOKUP_* flags and the
// BPF_FIB_LKUP_RET_* codes, as 6.18 has them (MARK is 6.10+, newer than libbpf 1.1.2's headers).
//
//   0  family (u8)        1  l4_protocol (u8)   2  sport (be16)   4  dport (be16)
//   6  tot_len / mtu_result (u16)               8  ifindex (u32)
//  12  tos (u8) / flowinfo (be32) / rt_metric (u32)
//  16  ipv4_src (be32) / ipv6_src (16 bytes)   32  ipv4_dst / ipv6_dst
//  48  h_vlan_proto (be16), h_vlan_TCI (be16) / tbid (u32)
//  52  mark (u32) / smac (6 bytes)             58  dmac (6 bytes)

export const FIB_LOOKUP_SIZE = 64;

export const FIB = {
  family: 0,
  totLen: 6,
  ifindex: 8,
  rtMetric: 12,
  src: 16,
  dst: 32,
  vlan: 48,
  tbid: 48,
  mark: 52,
  smac: 52,
  dmac: 58,
} as const;

export const AF_INET = 2;
export const AF_INET6 = 10;

export const BPF_FIB_LOOKUP_DIRECT = 1 << 0;
export const BPF_FIB_LOOKUP_OUTPUT = 1 << 1;
export const BPF_FIB_LOOKUP_SKIP_NEIGH = 1 << 2;
export const BPF_FIB_LOOKUP_TBID = 1 << 3;
export const BPF_FIB_LOOKUP_SRC = 1 << 4;
export const BPF_FIB_LOOKUP_MARK = 1 << 5;
/** Every flag 6.18 knows; any other bit is -EINVAL. */
export const BPF_FIB_LOOKUP_ALL = 0x3f;

export const FibRet = {
  SUCCESS: 0,
  BLACKHOLE: 1,
  UNREACHABLE: 2,
  PROHIBIT: 3,
  NOT_FWDED: 4,
  FWD_DISABLED: 5,
  UNSUPP_LWT: 6,
  NO_NEIGH: 7,
  FRAG_NEEDED: 8,
  NO_SRC_ADDR: 9,
} as const;

/** include/uapi/asm-generic/errno.h. */
export const EAFNOSUPPORT = 97;
