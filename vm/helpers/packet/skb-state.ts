// The skb as the helpers that change its length or headers see it (skb-resize.ts, skb-vlan.ts,
// skb-adjust-room.ts, skb-proto.ts): the __sk_buff fields a program reads (data, data_end, len,
// protocol, vlan_*), and the state of a kernel skb the __sk_buff does not show but later helpers
// depend on — where its MAC, network and transport headers are, and whether it is encapsulated.
//
// That hidden state lives in the ctx's spare bytes right after the __sk_buff (CTX_SIZE is 256,
// the struct 192 bytes): no program reaches them, as the verifier bounds ctx accesses by the
// struct's size. Each field holds an absolute address, 0 meaning "as BPF_PROG_TEST_RUN builds the
// skb" — the frame is placed at its CPU's packetData, which is the MAC header, and eth_type_trans
// leaves the network header 14 bytes further (a VLAN tag stays in front of it); the transport
// header is not set (~0 in the kernel). ContextWriter.place resets the state with each packet
// (resetSkbState), so a ctx written by hand with zeros is a fresh test-run skb too.
//
// The packet may move inside its CPU's slot (vm/memory/layout.ts): when a grow needs more
// headroom or tailroom than the packet has where it is, it is moved — the kernel reallocates
// the head (skb_cow / pskb_expand_head) — and fails with -ENOMEM, as the kernel does for an
// allocation it cannot make, only when the slot is too small for the new length. With the
// default 64 KiB packetMax the kernel's own limit (SKB_MAX_ALLOC) is always reached first.

import { BpfRuntimeError } from "../../errors.js";
import { CTX_SIZE, type CpuRegion, type Layout } from "../../memory/layout.js";
import { ctxField } from "../../programs/context.js";
import { SK_BUFF_TC } from "../../programs/skb.js";
import type { HelperContext } from "../registry.js";
import { memOf, type Mem } from "./memory.js";
import { ENOMEM, ETH_HLEN } from "./uapi.js";

const field = (name: string): number => ctxField(SK_BUFF_TC, name).offset;
const LEN = field("len");
const PKT_TYPE = field("pkt_type");
const PROTOCOL = field("protocol");
const VLAN_PRESENT = field("vlan_present");
const VLAN_TCI = field("vlan_tci");
const VLAN_PROTO = field("vlan_proto");
const HASH = field("hash");
const DATA = field("data");
const DATA_END = field("data_end");

/** The hidden state after the __sk_buff: four u32s and a u64. */
const STATE = SK_BUFF_TC.size;
const MAC = STATE;
const NETWORK = STATE + 4;
/** Where the MAC and network header addresses are, from the ctx (0: not moved, see skbHeader). */
export const SKB_MAC_AT = MAC;
export const SKB_NETWORK_AT = NETWORK;
const TRANSPORT = STATE + 8;
const FLAGS = STATE + 12;
/** The cookie of the test run's socket (skb->sk->sk_cookie), a u64: 0 until a program asks (skb-socket.ts). */
const SOCKET_COOKIE = STATE + 16;
const STATE_END = STATE + 24;
const FLAG_ENCAPSULATION = 1;
/** ip_summed == CHECKSUM_UNNECESSARY (else CHECKSUM_NONE, a test-run skb's), and its csum_level in bits 2..3. */
const FLAG_CSUM_UNNECESSARY = 2;
const CSUM_LEVEL_SHIFT = 2;
if (STATE_END > CTX_SIZE) throw new Error(`the skb state (${STATE}..${STATE_END}) does not fit the ctx area of ${CTX_SIZE} bytes`);

/** A fresh test-run skb's hidden state (ContextWriter.place calls this for every __sk_buff). */
export function resetSkbState(view: DataView, ctx: number): void {
  for (let at = STATE; at < STATE_END; at += 4) view.setUint32(ctx + at, 0, true);
}

/** The skb's socket cookie field in the ctx at `ctx` (skb-socket.ts reads and sets it). */
export const skbSocketCookieAt = (ctx: number): number => ctx + SOCKET_COOKIE;

const bswap16 = (v: number): number => ((v & 0xff) << 8) | ((v >>> 8) & 0xff);

/**
 * One skb, read from its ctx at a helper call. Addresses are absolute; `len` is skb->len, which
 * is data_end - data unless a truncated capture left bytes out (then the missing bytes are the
 * last ones, and only the captured part is in the slot).
 */
export class Skb {
  data: number;
  end: number;
  len: number;
  mac: number;
  network: number;
  /** 0: not set. */
  transport: number;
  encapsulation: boolean;
  /**
   * skb->ip_summed == CHECKSUM_UNNECESSARY with skb->csum_level (0..3), or undefined for
   * CHECKSUM_NONE: only bpf_csum_level and adjust_room's reset change it (a test run's skb
   * starts CHECKSUM_NONE, and no CHECKSUM_COMPLETE / PARTIAL skb reaches a program here).
   */
  csumLevel: number | undefined;

  constructor(
    readonly mem: Mem,
    readonly ctx: number,
    readonly slot: CpuRegion,
  ) {
    const m = mem;
    this.data = m.u32(ctx + DATA);
    this.end = m.u32(ctx + DATA_END);
    this.len = Math.max(m.u32(ctx + LEN), this.end - this.data);
    this.mac = skbHeader(m, ctx, slot, "mac");
    this.network = skbHeader(m, ctx, slot, "network");
    this.transport = m.u32(ctx + TRANSPORT);
    const flags = m.u32(ctx + FLAGS);
    this.encapsulation = (flags & FLAG_ENCAPSULATION) !== 0;
    this.csumLevel = flags & FLAG_CSUM_UNNECESSARY ? flags >>> CSUM_LEVEL_SHIFT : undefined;
  }

  /** skb->protocol in host order (the __sk_buff field holds the __be16 as it is on the wire). */
  get protocol(): number {
    return bswap16(this.mem.u32(this.ctx + PROTOCOL));
  }

  set protocol(proto: number) {
    this.mem.setU32(this.ctx + PROTOCOL, bswap16(proto));
  }

  get pktType(): number {
    return this.mem.u32(this.ctx + PKT_TYPE);
  }

  set pktType(type: number) {
    this.mem.setU32(this.ctx + PKT_TYPE, type);
  }

  /** skb_clear_hash: __sk_buff.hash reads 0 until it is computed again. */
  clearHash(): void {
    this.mem.setU32(this.ctx + HASH, 0);
  }

  /** The accelerated VLAN tag (skb->vlan_proto as a host-order EtherType, skb->vlan_tci), if any. */
  get vlan(): { proto: number; tci: number } | undefined {
    if (!this.mem.u32(this.ctx + VLAN_PRESENT)) return undefined;
    return { proto: bswap16(this.mem.u32(this.ctx + VLAN_PROTO)), tci: this.mem.u32(this.ctx + VLAN_TCI) & 0xffff };
  }

  /** __vlan_hwaccel_put_tag / __vlan_hwaccel_clear_tag. */
  set vlan(tag: { proto: number; tci: number } | undefined) {
    this.mem.setU32(this.ctx + VLAN_PRESENT, tag ? 1 : 0);
    this.mem.setU32(this.ctx + VLAN_PROTO, tag ? bswap16(tag.proto) : 0);
    this.mem.setU32(this.ctx + VLAN_TCI, tag ? tag.tci : 0);
  }

  /** skb_network_offset, skb_mac_header_len (network - mac), skb_transport_offset. */
  get networkOffset(): number {
    return this.network - this.data;
  }

  get macLen(): number {
    return this.network - this.mac;
  }

  /** The captured bytes (data_end - data). */
  get captured(): number {
    return this.end - this.data;
  }

  /**
   * Make room for `head` more bytes before data and `tail` more after data_end (skb_cow,
   * pskb_expand_head): moves the packet inside the slot if it must. False when the slot cannot
   * hold them at all: the caller returns -ENOMEM.
   */
  reserve(head: number, tail: number): boolean {
    const { slot } = this;
    if (this.data - head >= slot.packetSlot && this.end + tail <= slot.packetEnd) return true;
    const size = head + this.captured + tail;
    if (size > slot.packetEnd - slot.packetSlot) return false;
    // Keep up to the default headroom in front of the new head, as much as the tail allows.
    const spare = slot.packetEnd - slot.packetSlot - size;
    const to = slot.packetSlot + head + Math.min(spare, slot.packetData - slot.packetSlot);
    this.move(to - this.data);
    return true;
  }

  /** Move the packet and the header addresses by `delta` bytes; the ctx follows at once. */
  private move(delta: number): void {
    this.mem.bytes.copyWithin(this.data + delta, this.data, this.end);
    this.data += delta;
    this.end += delta;
    this.mac += delta;
    this.network += delta;
    if (this.transport) this.transport += delta;
    this.commit();
  }

  /** Write data, data_end, len and the hidden state back to the ctx. */
  commit(): void {
    const m = this.mem;
    m.setU32(this.ctx + DATA, this.data);
    m.setU32(this.ctx + DATA_END, this.end);
    m.setU32(this.ctx + LEN, this.len);
    m.setU32(this.ctx + MAC, this.mac);
    m.setU32(this.ctx + NETWORK, this.network);
    m.setU32(this.ctx + TRANSPORT, this.transport);
    const csum = this.csumLevel === undefined ? 0 : FLAG_CSUM_UNNECESSARY | (this.csumLevel << CSUM_LEVEL_SHIFT);
    m.setU32(this.ctx + FLAGS, (this.encapsulation ? FLAG_ENCAPSULATION : 0) | csum);
  }

  /** __skb_push(n): n bytes (contents the caller's) in front of data. Room must be reserved. */
  push(n: number): void {
    this.data -= n;
    this.len += n;
  }

  /** __skb_pull(n). */
  pull(n: number): void {
    this.data += n;
    this.len -= n;
  }

  /**
   * Set skb->len to `len` at the tail: a shorter skb loses its last bytes, a longer one gains
   * zeroed bytes (after the captured ones). Room must be reserved.
   */
  setLength(len: number): void {
    const captured = len >= this.len ? this.captured + (len - this.len) : Math.min(this.captured, len);
    const end = this.data + captured;
    if (end > this.end) this.mem.bytes.fill(0, this.end, end);
    this.end = end;
    this.len = len;
  }
}

export type SkbHeader = "mac" | "network";

/** Where the skb's MAC or network header is now (skb_load_bytes_relative). */
export function skbHeader(mem: Mem, ctx: number, slot: CpuRegion, which: SkbHeader): number {
  // A ctx with no room for the state (hand-made, at the memory's end) is a fresh skb.
  const stored = mem.valid(ctx + STATE, STATE_END - STATE) ? mem.u32(ctx + (which === "mac" ? MAC : NETWORK)) : 0;
  return stored || (which === "mac" ? slot.packetData : slot.packetData + ETH_HLEN);
}

/** The skb of a helper call: ctx checked, packet checked to lie in the CPU's slot. */
export function skbOf(helper: string, hctx: HelperContext, layout: Layout, ctxReg: bigint): Skb {
  const mem = memOf(hctx.memory);
  const ctx = mem.span(helper, "ctx", ctxReg, STATE_END);
  const slot = layout.cpu(hctx.cpu);
  const skb = new Skb(mem, ctx, slot);
  // A packet elsewhere (read in place) has no room of ours to grow into or move in.
  if (!(slot.packetSlot <= skb.data && skb.data <= skb.end && skb.end <= slot.packetEnd)) {
    throw new BpfRuntimeError(
      `${helper}: the packet [0x${skb.data.toString(16)}, 0x${skb.end.toString(16)}) is not in CPU ${hctx.cpu}'s packet slot [0x${slot.packetSlot.toString(16)}, 0x${slot.packetEnd.toString(16)})`,
      { addr: skb.data },
    );
  }
  return skb;
}

/**
 * bpf_skb_net_hdr_push: `len` zeroed bytes at `off` from data (the `off` bytes before them move
 * to the front); the MAC and network headers move with the bytes in front. A transport header
 * equal to the network header follows it.
 */
export function netHdrPush(skb: Skb, off: number, len: number): void {
  const transSame = skb.transport === skb.network;
  skb.push(len);
  const bytes = skb.mem.bytes;
  bytes.copyWithin(skb.data, skb.data + len, skb.data + len + off);
  bytes.fill(0, skb.data + off, skb.data + off + len);
  skb.mac -= len;
  skb.network -= len;
  if (transSame) skb.transport = skb.network;
}

/** bpf_skb_net_hdr_pop: remove `len` bytes at `off`; -ENOMEM when the skb is shorter than off + len. */
export function netHdrPop(skb: Skb, off: number, len: number): number {
  if (off + len > skb.captured) return ENOMEM; // pskb_may_pull
  const transSame = skb.transport === skb.network;
  const old = skb.data;
  skb.pull(len);
  skb.mem.bytes.copyWithin(skb.data, old, old + off);
  skb.mac += len;
  skb.network += len;
  if (transSame) skb.transport = skb.network;
  return 0;
}
