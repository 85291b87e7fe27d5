// Packet helpers in wasm, built into the maps runtime module (asconfig.json lists this file as a
// second entry) so that JIT code calls them wasm-to-wasm, as it calls the map helpers
// (jit/lower/packet.ts): skb_load_bytes (26), skb_store_bytes (9), l3_csum_replace (10),
// l4_csum_replace (11), csum_diff (28), skb_pull_data (39), csum_update (40) and
// skb_load_bytes_relative (68) here; redirect
// and redirect_map in ./redirect.ts; the XDP adjust helpers in ./xdp-adjust.ts;
// xdp_get_buff_len and xdp_load / store_bytes in ./xdp-bytes.ts. A JS helper call costs tens of
// nanoseconds in BigInt conversions alone; these cost a few.
//
// The TypeScript helpers (../skb-bytes.ts, ../csum.ts, ../skb-linear.ts, ../redirect.ts,
// ../xdp-adjust.ts, ../xdp-bytes.ts) stay the definition: every engine without a maps runtime
// calls them, and they raise the interpreter's fault for a bad pointer. So each function here
// first checks every address the TypeScript one would dereference, and returns SLOW
// (./memory.ts; touching nothing) when one fails: the JIT then calls the TypeScript helper, which
// faults with its message. Past the checks each function follows its TypeScript twin line by
// line; test/jit (packet-helpers, redirect, xdp-helpers) hold them to the TypeScript helpers over
// random arguments, and test/helpers runs its kernel comparisons on the JIT with a maps runtime
// too.
//
// Registers arrive as the full u64 (an address with high bits set is not an address).

import { csumFrom32to16, csumPartial, csumReplace2, csumReplace4, csumReplaceByDiff, csumSub } from "./checksum";
import { SLOW, inMemory } from "./memory";

// vm/helpers/packet/context.ts SKB_DATA, SKB_DATA_END, SKB_HASH.
const SKB_DATA: u32 = 76;
const SKB_DATA_END: u32 = 80;
const SKB_HASH: u32 = 68;
// vm/helpers/packet/skb-state.ts: the hidden state after the __sk_buff (MAC and network header
// addresses first, 0 = the test run's places), its size; vm/memory/layout.ts: the packet's
// default place, scratch (the run record) + SCRATCH_SIZE + PACKET_HEADROOM.
const SKB_STATE: u32 = 192;
const SKB_STATE_SIZE: u32 = 24;
const PACKET_DATA_FROM_RECORD: u32 = 256 + 256;
const ETH_HLEN: u32 = 14;
// vm/helpers/packet/uapi.ts
const EFAULT: i64 = -14;
const EINVAL: i64 = -22;
const ENOMEM: i64 = -12;
const ENOTSUPP: i64 = -524;
const INT_MAX: u64 = 0x7fffffff;
const BPF_F_RECOMPUTE_CSUM: u64 = 1 << 0;
const BPF_F_INVALIDATE_HASH: u64 = 1 << 1;
const BPF_F_HDR_FIELD_MASK: u64 = 0xf;
const BPF_F_PSEUDO_HDR: u64 = 1 << 4;
const BPF_F_MARK_MANGLED_0: u64 = 1 << 5;
const BPF_F_MARK_ENFORCE: u64 = 1 << 6;
const BPF_F_IPV6: u64 = 1 << 7;
const CSUM_MANGLED_0: u16 = 0xffff;
const STORE_FLAGS = BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH;
const L4_FLAGS = BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR | BPF_F_HDR_FIELD_MASK | BPF_F_IPV6;

/** The u32 argument of a register (the kernel's `u32` parameters). */
@inline function u32of(reg: u64): u32 {
  return <u32>reg;
}

// The skb's packet, as ../context.ts skbPacket finds it: set by skbPacket(), 0 when not valid.
let pktData: usize = 0;
let pktLen: u32 = 0;

/** ../context.ts packetAt for an skb: the ctx, then [data, data_end) inside the memory. */
function skbPacket(skb: u64): bool {
  if (!inMemory(skb, SKB_DATA_END + 4)) return false;
  const data = load<u32>(<usize>skb + SKB_DATA);
  const end = load<u32>(<usize>skb + SKB_DATA_END);
  if (!(data <= end && inMemory(data, end - data))) return false;
  pktData = <usize>data;
  pktLen = end - data;
  return true;
}

/** BPF_FUNC_skb_load_bytes: len bytes of the packet at offset into `to`; on -EFAULT `to` is zeroed. */
export function skb_load_bytes(skb: u64, offset: u64, to: u64, lenReg: u64): i64 {
  const len = u32of(lenReg);
  if (!skbPacket(skb) || !inMemory(to, len)) return SLOW;
  const off = <u64>u32of(offset);
  if (off > INT_MAX || off + len > <u64>pktLen) {
    memory.fill(<usize>to, 0, len);
    return EFAULT;
  }
  memory.copy(<usize>to, pktData + <usize>off, len);
  return 0;
}

/** BPF_FUNC_skb_store_bytes: len bytes from `from` into the packet at offset. */
export function skb_store_bytes(skb: u64, offset: u64, from: u64, lenReg: u64, flags: u64): i64 {
  if (flags & ~STORE_FLAGS) return EINVAL;
  const len = u32of(lenReg);
  if (!skbPacket(skb) || !inMemory(from, len)) return SLOW;
  const off = <u64>u32of(offset);
  if (off > INT_MAX || off + len > <u64>pktLen) return EFAULT;
  memory.copy(pktData + <usize>off, <usize>from, len);
  if (flags & BPF_F_INVALIDATE_HASH) store<u32>(<usize>skb + SKB_HASH, 0);
  return 0;
}

/** ../csum.ts fieldAt: the 2-byte checksum field at an even offset ≤ 0xffff inside the packet, or 0. */
function fieldAt(offset: u64): usize {
  const off = u32of(offset);
  if (off > 0xffff || off & 1) return 0;
  if (<u64>off + 2 > <u64>pktLen) return 0;
  return pktData + off;
}

/** BPF_FUNC_l3_csum_replace: fix an IP header checksum at offset. */
export function l3_csum_replace(skb: u64, offset: u64, from: u64, to: u64, flags: u64): i64 {
  if (flags & ~BPF_F_HDR_FIELD_MASK) return EINVAL;
  if (!skbPacket(skb)) return SLOW;
  const at = fieldAt(offset);
  if (at == 0) return EFAULT;
  const sum = <u32>load<u16>(at);
  switch (<u32>(flags & BPF_F_HDR_FIELD_MASK)) {
    case 0:
      if (from != 0) return EINVAL;
      store<u16>(at, csumReplaceByDiff(sum, u32of(to)));
      return 0;
    case 2:
      store<u16>(at, csumReplace2(sum, u32of(from) & 0xffff, u32of(to) & 0xffff));
      return 0;
    case 4:
      store<u16>(at, csumReplace4(sum, u32of(from), u32of(to)));
      return 0;
    default:
      return EINVAL;
  }
}

/** BPF_FUNC_l4_csum_replace: fix a TCP/UDP checksum at offset (../csum.ts explains the flags). */
export function l4_csum_replace(skb: u64, offset: u64, from: u64, to: u64, flags: u64): i64 {
  if (flags & ~L4_FLAGS) return EINVAL;
  if (!skbPacket(skb)) return SLOW;
  const at = fieldAt(offset);
  if (at == 0) return EFAULT;
  const mangledZero = (flags & BPF_F_MARK_MANGLED_0) != 0;
  const sum = <u32>load<u16>(at);
  if (mangledZero && !(flags & BPF_F_MARK_ENFORCE) && sum == 0) return 0;
  let next: u32;
  switch (<u32>(flags & BPF_F_HDR_FIELD_MASK)) {
    case 0:
      if (from != 0) return EINVAL;
      next = csumReplaceByDiff(sum, u32of(to));
      break;
    case 2:
      next = csumReplace4(sum, u32of(from) & 0xffff, u32of(to) & 0xffff);
      break;
    case 4:
      next = csumReplace4(sum, u32of(from), u32of(to));
      break;
    default:
      return EINVAL;
  }
  store<u16>(at, mangledZero && next == 0 ? CSUM_MANGLED_0 : <u16>next);
  return 0;
}

/** BPF_FUNC_csum_diff: the checksum difference of replacing `from` by `to`, seeded, folded to 16 bits. */
export function csum_diff(from: u64, fromSizeReg: u64, to: u64, toSizeReg: u64, seed: u64): i64 {
  const fromSize = u32of(fromSizeReg);
  const toSize = u32of(toSizeReg);
  if ((fromSize && !inMemory(from, fromSize)) || (toSize && !inMemory(to, toSize))) return SLOW;
  let ret = u32of(seed);
  if (fromSize && toSize) ret = csumSub(csumPartial(<usize>to, toSize, ret), csumPartial(<usize>from, fromSize, 0));
  else if (toSize) ret = csumPartial(<usize>to, toSize, ret);
  else if (fromSize) ret = ~csumPartial(<usize>from, fromSize, ~ret);
  return <i64>csumFrom32to16(ret);
}

/** BPF_FUNC_skb_pull_data: our skb is linear, so only -ENOMEM for a len past it (../skb-linear.ts). */
export function skb_pull_data(skb: u64, len: u64): i64 {
  if (!skbPacket(skb)) return SLOW;
  return u32of(len) > pktLen ? ENOMEM : 0;
}

/**
 * BPF_FUNC_skb_load_bytes_relative (../skb-linear.ts): len bytes at offset from the MAC (start 0)
 * or network (1) header; -EFAULT, with `to` zeroed, for an offset above 0xffff, another start or
 * a range past data_end. `record` is the running CPU's run record.
 */
export function skb_load_bytes_relative(skb: u64, offset: u64, to: u64, lenReg: u64, startReg: u64, record: u32): i64 {
  const len = u32of(lenReg);
  if (!skbPacket(skb) || !inMemory(to, len)) return SLOW;
  const off = <u64>u32of(offset);
  const start = u32of(startReg);
  // skb-state.ts skbHeader: the stored address, else where the test run puts the header.
  const stored = start > 1 || !inMemory(skb + SKB_STATE, SKB_STATE_SIZE) ? 0 : load<u32>(<usize>skb + SKB_STATE + 4 * start);
  const header = <u64>(stored || record + PACKET_DATA_FROM_RECORD + (start == 1 ? ETH_HLEN : 0));
  if (off > 0xffff || start > 1 || header + off + len > <u64>pktData + pktLen) {
    memory.fill(<usize>to, 0, len);
    return EFAULT;
  }
  memory.copy(<usize>to, <usize>(header + off), len);
  return 0;
}

/** BPF_FUNC_csum_update: -ENOTSUPP, as for any skb that is not CHECKSUM_COMPLETE (../skb-linear.ts). */
export function csum_update(skb: u64, _csum: u64): i64 {
  return skbPacket(skb) ? ENOTSUPP : SLOW;
}

export { xdp_redirect, tc_redirect, xdp_redirect_map } from "./redirect";
export { xdp_adjust_head, xdp_adjust_meta, xdp_adjust_tail } from "./xdp-adjust";
export { xdp_get_buff_len, xdp_load_bytes, xdp_store_bytes } from "./xdp-bytes";
