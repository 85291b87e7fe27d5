// Program types we run, each with its kernel number (enum bpf_prog_type), its context, how its
// return value reads as a verdict, and whether legacy LD_ABS/LD_IND packet loads are allowed.

import type { CtxLayout } from "./context.js";
import { SK_BUFF_CGROUP, SK_BUFF_LWT, SK_BUFF_SOCKET, SK_BUFF_TC } from "./skb.js";
import { XDP_MD, xdpVerdict } from "./xdp.js";

export type ProgramTypeName = "conformance" | "socket_filter" | "sched_cls" | "xdp" | "cgroup_skb" | LwtTypeName;

/** The lightweight-tunnel types (BPF_PROG_TYPE_LWT_IN / OUT / XMIT / SEG6LOCAL). */
export type LwtTypeName = "lwt_in" | "lwt_out" | "lwt_xmit" | "lwt_seg6local";

/**
 * enum bpf_attach_type values that change what a program of our types may do: an XDP program for
 * a DEVMAP slot may read xdp_md.egress_ifindex (xdp_is_valid_access); one for a CPUMAP entry.
 */
export const BPF_XDP_DEVMAP = 33;
export const BPF_XDP_CPUMAP = 35;
/** A cgroup_skb program for the egress hook may return 0..3 (bit 1: congestion notification). */
export const BPF_CGROUP_INET_INGRESS = 0;
export const BPF_CGROUP_INET_EGRESS = 1;

export interface ProgramType {
  readonly name: ProgramTypeName;
  /** enum bpf_prog_type; the conformance type has no kernel equivalent. */
  readonly kernelType: number | undefined;
  /** undefined for the conformance type: r1 is raw memory, r2 its length. */
  readonly ctx: CtxLayout | undefined;
  /** LD_ABS/LD_IND allowed (kernel: may_access_skb()). */
  readonly ldAbs: boolean;
  /**
   * Its packet starts at the network header, the MAC header in front of it: the hook runs there
   * (cgroup_skb, lwt) and bpf_prog_test_run_skb pulls the Ethernet header of the frame it is
   * given (!is_l2), then pushes 14 zeroed bytes back in front of data_out.
   */
  readonly networkHeader?: boolean;
  /**
   * Why our engines do not run it, when they only verify it (the kernel cannot test-run it
   * either, so nothing would check a run).
   */
  readonly verifyOnly?: string;
  verdict(retval: bigint): string;
}

/** enum tc_action: TC_ACT_UNSPEC is -1 (returned as a 32-bit value). */
const TC_VERDICTS: Record<number, string> = {
  [-1]: "TC_ACT_UNSPEC",
  0: "TC_ACT_OK",
  1: "TC_ACT_RECLASSIFY",
  2: "TC_ACT_SHOT",
  3: "TC_ACT_PIPE",
  4: "TC_ACT_STOLEN",
  5: "TC_ACT_QUEUED",
  6: "TC_ACT_REPEAT",
  7: "TC_ACT_REDIRECT",
};

/**
 * A cgroup_skb program's return value (__cgroup_bpf_run_filter_skb): bit 0 allows the packet,
 * bit 1 (egress only, check_return_code allows 0..3 there) asks for a congestion notification.
 */
const CGROUP_SKB_VERDICTS = ["drop", "allow", "drop+cn", "allow+cn"];

/**
 * enum bpf_ret_code, what a lightweight-tunnel program returns (net/core/lwt_bpf.c run_lwt_bpf):
 * BPF_REDIRECT only for lwt_xmit (lwt_in / lwt_out warn and go on as BPF_OK), BPF_LWT_REROUTE
 * for lwt_in / lwt_xmit; any other value drops the packet there.
 */
const LWT_VERDICTS: Readonly<Record<number, string>> = { 0: "BPF_OK", 2: "BPF_DROP", 7: "BPF_REDIRECT", 128: "BPF_LWT_REROUTE" };

const u32 = (r0: bigint): number => Number(r0 & 0xffffffffn);
const s32 = (r0: bigint): number => u32(r0) | 0;

export const PROGRAM_TYPES: Readonly<Record<ProgramTypeName, ProgramType>> = {
  conformance: {
    name: "conformance",
    kernelType: undefined,
    ctx: undefined,
    ldAbs: false,
    verdict: (r0) => `0x${r0.toString(16)}`,
  },
  // A socket filter's return value is how many bytes of the packet to keep; 0 drops it.
  socket_filter: {
    name: "socket_filter",
    kernelType: 1,
    ctx: SK_BUFF_SOCKET,
    ldAbs: true,
    verdict: (r0) => (u32(r0) === 0 ? "drop" : "accept"),
  },
  sched_cls: {
    name: "sched_cls",
    kernelType: 3,
    ctx: SK_BUFF_TC,
    ldAbs: true,
    verdict: (r0) => TC_VERDICTS[s32(r0)] ?? `TC_ACT_${s32(r0)}`,
  },
  xdp: {
    name: "xdp",
    kernelType: 6,
    ctx: XDP_MD,
    ldAbs: false,
    verdict: (r0) => xdpVerdict(u32(r0)),
  },
  // BPF_PROG_TYPE_CGROUP_SKB: its packet starts at the network header (no LD_ABS: may_access_skb).
  cgroup_skb: {
    name: "cgroup_skb",
    kernelType: 8,
    ctx: SK_BUFF_CGROUP,
    ldAbs: false,
    verdict: (r0) => CGROUP_SKB_VERDICTS[u32(r0)] ?? `cgroup_skb ${u32(r0)}`,
    networkHeader: true,
  },
  lwt_in: lwtType("lwt_in", 10),
  lwt_out: lwtType("lwt_out", 11),
  lwt_xmit: lwtType("lwt_xmit", 12),
  // BPF_PROG_TEST_RUN answers ENOTSUPP for this type (lwt_seg6local_prog_ops has no test_run),
  // and its helpers work on the SRH state of the seg6local End.BPF action that ran it.
  lwt_seg6local: {
    ...lwtType("lwt_seg6local", 19),
    verifyOnly: "lwt_seg6local programs are verified here but not run: the kernel's BPF_PROG_TEST_RUN cannot run them (ENOTSUPP), so no run could be checked against it, and their helpers (bpf_lwt_seg6_store_bytes, adjust_srh, action) act on the SRH state of the seg6local End.BPF action",
  },
};

/**
 * BPF_PROG_TYPE_LWT_*: an __sk_buff from the network header (lwt_is_valid_access), no LD_ABS
 * (may_access_skb).
 */
function lwtType(name: LwtTypeName, kernelType: number): ProgramType {
  return {
    name,
    kernelType,
    ctx: SK_BUFF_LWT,
    ldAbs: false,
    verdict: (r0) => LWT_VERDICTS[u32(r0)] ?? `BPF_${u32(r0)}`,
    networkHeader: true,
  };
}

export function programType(name: string): ProgramType {
  const type = PROGRAM_TYPES[name as ProgramTypeName];
  if (!type) {
    throw new Error(`unknown program type '${name}' (known: ${Object.keys(PROGRAM_TYPES).join(", ")})`);
  }
  return type;
}
