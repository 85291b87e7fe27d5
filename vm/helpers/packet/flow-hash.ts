// get_hash_recalc (34), set_hash_invalid (41), set_hash (48): the skb's flow hash.
//
// The kernel's skb_get_hash dissects the packet into flow keys (net/core/flow_dissector.c),
// orders them so both directions of a flow hash alike (__flow_hash_consistentify) and takes
// jhash2 of them with a seed drawn at random once per boot (hashrnd). That seed makes the
// kernel's values unreproducible, so we keep its properties, not its numbers: the hash depends
// only on the flow (VLAN ids, protocol, addresses, ports; the IPv6 flow label instead of ports
// when set, as with FLOW_DISSECTOR_F_STOP_AT_FLOW_LABEL), is the same in both directions, is
// never 0, and is jhash2 of our own key layout with a seed fixed per machine (FLOW_HASH_SEED by
// default). Both properties are checked on the kernel's hash too (test/helpers/flow-hash.test.ts).
//
// skb->hash is __sk_buff.hash in the ctx. skb_get_hash only recomputes when the skb has no valid
// hash (l4_hash / sw_hash unset); we have no such bits and read a hash of 0 as "not valid", which
// is what skb_clear_hash (BPF_F_INVALIDATE_HASH, set_hash_invalid) leaves.

import type { Layout } from "../../memory/layout.js";
import type { HelperContext, HelperDef } from "../registry.js";
import { SKB_HASH, skbPacket } from "./context.js";
import { jhash2 } from "./jhash.js";
import { memOf, u32 } from "./memory.js";
import { skbOf } from "./skb-state.js";
import { ETH_P_8021AD, ETH_P_8021Q, ETH_P_IP, ETH_P_IPV6 } from "./uapi.js";

export const FLOW_HASH_SEED = 0x5eed_f10e;

/** IP protocols whose first 4 bytes are source and destination ports. */
const PORT_PROTOCOLS = new Set([6 /* TCP */, 17 /* UDP */, 33 /* DCCP */, 132 /* SCTP */, 136 /* UDPLITE */]);

/** What the hash is taken over. Addresses are 1 (IPv4) or 4 (IPv6) words as the packet has them. */
export interface FlowKeys {
  /** VLAN ids of the outer and inner tag (0 when untagged), as the kernel's vlan / cvlan keys. */
  vlan: number;
  nProto: number;
  ipProto: number;
  src: number[];
  dst: number[];
  sport: number;
  dport: number;
  flowLabel: number;
}

const be16 = (p: Uint8Array, at: number): number => (p[at]! << 8) | p[at + 1]!;
const be32 = (p: Uint8Array, at: number): number => ((p[at]! << 24) | (p[at + 1]! << 16) | (p[at + 2]! << 8) | p[at + 3]!) >>> 0;
const words = (p: Uint8Array, at: number, n: number): number[] => Array.from({ length: n }, (_, k) => be32(p, at + 4 * k));

/** Dissect an Ethernet frame: VLAN tags (802.1Q / 802.1ad), IPv4 or IPv6, then ports. */
export function flowKeys(p: Uint8Array): FlowKeys {
  return p.length < 14 ? dissect(p, 0, p.length) : dissect(p, be16(p, 12), 14);
}

/**
 * Dissect from `at`, the bytes after an EtherType `proto` (the network header of an skb whose
 * skb->protocol is `proto`, as __skb_flow_dissect starts): VLAN tags, IPv4 or IPv6, then ports.
 */
function dissect(p: Uint8Array, proto: number, at: number): FlowKeys {
  const keys: FlowKeys = { vlan: 0, nProto: 0, ipProto: 0, src: [], dst: [], sport: 0, dport: 0, flowLabel: 0 };
  if (at >= p.length) return keys;
  for (let tags = 0; (proto === ETH_P_8021Q || proto === ETH_P_8021AD) && at + 4 <= p.length; tags++) {
    if (tags < 2) keys.vlan |= (be16(p, at) & 0xfff) << (16 * tags);
    proto = be16(p, at + 2);
    at += 4;
  }
  keys.nProto = proto;
  let l4 = -1;
  // An IPv4 header with ihl < 5 is bad (FLOW_DISSECT_RET_OUT_BAD): the dissector stops before
  // the protocol and the addresses, so all such frames hash alike.
  if (proto === ETH_P_IP && at + 20 <= p.length && (p[at]! & 0x0f) >= 5) {
    const ihl = (p[at]! & 0x0f) * 4;
    keys.ipProto = p[at + 9]!;
    keys.src = words(p, at + 12, 1);
    keys.dst = words(p, at + 16, 1);
    const fragment = (be16(p, at + 6) & 0x3fff) !== 0; // MF or an offset: no ports, as the kernel
    if (!fragment) l4 = at + ihl;
  } else if (proto === ETH_P_IPV6 && at + 40 <= p.length) {
    keys.ipProto = p[at + 6]!;
    keys.src = words(p, at + 8, 4);
    keys.dst = words(p, at + 24, 4);
    keys.flowLabel = be32(p, at) & 0xfffff;
    if (keys.flowLabel === 0) l4 = at + 40;
  }
  if (l4 >= 0 && PORT_PROTOCOLS.has(keys.ipProto) && l4 + 4 <= p.length) {
    keys.sport = be16(p, l4);
    keys.dport = be16(p, l4 + 2);
  }
  return keys;
}

const lessWords = (a: number[], b: number[]): boolean => {
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return a[k]! < b[k]!;
  return false;
};

/** The flow hash of a packet: symmetric, never 0. */
export function flowHash(packet: Uint8Array, seed = FLOW_HASH_SEED): number {
  return hashKeys(flowKeys(packet), seed);
}

function hashKeys(k: FlowKeys, seed: number): number {
  const [lo, hi] = lessWords(k.dst, k.src) ? [k.dst, k.src] : [k.src, k.dst];
  const ports = k.sport <= k.dport ? (k.sport << 16) | k.dport : (k.dport << 16) | k.sport;
  const hash = jhash2([(k.nProto << 16) | k.ipProto, k.vlan >>> 0, k.flowLabel, ...lo, ...hi, ports >>> 0], seed);
  return hash === 0 ? 1 : hash;
}

/** The flow hash of an skb from its network header (skb_get_hash → __skb_flow_dissect). */
function networkHash(hctx: HelperContext, layout: Layout, ctxReg: bigint, seed: number): number {
  const skb = skbOf("get_hash_recalc", hctx, layout, ctxReg);
  const bytes = skb.mem.bytes.subarray(0, skb.end);
  return hashKeys(dissect(bytes, skb.protocol, Math.max(skb.network, skb.data)), seed);
}

/**
 * The three hash helpers, with the machine's seed. With `layout`, get_hash_recalc dissects from
 * the skb's network header with skb->protocol, as the kernel does for any skb (the lwt types,
 * whose packet starts there); without it, from data as an Ethernet frame (tc, whose data is the
 * MAC header of a test-run skb, which comes to the same).
 */
export function flowHashHelpers(seed = FLOW_HASH_SEED, layout?: Layout): HelperDef[] {
  return [
    {
      id: 34,
      name: "get_hash_recalc",
      args: ["ptr_to_ctx"],
      ret: "integer",
      impl: (ctx, skb) => {
        const mem = memOf(ctx.memory);
        const packet = skbPacket(mem, "get_hash_recalc", skb);
        const current = mem.u32(packet.ctx + SKB_HASH);
        if (current !== 0) return BigInt(current);
        const hash = layout ? networkHash(ctx, layout, skb, seed) : flowHash(mem.bytes.subarray(packet.data, packet.end), seed);
        mem.setU32(packet.ctx + SKB_HASH, hash);
        return BigInt(hash);
      },
    },
    {
      id: 41,
      name: "set_hash_invalid",
      args: ["ptr_to_ctx"],
      ret: "void",
      impl: (ctx, skb) => {
        const mem = memOf(ctx.memory);
        mem.setU32(skbPacket(mem, "set_hash_invalid", skb).ctx + SKB_HASH, 0);
        return 0n;
      },
    },
    {
      id: 48,
      name: "set_hash",
      args: ["ptr_to_ctx", "anything"],
      ret: "integer",
      impl: (ctx, skb, hash) => {
        const mem = memOf(ctx.memory);
        mem.setU32(skbPacket(mem, "set_hash", skb).ctx + SKB_HASH, u32(hash));
        return 0n;
      },
    },
  ];
}
