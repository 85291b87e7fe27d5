// The network a machine pretends to sit in, for helpers that ask the kernel's routing and
// neighbour tables (bpf_fib_lookup, fib.ts) or its namespace's cookie (bpf_get_netns_cookie). A user describes devices, routes and neighbours as
// plain data (NetworkModel: structured-clonable, so a pool's workers get the same one);
// `new Network(model)` checks it and adds the routes the kernel adds by itself for each address, as
// `ip addr add` does in a network namespace (checked on 6.18 with `ip route show table all`):
//
//   IPv4 a/p on dev d   local table (255): "local a" and, when p < 31, "broadcast <a's subnet
//                       broadcast>"; main table (254): "<a's subnet>/p dev d src a", metric 0
//                       (not for /32). The local and main tables are one table in the kernel
//                       while no policy rule was added (fib_trie's merged local table), and this
//                       model has no policy rules: a lookup in either sees both.
//   IPv6 a/p on dev d   local table: "local a" and, while d forwards, "anycast <a's subnet>"
//                       (the subnet-router anycast address); main: "<a's subnet>/p dev d",
//                       metric 256 (not for /128). A device whose MTU is under 1280 has no IPv6
//                       (the kernel disables it): IPv6 addresses there are refused.
//                       Each IPv6 device but lo also has a link-local address, fe80::/64 with
//                       the EUI-64 of its MAC (a source address candidate only).
//
// Not modelled: link-local (fe80::/64) and multicast (ff00::/8) routes (bpf_fib_lookup refuses
// those destinations before any lookup), policy rules (ip rule), multipath routes, route MTUs,
// lightweight tunnels, VRFs, devices that are down, neighbour states other than valid
// (PERMANENT, as `ip neigh add` makes them).

import { BpfError } from "../errors.js";
import type { Device as MtuDevice } from "../helpers/packet/devices.js";
import { inPrefix, mask, parseIp, parseMac, parsePrefix, type Family, type IpPrefix } from "./addr.js";
import { checkSockets, type NetSocket, type Socket } from "./sockets.js";

/** One network device. */
export interface NetDevice {
  readonly ifindex: number;
  readonly name?: string;
  /**
   * Its MAC address (dev->dev_addr; fib_lookup's smac, and the EUI-64 of its IPv6 link-local
   * address). Default 02:00:00:00:hh:ll from the ifindex (00:00:00:00:00:00 for lo).
   */
  readonly mac?: string;
  /** Default 1500 (65536 for ifindex 1, the loopback device). */
  readonly mtu?: number;
  /** Addresses with prefix length: "10.1.0.1/24", "2001:db8:1::1/64". */
  readonly addresses?: readonly string[];
  /** net.ipv4.conf.<dev>.forwarding. Default false (a fresh namespace's value). */
  readonly forwarding?: boolean;
  /** net.ipv6.conf.<dev>.forwarding. Default: `forwarding`. */
  readonly forwarding6?: boolean;
}

/** Route types a user may add (`ip route add [type] ...`). */
export type RouteType = "unicast" | "blackhole" | "unreachable" | "prohibit";

export interface NetRoute {
  /** "10.10.0.0/16", "0.0.0.0/0" (IPv4 default), "::/0" (IPv6 default). */
  readonly dst: string;
  /** Default "unicast". */
  readonly type?: RouteType;
  /** Gateway ("via"), same family as dst. */
  readonly via?: string;
  /** Output device (ifindex). Default: the device of the connected subnet holding the gateway. */
  readonly dev?: number;
  /** Default 0 for IPv4, 1024 for IPv6 (the kernel's IP6_RT_PRIO_USER, also for 0). */
  readonly metric?: number;
  /** Routing table id; default 254 (main). */
  readonly table?: number;
  /** Preferred source ("src"), an address of some device. */
  readonly src?: string;
}

export interface NetNeighbour {
  readonly ifindex: number;
  readonly ip: string;
  readonly mac: string;
}

export interface NetworkModel {
  readonly devices: readonly NetDevice[];
  readonly routes?: readonly NetRoute[];
  readonly neighbours?: readonly NetNeighbour[];
  /** Sockets the socket lookups find (sockets.ts), created in this order. */
  readonly sockets?: readonly NetSocket[];
  /**
   * The namespace's net_cookie (bpf_get_netns_cookie of an skb: the namespace of the test run's
   * socket). The kernel numbers namespaces as it creates them, so no model can know the number
   * of a real one: a comparison with the kernel reads it there first. Default 1.
   */
  readonly cookie?: number;
  /**
   * init_net's net_cookie: what bpf_get_netns_cookie(NULL) returns. Default `cookie` (the
   * programs run in the initial namespace).
   */
  readonly initCookie?: number;
}

/** A fresh network namespace: the loopback device only, forwarding off (the default). */
export const DEFAULT_NETWORK: NetworkModel = { devices: [{ ifindex: 1, name: "lo", mtu: 65536 }] };

/** Route types as the kernel's RTN_* (local, broadcast and anycast come from addresses). */
export type KernelRouteType = RouteType | "local" | "broadcast" | "anycast";

/** A route as the lookup sees it. */
export interface Route {
  readonly family: Family;
  readonly prefix: IpPrefix;
  readonly type: KernelRouteType;
  readonly gateway?: bigint;
  /** ifindex of the nexthop's device (reject routes: the loopback device, as the kernel's). */
  readonly dev: number;
  readonly metric: number;
  readonly table: number;
  readonly prefsrc?: bigint;
}

export interface Device {
  readonly ifindex: number;
  readonly name: string;
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly v4: readonly IpPrefix[];
  readonly v6: readonly IpPrefix[];
  readonly forwarding: boolean;
  readonly forwarding6: boolean;
  /** in6_dev exists (MTU >= IPV6_MIN_MTU). */
  readonly ipv6: boolean;
  /** Its IPv6 link-local address fe80::/64 + EUI-64 of the MAC (addrgenmode eui64), as an up device has; none for lo. */
  readonly linkLocal?: IpPrefix;
}

export const RT_TABLE_DEFAULT = 253;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;
const IPV6_MIN_MTU = 1280;
const LOOPBACK_IFINDEX = 1;

/** A checked network: devices in the order given (the kernel's dev_base order), route tables, neighbours. */
export class Network {
  readonly devices: readonly Device[];
  private readonly byIndex: ReadonlyMap<number, Device>;
  private readonly tables = new Map<string, Route[]>();
  private readonly neighbours = new Map<string, Uint8Array>();
  /** The model's sockets, checked (sockets.ts). */
  readonly sockets: readonly Socket[];
  /** NetworkModel.cookie and initCookie, checked. */
  readonly cookie: bigint;
  readonly initCookie: bigint;

  constructor(readonly model: NetworkModel = DEFAULT_NETWORK) {
    this.devices = model.devices.map(checkDevice);
    const byIndex = new Map<number, Device>();
    for (const d of this.devices) {
      if (byIndex.has(d.ifindex)) throw new BpfError(`network: two devices with ifindex ${d.ifindex}`);
      byIndex.set(d.ifindex, d);
    }
    this.byIndex = byIndex;
    for (const d of this.devices) this.addressRoutes(d);
    (model.routes ?? []).forEach((r, i) => this.addRoute(this.checkRoute(r, `network route ${i} (${r.dst})`)));
    (model.neighbours ?? []).forEach((n, i) => {
      const what = `network neighbour ${i} (${n.ip})`;
      if (!byIndex.has(n.ifindex)) throw new BpfError(`${what}: no device with ifindex ${n.ifindex}`);
      const ip = parseIp(n.ip, what);
      this.neighbours.set(neighKey(n.ifindex, ip.value, ip.family), parseMac(n.mac, what));
    });
    const local = (family: Family, addr: bigint): boolean => this.devices.some((d) => (family === 4 ? d.v4 : d.v6).some((a) => a.value === addr));
    this.sockets = checkSockets(model.sockets ?? [], local, (ifindex) => byIndex.has(ifindex));
    this.cookie = checkCookie(model.cookie ?? 1, "cookie");
    this.initCookie = checkCookie(model.initCookie ?? model.cookie ?? 1, "initCookie");
  }

  device(ifindex: number): Device | undefined {
    return this.byIndex.get(ifindex);
  }

  /**
   * Routes of one table, or undefined when it does not exist: main and local always do, another
   * table once a route is in it (as `ip route add ... table N` creates it).
   */
  table(family: Family, id: number): readonly Route[] | undefined {
    const routes = this.tables.get(`${family}:${id}`);
    if (routes) return routes;
    return id === RT_TABLE_MAIN || id === RT_TABLE_LOCAL ? [] : undefined;
  }

  /** The MAC of a valid neighbour entry for `addr` on device `ifindex`. */
  neighbour(ifindex: number, family: Family, addr: bigint): Uint8Array | undefined {
    return this.neighbours.get(neighKey(ifindex, addr, family));
  }

  private addRoute(route: Route): void {
    const key = `${route.family}:${route.table}`;
    const routes = this.tables.get(key) ?? [];
    const same = routes.find((r) => r.prefix.plen === route.prefix.plen && r.prefix.value === route.prefix.value && r.metric === route.metric);
    // `ip route add` refuses the same destination and metric twice (EEXIST); IPv6 would make it a
    // multipath route, which this model does not have.
    if (same) throw new BpfError(`network: route ${show(route)} in table ${route.table} exists twice (same prefix and metric)`);
    routes.push(route);
    this.tables.set(key, routes);
  }

  private addressRoutes(d: Device): void {
    for (const [i, a] of d.v4.entries()) {
      const subnet = a.value & mask(4, a.plen);
      this.addRoute({ family: 4, prefix: { ...a, plen: 32 }, type: "local", dev: d.ifindex, metric: 0, table: RT_TABLE_LOCAL, prefsrc: a.value });
      // A secondary address (in the subnet of an earlier one) adds only its local route.
      if (d.v4.slice(0, i).some((b) => b.plen === a.plen && inPrefix(b, a.value))) continue;
      if (a.plen < 31) {
        const broadcast = subnet | (0xffffffffn ^ mask(4, a.plen));
        this.addRoute({ family: 4, prefix: { family: 4, value: broadcast, plen: 32 }, type: "broadcast", dev: d.ifindex, metric: 0, table: RT_TABLE_LOCAL, prefsrc: a.value });
      }
      if (a.plen < 32) this.addRoute({ family: 4, prefix: { family: 4, value: subnet, plen: a.plen }, type: "unicast", dev: d.ifindex, metric: 0, table: RT_TABLE_MAIN, prefsrc: a.value });
    }
    for (const a of d.v6) {
      const subnet = a.value & mask(6, a.plen);
      this.addRoute({ family: 6, prefix: { ...a, plen: 128 }, type: "local", dev: d.ifindex, metric: 0, table: RT_TABLE_LOCAL });
      if (d.forwarding6 && a.plen < 127 && subnet !== a.value) {
        this.addRoute({ family: 6, prefix: { family: 6, value: subnet, plen: 128 }, type: "anycast", dev: d.ifindex, metric: 0, table: RT_TABLE_LOCAL });
      }
      if (a.plen < 128) this.addRoute({ family: 6, prefix: { family: 6, value: subnet, plen: a.plen }, type: "unicast", dev: d.ifindex, metric: 256, table: RT_TABLE_MAIN });
    }
  }

  private checkRoute(r: NetRoute, what: string): Route {
    const prefix = parsePrefix(r.dst, what);
    const family = prefix.family;
    const type = r.type ?? "unicast";
    if (!["unicast", "blackhole", "unreachable", "prohibit"].includes(type)) throw new BpfError(`${what}: type '${type}' is not one of unicast, blackhole, unreachable, prohibit`);
    const table = r.table ?? RT_TABLE_MAIN;
    if (!Number.isInteger(table) || table < 1 || table > 0xffffffff) throw new BpfError(`${what}: table ${table} is not in 1..2^32-1`);
    const metric = r.metric ?? 0;
    if (!Number.isInteger(metric) || metric < 0 || metric > 0xffffffff) throw new BpfError(`${what}: metric ${metric} is not a u32`);
    const base = { family, prefix: { ...prefix, value: prefix.value & mask(family, prefix.plen) }, table, metric: family === 6 && metric === 0 ? 1024 : metric };
    if (type !== "unicast") {
      if (r.via !== undefined || r.dev !== undefined) throw new BpfError(`${what}: a ${type} route has no gateway or device`);
      return { ...base, type, dev: LOOPBACK_IFINDEX };
    }
    const gateway = r.via === undefined ? undefined : parseIp(r.via, `${what} via`);
    if (gateway && gateway.family !== family) throw new BpfError(`${what}: gateway ${r.via} is not of the route's family (IPv4 routes via IPv6 gateways are not modelled)`);
    const dev = r.dev ?? (gateway ? this.connectedDevice(family, gateway.value) : undefined);
    if (dev === undefined) throw new BpfError(`${what}: needs a device (dev) or a gateway (via) inside a device's subnet`);
    const device = this.byIndex.get(dev);
    if (!device) throw new BpfError(`${what}: no device with ifindex ${dev}`);
    if (family === 6 && !device.ipv6) throw new BpfError(`${what}: device ${device.name} has no IPv6 (MTU under 1280)`);
    let prefsrc: bigint | undefined;
    if (r.src !== undefined) {
      const src = parseIp(r.src, `${what} src`);
      const local = this.devices.some((d) => (family === 4 ? d.v4 : d.v6).some((a) => a.value === src.value));
      if (src.family !== family || !local) throw new BpfError(`${what}: src ${r.src} is not an address of a device (the kernel refuses it: EINVAL)`);
      prefsrc = src.value;
    }
    return { ...base, type, dev, ...(gateway ? { gateway: gateway.value } : {}), ...(prefsrc !== undefined ? { prefsrc } : {}) };
  }

  /** The device of the longest connected subnet holding `addr` (how the kernel resolves a gateway's device). */
  private connectedDevice(family: Family, addr: bigint): number | undefined {
    let best: { dev: number; plen: number } | undefined;
    for (const d of this.devices) {
      for (const a of family === 4 ? d.v4 : d.v6) {
        if (inPrefix(a, addr) && (!best || a.plen > best.plen)) best = { dev: d.ifindex, plen: a.plen };
      }
    }
    return best?.dev;
  }
}

const neighKey = (ifindex: number, addr: bigint, family: Family): string => `${ifindex}/${family}/${addr}`;

const show = (r: Route): string => `${r.type} ${r.prefix.value.toString(16)}/${r.prefix.plen}`;

/** A namespace cookie: the kernel's cookie generators start at 1, so never 0. */
function checkCookie(cookie: number, what: string): bigint {
  if (!Number.isSafeInteger(cookie) || cookie < 1) throw new BpfError(`network.${what}: ${cookie} is not a namespace cookie (a positive integer)`);
  return BigInt(cookie);
}

function checkDevice(d: NetDevice): Device {
  const what = `network device ${d.name ?? d.ifindex}`;
  if (!Number.isInteger(d.ifindex) || d.ifindex < 1 || d.ifindex > 0x7fffffff) throw new BpfError(`${what}: ifindex ${d.ifindex} is not in 1..2^31-1`);
  const mtu = d.mtu ?? (d.ifindex === LOOPBACK_IFINDEX ? 65536 : 1500);
  if (!Number.isInteger(mtu) || mtu < 0 || mtu > 0x7fffffff) throw new BpfError(`${what}: mtu ${mtu} is not in 0..2^31-1`);
  const addrs = (d.addresses ?? []).map((a) => parsePrefix(a, `${what} address`));
  const ipv6 = mtu >= IPV6_MIN_MTU;
  const v6 = addrs.filter((a) => a.family === 6);
  if (v6.length > 0 && !ipv6) throw new BpfError(`${what}: IPv6 address on a device with MTU ${mtu} < 1280 (the kernel has no IPv6 there)`);
  const forwarding = d.forwarding ?? false;
  const mac = d.mac === undefined ? defaultMac(d.ifindex) : parseMac(d.mac, what);
  return {
    ifindex: d.ifindex,
    name: d.name ?? `if${d.ifindex}`,
    mac,
    mtu,
    v4: addrs.filter((a) => a.family === 4),
    v6,
    forwarding,
    forwarding6: d.forwarding6 ?? forwarding,
    ipv6,
    ...(ipv6 && d.ifindex !== LOOPBACK_IFINDEX ? { linkLocal: eui64LinkLocal(mac) } : {}),
  };
}

/** 02:00:00:00:hh:ll (a locally administered address) from the ifindex; lo's is all zeros. */
function defaultMac(ifindex: number): Uint8Array {
  return ifindex === LOOPBACK_IFINDEX ? new Uint8Array(6) : Uint8Array.of(2, 0, 0, 0, (ifindex >> 8) & 0xff, ifindex & 0xff);
}

/** fe80::/64 with the modified EUI-64 interface id of a MAC (RFC 4291 appendix A). */
function eui64LinkLocal(mac: Uint8Array): IpPrefix {
  const id = [mac[0]! ^ 2, mac[1]!, mac[2]!, 0xff, 0xfe, mac[3]!, mac[4]!, mac[5]!];
  const iid = id.reduce((v, b) => (v << 8n) | BigInt(b), 0n);
  return { family: 6, value: (0xfe80n << 112n) | iid, plen: 64 };
}

/** A device's MAC as text (aa:bb:cc:dd:ee:ff). */
export const macText = (mac: Uint8Array): string => [...mac].map((b) => b.toString(16).padStart(2, "0")).join(":");

/** The network's devices as check_mtu's device table holds them (vm/helpers/packet/devices.ts). */
export function networkDevices(net: Network): MtuDevice[] {
  return net.devices.map((d) => ({ ifindex: d.ifindex, mtu: d.mtu, hardHeaderLen: 14, name: d.name }));
}
