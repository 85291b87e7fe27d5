// Where LD_ABS / LD_IND read (RFC 9669 §5.5: "legacy packet access"), as the kernel rewrites
// them (net/core/filter.c bpf_gen_ld_abs → bpf_skb_load_helper_{8,16,32}): the offset, imm or
// src + imm taken as an int, is
//
//   >= 0                          the packet from skb->data;
//   SKF_NET_OFF ... -1            the network header + (offset - SKF_NET_OFF);
//   SKF_LL_OFF ... SKF_NET_OFF-1  the MAC header + (offset - SKF_LL_OFF);
//
// (bpf_skb_load_helper_convert_offset / bpf_internal_load_pointer_neg_helper), each of them
// only within the skb's bytes; anywhere else the program returns 0 from the current function.
// The headers are the skb's hidden state (vm/helpers/packet/skb-state.ts): 0 there means no
// helper has moved them, so the frame's first byte is the MAC header and the network header is
// 14 bytes on, as BPF_PROG_TEST_RUN's eth_type_trans leaves them. The kernel lets a negative
// offset read the headroom in front of the MAC header too (zeros in a test run); here the MAC
// header is the lower bound. A socket filter here sees the frame from its MAC header, as a packet
// socket's filter does, so its SKF_NET_OFF is the frame's byte 14; the kernel's test run pulls the
// MAC header first (vm/node/kernel/socket-frame.ts). The JIT emits the same steps in wasm
// (jit/lower/mem.ts).

import { SKB_MAC_AT, SKB_NETWORK_AT } from "../helpers/packet/skb-state.js";
import { ETH_HLEN } from "../helpers/packet/uapi.js";

export const SKF_NET_OFF = -0x100000;
export const SKF_LL_OFF = -0x200000;

/**
 * The address of the `size` bytes LD_ABS / LD_IND read at `off` from the skb whose ctx is at
 * `ctx` and whose packet is [data, end), or -1 when they are outside it.
 */
export function ldAbsAddress(view: DataView, ctx: number, data: number, end: number, off: number, size: number): number {
  if (off >= 0) return data + off + size <= end ? data + off : -1;
  if (off < SKF_LL_OFF) return -1;
  const state = ctx + SKB_NETWORK_AT + 4 <= view.byteLength; // a hand-made ctx at the memory's end: a fresh skb
  const mac = (state && view.getUint32(ctx + SKB_MAC_AT, true)) || data;
  const network = (state && view.getUint32(ctx + SKB_NETWORK_AT, true)) || mac + ETH_HLEN;
  const at = off >= SKF_NET_OFF ? network + (off - SKF_NET_OFF) : mac + (off - SKF_LL_OFF);
  return at >= mac && at + size <= end ? at : -1;
}
