// bpf_tcp_check_syncookie (100) and bpf_tcp_gen_syncookie (110) for tc and xdp programs
// (net/core/filter.c), on a listener of the network model (vm/net/sockets.ts). Their checks, in
// the kernel's order:
//
//   check_syncookie                                 gen_syncookie
//   th_len < 20                        → -EINVAL    th_len < 20 or != th->doff * 4 → -EINVAL
//   not a TCP listener                 → -EINVAL    not a TCP listener              → -EINVAL
//   (net.ipv4.tcp_syncookies 0         → -EINVAL)   (tcp_syncookies 0               → -ENOENT)
//   !ack || rst || syn                 → -ENOENT    !syn || ack || fin || rst       → -EINVAL
//   iph_len < 20                       → -EINVAL    iph_len < 20                    → -EINVAL
//   no recent SYN queue overflow       → -ENOENT    version 4: an IPV6_V6ONLY listener → -EINVAL;
//   version 4: an IPV6_V6ONLY listener → -EINVAL      6: iph_len < 40 or an IPv4 listener → -EINVAL;
//     6: iph_len < 40 or an IPv4 listener → -EINVAL   other → -EPROTONOSUPPORT
//     other → -EPROTONOSUPPORT                       then the cookie's MSS: 0 → -ENOENT
//   then the cookie's check: -ENOENT or 0
//
// The model is a namespace under no SYN flood, with net.ipv4.tcp_syncookies at its default (1):
// no listener had its SYN queue overflow, so check_syncookie answers -ENOENT once its checks
// pass, and gen_syncookie makes no cookie (tcp_get_syncookie_mss: syncookies != 2 and a queue
// that is not full → MSS 0) and answers -ENOENT too. Cookies themselves are not modelled: they
// hash the kernel's per-boot secret (net_get_random_once), so no value of ours could be compared.

import { IPPROTO_TCP, type Socket } from "../../net/sockets.js";
import type { HelperDef } from "../registry.js";
import { memOf, u32, type Mem } from "./memory.js";
import { socketAt, type SocketTable } from "./sk-lookup.js";
import { EINVAL, ENOENT, errno } from "./uapi.js";

const EPROTONOSUPPORT = 93;
const TCPHDR = 20;
const IPHDR = 20;
const IPV6HDR = 40;

const isListener = (sk: Socket): boolean => sk.protocol === IPPROTO_TCP && sk.kind === "tcp_listen";

/** The IP version checks both helpers make; undefined when they pass. */
function versionCheck(sk: Socket, version: number, iphLen: number): bigint | undefined {
  switch (version) {
    case 4: return sk.family === 6 && sk.v6only ? errno(EINVAL) : undefined;
    case 6: return iphLen < IPV6HDR || sk.family !== 6 ? errno(EINVAL) : undefined;
    default: return errno(EPROTONOSUPPORT);
  }
}

interface Args {
  readonly sk: Socket;
  readonly mem: Mem;
  readonly iph: number;
  readonly iphLen: number;
  readonly th: number;
  readonly thLen: number;
}

function args(table: SocketTable, name: string, memory: WebAssembly.Memory, skReg: bigint, iphReg: bigint, iphLenReg: bigint, thReg: bigint, thLenReg: bigint): Args {
  const mem = memOf(memory);
  const iphLen = u32(iphLenReg), thLen = u32(thLenReg);
  // ARG_PTR_TO_MEM with ARG_CONST_SIZE: the verifier proved both ranges readable.
  return { sk: socketAt(table, name, skReg), mem, iph: mem.span(name, "iph", iphReg, iphLen), iphLen, th: mem.span(name, "th", thReg, thLen), thLen };
}

const flag = (mem: Mem, th: number, bit: number): boolean => (mem.bytes[th + 13]! & bit) !== 0;
const FIN = 0x01, SYN = 0x02, RST = 0x04, ACK = 0x10;

function checkSyncookie(a: Args): bigint {
  if (a.thLen < TCPHDR || !isListener(a.sk)) return errno(EINVAL);
  if (!flag(a.mem, a.th, ACK) || flag(a.mem, a.th, RST) || flag(a.mem, a.th, SYN)) return errno(ENOENT);
  if (a.iphLen < IPHDR) return errno(EINVAL);
  // tcp_synq_no_recent_overflow: no listener of the model ever overflowed (the IP version
  // checks after it are never reached).
  return errno(ENOENT);
}

function genSyncookie(a: Args): bigint {
  const doff = a.thLen >= TCPHDR ? a.mem.bytes[a.th + 12]! >> 4 : 0;
  if (a.thLen < TCPHDR || a.thLen !== doff * 4 || !isListener(a.sk)) return errno(EINVAL);
  if (!flag(a.mem, a.th, SYN) || flag(a.mem, a.th, ACK) || flag(a.mem, a.th, FIN) || flag(a.mem, a.th, RST)) return errno(EINVAL);
  if (a.iphLen < IPHDR) return errno(EINVAL);
  // tcp_v4/v6_get_syncookie → tcp_get_syncookie_mss: 0 while tcp_syncookies is 1 and the queue is not full.
  return versionCheck(a.sk, a.mem.bytes[a.iph]! >> 4, a.iphLen) ?? errno(ENOENT);
}

/** The two syncookie helpers (tc_cls_act_func_proto, xdp_func_proto). */
export function syncookieHelpers(table: SocketTable): HelperDef[] {
  const def = (id: number, name: string, f: (a: Args) => bigint): HelperDef => ({
    id,
    name,
    args: ["ptr_to_btf_id_sock_common", "ptr_to_mem", "const_size", "ptr_to_mem", "const_size"],
    ret: "integer",
    impl: (ctx, sk, iph, iphLen, th, thLen) => f(args(table, name, ctx.memory, sk, iph, iphLen, th, thLen)),
  });
  return [
    def(100, "tcp_check_syncookie", checkSyncookie),
    def(110, "tcp_gen_syncookie", genSyncookie),
  ];
}
