// The socket BPF_PROG_TEST_RUN gives an skb (net/bpf/test_run.c bpf_prog_test_run_skb), which a
// program reaches through `__sk_buff.sk` (PTR_TO_SOCK_COMMON_OR_NULL): sk_alloc(AF_UNSPEC) with
// bpf_dummy_proto and sock_init_data(NULL, sk) — type, protocol, ports, mark, priority and bound
// device 0, state TCP_CLOSE, no receive queue mapping — then, by skb->protocol, family AF_INET
// with the IPv4 header's saddr / daddr as its local / remote address, or AF_INET6 with the IPv6
// header's, when the header is in the skb's head (else the addresses stay 0); family AF_UNSPEC
// for other protocols.
//
// Its struct bpf_sock image is written for each packet into the CPU's scratch area at
// TEST_RUN_SOCKET (docs/memory-model.md), and `__sk_buff.sk` holds its address. The pool's
// precomputed contexts (vm/pool/placements.ts) cannot hold a per-packet image outside the
// context, so a pool runs a program that loads `__sk_buff.sk` (readsSkbSocket) with the
// runtime's ContextWriter instead.

import { BPF_SOCK_SIZE, BpfSock, TCP_CLOSE } from "../net/sockets.js";
import { CTX_SIZE, type CpuRegion } from "../memory/layout.js";
import type { Insn } from "../isa/instruction.js";
import { ctxField } from "../programs/context.js";
import { SK_BUFF_TC } from "../programs/skb.js";
import type { Region } from "../engine.js";

/** Offset of the image in the CPU's scratch area: after the run record and redirect_map's key, before for_each's words. */
export const TEST_RUN_SOCKET = 128;
/** __sk_buff.sk's offset. */
export const SKB_SK = ctxField(SK_BUFF_TC, "sk").offset;

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const IPV4_HLEN = 20;
const IPV6_HLEN = 40;

/** Write the test run's socket for an skb of `protocol` whose network header is at `net` with `headLen` bytes, and point ctx.sk at it. */
export function writeTestRunSocket(u8: Uint8Array, view: DataView, cpu: CpuRegion, protocol: number, net: number, headLen: number): void {
  const at = cpu.scratch + TEST_RUN_SOCKET;
  u8.fill(0, at, at + BPF_SOCK_SIZE);
  const ip4 = protocol === ETH_P_IP, ip6 = protocol === ETH_P_IPV6;
  view.setUint32(at + BpfSock.family, ip4 ? 2 : ip6 ? 10 : 0, true);
  view.setUint32(at + BpfSock.state, TCP_CLOSE, true);
  view.setUint32(at + BpfSock.rx_queue_mapping, 0xffffffff, true);
  // Addresses are __be32s as the header holds them.
  if (ip4 && headLen >= IPV4_HLEN) {
    u8.copyWithin(at + BpfSock.src_ip4, net + 12, net + 16);
    u8.copyWithin(at + BpfSock.dst_ip4, net + 16, net + 20);
  } else if (ip6 && headLen >= IPV6_HLEN) {
    u8.copyWithin(at + BpfSock.src_ip6, net + 8, net + 24);
    u8.copyWithin(at + BpfSock.dst_ip6, net + 24, net + 40);
  }
  view.setBigUint64(cpu.ctx + SKB_SK, BigInt(at), true);
}

/** The interpreter's region for the image of the CPU whose ctx is at `ctx`. */
export const testRunSocketRegion = (ctx: number): Region => ({
  start: ctx + CTX_SIZE + TEST_RUN_SOCKET,
  end: ctx + CTX_SIZE + TEST_RUN_SOCKET + BPF_SOCK_SIZE,
  writable: false,
  name: "the test run's socket (__sk_buff.sk)",
});

const LDX_DW = 0x79;

/**
 * May the program load `__sk_buff.sk`? The verifier lets it reach the field only with an
 * 8-byte load from the ctx at its offset, so any such load counts (a load at that offset from
 * other memory only makes the answer cautious).
 */
export const readsSkbSocket = (insns: readonly Insn[]): boolean => insns.some((i) => i.opcode === LDX_DW && i.off === SKB_SK);
