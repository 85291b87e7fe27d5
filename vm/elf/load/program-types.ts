// Program section names → program types, after libbpf's section_defs (tools/lib/bpf/libbpf.c).
// A pattern is matched as libbpf matches it:
//   "name"   exactly that section name
//   "name+"  the name alone or "name/anything" (libbpf's '+')
//   "name/"  "name/anything" only
//   "name*"  any section name starting with "name": libbpf before 1.0 matched every entry this
//            way, and 0.7-0.8 still did for the entries flagged SEC_SLOPPY_PFX (socket, xdp,
//            classifier, action, sk_skb, ...). Kept for the types objects of that era rely on:
//            socket*, sk_skb*, and xdp*, classifier*, action* after their strict forms, so the
//            xdp-tutorial's SEC("xdp_stats1") / SEC("xdp_pass") and iproute2-era
//            SEC("classifier_x") programs load with the type their loaders gave them.
// The first match wins, so longer names come before their prefixes. Types we run map to our
// ProgramTypeName; the rest are loaded (and can be disassembled) but reported as unsupported.

import { BPF_CGROUP_INET_EGRESS, BPF_CGROUP_INET_INGRESS, BPF_XDP_CPUMAP, BPF_XDP_DEVMAP, type ProgramTypeName } from "../../programs/types.js";

/** enum bpf_prog_type (linux/bpf.h), by kernel name without the BPF_PROG_TYPE_ prefix. */
export const KERNEL_PROG_TYPES = {
  UNSPEC: 0, SOCKET_FILTER: 1, KPROBE: 2, SCHED_CLS: 3, SCHED_ACT: 4, TRACEPOINT: 5, XDP: 6, PERF_EVENT: 7,
  CGROUP_SKB: 8, CGROUP_SOCK: 9, LWT_IN: 10, LWT_OUT: 11, LWT_XMIT: 12, SOCK_OPS: 13, SK_SKB: 14,
  CGROUP_DEVICE: 15, SK_MSG: 16, RAW_TRACEPOINT: 17, CGROUP_SOCK_ADDR: 18, LWT_SEG6LOCAL: 19, LIRC_MODE2: 20,
  SK_REUSEPORT: 21, FLOW_DISSECTOR: 22, CGROUP_SYSCTL: 23, RAW_TRACEPOINT_WRITABLE: 24, CGROUP_SOCKOPT: 25,
  TRACING: 26, STRUCT_OPS: 27, EXT: 28, LSM: 29, SK_LOOKUP: 30, SYSCALL: 31, NETFILTER: 32,
} as const;
export type KernelProgTypeName = keyof typeof KERNEL_PROG_TYPES;

/** What a section name says about its programs. */
export interface SectionType {
  /** The kernel's program type name (BPF_PROG_TYPE_ without the prefix): XDP, SCHED_CLS, KPROBE, ... */
  readonly kernel: KernelProgTypeName;
  /** Its enum bpf_prog_type number. */
  readonly kernelType: number;
  /** The type we run it as; undefined: loaded, but not runnable here. */
  readonly runAs?: ProgramTypeName;
  /** The section_defs pattern that matched (for messages). */
  readonly pattern: string;
  /**
   * enum bpf_attach_type the section implies, when it matters here: BPF_XDP_DEVMAP (33) for
   * `xdp/devmap` (its programs may read xdp_md.egress_ifindex), BPF_XDP_CPUMAP (35),
   * BPF_CGROUP_INET_INGRESS (0) / BPF_CGROUP_INET_EGRESS (1) for `cgroup_skb/ingress|egress`.
   */
  readonly expectedAttach?: number;
}

/** Section patterns that imply an expected attach type (libbpf's SEC_DEF attach types). */
const ATTACH: Readonly<Record<string, number>> = {
  "xdp.frags/devmap": BPF_XDP_DEVMAP, "xdp/devmap": BPF_XDP_DEVMAP, "xdp_devmap/": BPF_XDP_DEVMAP,
  "xdp.frags/cpumap": BPF_XDP_CPUMAP, "xdp/cpumap": BPF_XDP_CPUMAP, "xdp_cpumap/": BPF_XDP_CPUMAP,
  // An egress program may return 0..3 (check_return_code); libbpf loads these with the hook's type.
  "cgroup_skb/ingress": BPF_CGROUP_INET_INGRESS, "cgroup_skb/egress": BPF_CGROUP_INET_EGRESS,
};

const RUN_AS: Partial<Record<KernelProgTypeName, ProgramTypeName>> = {
  SOCKET_FILTER: "socket_filter",
  SCHED_CLS: "sched_cls",
  XDP: "xdp",
  CGROUP_SKB: "cgroup_skb",
  LWT_IN: "lwt_in",
  LWT_OUT: "lwt_out",
  LWT_XMIT: "lwt_xmit",
  LWT_SEG6LOCAL: "lwt_seg6local",
};

/** [pattern, kernel type], in libbpf's order where it matters. */
const SECTION_DEFS: ReadonlyArray<readonly [string, KernelProgTypeName]> = [
  ["socket*", "SOCKET_FILTER"],
  ["sk_reuseport/migrate", "SK_REUSEPORT"],
  ["sk_reuseport", "SK_REUSEPORT"],
  ["kprobe+", "KPROBE"], ["uprobe+", "KPROBE"], ["uprobe.s+", "KPROBE"], ["kretprobe+", "KPROBE"],
  ["uretprobe+", "KPROBE"], ["uretprobe.s+", "KPROBE"], ["kprobe.multi+", "KPROBE"], ["kretprobe.multi+", "KPROBE"],
  ["kprobe.session+", "KPROBE"], ["uprobe.multi+", "KPROBE"], ["uretprobe.multi+", "KPROBE"], ["uprobe.multi.s+", "KPROBE"],
  ["uretprobe.multi.s+", "KPROBE"], ["uprobe.session+", "KPROBE"], ["ksyscall+", "KPROBE"], ["kretsyscall+", "KPROBE"],
  ["usdt+", "KPROBE"], ["usdt.s+", "KPROBE"],
  ["tc/ingress", "SCHED_CLS"], ["tc/egress", "SCHED_CLS"], ["tcx/ingress", "SCHED_CLS"], ["tcx/egress", "SCHED_CLS"],
  ["tc+", "SCHED_CLS"], ["classifier+", "SCHED_CLS"], ["action+", "SCHED_ACT"],
  ["classifier*", "SCHED_CLS"], ["action*", "SCHED_ACT"],
  ["netkit/primary", "SCHED_CLS"], ["netkit/peer", "SCHED_CLS"],
  ["tracepoint+", "TRACEPOINT"], ["tp+", "TRACEPOINT"],
  ["raw_tracepoint+", "RAW_TRACEPOINT"], ["raw_tp+", "RAW_TRACEPOINT"],
  ["raw_tracepoint.w+", "RAW_TRACEPOINT_WRITABLE"], ["raw_tp.w+", "RAW_TRACEPOINT_WRITABLE"],
  ["tp_btf+", "TRACING"], ["fentry+", "TRACING"], ["fmod_ret+", "TRACING"], ["fexit+", "TRACING"],
  ["fentry.s+", "TRACING"], ["fmod_ret.s+", "TRACING"], ["fexit.s+", "TRACING"], ["iter+", "TRACING"], ["iter.s+", "TRACING"],
  ["freplace+", "EXT"], ["lsm+", "LSM"], ["lsm.s+", "LSM"], ["lsm_cgroup+", "LSM"],
  ["syscall", "SYSCALL"],
  ["xdp.frags/devmap", "XDP"], ["xdp/devmap", "XDP"], ["xdp.frags/cpumap", "XDP"], ["xdp/cpumap", "XDP"],
  ["xdp.frags+", "XDP"], ["xdp+", "XDP"],
  // libbpf 0.x's deprecated devmap/cpumap spellings, then its sloppy "xdp" prefix.
  ["xdp_devmap/", "XDP"], ["xdp_cpumap/", "XDP"], ["xdp*", "XDP"],
  ["perf_event", "PERF_EVENT"],
  ["lwt_in", "LWT_IN"], ["lwt_out", "LWT_OUT"], ["lwt_xmit", "LWT_XMIT"], ["lwt_seg6local", "LWT_SEG6LOCAL"],
  ["sockops", "SOCK_OPS"],
  ["sk_skb*", "SK_SKB"], ["sk_msg", "SK_MSG"], ["lirc_mode2", "LIRC_MODE2"], ["flow_dissector", "FLOW_DISSECTOR"],
  ["cgroup_skb/ingress", "CGROUP_SKB"], ["cgroup_skb/egress", "CGROUP_SKB"], ["cgroup_skb/", "CGROUP_SKB"], ["cgroup/skb", "CGROUP_SKB"],
  ["cgroup/sock_create", "CGROUP_SOCK"], ["cgroup/sock_release", "CGROUP_SOCK"], ["cgroup/sock", "CGROUP_SOCK"],
  ["cgroup/post_bind4", "CGROUP_SOCK"], ["cgroup/post_bind6", "CGROUP_SOCK"],
  ["cgroup/bind4", "CGROUP_SOCK_ADDR"], ["cgroup/bind6", "CGROUP_SOCK_ADDR"], ["cgroup/connect4", "CGROUP_SOCK_ADDR"],
  ["cgroup/connect6", "CGROUP_SOCK_ADDR"], ["cgroup/connect_unix", "CGROUP_SOCK_ADDR"], ["cgroup/sendmsg4", "CGROUP_SOCK_ADDR"],
  ["cgroup/sendmsg6", "CGROUP_SOCK_ADDR"], ["cgroup/sendmsg_unix", "CGROUP_SOCK_ADDR"], ["cgroup/recvmsg4", "CGROUP_SOCK_ADDR"],
  ["cgroup/recvmsg6", "CGROUP_SOCK_ADDR"], ["cgroup/recvmsg_unix", "CGROUP_SOCK_ADDR"], ["cgroup/getpeername4", "CGROUP_SOCK_ADDR"],
  ["cgroup/getpeername6", "CGROUP_SOCK_ADDR"], ["cgroup/getpeername_unix", "CGROUP_SOCK_ADDR"], ["cgroup/getsockname4", "CGROUP_SOCK_ADDR"],
  ["cgroup/getsockname6", "CGROUP_SOCK_ADDR"], ["cgroup/getsockname_unix", "CGROUP_SOCK_ADDR"],
  ["cgroup/sysctl", "CGROUP_SYSCTL"], ["cgroup/getsockopt", "CGROUP_SOCKOPT"], ["cgroup/setsockopt", "CGROUP_SOCKOPT"],
  ["cgroup/dev", "CGROUP_DEVICE"],
  ["struct_ops+", "STRUCT_OPS"], ["struct_ops.s+", "STRUCT_OPS"],
  ["sk_lookup", "SK_LOOKUP"], ["netfilter", "NETFILTER"],
];

function matches(pattern: string, section: string): boolean {
  const last = pattern[pattern.length - 1];
  const head = pattern.slice(0, -1);
  if (last === "*") return section.startsWith(head);
  if (last === "/") return section.startsWith(pattern) && section.length > pattern.length;
  if (last === "+") return section === head || section.startsWith(`${head}/`);
  return section === pattern;
}

/**
 * The program type a section name gives, or undefined when libbpf would not know it either. A
 * leading '?' only turns libbpf's autoload off (SEC("?tc"): the selftests' programs loaded one by
 * one); the type is the rest's.
 */
export function sectionType(section: string): SectionType | undefined {
  const name = section.startsWith("?") ? section.slice(1) : section;
  for (const [pattern, kernel] of SECTION_DEFS) {
    if (!matches(pattern, name)) continue;
    const runAs = RUN_AS[kernel];
    const attach = ATTACH[pattern];
    return { kernel, kernelType: KERNEL_PROG_TYPES[kernel], pattern, ...(runAs ? { runAs } : {}), ...(attach !== undefined ? { expectedAttach: attach } : {}) };
  }
  return undefined;
}

/** "BPF_PROG_TYPE_KPROBE" for a kernel type number. */
export function kernelProgTypeName(type: number): string {
  const name = Object.entries(KERNEL_PROG_TYPES).find(([, n]) => n === type)?.[0];
  return name ? `BPF_PROG_TYPE_${name}` : `program type ${type}`;
}
