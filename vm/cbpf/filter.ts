// struct sock_filter programs: the in-memory form, the binary form (setsockopt SO_ATTACH_FILTER
// takes an array of 8-byte structs in host byte order) and a tcpdump -d style listing used to
// name instructions in error messages.

import { BpfError } from "../errors.js";
import { SKF_AD_OFF, SKF_LL_OFF, SKF_NET_OFF } from "./opcodes.js";
import { describeCbpf } from "./table.js";

export interface SockFilter {
  /** u16 */
  code: number;
  /** u8: forward jump if true */
  jt: number;
  /** u8: forward jump if false */
  jf: number;
  /** u32 (kept unsigned) */
  k: number;
}

export const SOCK_FILTER_SIZE = 8;

/** Make an instruction, checking the field widths. */
export function sockFilter(code: number, jt = 0, jf = 0, k = 0): SockFilter {
  const ok = (v: number, max: number): boolean => Number.isInteger(v) && v >= 0 && v <= max;
  if (!ok(code, 0xffff) || !ok(jt, 0xff) || !ok(jf, 0xff) || !(Number.isInteger(k) && k >= -0x80000000 && k <= 0xffffffff)) {
    throw new BpfError(`invalid sock_filter { code ${code}, jt ${jt}, jf ${jf}, k ${k} }: code is u16, jt/jf u8, k u32`);
  }
  return { code, jt, jf, k: k >>> 0 };
}

/** Decode an array of struct sock_filter (little-endian, as on every host we run on). */
export function decodeSockFilters(bytes: Uint8Array, littleEndian = true): SockFilter[] {
  if (bytes.length % SOCK_FILTER_SIZE !== 0) {
    throw new BpfError(`classic BPF: ${bytes.length} bytes is not a whole number of 8-byte sock_filter structs`, {
      offset: bytes.length - (bytes.length % SOCK_FILTER_SIZE),
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / SOCK_FILTER_SIZE }, (_, i) => ({
    code: view.getUint16(i * 8, littleEndian),
    jt: bytes[i * 8 + 2]!,
    jf: bytes[i * 8 + 3]!,
    k: view.getUint32(i * 8 + 4, littleEndian),
  }));
}

export function encodeSockFilters(filter: readonly SockFilter[], littleEndian = true): Uint8Array {
  const bytes = new Uint8Array(filter.length * SOCK_FILTER_SIZE);
  const view = new DataView(bytes.buffer);
  filter.forEach((f, i) => {
    view.setUint16(i * 8, f.code, littleEndian);
    bytes[i * 8 + 2] = f.jt;
    bytes[i * 8 + 3] = f.jf;
    view.setUint32(i * 8 + 4, f.k >>> 0, littleEndian);
  });
  return bytes;
}

const hex = (k: number): string => `0x${(k >>> 0).toString(16)}`;

/** A packet offset as tcpdump's bpf_image writes it, with the special negative bases named. */
function offset(k: number): string {
  const s = k | 0;
  if (s >= SKF_AD_OFF && s < SKF_AD_OFF + 0x1000) return `#ext(${s - SKF_AD_OFF})`;
  if (s >= SKF_NET_OFF && s < SKF_NET_OFF + 0x100000) return `net+${s - SKF_NET_OFF}`;
  if (s >= SKF_LL_OFF && s < SKF_LL_OFF + 0x100000) return `ll+${s - SKF_LL_OFF}`;
  return String(k >>> 0);
}

/** Operation and operand of one instruction, as libpcap's bpf_image() names them. */
function image(f: SockFilter, pc: number): [op: string, operand: string, jumps?: string] {
  const def = describeCbpf(f.code);
  if (!def) return [`unimp`, `0x${f.code.toString(16)}`];
  const k = f.k >>> 0;
  switch (def.kind) {
    case "ld_abs": return [def.mnemonic, `[${offset(f.k)}]`];
    case "ld_ind": return [def.mnemonic, `[x + ${k}]`];
    case "ld_len":
    case "ldx_len": return [def.mnemonic, "#pktlen"];
    case "ld_imm":
    case "ldx_imm": return [def.mnemonic, `#${hex(k)}`];
    case "ld_mem":
    case "ldx_mem":
    case "st":
    case "stx": return [def.mnemonic, `M[${k}]`];
    case "ldx_msh": return [def.mnemonic, `4*([${k}]&0xf)`];
    // libpcap writes the bitwise operands in hex and the arithmetic ones in decimal.
    case "alu": return [def.mnemonic, def.x ? "x" : def.alu === "and" || def.alu === "or" || def.alu === "xor" ? `#${hex(k)}` : `#${k}`];
    case "neg":
    case "tax":
    case "txa": return [def.mnemonic, ""];
    case "ret_k": return [def.mnemonic, `#${k}`];
    case "ret_a": return [def.mnemonic, "a"];
    // libpcap prints the target as a C int of u_int arithmetic (bpf_image: "%d", n + 1 + k), so a
    // k that wraps around (libpcap's protochain loops) shows the backward target it reaches.
    case "ja": return [def.mnemonic, String((pc + 1 + k) | 0)];
    case "jcond": return [def.mnemonic, def.x ? "x" : `#${hex(k)}`, `jt ${pc + 1 + f.jt}\tjf ${pc + 1 + f.jf}`];
  }
}

/** One instruction as `tcpdump -d` lists it (without the "(NNN) " prefix). */
export function formatSockFilter(f: SockFilter, pc: number): string {
  const [op, operand, jumps] = image(f, pc);
  return jumps ? `${op.padEnd(8)} ${operand.padEnd(16)} ${jumps}` : `${op.padEnd(8)} ${operand}`.trimEnd();
}

/** The whole program, one `(NNN) insn` line each, as tcpdump -d prints it. */
export function listSockFilters(filter: readonly SockFilter[]): string {
  return filter.map((f, pc) => `(${String(pc).padStart(3, "0")}) ${formatSockFilter(f, pc)}`).join("\n");
}
