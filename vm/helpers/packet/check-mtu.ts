// check_mtu (163): would this packet, grown or shrunk by len_diff, fit the MTU of a device?
// net/core/filter.c bpf_xdp_check_mtu / bpf_skb_check_mtu, as the machine's 6.18 runs them:
//
//   device   ifindex 0 = the packet's own device (xdp->rxq->dev, skb->dev: here the ctx's
//            xdp_md.ingress_ifindex / __sk_buff.ifindex, which the runner sets from its ifindex
//            option as BPF_PROG_TEST_RUN takes it from ctx_in), else the device with that ifindex
//            in the machine's DeviceTable (devices.ts); none → -ENODEV.
//   length   the packet's length (XDP: data_end - data, the linear part only; skb: skb->len),
//            or, when *mtu_len is not 0 on entry, *mtu_len + the device's hard_header_len (an L3
//            length, as iph->tot_len, like fib_lookup); then + len_diff. All in C int
//            arithmetic (32-bit, wrapping), compared signed.
//   result   BPF_MTU_CHK_RET_SUCCESS (0) when length <= mtu + hard_header_len, else
//            BPF_MTU_CHK_RET_FRAG_NEEDED (1); *mtu_len = the device's MTU.
//   flags    XDP: any → -EINVAL. skb: other than BPF_MTU_CHK_SEGS → -EINVAL, and SEGS with a
//            len_diff or a non-zero *mtu_len → -EINVAL. SEGS only matters for GSO skbs, which a
//            run here never has (see below), so a valid SEGS call is an ordinary check.
//   errors   return before *mtu_len is written (checked on 6.18: it keeps what the program put
//            there).
//
// A GSO skb (skb_shinfo->gso_size set: BPF_PROG_TEST_RUN takes it from the ctx_in's
// __sk_buff.gso_size, our runner from its `skb: { gso_size }` option, so here the ctx field)
// over the MTU passes, its segments being checked only with SEGS (skb_gso_validate_network_len)
// — and 6.18 first requires a transport header, which a test-run skb never has (nor ours): SEGS
// on a GSO skb over the MTU is -EINVAL, *mtu_len unwritten (checked on 6.18).

import { BpfRuntimeError } from "../../errors.js";
import { ctxField } from "../../programs/context.js";
import { SK_BUFF_TC } from "../../programs/skb.js";
import { XDP_MD } from "../../programs/xdp.js";
import type { HelperDef } from "../registry.js";
import { skbPacket, xdpPacket } from "./context.js";
import type { DeviceTable } from "./devices.js";
import { memOf, s32, u32, type Mem } from "./memory.js";
import { EINVAL, ENODEV, errno } from "./uapi.js";

/** enum bpf_check_mtu_flags. */
export const BPF_MTU_CHK_SEGS = 1n;
/** enum bpf_check_mtu_ret. */
export const BPF_MTU_CHK_RET_SUCCESS = 0n;
export const BPF_MTU_CHK_RET_FRAG_NEEDED = 1n;

const XDP_IFINDEX = ctxField(XDP_MD, "ingress_ifindex").offset;
const SKB_IFINDEX = ctxField(SK_BUFF_TC, "ifindex").offset;
const SKB_LEN = ctxField(SK_BUFF_TC, "len").offset;
const SKB_GSO_SIZE = ctxField(SK_BUFF_TC, "gso_size").offset;

/** What the two variants differ in: where the packet's device and length come from, which flags pass. */
interface Variant {
  /** The packet's ifindex and length (ctx at `ctxReg`), and whether it is a GSO skb. */
  readonly packet: (mem: Mem, ctxReg: bigint) => { ifindex: number; len: number; gso: boolean };
  /** The flag check, run before anything else: -errno, or 0 when they pass. */
  readonly flags: (flags: bigint, lenDiff: number, mtuIn: number) => number;
}

const XDP_VARIANT: Variant = {
  packet: (mem, ctxReg) => {
    const p = xdpPacket(mem, "check_mtu", ctxReg);
    return { ifindex: mem.u32(p.ctx + XDP_IFINDEX), len: p.end - p.data, gso: false };
  },
  // "XDP variant doesn't support multi-buffer segment check (yet)": no flag at all.
  flags: (flags) => (flags !== 0n ? EINVAL : 0),
};

const SKB_VARIANT: Variant = {
  packet: (mem, ctxReg) => {
    const p = skbPacket(mem, "check_mtu", ctxReg);
    return { ifindex: mem.u32(p.ctx + SKB_IFINDEX), len: mem.u32(p.ctx + SKB_LEN), gso: mem.u32(p.ctx + SKB_GSO_SIZE) !== 0 };
  },
  flags: (flags, lenDiff, mtuIn) => {
    if (flags & ~BPF_MTU_CHK_SEGS) return EINVAL;
    if (flags & BPF_MTU_CHK_SEGS && (lenDiff !== 0 || mtuIn !== 0)) return EINVAL;
    return 0;
  },
};

function checkMtu(variant: Variant, devices: DeviceTable): HelperDef {
  return {
    id: 163,
    name: "check_mtu",
    args: ["ptr_to_ctx", "anything", "ptr_to_aligned_u32", "anything", "anything"],
    ret: "integer",
    impl: (ctx, ctxReg, ifindexReg, mtuLenReg, lenDiffReg, flags) => {
      const mem = memOf(ctx.memory);
      const packet = variant.packet(mem, ctxReg);
      const at = mem.span("check_mtu", "mtu_len", mtuLenReg, 4);
      const mtuIn = mem.u32(at);
      const lenDiff = s32(lenDiffReg);
      const bad = variant.flags(flags, lenDiff, mtuIn);
      if (bad) return errno(bad);
      const ifindex = u32(ifindexReg) || packet.ifindex;
      const dev = devices.get(ifindex);
      if (!dev) {
        // The packet's own device always exists in the kernel: a ctx naming a device the table
        // lacks is a set-up error here, not the program's.
        if (u32(ifindexReg) === 0) {
          throw new BpfRuntimeError(`check_mtu: the packet's device (ifindex ${ifindex}) is not in the machine's device table; add it (MachineOptions.devices)`);
        }
        return errno(ENODEV);
      }
      // int arithmetic as the kernel's: u32 + hard_header_len wraps into an int, then len_diff.
      const base = mtuIn !== 0 ? (mtuIn + dev.hardHeaderLen) | 0 : packet.len | 0;
      const len = (base + lenDiff) | 0;
      const limit = (dev.mtu + dev.hardHeaderLen) | 0;
      let ret = len > limit ? BPF_MTU_CHK_RET_FRAG_NEEDED : BPF_MTU_CHK_RET_SUCCESS;
      if (ret !== BPF_MTU_CHK_RET_SUCCESS && packet.gso) {
        // Segments are checked only with SEGS, and only with a transport header (none here).
        if (flags & BPF_MTU_CHK_SEGS) return errno(EINVAL);
        ret = BPF_MTU_CHK_RET_SUCCESS;
      }
      mem.setU32(at, dev.mtu);
      return ret;
    },
  };
}

/** check_mtu for XDP programs (bpf_xdp_check_mtu). */
export const xdpCheckMtu = (devices: DeviceTable): HelperDef => checkMtu(XDP_VARIANT, devices);

/** check_mtu for tc programs (bpf_skb_check_mtu). */
export const skbCheckMtu = (devices: DeviceTable): HelperDef => checkMtu(SKB_VARIANT, devices);
