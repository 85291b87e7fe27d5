// Placing a packet for a run: its bytes in the CPU's packet slot and the context struct the
// program gets in r1, with the values the kernel would give it (vm/runtime/README.md §3). The ctx
// holds real addresses (docs/memory-model.md), so it is the whole state: helpers that move the
// packet rewrite its data/data_end fields and the runner reads the packet back from them.

import { BpfError } from "../errors.js";
import { setXdpFrame, xdpFrags, xdpHardEnd } from "../helpers/packet/xdp-frags.js";
import { resetSkbState } from "../helpers/packet/skb-state.js";
import type { CpuRegion, Layout } from "../memory/layout.js";
import { ctxField, type CtxLayout } from "../programs/context.js";
import type { ProgramType } from "../programs/types.js";
import { REC_TUNNEL } from "./record.js";
import { writeTestRunSocket } from "./test-run-socket.js";

export interface ContextOptions {
  /** xdp_md.ingress_ifindex, __sk_buff.ifindex: the receiving interface. Default 1 (lo, as BPF_PROG_TEST_RUN). */
  readonly ifindex?: number;
  /** __sk_buff.ingress_ifindex (skb->skb_iif). Default 0, as BPF_PROG_TEST_RUN leaves it. */
  readonly ingressIfindex?: number;
  /** xdp_md.rx_queue_index. Default 0. */
  readonly rxQueue?: number;
  /** The receiving interface's MAC: decides __sk_buff.pkt_type. Default 00:00:00:00:00:00 (lo). */
  readonly mac?: Uint8Array;
  /**
   * Its broadcast address. Default 00:00:00:00:00:00: lo has none, so BPF_PROG_TEST_RUN calls
   * ff:ff:ff:ff:ff:ff multicast. Give ff:ff:ff:ff:ff:ff for an Ethernet NIC.
   */
  readonly broadcast?: Uint8Array;
  /** Strip the outer VLAN tag into vlan_present/vlan_tci/vlan_proto, as rx VLAN offload does. */
  readonly vlanOffload?: boolean;
  /** __sk_buff fields to set (u32 by name: mark, priority, cb0..cb4, tc_index, hash, ...). */
  readonly skb?: Readonly<Record<string, number>>;
  /**
   * Give an skb the test run's socket (`__sk_buff.sk`, test-run-socket.ts), written for each
   * packet. Default true; false leaves `sk` NULL (for contexts of programs that never load it).
   */
  readonly testRunSocket?: boolean;
}

// ---- Ethernet, as eth_type_trans() reads it (net/ethernet/eth.c) ---------------------------

export const ETH_HLEN = 14;
const ETH_P_802_3_MIN = 0x0600;
const ETH_P_802_3 = 0x0001;
const ETH_P_802_2 = 0x0004;
const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;
const VLAN_HLEN = 4;

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const AF_INET = 2;
const AF_INET6 = 10;
const IPV4_HLEN = 20;
const IPV6_HLEN = 40;

export const PacketType = { HOST: 0, BROADCAST: 1, MULTICAST: 2, OTHERHOST: 3 } as const;

const u16be = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const bswap16 = (v: number): number => ((v & 0xff) << 8) | (v >>> 8);

/**
 * skb->protocol in host order for a frame: the EtherType when it is one (>= 0x600), else
 * ETH_P_802_3 for raw 802.3 (payload starting 0xffff, Novell's IPX hack) or ETH_P_802_2 (LLC).
 * `at` is where the type field is (12, or 16 behind a stripped tag). 0 for frames too short.
 */
export function etherProtocol(frame: Uint8Array, at = 12): number {
  if (frame.length < at + 2) return 0;
  const type = u16be(frame, at);
  if (type >= ETH_P_802_3_MIN) return type;
  return frame.length >= at + 4 && u16be(frame, at + 2) === 0xffff ? ETH_P_802_3 : ETH_P_802_2;
}

/** The frame's destination MAC is `mac`; a frame shorter than 6 bytes reads as zero-padded. */
const sameMac = (frame: Uint8Array, mac: Uint8Array): boolean => {
  for (let i = 0; i < 6; i++) if ((frame[i] ?? 0) !== mac[i]) return false;
  return true;
};

/**
 * skb->pkt_type as eth_type_trans decides it against the interface's MAC and broadcast addresses.
 * A frame too short for a whole address is compared zero-padded, as the kernel engine's socket
 * filter runs see it (vm/node/kernel/socket-frame.ts).
 */
export function packetType(frame: Uint8Array, mac: Uint8Array, broadcast: Uint8Array): number {
  if (sameMac(frame, mac)) return PacketType.HOST;
  if ((frame[0] ?? 0) & 1) return sameMac(frame, broadcast) ? PacketType.BROADCAST : PacketType.MULTICAST;
  return PacketType.OTHERHOST;
}

/** The outer 802.1Q / 802.1ad tag of a frame: { proto, tci }, or undefined. */
export function vlanTag(frame: Uint8Array): { proto: number; tci: number } | undefined {
  if (frame.length < ETH_HLEN + VLAN_HLEN) return undefined;
  const proto = u16be(frame, 12);
  return proto === ETH_P_8021Q || proto === ETH_P_8021AD ? { proto, tci: u16be(frame, 14) } : undefined;
}

// ---- The writer ------------------------------------------------------------------------------

/** Fields the runner computes per packet; options may not set the packet pointers. */
const POINTER_FIELDS = new Set(["data", "data_end", "data_meta", "sk", "flow_keys"]);

/** Where the packet is after `place`: [data, dataEnd), and its wire length. */
export interface Placed {
  readonly data: number;
  readonly dataEnd: number;
  readonly len: number;
}

export class ContextWriter {
  readonly ctxLayout: CtxLayout | undefined;
  private readonly u8: Uint8Array;
  private readonly view: DataView;
  private readonly template: Uint8Array;
  private readonly mac: Uint8Array;
  private readonly broadcast: Uint8Array;
  private readonly vlanOffload: boolean;
  /** Offsets of the per-packet fields (-1 when the type's ctx has none). */
  private readonly off: Record<"data" | "data_end" | "data_meta" | "len" | "protocol" | "pkt_type" | "vlan_present" | "vlan_tci" | "vlan_proto" | "wire_len", number>;
  /** The packet starts at the network header (ProgramType.networkHeader: cgroup_skb, lwt_*). */
  private readonly l3: boolean;
  /** Write the test run's socket and `__sk_buff.sk` (ContextOptions.testRunSocket). */
  private readonly testRunSocket: boolean;
  /** cgroup_skb: offsets of the socket fields its test run fills in. */
  private readonly sk?: { family: number; local4: number; remote4: number; local6: number; remote6: number };
  /** Options that set per-packet fields: written after them. */
  private readonly late: Array<[offset: number, value: number]> = [];

  constructor(
    readonly type: ProgramType,
    readonly cpu: CpuRegion,
    memory: WebAssembly.Memory,
    private readonly layout: Layout,
    options: ContextOptions = {},
  ) {
    // Every run (runner, pool, either engine) places its packets here first.
    if (type.verifyOnly) throw new BpfError(type.verifyOnly);
    this.ctxLayout = type.ctx;
    this.u8 = new Uint8Array(memory.buffer);
    this.view = new DataView(memory.buffer);
    this.mac = options.mac ?? new Uint8Array(6);
    this.broadcast = options.broadcast ?? new Uint8Array(6);
    if (this.mac.length !== 6) throw new BpfError(`mac must be 6 bytes, got ${this.mac.length}`);
    if (this.broadcast.length !== 6) throw new BpfError(`broadcast must be 6 bytes, got ${this.broadcast.length}`);
    this.vlanOffload = options.vlanOffload ?? false;
    const at = (name: string): number => this.ctxLayout?.fields.find((f) => f.name === name)?.offset ?? -1;
    this.off = {
      data: at("data"), data_end: at("data_end"), data_meta: at("data_meta"), len: at("len"), protocol: at("protocol"),
      pkt_type: at("pkt_type"), vlan_present: at("vlan_present"), vlan_tci: at("vlan_tci"), vlan_proto: at("vlan_proto"),
      wire_len: at("wire_len"),
    };
    this.template = this.buildTemplate(options);
    this.l3 = type.networkHeader === true;
    this.testRunSocket = (options.testRunSocket ?? true) && this.ctxLayout?.fields.some((f) => f.name === "sk") === true;
    if (type.name === "cgroup_skb") {
      this.sk = { family: at("family"), local4: at("local_ip4"), remote4: at("remote_ip4"), local6: at("local_ip6_0"), remote6: at("remote_ip6_0") };
    }
  }

  private buildTemplate(options: ContextOptions): Uint8Array {
    const layout = this.ctxLayout;
    const template = new Uint8Array(layout?.size ?? 0);
    if (!layout) {
      if (options.skb) throw new BpfError(`option skb: the ${this.type.name} program type has no context`);
      return template;
    }
    const view = new DataView(template.buffer);
    const set = (name: string, value: number): void => {
      const field = layout.fields.find((f) => f.name === name);
      if (field) writeField(view, field.offset, field.size, value);
    };
    const ifindex = options.ifindex ?? 1;
    if (layout.name === "xdp_md") {
      if (options.skb) throw new BpfError("option skb: xdp programs get an xdp_md, not an __sk_buff");
      set("ingress_ifindex", ifindex);
      set("rx_queue_index", options.rxQueue ?? 0);
      return template;
    }
    set("ifindex", ifindex);
    set("ingress_ifindex", options.ingressIfindex ?? 0);
    const perPacket = new Set(Object.keys(this.off));
    for (const [name, value] of Object.entries(options.skb ?? {})) {
      if (POINTER_FIELDS.has(name)) throw new BpfError(`option skb: ${layout.name}.${name} is set by the runner, not an option`);
      const field = layout.fields.find((f) => f.name === name);
      if (!field) throw new BpfError(`option skb: ${layout.name} has no field '${name}' (fields: ${layout.fields.map((f) => f.name).join(", ")})`);
      if (!Number.isSafeInteger(value) || value < 0 || (field.size < 8 && value >= 2 ** (8 * field.size))) {
        throw new BpfError(`option skb: ${name} = ${value} is not a u${field.size * 8}`);
      }
      if (perPacket.has(name)) this.late.push([field.offset, value]);
      else writeField(view, field.offset, field.size, value);
    }
    return template;
  }

  /**
   * Copy a frame (its captured bytes; `origLen` on the wire) to the CPU's packet data and write
   * the ctx. Returns where the packet is.
   */
  place(frame: Uint8Array, origLen = frame.length): Placed {
    const cpu = this.cpu;
    const data = cpu.packetData;
    const tag = this.vlanOffload && this.ctxLayout?.name === "__sk_buff" ? vlanTag(frame) : undefined;
    const caplen = tag ? frame.length - VLAN_HLEN : frame.length;
    if (caplen > this.layout.packetMax) {
      throw new BpfError(`packet of ${caplen} bytes is larger than the packet slot (packetMax ${this.layout.packetMax})`);
    }
    if (tag) {
      this.u8.set(frame.subarray(0, 12), data);
      this.u8.set(frame.subarray(12 + VLAN_HLEN), data + 12);
    } else {
      this.u8.set(frame, data);
    }
    let dataEnd = data + caplen;
    const len = Math.max(origLen, frame.length) - (tag ? VLAN_HLEN : 0);
    if (!this.ctxLayout) return { data, dataEnd, len };
    if (this.ctxLayout.name === "xdp_md") {
      // One page per frame: past 3520 bytes the rest are fragments (xdp-frags.ts), as
      // bpf_prog_test_run_xdp builds them. The run record says how many.
      dataEnd = setXdpFrame(this.view, cpu, data, caplen, xdpHardEnd(cpu));
    }
    const ctx = cpu.ctx;
    const view = this.view;
    const o = this.off;
    this.u8.set(this.template, ctx);
    view.setUint32(ctx + o.data, data, true);
    view.setUint32(ctx + o.data_end, dataEnd, true);
    view.setUint32(ctx + o.data_meta, data, true);
    if (this.ctxLayout.name === "__sk_buff") {
      // A new skb has no dst, so no tunnel info (skb_tunnel_info): cleared here as well as with
      // the whole record, because the pool's packet loop places packets without clearing it.
      view.setUint32(cpu.scratch + REC_TUNNEL, 0, true);
      view.setUint32(ctx + o.len, len, true);
      view.setUint32(ctx + o.wire_len, len, true);
      // skb->protocol is a __be16: the u32 field holds the two bytes as they are on the wire.
      const protocol = etherProtocol(frame, tag ? 12 + VLAN_HLEN : 12);
      view.setUint32(ctx + o.protocol, bswap16(protocol), true);
      view.setUint32(ctx + o.pkt_type, packetType(frame, this.mac, this.broadcast), true);
      if (tag) {
        view.setUint32(ctx + o.vlan_present, 1, true);
        view.setUint32(ctx + o.vlan_tci, tag.tci, true);
        view.setUint32(ctx + o.vlan_proto, bswap16(tag.proto), true);
      }
      for (const [offset, value] of this.late) view.setUint32(ctx + offset, value, true);
      // Header offsets and flags the skb helpers keep after the struct (skb-state.ts): a fresh skb.
      resetSkbState(view, ctx);
      if (this.testRunSocket) writeTestRunSocket(this.u8, view, cpu, protocol, data + ETH_HLEN, dataEnd - data - ETH_HLEN);
      if (this.l3) return this.toNetworkHeader({ data, dataEnd, len }, protocol);
    }
    return { data, dataEnd, len };
  }

  /**
   * A cgroup_skb or lwt program sees the packet from its network header (__cgroup_bpf_run_filter_skb
   * pushes skb->data back to it, an lwt hook runs at L3; bpf_prog_test_run_skb pulls the Ethernet
   * header and does not push it back for these types): data is 14 bytes into the frame, the MAC
   * header in front of it (skb_load_bytes_relative BPF_HDR_START_MAC; the skb state's default
   * MAC and network headers), len counts from data. cgroup_skb's socket fields read
   * the test run's socket: family AF_INET / AF_INET6 by skb->protocol, its local address the
   * IP source and its remote address the IP destination when the header is there, ports 0.
   * Frames are Ethernet frames, as for every other type here.
   */
  private toNetworkHeader(frame: Placed, protocol: number): Placed {
    // A frame shorter than its Ethernet header (BPF_PROG_TEST_RUN refuses it: EINVAL) leaves an
    // empty packet at its end rather than stopping a whole run.
    const l2 = Math.min(ETH_HLEN, frame.dataEnd - frame.data);
    const placed: Placed = { data: frame.data + l2, dataEnd: frame.dataEnd, len: Math.max(0, frame.len - ETH_HLEN) };
    const ctx = this.cpu.ctx;
    const view = this.view;
    const o = this.off;
    view.setUint32(ctx + o.data, placed.data, true);
    view.setUint32(ctx + o.data_meta, placed.data, true);
    view.setUint32(ctx + o.len, placed.len, true);
    view.setUint32(ctx + o.wire_len, placed.len, true);
    for (const [offset, value] of this.late) view.setUint32(ctx + offset, value, true);
    if (this.sk) this.writeSocket(ctx, protocol, placed.dataEnd - placed.data);
    return placed;
  }

  /** bpf_prog_test_run_skb's socket for an skb of `protocol` with `headLen` bytes from its network header. */
  private writeSocket(ctx: number, protocol: number, headLen: number): void {
    const sk = this.sk!;
    const data = this.cpu.packetData + ETH_HLEN;
    const ip4 = protocol === ETH_P_IP, ip6 = protocol === ETH_P_IPV6;
    this.view.setUint32(ctx + sk.family, ip4 ? AF_INET : ip6 ? AF_INET6 : 0, true);
    // The addresses are __be32s: the program's u32 loads see them as the header holds them.
    this.u8.fill(0, ctx + sk.local4, ctx + sk.local4 + 4);
    this.u8.fill(0, ctx + sk.remote4, ctx + sk.remote4 + 4);
    this.u8.fill(0, ctx + sk.local6, ctx + sk.local6 + 16);
    this.u8.fill(0, ctx + sk.remote6, ctx + sk.remote6 + 16);
    if (ip4 && headLen >= IPV4_HLEN) {
      this.u8.copyWithin(ctx + sk.local4, data + 12, data + 16);
      this.u8.copyWithin(ctx + sk.remote4, data + 16, data + 20);
    } else if (ip6 && headLen >= IPV6_HLEN) {
      this.u8.copyWithin(ctx + sk.local6, data + 8, data + 24);
      this.u8.copyWithin(ctx + sk.remote6, data + 24, data + 40);
    }
  }

  /**
   * The packet as the ctx says it is now: [data, data_end), checked to lie in the packet slot,
   * and for XDP the fragment bytes after data_end (`frags`, 0 for a linear frame).
   */
  packetBounds(): { data: number; dataEnd: number; frags: number } {
    const cpu = this.cpu;
    if (!this.ctxLayout) throw new BpfError(`the ${this.type.name} program type has no context`);
    const data = this.view.getUint32(cpu.ctx + this.off.data, true);
    const dataEnd = this.view.getUint32(cpu.ctx + this.off.data_end, true);
    if (data < cpu.packetSlot || dataEnd > cpu.packetEnd || data > dataEnd) {
      throw new BpfError(
        `after the run ${this.ctxLayout.name}.data/data_end = [0x${data.toString(16)}, 0x${dataEnd.toString(16)}) is not a range inside the packet slot [0x${cpu.packetSlot.toString(16)}, 0x${cpu.packetEnd.toString(16)})`,
      );
    }
    const frags = this.ctxLayout.name === "xdp_md" ? xdpFrags(this.view, cpu, dataEnd) : 0;
    if (dataEnd + frags > cpu.packetEnd) throw new BpfError(`after the run the XDP frame's ${frags} fragment bytes after data_end run past the packet slot`);
    return { data, dataEnd, frags };
  }
}

function writeField(view: DataView, offset: number, size: number, value: number): void {
  if (size === 8) view.setBigUint64(offset, BigInt(value), true);
  else if (size === 1) view.setUint8(offset, value);
  else view.setUint32(offset, value >>> 0, true);
}

/** Fields of a ctx layout by name, for tests and tools. */
export function ctxOffset(layout: CtxLayout, name: string): number {
  return ctxField(layout, name).offset;
}
