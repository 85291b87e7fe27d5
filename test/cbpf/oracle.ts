// A direct classic BPF interpreter, ONLY as a test oracle for the translation (vm/cbpf). It
// follows the kernel's semantics for a socket filter on a linear skb:
//   - a packet load outside [0, len) ends the program with 0 (as do negative offsets: the
//     engines' LD_ABS does not implement the SKF_LL_OFF/SKF_NET_OFF bases);
//   - division or modulo by X = 0 ends the program with 0;
//   - shifts by X use the low 5 bits (the kernel runs them as eBPF 32-bit shifts);
//   - ancillary loads read `skb` fields.
// It is written from the classic instruction set's definition, not from the translator.
//
// With semantics "libpcap" it follows libpcap's user-space bpf_filter() instead — what
// `tcpdump -r` applies to a capture — which differs from Linux in two rules (both confirmed on
// this machine's kernel through SO_ATTACH_FILTER on an own UDP socket, and on tcpdump 4.99 /
// libpcap 1.10):
//   - a shift by X >= 32 gives A = 0 (Linux shifts by X & 31, as eBPF's 32-bit shifts do);
//   - an indirect load whose X + k overflows 32 bits ends the program with 0 (Linux adds them
//     modulo 2^32, so X = 0xffffffff, k = 14 reads packet byte 13).

import type { SockFilter } from "../../vm/cbpf/index.js";

export interface OracleSkb {
  /** skb->len: the classic `len`. */
  len: number;
  protocol?: number;
  pktType?: number;
  ifindex?: number;
  mark?: number;
  queue?: number;
  hash?: number;
  vlanTci?: number;
  vlanPresent?: number;
  vlanProto?: number;
  cpu?: number;
}

const u32 = (v: number): number => v >>> 0;

function load(pkt: Uint8Array, off: number, size: number): number | undefined {
  if (off < 0 || off + size > pkt.length) return undefined;
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + pkt[off + i]!;
  return v;
}

function ancillary(n: number, skb: OracleSkb, a: number, x: number): number | undefined {
  switch (n) {
    case 0: return skb.protocol ?? 0;
    case 4: return skb.pktType ?? 0;
    case 8: return skb.ifindex ?? 0;
    case 20: return skb.mark ?? 0;
    case 24: return skb.queue ?? 0;
    case 32: return skb.hash ?? 0;
    case 36: return skb.cpu ?? 0;
    case 40: return u32(a ^ x);
    case 44: return skb.vlanTci ?? 0;
    case 48: return skb.vlanPresent ?? 0;
    case 60: return skb.vlanProto ?? 0;
    default: return undefined;
  }
}

export type Semantics = "linux" | "libpcap";

/** Run a (checked) classic program; returns the value of its `ret`. */
export function runClassic(prog: readonly SockFilter[], pkt: Uint8Array, skb: OracleSkb = { len: pkt.length }, semantics: Semantics = "linux"): number {
  const libpcap = semantics === "libpcap";
  let a = 0;
  let x = 0;
  const mem = new Array<number>(16).fill(0);
  for (let pc = 0; pc < prog.length; pc++) {
    const { code, jt, jf } = prog[pc]!;
    const k = u32(prog[pc]!.k);
    const cls = code & 7;
    const size = [4, 2, 1][(code >> 3) & 3] ?? 0;
    const mode = code & 0xe0;
    switch (cls) {
      case 0: // LD
      case 1: { // LDX
        let v: number | undefined;
        if (mode === 0x00) v = k;
        else if (mode === 0x60) v = mem[k]!;
        else if (mode === 0x80) v = skb.len;
        else if (mode === 0x20) v = (k | 0) >= -0x1000 && (k | 0) < 0 ? ancillary((k | 0) + 0x1000, skb, a, x) : load(pkt, k | 0, size);
        else if (mode === 0x40) v = libpcap && x + k > 0xffffffff ? undefined : load(pkt, (x + k) | 0, size);
        else if (mode === 0xa0) {
          const b = load(pkt, k | 0, 1);
          v = b === undefined ? undefined : (b & 0xf) << 2;
        }
        if (v === undefined) return 0;
        if (cls === 0) a = u32(v);
        else x = u32(v);
        break;
      }
      case 2: mem[k] = a; break;
      case 3: mem[k] = x; break;
      case 4: { // ALU
        const op = code & 0xf0;
        const s = code & 0x08 ? x : k;
        if ((op === 0x30 || op === 0x90) && s === 0) return 0;
        switch (op) {
          case 0x00: a = u32(a + s); break;
          case 0x10: a = u32(a - s); break;
          case 0x20: a = u32(Math.imul(a, s)); break;
          case 0x30: a = u32(Math.floor(a / s)); break;
          case 0x40: a = u32(a | s); break;
          case 0x50: a = u32(a & s); break;
          case 0x60: a = libpcap && s >= 32 ? 0 : u32(a << (s & 31)); break;
          case 0x70: a = libpcap && s >= 32 ? 0 : a >>> (s & 31); break;
          case 0x80: a = u32(-a); break;
          case 0x90: a = a % s; break;
          case 0xa0: a = u32(a ^ s); break;
          default: throw new Error(`oracle: ALU op 0x${op.toString(16)}`);
        }
        break;
      }
      case 5: { // JMP
        const op = code & 0xf0;
        if (op === 0x00) {
          pc += k;
          break;
        }
        const s = code & 0x08 ? x : k;
        const taken = op === 0x10 ? a === s : op === 0x20 ? a > s : op === 0x30 ? a >= s : (a & s) !== 0;
        pc += taken ? jt : jf;
        break;
      }
      case 6: return code & 0x10 ? a : k; // RET A / RET K
      case 7: if (code & 0x80) a = x; else x = a; break; // TXA / TAX
    }
  }
  throw new Error("oracle: fell off the end (the program was not checked)");
}
