// fib_lookup (69): route and neighbour lookup for a forwarding program (net/core/filter.c
// bpf_xdp_fib_lookup / bpf_skb_fib_lookup), on the machine's network model (vm/net/model.ts; the
// lookup itself is vm/net/fib.ts). The entry checks, in the kernel's order:
//
//   plen < sizeof(struct bpf_fib_lookup) (64)    → -EINVAL
//   flags outside DIRECT|OUTPUT|SKIP_NEIGH|TBID|SRC|MARK → -EINVAL
//   family not AF_INET / AF_INET6                → -EAFNOSUPPORT
//
// XDP always checks tot_len against the MTU. skb checks it only when tot_len != 0; with tot_len
// 0 a successful lookup then checks the skb itself against the output device
// (is_skb_forwardable: skb->len <= mtu + hard_header_len + VLAN_HLEN, else FRAG_NEEDED; a GSO
// skb always passes: here one whose __sk_buff.gso_size is set, as the runner's `skb` option and
// BPF_PROG_TEST_RUN's ctx_in make it) and sets mtu_result to the device's MTU.
//
// The kernel's proto: ARG_PTR_TO_CTX, ARG_PTR_TO_MEM, ARG_CONST_SIZE, ARG_ANYTHING, gpl_only, no
// pkt_access (the struct may not be in the packet). 6.18 checks the struct as memory the helper
// writes (MEM_WRITE: a size past the stack is "invalid write to stack R2 off=-64 size=80", and
// the bytes are clobbered for the verifier after the call), so the signature here is
// ptr_to_uninit_mem: as root, where uninitialised stack may be read, the two are the same.

import { ctxField } from "../../programs/context.js";
import { SK_BUFF_TC } from "../../programs/skb.js";
import { fibLookup } from "../../net/fib.js";
import { BPF_FIB_LOOKUP_ALL, FIB, FIB_LOOKUP_SIZE, FibRet } from "../../net/fib-uapi.js";
import type { Network } from "../../net/model.js";
import type { HelperDef } from "../registry.js";
import { skbPacket, xdpPacket } from "./context.js";
import { memOf, s32, u32 } from "./memory.js";
import { EINVAL, errno, ETH_HLEN, VLAN_HLEN } from "./uapi.js";

const SKB_LEN = ctxField(SK_BUFF_TC, "len").offset;
const SKB_GSO_SIZE = ctxField(SK_BUFF_TC, "gso_size").offset;

function fibLookupHelper(net: Network, variant: "xdp" | "skb"): HelperDef {
  return {
    id: 69,
    name: "fib_lookup",
    args: ["ptr_to_ctx", "ptr_to_uninit_mem", "const_size", "anything"],
    ret: "integer",
    impl: (ctx, ctxReg, paramsReg, plenReg, flagsReg) => {
      const mem = memOf(ctx.memory);
      const packet = variant === "xdp" ? xdpPacket(mem, "fib_lookup", ctxReg) : skbPacket(mem, "fib_lookup", ctxReg);
      const plen = s32(plenReg);
      if (plen >= 0 && plen < FIB_LOOKUP_SIZE) return errno(EINVAL);
      const flags = u32(flagsReg);
      if (flags & ~BPF_FIB_LOOKUP_ALL) return errno(EINVAL);
      const at = mem.span("fib_lookup", "params", paramsReg, FIB_LOOKUP_SIZE);
      // Work on a copy: the lookup writes fields as it goes and stops early on failures.
      const copy = mem.bytes.slice(at, at + FIB_LOOKUP_SIZE);
      const p = new DataView(copy.buffer);
      const checkMtu = variant === "xdp" || p.getUint16(FIB.totLen, true) !== 0;
      let rc = fibLookup(net, p, flags, checkMtu);
      if (rc === FibRet.SUCCESS && !checkMtu) rc = skbForwardable(net, p, mem.u32(packet.ctx + SKB_LEN), mem.u32(packet.ctx + SKB_GSO_SIZE) !== 0);
      mem.bytes.set(copy, at);
      return BigInt.asUintN(64, BigInt(rc));
    },
  };
}

/** bpf_skb_fib_lookup after a successful lookup without tot_len: the skb against the output device. */
function skbForwardable(net: Network, p: DataView, skbLen: number, gso: boolean): number {
  const dev = net.device(p.getUint32(FIB.ifindex, true))!;
  const fits = skbLen <= dev.mtu + ETH_HLEN + VLAN_HLEN || gso;
  p.setUint16(FIB.totLen, dev.mtu & 0xffff, true); // mtu_result = dev->mtu
  return fits ? FibRet.SUCCESS : FibRet.FRAG_NEEDED;
}

/** fib_lookup for XDP programs (bpf_xdp_fib_lookup). */
export const xdpFibLookup = (net: Network): HelperDef => fibLookupHelper(net, "xdp");

/** fib_lookup for tc programs (bpf_skb_fib_lookup). */
export const skbFibLookup = (net: Network): HelperDef => fibLookupHelper(net, "skb");
