// The socket lookups of tc, xdp and cgroup_skb programs (net/core/filter.c): bpf_sk_lookup_tcp
// (84), bpf_sk_lookup_udp (85), bpf_skc_lookup_tcp (99) and bpf_sk_release (86), on the sockets
// of the machine's network model (vm/net/sockets.ts; their struct bpf_sock images are in the
// memory, vm/runtime/sockets.ts). The entry checks, in the kernel's order (__bpf_skc_lookup):
//
//   len == sizeof(tuple->ipv4) (12): IPv4; == sizeof(tuple->ipv6) (36): IPv6; else NULL
//   flags != 0                                                    → NULL
//   netns_id: (s32)netns_id < 0 is the caller's namespace (BPF_F_CURRENT_NETNS, -1); another id
//   <= S32_MAX names a peer namespace (get_net_ns_by_id), of which the model has none → NULL;
//   one past S32_MAX with a non-negative low half                 → NULL
//
// The lookup's device is the skb's (skb->dev->ifindex, __sk_buff.ifindex) or the XDP receive
// queue's (xdp_md.ingress_ifindex); sdif is 0 (no VRF). sk_lookup_* return full sockets only:
// what skc_lookup_tcp may return besides (a timewait or request socket, or the listener of a
// request socket) is not in the model, so the two TCP lookups find the same sockets here.
// bpf_sk_release drops the reference a lookup took (sock_gen_put for a socket that is not
// SOCK_RCU_FREE; listeners and UDP sockets are not refcounted by a lookup): nothing a program can
// observe, so it returns 0 and leaves the memory alone. The verifier makes sure every socket a
// lookup returns is released (vm/verifier/helpers.ts).

import { BpfRuntimeError } from "../../errors.js";
import { ctxField } from "../../programs/context.js";
import { SK_BUFF_TC } from "../../programs/skb.js";
import { XDP_MD } from "../../programs/xdp.js";
import { IPPROTO_TCP, lookupTcp, lookupUdp, type Socket, type Tuple } from "../../net/sockets.js";
import type { HelperDef } from "../registry.js";
import { memOf, u32, type Mem } from "./memory.js";

/** The sockets a machine's lookups see, and where socket i's struct bpf_sock is: base + i * slot. */
export interface SocketTable {
  readonly sockets: readonly Socket[];
  readonly base: number;
  readonly slot: number;
  /** Where a TCP socket's struct bpf_tcp_sock is in its slot. */
  readonly tcpAt: number;
}

export const NO_SOCKETS: SocketTable = { sockets: [], base: 0, slot: 0, tcpAt: 0 };

const TUPLE_V4 = 12;
const TUPLE_V6 = 36;
const S32_MAX = 0x7fffffffn;
const SKB_IFINDEX = ctxField(SK_BUFF_TC, "ifindex").offset;
const XDP_INGRESS_IFINDEX = ctxField(XDP_MD, "ingress_ifindex").offset;

type Variant = "xdp" | "skb";

function readTuple(mem: Mem, at: number, len: number): Tuple {
  const be = (off: number, n: number): bigint => {
    let v = 0n;
    for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(mem.bytes[at + off + i]!);
    return v;
  };
  const a = len === TUPLE_V4 ? 4 : 16;
  return { family: len === TUPLE_V4 ? 4 : 6, saddr: be(0, a), daddr: be(a, a), sport: Number(be(2 * a, 2)), dport: Number(be(2 * a + 2, 2)) };
}

/** __bpf_skc_lookup's checks, then the lookup: the socket found, or undefined (NULL). */
function skcLookup(table: SocketTable, mem: Mem, name: string, tupleReg: bigint, len: number, netns: bigint, flags: bigint, dif: number, proto: number): Socket | undefined {
  // ARG_PTR_TO_MEM with its ARG_CONST_SIZE: the verifier proved [tuple, tuple + len) readable.
  const at = mem.span(name, "tuple", tupleReg, len);
  if (len !== TUPLE_V4 && len !== TUPLE_V6) return undefined;
  const current = BigInt.asIntN(32, netns) < 0n;
  if (flags !== 0n || !(current || netns <= S32_MAX)) return undefined;
  if (!current) return undefined; // no peer namespace has an id in the model
  const tuple = readTuple(mem, at, len);
  return proto === IPPROTO_TCP ? lookupTcp(table.sockets, tuple, dif) : lookupUdp(table.sockets, tuple, dif);
}

function lookupHelper(table: SocketTable, variant: Variant, id: number, name: string, proto: number, common: boolean): HelperDef {
  const difAt = variant === "xdp" ? XDP_INGRESS_IFINDEX : SKB_IFINDEX;
  return {
    id,
    name,
    // 6.18 takes a tuple size of 0 (ARG_CONST_SIZE_OR_ZERO; the lookup then finds nothing).
    args: ["ptr_to_ctx", "ptr_to_mem", "const_size_or_zero", "anything", "anything"],
    ret: common ? "ptr_to_sock_common_or_null" : "ptr_to_socket_or_null",
    impl: (ctx, ctxReg, tupleReg, lenReg, netnsReg, flagsReg) => {
      const mem = memOf(ctx.memory);
      const dif = mem.u32(mem.span(name, "ctx", ctxReg, difAt + 4) + difAt);
      const sk = skcLookup(table, mem, name, tupleReg, u32(lenReg), BigInt.asUintN(64, netnsReg), BigInt.asUintN(64, flagsReg), dif, proto);
      return sk ? BigInt(table.base + sk.index * table.slot) : 0n;
    },
  };
}

/**
 * The model's socket whose struct bpf_sock (or, `tcp`, struct bpf_tcp_sock) is at `addr`;
 * undefined for another address (the test run's socket, vm/runtime/test-run-socket.ts).
 */
export function modelSocket(table: SocketTable, addr: bigint, tcp = false): Socket | undefined {
  const at = Number(BigInt.asUintN(64, addr)) - table.base - (tcp ? table.tcpAt : 0);
  return table.slot > 0 && at >= 0 && at % table.slot === 0 ? table.sockets[at / table.slot] : undefined;
}

/** The model's socket at `addr`, a pointer the verifier proved to be a socket that is not the test run's. */
export function socketAt(table: SocketTable, helper: string, addr: bigint): Socket {
  const sk = modelSocket(table, addr);
  if (!sk) throw new BpfRuntimeError(`${helper}: 0x${BigInt.asUintN(64, addr).toString(16)} is not a socket of the network model`);
  return sk;
}

/** bpf_sk_release (86): the verifier releases the reference; nothing to undo here. */
export const skRelease: HelperDef = {
  id: 86,
  name: "sk_release",
  args: ["ptr_to_sock_common_release"],
  ret: "integer",
  impl: () => 0n,
};

/** The lookups and sk_release for xdp (bpf_xdp_sk_lookup_*) or skb programs (bpf_sk_lookup_*). */
export function skLookupHelpers(table: SocketTable, variant: Variant): HelperDef[] {
  return [
    lookupHelper(table, variant, 84, "sk_lookup_tcp", IPPROTO_TCP, false),
    lookupHelper(table, variant, 85, "sk_lookup_udp", 17, false),
    lookupHelper(table, variant, 99, "skc_lookup_tcp", IPPROTO_TCP, true),
    skRelease,
  ];
}
