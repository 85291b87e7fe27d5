// skb_get_tunnel_key (20), skb_set_tunnel_key (21), skb_get_tunnel_opt (29),
// skb_set_tunnel_opt (30): the tunnel metadata of a tc program's skb (net/core/filter.c), which
// a tunnel device in collect_md mode (vxlan, geneve, gre, ipip, ...) uses to encapsulate.
//
// The kernel's set_tunnel_key fills a per-CPU metadata_dst (md_dst) and makes it the skb's dst;
// get_tunnel_key reads skb_tunnel_info(skb), the info of the skb's dst. A BPF_PROG_TEST_RUN skb
// has no dst, so in one run a get before any set finds nothing, and a get after a set reads that
// info back. Here: the per-CPU info is a JS object per CPU (it outlives the run, as md_dst does),
// and "the skb's dst is that info" is the run record's REC_TUNNEL word (vm/runtime/record.ts),
// which the runner zeroes before each packet as the kernel's skb starts without a dst.
//
// Facts checked against 6.18 (test/helpers/tunnel-key.test.ts):
// - struct bpf_tunnel_key is 44 bytes; sizes 8 (remote_ipv6[1]), 22 (tunnel_ext), 24
//   (tunnel_label) and 28 (local_ipv6[0]) are the older layouts, set zero-filled and read as a
//   prefix (8 only for an IPv4 tunnel); any other size is -EINVAL.
// - set stores remote as the info's destination and local as its source; get is written for the
//   receive side and reads the source as remote and the destination as local, so a set followed
//   by a get swaps remote and local.
// - set's flags: BPF_F_TUNINFO_IPV6, BPF_F_ZERO_CSUM_TX, BPF_F_DONT_FRAGMENT, BPF_F_SEQ_NUMBER,
//   BPF_F_NO_TUNNEL_KEY; others -EINVAL, as is a tunnel_label for IPv4 or any tunnel_ext. The
//   info's flags start as TUNNEL_KEY | TUNNEL_CSUM | TUNNEL_NOCACHE.
// - get's flags: BPF_F_TUNINFO_IPV6 and BPF_F_TUNINFO_FLAGS (then tunnel_flags = the info's
//   flags as a __be16, else 0); others, or no tunnel info, -EINVAL; an IPv6 flag that does not
//   match the info's family -EPROTO. Every error zeroes the `size` bytes of the buffer.
// - set_tunnel_opt: -EINVAL unless set_tunnel_key made the dst in this run or when the size is
//   not a multiple of 4, -ENOMEM past 255 bytes; marks the options present (TUNNEL_GENEVE_OPT |
//   VXLAN_OPT | ERSPAN_OPT | GTP_OPT, and PFCP, which no __be16 shows). get_tunnel_opt:
//   -ENOENT without options, -ENOMEM for a buffer shorter than them (both zero the buffer), else
//   the options, the rest of the buffer zeroed, and their length.

import type { Layout } from "../../memory/layout.js";
import { REC_TUNNEL } from "../../runtime/record.js";
import type { HelperDef } from "../registry.js";
import { memOf, u32, type Mem } from "./memory.js";
import { EINVAL, ENOENT, ENOMEM, EPROTO, errno } from "./uapi.js";

// ---- UAPI ------------------------------------------------------------------------------------
export const BPF_F_TUNINFO_IPV6 = 1n << 0n;
export const BPF_F_ZERO_CSUM_TX = 1n << 1n;
export const BPF_F_DONT_FRAGMENT = 1n << 2n;
export const BPF_F_SEQ_NUMBER = 1n << 3n;
export const BPF_F_NO_TUNNEL_KEY = 1n << 4n;
export const BPF_F_TUNINFO_FLAGS = 1n << 4n;
/** sizeof(struct bpf_tunnel_key). */
export const TUNNEL_KEY_SIZE = 44;
/** offsetof(struct bpf_tunnel_key, remote_ipv6[1]), tunnel_ext, tunnel_label, local_ipv6[0]. */
const COMPAT_SIZES: ReadonlySet<number> = new Set([8, 22, 24, 28]);
/** IP_TUNNEL_OPTS_MAX: options_len is a u8. */
export const TUNNEL_OPTS_MAX = 255;

// Byte offsets in struct bpf_tunnel_key.
const K_ID = 0;
const K_REMOTE = 4;
const K_TOS = 20;
const K_TTL = 21;
const K_EXT = 22;
const K_LABEL = 24;
const K_LOCAL = 28;

// The info's tunnel flags (IP_TUNNEL_*_BIT; the low 16 are the old __be16 TUNNEL_* values).
const TUNNEL_CSUM = 0x01;
const TUNNEL_KEY = 0x04;
const TUNNEL_SEQ = 0x08;
const TUNNEL_DONT_FRAGMENT = 0x0100;
const TUNNEL_NOCACHE = 0x2000;
/** IP_TUNNEL_OPTIONS_PRESENT: GENEVE_OPT | VXLAN_OPT | ERSPAN_OPT | GTP_OPT | PFCP_OPT (bit 16). */
const TUNNEL_OPTIONS_PRESENT = 0x0800 | 0x1000 | 0x4000 | 0x8000 | 0x10000;
/** IPV6_FLOWLABEL_MASK, in host order. */
const FLOWLABEL_MASK = 0xfffff;

/** struct ip_tunnel_info as these helpers use it; addresses are kept as the key holds them. */
export interface TunnelInfo {
  ipv6: boolean;
  flags: number;
  id: number;
  tos: number;
  ttl: number;
  label: number;
  /** The info's destination (the key's remote address as set): 4 or 16 bytes. */
  dst: Uint8Array;
  /** The info's source (the key's local address as set). */
  src: Uint8Array;
  optionsLen: number;
  readonly options: Uint8Array;
}

const emptyInfo = (): TunnelInfo => ({
  ipv6: false, flags: 0, id: 0, tos: 0, ttl: 0, label: 0, dst: new Uint8Array(4), src: new Uint8Array(4), optionsLen: 0, options: new Uint8Array(TUNNEL_OPTS_MAX),
});

/** The four helpers over one set of per-CPU infos. */
export function tunnelHelpers(layout: Layout): HelperDef[] {
  const infos: TunnelInfo[] = [];
  const recordAt = (cpu: number): number => layout.cpu(cpu).scratch + REC_TUNNEL;
  /** skb_tunnel_info(skb): the CPU's info when this run's set_tunnel_key made it the dst. */
  const current = (mem: Mem, cpu: number): TunnelInfo | undefined => (mem.u32(recordAt(cpu)) !== 0 ? infos[cpu] : undefined);
  const attach = (mem: Mem, cpu: number): TunnelInfo => {
    mem.setU32(recordAt(cpu), 1);
    return (infos[cpu] ??= emptyInfo());
  };
  return [
    {
      id: 20,
      name: "skb_get_tunnel_key",
      args: ["ptr_to_ctx", "ptr_to_uninit_mem", "const_size", "anything"],
      ret: "integer",
      impl: (ctx, _skb, to, sizeReg, flags) => {
        const mem = memOf(ctx.memory);
        const size = u32(sizeReg);
        const at = mem.span("skb_get_tunnel_key", "key", to, size);
        const result = getTunnelKey(current(mem, ctx.cpu), size, flags);
        if (typeof result === "number") {
          mem.bytes.fill(0, at, at + size);
          return errno(result);
        }
        mem.bytes.set(result.subarray(0, size), at);
        return 0n;
      },
    },
    {
      id: 21,
      name: "skb_set_tunnel_key",
      args: ["ptr_to_ctx", "ptr_to_mem", "const_size", "anything"],
      ret: "integer",
      impl: (ctx, _skb, from, sizeReg, flags) => {
        const mem = memOf(ctx.memory);
        const size = u32(sizeReg);
        const at = mem.span("skb_set_tunnel_key", "key", from, size);
        const key = new Uint8Array(TUNNEL_KEY_SIZE);
        key.set(mem.bytes.subarray(at, at + Math.min(size, TUNNEL_KEY_SIZE)));
        const bad = checkSetKey(key, size, flags);
        if (bad) return errno(bad);
        setTunnelKey(attach(mem, ctx.cpu), key, flags);
        return 0n;
      },
    },
    {
      id: 29,
      name: "skb_get_tunnel_opt",
      args: ["ptr_to_ctx", "ptr_to_uninit_mem", "const_size"],
      ret: "integer",
      impl: (ctx, _skb, to, sizeReg) => {
        const mem = memOf(ctx.memory);
        const size = u32(sizeReg);
        const at = mem.span("skb_get_tunnel_opt", "buffer", to, size);
        const info = current(mem, ctx.cpu);
        mem.bytes.fill(0, at, at + size);
        if (!info || !(info.flags & TUNNEL_OPTIONS_PRESENT)) return errno(ENOENT);
        if (size < info.optionsLen) return errno(ENOMEM);
        mem.bytes.set(info.options.subarray(0, info.optionsLen), at);
        return BigInt(info.optionsLen);
      },
    },
    {
      id: 30,
      name: "skb_set_tunnel_opt",
      args: ["ptr_to_ctx", "ptr_to_mem", "const_size"],
      ret: "integer",
      impl: (ctx, _skb, from, sizeReg) => {
        const mem = memOf(ctx.memory);
        const size = u32(sizeReg);
        const at = mem.span("skb_set_tunnel_opt", "options", from, size);
        const info = current(mem, ctx.cpu);
        if (!info || size & 3) return errno(EINVAL);
        if (size > TUNNEL_OPTS_MAX) return errno(ENOMEM);
        // ip_tunnel_info_opts_set: the length always, the bytes and the flag only when there are some.
        info.optionsLen = size;
        if (size > 0) {
          info.options.set(mem.bytes.subarray(at, at + size));
          info.flags |= TUNNEL_OPTIONS_PRESENT;
        }
        return 0n;
      },
    },
  ];
}

/** set_tunnel_key's checks, in the kernel's order: flags, size, then label and tunnel_ext. */
function checkSetKey(key: Uint8Array, size: number, flags: bigint): number {
  if (flags & ~(BPF_F_TUNINFO_IPV6 | BPF_F_ZERO_CSUM_TX | BPF_F_DONT_FRAGMENT | BPF_F_SEQ_NUMBER | BPF_F_NO_TUNNEL_KEY)) return EINVAL;
  if (size !== TUNNEL_KEY_SIZE && !COMPAT_SIZES.has(size)) return EINVAL;
  const view = new DataView(key.buffer);
  const ipv6 = (flags & BPF_F_TUNINFO_IPV6) !== 0n;
  if ((!ipv6 && view.getUint32(K_LABEL, true) !== 0) || view.getUint16(K_EXT, true) !== 0) return EINVAL;
  return 0;
}

/** Fill the info from a checked key (a shorter layout already zero-filled to 44 bytes). */
function setTunnelKey(info: TunnelInfo, key: Uint8Array, flags: bigint): void {
  const view = new DataView(key.buffer);
  const ipv6 = (flags & BPF_F_TUNINFO_IPV6) !== 0n;
  let tunFlags = TUNNEL_KEY | TUNNEL_CSUM | TUNNEL_NOCACHE;
  if (flags & BPF_F_DONT_FRAGMENT) tunFlags |= TUNNEL_DONT_FRAGMENT;
  if (flags & BPF_F_ZERO_CSUM_TX) tunFlags &= ~TUNNEL_CSUM;
  if (flags & BPF_F_SEQ_NUMBER) tunFlags |= TUNNEL_SEQ;
  if (flags & BPF_F_NO_TUNNEL_KEY) tunFlags &= ~TUNNEL_KEY;
  const addr = ipv6 ? 16 : 4;
  info.ipv6 = ipv6;
  info.flags = tunFlags;
  info.id = view.getUint32(K_ID, true);
  info.tos = key[K_TOS]!;
  info.ttl = key[K_TTL]!;
  info.label = ipv6 ? view.getUint32(K_LABEL, true) & FLOWLABEL_MASK : 0;
  info.dst = key.slice(K_REMOTE, K_REMOTE + addr);
  info.src = key.slice(K_LOCAL, K_LOCAL + addr);
  info.optionsLen = 0; // memset(info, 0, ...): the options' bytes stay, their length does not
}

/** get_tunnel_key: the whole 44-byte key to copy a prefix of, or the errno. */
function getTunnelKey(info: TunnelInfo | undefined, size: number, flags: bigint): Uint8Array | number {
  if (!info || flags & ~(BPF_F_TUNINFO_IPV6 | BPF_F_TUNINFO_FLAGS)) return EINVAL;
  if (info.ipv6 !== ((flags & BPF_F_TUNINFO_IPV6) !== 0n)) return EPROTO;
  if (size !== TUNNEL_KEY_SIZE) {
    if (!COMPAT_SIZES.has(size)) return EINVAL;
    // remote_ipv6[1]: the oldest layout, with room for an IPv4 address only.
    if (size === 8 && info.ipv6) return EINVAL;
  }
  const key = new Uint8Array(TUNNEL_KEY_SIZE);
  const view = new DataView(key.buffer);
  view.setUint32(K_ID, info.id, true);
  key[K_TOS] = info.tos;
  key[K_TTL] = info.ttl;
  // tunnel_flags is a __be16: the info's low 16 flag bits in network order.
  if (flags & BPF_F_TUNINFO_FLAGS) view.setUint16(K_EXT, info.flags & 0xffff, false);
  key.set(info.src, K_REMOTE);
  key.set(info.dst, K_LOCAL);
  view.setUint32(K_LABEL, info.label, true);
  return key;
}
