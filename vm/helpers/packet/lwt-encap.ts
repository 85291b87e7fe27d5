// bpf_lwt_push_encap (73), lwt_in and lwt_xmit (net/core/filter.c bpf_lwt_in_push_encap /
// bpf_lwt_xmit_push_encap, net/core/lwt_bpf.c bpf_lwt_push_ip_encap): put an outer header in
// front of the skb's network header.
//
//   BPF_LWT_ENCAP_IP (both types): `hdr` is an IPv4 header (len >= ihl * 4) or an IPv6 header
//     (len >= 40), len in [20, LWT_BPF_MAX_HEADROOM = 256], else -EINVAL. The header is pushed
//     (skb_cow_head: room made, -ENOMEM when the slot cannot hold it), becomes the network
//     header, the skb is marked encapsulated, its hash cleared, skb->protocol set to the outer
//     family's, and an IPv4 header whose checksum is 0 gets one (ip_fast_csum over ihl words;
//     x86-64's returns the first word's low 16 bits, unfolded, for ihl <= 4 — what the kernel
//     writes there, checked against it). The MAC header stays where
//     it was — behind the new network header now, so a clone_redirect after it is -ERANGE.
//   BPF_LWT_ENCAP_SEG6 / SEG6_INLINE (lwt_in only): seg6_do_srh_encap / _inline and a nexthop
//     lookup on the skb's route. Not built: the call stops the run with an error saying so (a
//     test-run skb has no route, so the kernel cannot run them either).
//   any other type: -EINVAL (lwt_xmit takes only BPF_LWT_ENCAP_IP).
//
// A GSO skb would also get its gso_type (handle_gso_encap); our skbs are never GSO.

import { BpfRuntimeError } from "../../errors.js";
import type { Layout } from "../../memory/layout.js";
import type { HelperDef } from "../registry.js";
import { csumFold, csumPartial } from "./checksum.js";
import { u32 } from "./memory.js";
import { skbOf } from "./skb-state.js";
import { EINVAL, ENOMEM, errno } from "./uapi.js";

const BPF_LWT_ENCAP_SEG6 = 0n;
const BPF_LWT_ENCAP_SEG6_INLINE = 1n;
const BPF_LWT_ENCAP_IP = 2n;
/** include/net/lwtunnel.h LWT_BPF_MAX_HEADROOM. */
const LWT_BPF_MAX_HEADROOM = 256;
const IPV4_HLEN = 20;
const IPV6_HLEN = 40;
const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;

/** The header's family (4 / 6), or undefined when bpf_lwt_push_ip_encap refuses it (-EINVAL). */
function outerFamily(hdr: Uint8Array, len: number): 4 | 6 | undefined {
  if (len < IPV4_HLEN || len > LWT_BPF_MAX_HEADROOM) return undefined;
  const version = hdr[0]! >> 4;
  if (version === 4) return len < (hdr[0]! & 0xf) * 4 ? undefined : 4;
  if (version === 6) return len < IPV6_HLEN ? undefined : 6;
  return undefined;
}

/**
 * ip_fast_csum(iph, ihl) as x86-64 computes it (arch/x86/include/asm/checksum_64.h): the folded,
 * complemented sum of ihl 32-bit words, except that for ihl <= 4 it stops after loading the
 * first word and returns its low 16 bits as they are. The value is the __sum16 as stored.
 */
function ipFastCsum(bytes: Uint8Array, at: number, ihl: number): number {
  if (ihl <= 4) return bytes[at]! | (bytes[at + 1]! << 8);
  return csumFold(csumPartial(bytes, at, ihl * 4, 0));
}

/** `ingress`: lwt_in's variant, which also takes the SEG6 encapsulations. */
export function lwtPushEncap(layout: Layout, ingress: boolean): HelperDef {
  const name = "lwt_push_encap";
  return {
    id: 73,
    name,
    args: ["ptr_to_ctx", "anything", "ptr_to_mem", "const_size"],
    ret: "integer",
    impl: (hctx, ctxReg, type, hdrReg, lenReg) => {
      const skb = skbOf(name, hctx, layout, ctxReg);
      if (ingress && (type === BPF_LWT_ENCAP_SEG6 || type === BPF_LWT_ENCAP_SEG6_INLINE)) {
        throw new BpfRuntimeError(`bpf_lwt_push_encap: BPF_LWT_ENCAP_SEG6${type === BPF_LWT_ENCAP_SEG6_INLINE ? "_INLINE" : ""} is not supported here (an SRH encapsulation needs the skb's route and a nexthop lookup, which are not modelled)`);
      }
      if (type !== BPF_LWT_ENCAP_IP) return errno(EINVAL);
      const len = u32(lenReg);
      const mem = skb.mem;
      const at = mem.span(name, "hdr", hdrReg, len);
      const copy = mem.bytes.slice(at, at + len);
      const family = outerFamily(copy, len);
      if (!family) return errno(EINVAL);
      if (!skb.reserve(len, 0)) return errno(ENOMEM);
      skb.push(len);
      mem.bytes.set(copy, skb.data);
      skb.network = skb.data;
      skb.encapsulation = true;
      skb.clearHash();
      skb.protocol = family === 4 ? ETH_P_IP : ETH_P_IPV6;
      if (family === 4 && mem.u16(skb.data + 10) === 0) mem.setU16(skb.data + 10, ipFastCsum(mem.bytes, skb.data, copy[0]! & 0xf));
      skb.commit();
      return 0n;
    },
  };
}
