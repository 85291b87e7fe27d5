// Classic BPF (McCanne & Jacobson 1993; Linux include/uapi/linux/filter.h and bpf_common.h):
// an accumulator A, an index register X, 16 scratch words M[], and 8-byte instructions
//
//   struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; };
//
// The class, size, mode and op fields share their encodings with eBPF's where they overlap
// (LD/LDX/ST/STX/ALU/JMP, B/H/W, ABS/IND/MEM, ALU and jump ops); RET and MISC are cBPF's own.

export const CbpfClass = { LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, RET: 0x06, MISC: 0x07 } as const;
export const CbpfSize = { W: 0x00, H: 0x08, B: 0x10 } as const;
export const CbpfMode = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, LEN: 0x80, MSH: 0xa0 } as const;
export const CbpfAlu = { ADD: 0x00, SUB: 0x10, MUL: 0x20, DIV: 0x30, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70, NEG: 0x80, MOD: 0x90, XOR: 0xa0 } as const;
export const CbpfJmp = { JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40 } as const;
export const CbpfSrc = { K: 0x00, X: 0x08 } as const;
/** RET's value source (BPF_RVAL): K, X (BSD only — Linux refuses it) or A. */
export const CbpfRval = { K: 0x00, X: 0x08, A: 0x10 } as const;
export const CbpfMisc = { TAX: 0x00, TXA: 0x80 } as const;

/** Scratch memory words M[0..15] (BPF_MEMWORDS). */
export const BPF_MEMWORDS = 16;
/** Longest classic program the kernel takes (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

/**
 * Negative packet offsets select ancillary data and special headers (linux/filter.h):
 * k in [SKF_AD_OFF, SKF_AD_OFF + SKF_AD_MAX) of an LD ABS is an "extension" (protocol, ifindex…);
 * SKF_NET_OFF + n and SKF_LL_OFF + n address the network / link-layer header.
 */
export const SKF_AD_OFF = -0x1000;
export const SKF_NET_OFF = -0x100000;
export const SKF_LL_OFF = -0x200000;

export const SkfAd = {
  PROTOCOL: 0,
  PKTTYPE: 4,
  IFINDEX: 8,
  NLATTR: 12,
  NLATTR_NEST: 16,
  MARK: 20,
  QUEUE: 24,
  HATYPE: 28,
  RXHASH: 32,
  CPU: 36,
  ALU_XOR_X: 40,
  VLAN_TAG: 44,
  VLAN_TAG_PRESENT: 48,
  PAY_OFFSET: 52,
  RANDOM: 56,
  VLAN_TPID: 60,
} as const;
export const SKF_AD_MAX = 64;

export const cbpfClass = (code: number): number => code & 0x07;
export const cbpfSize = (code: number): number => code & 0x18;
export const cbpfMode = (code: number): number => code & 0xe0;
export const cbpfOp = (code: number): number => code & 0xf0;
export const cbpfSrc = (code: number): number => code & 0x08;
