// bpf_fib_lookup's route and neighbour lookup on a Network (model.ts), as net/core/filter.c
// bpf_ipv4_fib_lookup / bpf_ipv6_fib_lookup do it on 6.18. It works on the 64-byte struct
// bpf_fib_lookup (fib-uapi.ts) in place and returns what the helper returns: a BPF_FIB_LKUP_RET_*
// code, or -errno. Fields are written in the kernel's order, so a lookup that stops early leaves
// exactly the kernel's partial writes (FRAG_NEEDED: mtu_result only; NO_NEIGH: ifindex,
// rt_metric, the source with SRC and the gateway as destination, but no MACs).
//
// The per-family steps:
//   1. IPv6 only: a link-local, multicast or loopback source or destination → NOT_FWDED
//      (rt6_need_strict), before the device is looked up.
//   2. params->ifindex → device, none → -ENODEV; its forwarding sysctl off → FWD_DISABLED.
//   3. The lookup. DIRECT: one table, main (or with TBID params->tbid, which is then zeroed; no
//      such table → NOT_FWDED). Else the kernel's default rules: IPv4 main (merged with local),
//      then the default table (253) if it exists and main had no route (a reject route in main
//      answers itself: checked on 6.18); IPv6 local, then main. MARK only
//      feeds policy rules (fwmark), which the model has none of: it changes nothing here.
//      IPv4 with OUTPUT skips routes whose nexthop device is not params->ifindex (the flow's oif);
//      a reject route answers before that check (fib_table_lookup).
//   4. Route type: blackhole / unreachable / prohibit → their codes; anything but unicast
//      (local, broadcast, anycast) → NOT_FWDED; no route → NOT_FWDED.
//   5. MTU (XDP always; skb when tot_len != 0): tot_len > the nexthop device's MTU (IPv4 at most
//      IP_MAX_MTU 65535, IPv6 at least 1280 and at most IP6_MAX_MTU 65575) → mtu_result = MTU,
//      FRAG_NEEDED.
//   6. rt_metric, ifindex; SRC: the source address; the gateway replaces the destination.
//   7. SKIP_NEIGH goes to 8; else no neighbour for the destination on the device → NO_NEIGH,
//      else dmac = the neighbour's MAC, smac = the device's.
//   8. h_vlan_proto = h_vlan_TCI = 0; mtu_result = the MTU when step 5 ran.

import { commonPrefixLen, inPrefix, parseIp, type Family, type IpPrefix } from "./addr.js";
import {
  AF_INET, AF_INET6, BPF_FIB_LOOKUP_DIRECT, BPF_FIB_LOOKUP_OUTPUT, BPF_FIB_LOOKUP_SKIP_NEIGH, BPF_FIB_LOOKUP_SRC,
  BPF_FIB_LOOKUP_TBID, EAFNOSUPPORT, FIB, FibRet,
} from "./fib-uapi.js";
import { RT_TABLE_DEFAULT, RT_TABLE_LOCAL, RT_TABLE_MAIN, type Device, type Network, type Route } from "./model.js";

const ENODEV = 19;
const IP_MAX_MTU = 0xffff;
const IPV6_MIN_MTU = 1280;
const IP6_MAX_MTU = 0xffff + 40;

/** One lookup on `p` (the struct, 64 bytes); `checkMtu` is step 5. Flags are already checked. */
export function fibLookup(net: Network, p: DataView, flags: number, checkMtu: boolean): number {
  switch (p.getUint8(FIB.family)) {
    case AF_INET: return lookup4(net, p, flags, checkMtu);
    case AF_INET6: return lookup6(net, p, flags, checkMtu);
    default: return -EAFNOSUPPORT;
  }
}

// ---- IPv4 -----------------------------------------------------------------------------------

function lookup4(net: Network, p: DataView, flags: number, checkMtu: boolean): number {
  const ifindex = p.getUint32(FIB.ifindex, true);
  const dev = net.device(ifindex);
  if (!dev) return -ENODEV;
  if (!dev.forwarding) return FibRet.FWD_DISABLED;
  const oif = flags & BPF_FIB_LOOKUP_OUTPUT ? ifindex : 0;
  const dst = BigInt(p.getUint32(FIB.dst, false));
  let route: Route | undefined;
  if (flags & BPF_FIB_LOOKUP_DIRECT) {
    const routes = net4Table(net, directTable(p, flags));
    if (!routes) return FibRet.NOT_FWDED;
    route = tableLookup4(routes, dst, oif);
  } else {
    route = tableLookup4(net4Table(net, RT_TABLE_MAIN)!, dst, oif);
    // fib_lookup: main, then the default table only when main had no route at all (6.18: a
    // blackhole / unreachable / prohibit in main is the answer even when 253 has a route).
    const fallback = net.table(4, RT_TABLE_DEFAULT);
    if (!route && fallback) route = tableLookup4(fallback, dst, oif);
  }
  const refused = routeTypeRet(route);
  if (refused !== undefined) return refused;
  const out = net.device(route!.dev)!;
  let mtu = 0;
  if (checkMtu) {
    mtu = Math.min(out.mtu, IP_MAX_MTU);
    if (p.getUint16(FIB.totLen, true) > mtu) return fragNeeded(p, mtu);
  }
  p.setUint32(FIB.rtMetric, route!.metric, true);
  p.setUint32(FIB.ifindex, out.ifindex, true);
  if (flags & BPF_FIB_LOOKUP_SRC) p.setUint32(FIB.src, Number(prefsrc4(net, route!, out)), false);
  let nexthop = dst;
  if (route!.gateway !== undefined) {
    nexthop = route!.gateway;
    p.setUint32(FIB.dst, Number(nexthop), false);
  }
  return finish(net, p, flags, out, 4, nexthop, mtu);
}

/** The IPv4 tables: main and local are one (the merged trie) while there are no policy rules. */
function net4Table(net: Network, id: number): readonly Route[] | undefined {
  if (id === RT_TABLE_MAIN || id === RT_TABLE_LOCAL) return [...net.table(4, RT_TABLE_MAIN)!, ...net.table(4, RT_TABLE_LOCAL)!];
  return net.table(4, id);
}

/** fib_table_lookup: longest prefix first, then lowest metric; OUTPUT's oif filters nexthops, not rejects. */
function tableLookup4(routes: readonly Route[], dst: bigint, oif: number): Route | undefined {
  for (const r of byPreference(routes, dst)) {
    if (isReject(r) || !oif || r.dev === oif) return r;
  }
  return undefined;
}

/** The source fib_result_prefsrc gives: the route's src, else inet_select_addr on its device. */
function prefsrc4(net: Network, route: Route, out: Device): bigint {
  if (route.prefsrc !== undefined) return route.prefsrc;
  const target = route.gateway ?? 0n;
  let first: bigint | undefined;
  for (const a of primaries(out.v4)) {
    if (target === 0n || inPrefix(a, target)) return a.value;
    first ??= a.value;
  }
  if (first !== undefined) return first;
  // No address on the device: the first primary address of any device (dev_base order).
  for (const d of net.devices) {
    const a = primaries(d.v4)[0];
    if (a) return a.value;
  }
  return 0n;
}

/** A device's primary addresses: an address in the subnet of an earlier one is secondary. */
const primaries = (addrs: readonly IpPrefix[]): IpPrefix[] =>
  addrs.filter((a, i) => !addrs.slice(0, i).some((b) => b.plen === a.plen && inPrefix(b, a.value)));

// ---- IPv6 -----------------------------------------------------------------------------------

function lookup6(net: Network, p: DataView, flags: number, checkMtu: boolean): number {
  const src = read128(p, FIB.src);
  const dst = read128(p, FIB.dst);
  if (needStrict(dst) || needStrict(src)) return FibRet.NOT_FWDED;
  const ifindex = p.getUint32(FIB.ifindex, true);
  const dev = net.device(ifindex);
  if (!dev) return -ENODEV;
  if (!dev.ipv6 || !dev.forwarding6) return FibRet.FWD_DISABLED;
  let route: Route | undefined;
  if (flags & BPF_FIB_LOOKUP_DIRECT) {
    const id = directTable(p, flags);
    const routes = net.table(6, id === 0 ? RT_TABLE_MAIN : id);
    if (!routes) return FibRet.NOT_FWDED;
    route = tableLookup6(routes, dst);
  } else {
    route = tableLookup6(net.table(6, RT_TABLE_LOCAL)!, dst) ?? tableLookup6(net.table(6, RT_TABLE_MAIN)!, dst);
  }
  const refused = routeTypeRet(route);
  if (refused !== undefined) return refused;
  const out = net.device(route!.dev)!;
  let mtu = 0;
  if (checkMtu) {
    mtu = Math.min(Math.max(out.mtu, IPV6_MIN_MTU), IP6_MAX_MTU);
    if (p.getUint16(FIB.totLen, true) > mtu) return fragNeeded(p, mtu);
  }
  const nexthop = route!.gateway ?? dst;
  if (route!.gateway !== undefined) write128(p, FIB.dst, nexthop);
  p.setUint32(FIB.rtMetric, route!.metric, true);
  p.setUint32(FIB.ifindex, out.ifindex, true);
  if (flags & BPF_FIB_LOOKUP_SRC) {
    const chosen = route!.prefsrc ?? selectSource6(net, out, dst);
    if (chosen === undefined) return FibRet.NO_SRC_ADDR;
    write128(p, FIB.src, chosen);
  }
  return finish(net, p, flags, out, 6, nexthop, mtu);
}

/**
 * fib6_table_lookup without source routing: the longest matching prefix, its lowest metric (the
 * model has one route per prefix and metric, so the oif preference of rt6_select never decides).
 */
function tableLookup6(routes: readonly Route[], dst: bigint): Route | undefined {
  return byPreference(routes, dst)[0];
}

/** rt6_need_strict: multicast (ff00::/8), link-local (fe80::/10) and loopback (::1) addresses. */
function needStrict(a: bigint): boolean {
  return a >> 120n === 0xffn || a >> 118n === 0x3fan || a === 1n;
}

/** The kernel's default address labels (net/ipv6/addrlabel.c), most specific first. */
const LABELS: ReadonlyArray<readonly [IpPrefix, number]> = ([
  ["0000:0000:0000:0000:0000:0000:0000:0001", 128, 0], ["2001:0010::", 28, 7], ["0000:0000:0000:0000:0000:ffff::", 96, 4],
  ["0000::", 96, 3], ["2001::", 32, 6], ["2002::", 16, 2], ["3ffe::", 16, 12], ["fec0::", 10, 11], ["fc00::", 7, 5], ["::", 0, 1],
] as const).map(([text, plen, label]) => [{ family: 6 as const, value: parseIp(text, "address label").value, plen }, label] as const);

function label(a: bigint): number {
  return LABELS.find(([prefix]) => inPrefix(prefix, a))![1];
}

/** IPV6_ADDR_SCOPE_*: the unspecified address has none (-1); fec0::/10 is site-local (5); fe80::/10 link-local (2). */
function scope6(a: bigint): number {
  if (a === 0n) return -1;
  if (a >> 118n === 0x3fan) return 2;
  if (a >> 118n === 0x3fbn) return 5;
  return 14;
}

/**
 * ipv6_dev_get_saddr over the model's addresses (global ones as given, and each device's
 * link-local), ranked as Linux does (RFC 6724): the destination itself; an appropriate scope
 * (the smallest scope not below the destination's, else the largest); the output device; a
 * matching label; the longest common prefix, capped at the address's prefix length. Ties keep
 * the first found, devices in order, each device's addresses by falling scope and newest first.
 * A destination of a scope up to link-local (here only ::) takes the output device's addresses
 * alone.
 */
function selectSource6(net: Network, out: Device, dst: bigint): bigint | undefined {
  const dstScope = scope6(dst);
  const score = (dev: Device, a: IpPrefix): number[] => {
    const s = scope6(a.value);
    return [
      a.value === dst ? 1 : 0,
      s >= dstScope ? -s : s - 128,
      dev.ifindex === out.ifindex ? 1 : 0,
      label(a.value) === label(dst) ? 1 : 0,
      Math.min(commonPrefixLen(6, a.value, dst), a.plen),
    ];
  };
  let best: { value: bigint; score: number[] } | undefined;
  for (const dev of dstScope <= 2 ? [out] : net.devices) {
    if (!dev.ipv6) continue;
    const addrs = [...dev.v6].reverse().sort((x, y) => scope6(y.value) - scope6(x.value));
    if (dev.linkLocal) addrs.push(dev.linkLocal);
    for (const a of addrs) {
      const s = score(dev, a);
      if (!best || better(s, best.score)) best = { value: a.value, score: s };
    }
  }
  return best?.value;
}

const better = (a: readonly number[], b: readonly number[]): boolean => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return false;
};

// ---- shared steps ---------------------------------------------------------------------------

/** DIRECT's table: main, or params->tbid with TBID (zeroed: it shares bytes with the VLAN fields). */
function directTable(p: DataView, flags: number): number {
  if (!(flags & BPF_FIB_LOOKUP_TBID)) return RT_TABLE_MAIN;
  const id = p.getUint32(FIB.tbid, true);
  p.setUint32(FIB.tbid, 0, true);
  // fib_get_table / fib6_get_table: table 0 means main.
  return id === 0 ? RT_TABLE_MAIN : id;
}

const isReject = (r: Route): boolean => r.type === "blackhole" || r.type === "unreachable" || r.type === "prohibit";

/** Step 4: the code for a route that is not forwarded, or undefined for unicast. */
function routeTypeRet(route: Route | undefined): number | undefined {
  switch (route?.type) {
    case "unicast": return undefined;
    case "blackhole": return FibRet.BLACKHOLE;
    case "unreachable": return FibRet.UNREACHABLE;
    case "prohibit": return FibRet.PROHIBIT;
    default: return FibRet.NOT_FWDED;
  }
}

function fragNeeded(p: DataView, mtu: number): number {
  p.setUint16(FIB.totLen, mtu & 0xffff, true); // mtu_result: union with tot_len
  return FibRet.FRAG_NEEDED;
}

/** Steps 7 and 8 (bpf_fib_set_fwd_params). */
function finish(net: Network, p: DataView, flags: number, out: Device, family: Family, nexthop: bigint, mtu: number): number {
  if (!(flags & BPF_FIB_LOOKUP_SKIP_NEIGH)) {
    const mac = net.neighbour(out.ifindex, family, nexthop);
    if (!mac) return FibRet.NO_NEIGH;
    const bytes = new Uint8Array(p.buffer, p.byteOffset, p.byteLength);
    bytes.set(mac, FIB.dmac);
    bytes.set(out.mac, FIB.smac);
  }
  p.setUint32(FIB.vlan, 0, true);
  if (mtu) p.setUint16(FIB.totLen, mtu & 0xffff, true);
  return FibRet.SUCCESS;
}

/** Matching routes, most preferred first: longest prefix, then lowest metric, then first added. */
function byPreference(routes: readonly Route[], dst: bigint): Route[] {
  return routes
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => inPrefix(r.prefix, dst))
    .sort((a, b) => b.r.prefix.plen - a.r.prefix.plen || a.r.metric - b.r.metric || a.i - b.i)
    .map(({ r }) => r);
}

function read128(p: DataView, at: number): bigint {
  let v = 0n;
  for (let i = 0; i < 16; i += 4) v = (v << 32n) | BigInt(p.getUint32(at + i, false));
  return v;
}

function write128(p: DataView, at: number, v: bigint): void {
  for (let i = 0; i < 4; i++) p.setUint32(at + i * 4, Number((v >> BigInt(96 - 32 * i)) & 0xffffffffn), false);
}
