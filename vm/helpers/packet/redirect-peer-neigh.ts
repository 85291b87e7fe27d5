// bpf_redirect_peer (155) and bpf_redirect_neigh (152), tc only (net/core/filter.c): like tc's
// bpf_redirect they record a target in the per-CPU redirect record and return TC_ACT_REDIRECT;
// the kernel's skb_do_redirect then hands the skb to the peer device of a veth / netkit pair
// (peer) or through the neighbour subsystem, filling in the L2 header (neigh). The record keeps
// the kernel's internal ri->flags for them (BPF_F_PEER, BPF_F_NEIGH, BPF_F_NEXTHOP), so a run
// reports "ifindex 3 peer" / "ifindex 3 neigh". Nothing is sent here, as in BPF_PROG_TEST_RUN.

import type { Layout } from "../../memory/layout.js";
import { RedirectKind, writeRedirect } from "../../runtime/record.js";
import type { HelperDef } from "../registry.js";
import { memOf, u32 } from "./memory.js";
import { TC_ACT_REDIRECT, TC_ACT_SHOT } from "./uapi.js";

/** net/core/filter.c's internal ri->flags (not UAPI): BPF_F_NEIGH, BPF_F_PEER, BPF_F_NEXTHOP. */
export const REDIRECT_NEIGH = 1 << 16;
export const REDIRECT_PEER = 1 << 17;
export const REDIRECT_NEXTHOP = 1 << 18;

/** sizeof(struct bpf_redir_neigh): u32 nh_family, then the IPv4 or IPv6 next hop (16 bytes). */
const REDIR_NEIGH_SIZE = 20;

/** redirect_peer: any flag → TC_ACT_SHOT, else TC_ACT_REDIRECT to the peer of `ifindex`. */
export function tcRedirectPeer(layout: Layout): HelperDef {
  return {
    id: 155,
    name: "redirect_peer",
    args: ["anything", "anything"],
    ret: "integer",
    impl: (ctx, ifindex, flags) => {
      if (flags !== 0n) return BigInt(TC_ACT_SHOT);
      writeRedirect(memOf(ctx.memory).view, layout.cpu(ctx.cpu), RedirectKind.IFINDEX, u32(ifindex), REDIRECT_PEER);
      return BigInt(TC_ACT_REDIRECT);
    },
  };
}

/**
 * redirect_neigh(ifindex, params, plen, flags): flags, or a plen shorter than struct
 * bpf_redir_neigh (0 = no next hop given: the kernel resolves the route itself) → TC_ACT_SHOT;
 * else TC_ACT_REDIRECT. The next hop's address is not kept: nothing here resolves neighbours.
 */
export function tcRedirectNeigh(layout: Layout): HelperDef {
  return {
    id: 152,
    name: "redirect_neigh",
    args: ["anything", "ptr_to_mem_or_null", "const_size_or_zero", "anything"],
    ret: "integer",
    impl: (ctx, ifindex, _params, plen, flags) => {
      // plen is an int compared with a size_t: a negative one is huge, as its u32 is here.
      const len = u32(plen);
      if ((len !== 0 && len < REDIR_NEIGH_SIZE) || flags !== 0n) return BigInt(TC_ACT_SHOT);
      const recorded = REDIRECT_NEIGH | (len !== 0 ? REDIRECT_NEXTHOP : 0);
      writeRedirect(memOf(ctx.memory).view, layout.cpu(ctx.cpu), RedirectKind.IFINDEX, u32(ifindex), recorded);
      return BigInt(TC_ACT_REDIRECT);
    },
  };
}
