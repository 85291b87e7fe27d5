// Sockets of the network model (model.ts NetworkModel.sockets): TCP listeners, established TCP
// connections and UDP sockets (bound, or connected), as plain data, and the socket lookups of
// bpf_sk_lookup_tcp / bpf_sk_lookup_udp / bpf_skc_lookup_tcp (vm/helpers/packet/sk-lookup.ts)
// done as the kernel's hash tables answer them (net/ipv4/inet_hashtables.c, udp.c and their
// IPv6 twins), for a namespace with no SO_REUSEPORT groups, no BPF sk_lookup programs and no
// VRFs (sdif 0):
//
//   TCP    the established table first: the exact 4-tuple (the socket's remote = the tuple's
//          source, its local = the tuple's destination) and its bound device; then the
//          listeners: those bound to the tuple's destination address, and only when none
//          matches those bound to the wildcard address (two passes over the lhash2 buckets).
//          Score: bound to a device +1 (it must be the lookup's device), IPv4 socket +1 (an
//          IPv4 lookup also sees the IPv6 listeners bound to [::] without IPV6_V6ONLY).
//   UDP    the same two passes (specific address, then wildcard); score (compute_score):
//          IPv4 socket 2 (IPv6 socket 1 / 0 in an IPv6 lookup), connected address +4 / +1,
//          connected port +4 / +1, bound device +4 / +1 — a connected socket only matches
//          its peer.
//   Ties   the socket created last wins (the kernel adds each socket at its chain's head).
//
// Not modelled: timewait and request (SYN_RECV) sockets — skc_lookup_tcp's only other results —
// SO_REUSEPORT, IPv4-mapped IPv6 addresses, sockets of other protocols.

import { BpfError } from "../errors.js";
import { parseIp, type Family } from "./addr.js";

export type SocketKind = "tcp_listen" | "tcp_established" | "udp";

/** One socket, as a user describes it. */
export interface NetSocket {
  readonly kind: SocketKind;
  /** Local address and port: "10.1.0.1:80", "0.0.0.0:53", "[2001:db8::1]:443", "[::]:80". */
  readonly local: string;
  /** The peer: required for tcp_established, optional for udp (a connected socket). */
  readonly remote?: string;
  /** IPV6_V6ONLY of an IPv6 socket (default false, the sysctl's default). */
  readonly v6only?: boolean;
  /** SO_BINDTODEVICE: the device's ifindex (default 0: none). */
  readonly boundDev?: number;
  /** SO_MARK (default 0). */
  readonly mark?: number;
  /** SO_PRIORITY, 0..6 as an unprivileged user may set it, or any u32 as root (default 0). */
  readonly priority?: number;
}

export interface Endpoint {
  readonly addr: bigint;
  readonly port: number;
}

/** A checked socket. */
export interface Socket {
  /** Its index in the model's list (the order the kernel side creates them in). */
  readonly index: number;
  readonly kind: SocketKind;
  readonly family: Family;
  /** IPPROTO_TCP (6) or IPPROTO_UDP (17). */
  readonly protocol: number;
  readonly local: Endpoint;
  readonly remote?: Endpoint;
  readonly v6only: boolean;
  readonly boundDev: number;
  readonly mark: number;
  readonly priority: number;
}

export const AF_INET = 2;
export const AF_INET6 = 10;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
/** The kernel's TCP states (include/net/tcp_states.h) that these sockets are in. */
export const TCP_ESTABLISHED = 1;
export const TCP_CLOSE = 7;
export const TCP_LISTEN = 10;

/** ::ffff:0:0/96, the IPv4-mapped prefix. */
const MAPPED_PREFIX = 0xffffn << 32n;

/** "10.1.0.1:80" / "[2001:db8::1]:80" → family, address, port. */
export function parseEndpoint(text: string, what: string): { family: Family } & Endpoint {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:\]]+):(\d+)$/.exec(text);
  if (!m) throw new BpfError(`${what}: '${text}' is not address:port ("10.1.0.1:80", "[2001:db8::1]:80")`);
  const ip = parseIp(m[1]!, what);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new BpfError(`${what}: port ${m[2]} is not in 1..65535 (a port the kernel picks is not modelled)`);
  if (ip.family === 6 && ip.value >> 32n === 0xffffn) throw new BpfError(`${what}: IPv4-mapped IPv6 addresses are not modelled`);
  if (m[0].startsWith("[") !== (ip.family === 6)) throw new BpfError(`${what}: '${text}': IPv6 addresses go in brackets, IPv4 ones do not`);
  return { family: ip.family, addr: ip.value, port };
}

const u32Field = (v: number | undefined, what: string): number => {
  const x = v ?? 0;
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new BpfError(`${what} ${x} is not a u32`);
  return x;
};

/**
 * Check the model's sockets: `localAddress(family, addr)` says whether an address is one of
 * the devices' (bind() refuses others: EADDRNOTAVAIL), `hasDevice` whether an ifindex exists.
 */
export function checkSockets(list: readonly NetSocket[], localAddress: (family: Family, addr: bigint) => boolean, hasDevice: (ifindex: number) => boolean): Socket[] {
  const sockets = list.map((s, index): Socket => {
    const what = `network socket ${index} (${s.kind} ${s.local})`;
    if (!["tcp_listen", "tcp_established", "udp"].includes(s.kind)) throw new BpfError(`${what}: kind '${s.kind}' is not one of tcp_listen, tcp_established, udp`);
    const local = parseEndpoint(s.local, what);
    const wildcard = local.addr === 0n;
    if (!wildcard && !localAddress(local.family, local.addr)) throw new BpfError(`${what}: ${s.local} is not an address of a device (bind() would fail: EADDRNOTAVAIL)`);
    let remote: Endpoint | undefined;
    if (s.remote !== undefined) {
      if (s.kind === "tcp_listen") throw new BpfError(`${what}: a listening socket has no remote end`);
      const r = parseEndpoint(s.remote, `${what} remote`);
      if (r.family !== local.family) throw new BpfError(`${what}: remote ${s.remote} is not of the local address's family`);
      if (r.addr === 0n) throw new BpfError(`${what}: remote ${s.remote} is the wildcard address`);
      // connect() on a wildcard-bound socket picks a source address by route: not modelled.
      if (wildcard) throw new BpfError(`${what}: a connected socket needs a specific local address (the source connect() would pick is not modelled)`);
      remote = { addr: r.addr, port: r.port };
    } else if (s.kind === "tcp_established") {
      throw new BpfError(`${what}: an established connection needs a remote end`);
    }
    if (s.v6only && local.family !== 6) throw new BpfError(`${what}: v6only is for IPv6 sockets`);
    const boundDev = u32Field(s.boundDev, `${what}: boundDev`);
    if (boundDev !== 0 && !hasDevice(boundDev)) throw new BpfError(`${what}: boundDev ${boundDev} is not a device of the model`);
    return {
      index,
      kind: s.kind,
      family: local.family,
      protocol: s.kind === "udp" ? IPPROTO_UDP : IPPROTO_TCP,
      local: { addr: local.addr, port: local.port },
      ...(remote ? { remote } : {}),
      v6only: s.v6only ?? false,
      boundDev,
      mark: u32Field(s.mark, `${what}: mark`),
      priority: u32Field(s.priority, `${what}: priority`),
    };
  });
  for (const a of sockets) {
    for (const b of sockets) {
      if (b.index <= a.index || a.protocol !== b.protocol || a.family !== b.family || a.local.port !== b.local.port) continue;
      const what = `network sockets ${a.index} and ${b.index}`;
      if (a.kind === "tcp_established" && b.kind === "tcp_established" && a.local.addr === b.local.addr && sameEndpoint(a.remote!, b.remote!)) {
        throw new BpfError(`${what}: the same connection twice`);
      }
      // Two listeners on one port: bind() refuses the second (EADDRINUSE) even with SO_REUSEADDR.
      const overlap = a.local.addr === b.local.addr || a.local.addr === 0n || b.local.addr === 0n;
      if (a.kind === "tcp_listen" && b.kind === "tcp_listen" && overlap) throw new BpfError(`${what}: two listeners on port ${a.local.port} (bind() refuses the second: EADDRINUSE)`);
    }
  }
  return sockets;
}

const sameEndpoint = (a: Endpoint, b: Endpoint): boolean => a.addr === b.addr && a.port === b.port;

/** What a lookup asks: the packet's source and destination (struct bpf_sock_tuple), the device. */
export interface Tuple {
  readonly family: Family;
  readonly saddr: bigint;
  readonly daddr: bigint;
  readonly sport: number;
  readonly dport: number;
}

/** inet_bound_dev_eq with sdif 0 and no l3mdev: an unbound socket matches every device. */
const devMatches = (s: Socket, dif: number): boolean => s.boundDev === 0 || s.boundDev === dif;

/** A v4 lookup sees an IPv6 socket only when bound to [::] without IPV6_V6ONLY (its rcv_saddr is 0). */
function localMatches(s: Socket, t: Tuple, addr: bigint): boolean {
  if (s.family === t.family) return s.local.addr === addr;
  return t.family === 4 && s.family === 6 && !s.v6only && s.local.addr === 0n && addr === 0n;
}

/** The best socket by score; on a tie the one created last (the head of the kernel's chain). */
function best(sockets: readonly Socket[], score: (s: Socket) => number): Socket | undefined {
  let found: Socket | undefined;
  let top = -1;
  for (const s of sockets) {
    const v = score(s);
    if (v >= 0 && v >= top) [found, top] = [s, v];
  }
  return found;
}

/** __inet_lookup / __inet6_lookup: established first, then listeners (specific, then wildcard). */
export function lookupTcp(sockets: readonly Socket[], t: Tuple, dif: number): Socket | undefined {
  const established = sockets.find((s) => s.kind === "tcp_established" && s.family === t.family && s.local.addr === t.daddr && s.local.port === t.dport &&
    s.remote!.addr === t.saddr && s.remote!.port === t.sport && devMatches(s, dif));
  if (established) return established;
  for (const addr of [t.daddr, 0n]) {
    const found = best(sockets, (s) => {
      if (s.kind !== "tcp_listen" || s.local.port !== t.dport || !localMatches(s, t, addr) || !devMatches(s, dif)) return -1;
      return (s.boundDev ? 2 : 1) + (t.family === 4 && s.family === 4 ? 1 : 0);
    });
    if (found) return found;
    if (t.daddr === 0n) break;
  }
  return undefined;
}

/** __udp4_lib_lookup / __udp6_lib_lookup: specific address, then wildcard; best score wins. */
export function lookupUdp(sockets: readonly Socket[], t: Tuple, dif: number): Socket | undefined {
  const v4 = t.family === 4;
  for (const addr of [t.daddr, 0n]) {
    const found = best(sockets, (s) => {
      if (s.kind !== "udp" || s.local.port !== t.dport || !localMatches(s, t, addr)) return -1;
      let score = v4 ? (s.family === 4 ? 2 : 1) : 0;
      if (s.remote) {
        if (s.remote.addr !== t.saddr || s.remote.port !== t.sport) return -1;
        score += v4 ? 8 : 2;
      }
      if (!devMatches(s, dif)) return -1;
      if (s.boundDev) score += v4 ? 4 : 1;
      return score;
    });
    if (found) return found;
    if (t.daddr === 0n) break;
  }
  return undefined;
}

// struct bpf_sock (include/uapi/linux/bpf.h): what a program reads through a socket pointer.
export const BPF_SOCK_SIZE = 80;
export const BpfSock = {
  bound_dev_if: 0, family: 4, type: 8, protocol: 12, mark: 16, priority: 20, src_ip4: 24, src_ip6: 28,
  src_port: 44, dst_port: 48, dst_ip4: 52, dst_ip6: 56, state: 72, rx_queue_mapping: 76,
} as const;

/** inet6_bind: an IPv6 socket's IPv4 address is LOOPBACK4_IPV6 (127.0.0.6) unless unspecified. */
const LOOPBACK4_IPV6 = 0x7f000006n;

/** The struct bpf_sock a program reads for `s` (as the kernel's bpf_sock_convert_ctx_access loads it). */
export function bpfSockImage(s: Socket): Uint8Array {
  const bytes = new Uint8Array(BPF_SOCK_SIZE);
  const v = new DataView(bytes.buffer);
  const o = BpfSock;
  v.setUint32(o.bound_dev_if, s.boundDev, true);
  v.setUint32(o.family, s.family === 4 ? AF_INET : AF_INET6, true);
  v.setUint32(o.type, s.protocol === IPPROTO_TCP ? 1 : 2, true); // SOCK_STREAM, SOCK_DGRAM
  v.setUint32(o.protocol, s.protocol, true);
  v.setUint32(o.mark, s.mark, true);
  v.setUint32(o.priority, s.priority, true);
  if (s.family === 4) {
    v.setUint32(o.src_ip4, Number(s.local.addr), false);
    if (s.remote) v.setUint32(o.dst_ip4, Number(s.remote.addr), false);
    // tcp_v4_connect (and the accept path) set the addresses with sk_rcv_saddr_set /
    // sk_daddr_set, which also write their IPv4-mapped forms into the IPv6 fields; bind() and a
    // UDP connect() do not (checked on 6.18).
    if (s.kind === "tcp_established") {
      setV6(v, o.src_ip6, MAPPED_PREFIX | s.local.addr);
      setV6(v, o.dst_ip6, MAPPED_PREFIX | s.remote!.addr);
    }
  } else {
    // inet6_bind: "ipv4 addr of the socket is invalid", LOOPBACK4_IPV6 for a specific address;
    // the IPv4 peer address stays 0 (checked on 6.18).
    if (s.local.addr !== 0n) v.setUint32(o.src_ip4, Number(LOOPBACK4_IPV6), false);
    setV6(v, o.src_ip6, s.local.addr);
    if (s.remote) setV6(v, o.dst_ip6, s.remote.addr);
  }
  v.setUint32(o.src_port, s.local.port, true); // host byte order
  if (s.remote) v.setUint16(o.dst_port, s.remote.port, false); // network byte order
  const state = s.kind === "tcp_listen" ? TCP_LISTEN : s.remote ? TCP_ESTABLISHED : TCP_CLOSE;
  v.setUint32(o.state, state, true);
  // sk_rx_queue_mapping is NO_QUEUE_MAPPING until a packet is received: the kernel's load gives -1.
  v.setUint32(o.rx_queue_mapping, 0xffffffff, true);
  return bytes;
}

// struct bpf_tcp_sock (include/uapi/linux/bpf.h): what bpf_tcp_sock's pointer reads.
export const BPF_TCP_SOCK_SIZE = 112;
export const BpfTcpSock = {
  snd_cwnd: 0, srtt_us: 4, rtt_min: 8, snd_ssthresh: 12, rcv_nxt: 16, snd_nxt: 20, snd_una: 24, mss_cache: 28,
  ecn_flags: 32, rate_delivered: 36, rate_interval_us: 40, packets_out: 44, retrans_out: 48, total_retrans: 52,
  segs_in: 56, data_segs_in: 60, segs_out: 64, data_segs_out: 68, lost_out: 72, sacked_out: 76,
  bytes_received: 80, bytes_acked: 88, dsack_dups: 96, delivered: 100, delivered_ce: 104, icsk_retransmits: 108,
} as const;

/**
 * The struct bpf_tcp_sock of a TCP socket that never sent or received a segment: tcp_init_sock's
 * values (snd_cwnd TCP_INIT_CWND 10, rtt_min ~0 from minmax_reset, snd_ssthresh
 * TCP_INFINITE_SSTHRESH, mss_cache TCP_MSS_DEFAULT 536), the rest 0. An established connection's
 * mss_cache is its MSS clamp (TCP_MSS_DEFAULT 536 for IPv4, IPV6_MIN_MTU - 60 = 1220 for IPv6,
 * tcp_v6_connect) less the 12 bytes of the timestamp option (tcp_timestamps is 1): 524 / 1208,
 * as tcp_connect_init's tcp_sync_mss leaves it when the route's MTU is at least 576 / 1280
 * (smaller IPv4 MTUs are not modelled). Checked on 6.18 (test/kernel/sk-fields.test.ts).
 */
export function bpfTcpSockImage(s: Socket): Uint8Array {
  const bytes = new Uint8Array(BPF_TCP_SOCK_SIZE);
  const v = new DataView(bytes.buffer);
  const o = BpfTcpSock;
  v.setUint32(o.snd_cwnd, 10, true);
  v.setUint32(o.rtt_min, 0xffffffff, true);
  v.setUint32(o.snd_ssthresh, 0x7fffffff, true);
  v.setUint32(o.mss_cache, s.kind === "tcp_listen" ? 536 : s.family === 4 ? 524 : 1208, true);
  return bytes;
}

function setV6(v: DataView, at: number, addr: bigint): void {
  for (let i = 0; i < 4; i++) v.setUint32(at + 4 * i, Number((addr >> BigInt(96 - 32 * i)) & 0xffffffffn), false);
}
