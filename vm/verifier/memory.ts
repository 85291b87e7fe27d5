// Loads and stores through pointers (the kernel's check_mem_access and the per-type checks it
// dispatches to): context fields by program type, packet bytes within the range proven by a
// comparison with data_end, map values within value_size, ring-buffer records within their
// size, and stack bytes within the frame.

import { ctxFieldAt, type CtxLayout } from "../programs/context.js";
import { STACK_SIZE } from "../isa/opcodes.js";
import { constNumS, scalarIsConst, smaxNum, sminNum, umaxNum } from "./bounds.js";
import { reject } from "./messages.js";
import { checkMapAccessType, MapFlag, mapFlags } from "./map-rules.js";
import { constReg, isPointer, loadedScalar, pointer, typeName, type Reg } from "./regs.js";
import { checkLockAccess } from "./spin-lock.js";
import { checkTimerAccess } from "./timer.js";
import { stackCheckInit, stackClobber, stackReadFixed, stackWriteFixed } from "./stack.js";
import { destroyDynptrsIn, refuseDynptrOverlap } from "./dynptr.js";
import { tnumString } from "./tnum.js";
import type { Env, VerifierMap } from "./env.js";
import type { VState } from "./state.js";

export type Access = "read" | "write";

/** The kernel's BPF_MAX_VAR_OFF: variable offsets must stay well inside s32. */
export const MAX_VAR_OFF = 1 << 29;
/** MAX_PACKET_OFF: the largest offset a packet pointer may carry. */
export const MAX_PACKET_OFF = 0xffff;

export interface MemOp {
  readonly regno: number; // the pointer register
  readonly off: number; // the instruction's offset
  readonly size: number;
  readonly access: Access;
  /** What is stored (register or immediate as a Reg); undefined for loads. */
  readonly value?: Reg;
  /** Sign-extending load (ldxs*). */
  readonly signed?: boolean;
}

/** check_ptr_alignment's pointer_desc: how a misaligned access names the memory. */
const ALIGN_DESC: Partial<Record<Reg["type"], string>> = {
  map_value: "value ", map_key: "map key ", ctx: "context ", stack: "stack ", sock: "sock ", sock_common: "sock_common ",
  tcp_sock: "tcp_sock ", xdp_sock: "xdp_sock ",
};

/**
 * check_ptr_alignment when it is strict: atomics whatever the memory (check_atomic_rmw →
 * check_mem_access with strict_alignment_once; wasm atomics trap on a misaligned address), and
 * every access of a program loaded with BPF_F_STRICT_ALIGNMENT (Env.strictAlignment). Packet
 * offsets count from NET_IP_ALIGN, 2 (check_pkt_ptr_alignment: as on machines without efficient
 * unaligned access, where the IP header is 2 bytes past an aligned address). The register may
 * already be the scalar a fetch into it left (check_atomic_rmw marks the loading register
 * before it checks the accesses).
 */
export function checkStrictAlignment(st: VState, regno: number, off: number, size: number): void {
  const reg = st.regs[regno]!;
  if (size === 1 || reg.type === "not_init") return;
  const packet = reg.type === "packet" || reg.type === "packet_meta";
  const ipAlign = packet ? 2 : 0;
  const lowBits = size - 1;
  if (((reg.s.t.vl + ipAlign + reg.off + off) & lowBits) === 0 && (reg.s.t.ml & lowBits) === 0) return;
  const varOff = scalarIsConst(reg.s) ? `${BigInt.asIntN(64, reg.s.t.value)}` : tnumString(reg.s.t);
  if (packet) reject(`misaligned packet access off ${ipAlign}+${varOff}+${reg.off}+${off} size ${size}`);
  reject(`misaligned ${ALIGN_DESC[reg.type] ?? ""}access off ${varOff}+${reg.off}+${off} size ${size}`);
}

/** Check one access; for loads, return what the destination register receives. */
export function checkMemAccess(env: Env, st: VState, op: MemOp): Reg {
  if (env.strictAlignment) checkStrictAlignment(st, op.regno, op.off, op.size);
  const reg = st.regs[op.regno]!;
  switch (reg.type) {
    case "stack": return stackAccess(env, st, reg, op);
    case "ctx": return ctxAccess(env, reg, op);
    case "packet":
    case "packet_meta": return packetAccess(env, reg, op);
    case "map_value": return mapValueAccess(env, reg, op);
    case "map_key": return mapKeyAccess(env, reg, op);
    case "mem": return memAccess(reg, op);
    case "rdonly_mem":
      // PTR_TO_MEM | MEM_RDONLY (a kfunc's `int *`: iter.ts): read only (check_mem_access).
      if (op.access === "write") reject(`R${op.regno} cannot write into rdonly_mem`);
      return memAccess(reg, op);
    case "xdp_sock": return xdpSockAccess(op);
    case "sock":
    case "sock_common": return sockAccess(reg, op);
    case "tcp_sock": return tcpSockAccess(reg, op);
    case "not_init": return reject(`R${op.regno} !read_ok`);
    default: return reject(`R${op.regno} invalid mem access '${typeName(reg)}'`);
  }
}

/** A loaded value of the access width. */
const loaded = (op: MemOp): Reg => loadedScalar(op.size, op.signed);

/**
 * check_mem_access on PTR_TO_XDP_SOCK: no stores; loads as bpf_xdp_sock_is_valid_access allows
 * them, the u32 queue_id at offset 0 whole (the pointer itself carries no offset: arithmetic on
 * it is refused).
 */
function xdpSockAccess(op: MemOp): Reg {
  if (op.access === "write") reject(`R${op.regno} cannot write into xdp_sock`);
  if (op.off !== 0 || op.size !== 4) reject(`R${op.regno} invalid xdp_sock access off=${op.off} size=${op.size}`);
  return loaded(op);
}

/**
 * check_mem_access on PTR_TO_SOCKET / PTR_TO_SOCK_COMMON (alignment is not strict for them: the
 * field rule below refuses misaligned loads): no stores, loads as bpf_sock_is_valid_access allows them — the u32 fields whole, the
 * addresses, family, type, protocol, src_port, state and rx_queue_mapping also narrower at their
 * own offsets (bpf_ctx_narrow_access_ok), dst_port (a __be16) as u32, u16 or either byte — and
 * for sock_common (bpf_sock_common_is_valid_access) nothing of type..priority, which only a full
 * socket has. The value is unknown (mark_reg_unknown, then the load's width).
 */
function sockAccess(reg: Reg, op: MemOp): Reg {
  if (op.access === "write") reject(`R${op.regno} cannot write into ${typeName(reg)}`);
  const off = reg.off + op.off;
  if (!sockFieldReadable(off, op.size, reg.type === "sock_common")) reject(`R${op.regno} invalid ${typeName(reg)} access off=${off} size=${op.size}`);
  return loaded(op);
}

/** [start, end) of struct bpf_sock ranges whose bytes may be read narrower than 4 (bpf_ctx_range). */
const SOCK_NARROW_RANGES: ReadonlyArray<readonly [number, number]> = [[24, 44], [52, 72]]; // src_ip4, src_ip6; dst_ip4, dst_ip6
/** Fields read narrower only at their first byte (case offsetof(...)): family, type, protocol, src_port, state, rx_queue_mapping. */
const SOCK_NARROW_STARTS: ReadonlySet<number> = new Set([4, 8, 12, 44, 72, 76]);
const BPF_SOCK_SIZE = 80;
const SOCK_DST_PORT = 48;

function sockFieldReadable(off: number, size: number, common: boolean): boolean {
  if (common && off >= 8 && off < 24) return false; // type, protocol, mark, priority
  if (off < 0 || off >= BPF_SOCK_SIZE || off % size !== 0) return false;
  const narrow = (fieldSize: number): boolean => size <= fieldSize;
  if (SOCK_NARROW_STARTS.has(off) || SOCK_NARROW_RANGES.some(([a, b]) => off >= a && off < b)) return narrow(4);
  if (off >= SOCK_DST_PORT && off < SOCK_DST_PORT + 2) return narrow(size === 4 ? 4 : 2);
  return size === 4;
}

/**
 * check_mem_access on PTR_TO_TCP_SOCK: no stores; loads as bpf_tcp_sock_is_valid_access allows
 * them: within struct bpf_tcp_sock (to icsk_retransmits' end), aligned, bytes_received and
 * bytes_acked as u64s, every other field as a whole u32.
 */
function tcpSockAccess(reg: Reg, op: MemOp): Reg {
  if (op.access === "write") reject(`R${op.regno} cannot write into ${typeName(reg)}`);
  const off = reg.off + op.off;
  const u64 = off === TCP_SOCK_BYTES_RECEIVED || off === TCP_SOCK_BYTES_ACKED;
  if (off < 0 || off >= BPF_TCP_SOCK_SIZE || off % op.size !== 0 || op.size !== (u64 ? 8 : 4)) reject(`R${op.regno} invalid ${typeName(reg)} access off=${off} size=${op.size}`);
  return loaded(op);
}

const BPF_TCP_SOCK_SIZE = 112;
const TCP_SOCK_BYTES_RECEIVED = 80;
const TCP_SOCK_BYTES_ACKED = 88;

function ctxAccess(env: Env, reg: Reg, op: MemOp): Reg {
  // __check_ptr_off_reg, in its order: a negative fixed offset, any fixed offset, a variable one.
  if (reg.off < 0) reject(`negative offset ctx ptr R${op.regno} off=${reg.off} disallowed`);
  if (reg.off !== 0) reject(`dereference of modified ctx ptr R${op.regno} off=${reg.off} disallowed`);
  if (!scalarIsConst(reg.s) || reg.s.t.vh !== 0 || reg.s.t.vl !== 0) {
    reject(`variable ctx access var_off=${tnumString(reg.s.t)} disallowed`);
  }
  const layout = env.type.ctx;
  const bad = (): never => reject(`invalid bpf_context access off=${op.off} size=${op.size}`);
  if (!layout) return bad();
  const cb = cbRange(layout);
  if (cb && op.off >= cb.start && op.off < cb.end) {
    // bpf_skb_is_valid_access: __sk_buff.cb[] takes loads and stores of any size, aligned to
    // it, within cb[] (an 8-byte access spans two of the u32s); stores where the type allows.
    if (op.off % op.size !== 0 || op.off + op.size > cb.end) bad();
    if (op.access === "write" && !cb.writable) bad();
    return loaded(op);
  }
  const field = ctxFieldAt(layout, op.off, op.size);
  if (!field || op.off % op.size !== 0) return bad();
  if (op.access === "write") {
    if (!field.writable || op.size !== field.size) bad();
    return loaded(op);
  }
  if (env.rules.noRead.has(field.name)) bad();
  const narrow = op.size !== field.size;
  if (narrow && (!env.rules.narrowReads || field.kind !== "scalar" || env.rules.wholeReads?.has(field.name))) bad();
  // A sign-extending load (BPF_MEMSX) gives a scalar: it cannot load a pointer field.
  if (op.signed && field.kind !== "scalar") bad();
  switch (field.kind) {
    case "packet": return pointer("packet");
    case "packet_end": return pointer("packet_end");
    case "packet_meta": return pointer("packet_meta");
    // `__sk_buff.sk`: PTR_TO_SOCK_COMMON_OR_NULL, with an id for its NULL check and no reference.
    case "sock_common": return pointer("sock_common_or_null", { id: env.nextId() });
    default: return loaded(op);
  }
}

/** Where __sk_buff.cb[0..4] lies in a ctx layout (cb0..cb4), if it has one. */
function cbRange(layout: CtxLayout): { start: number; end: number; writable: boolean } | undefined {
  let r = CB_RANGES.get(layout);
  if (r === undefined) {
    const first = layout.fields.find((f) => f.name === "cb0");
    const last = layout.fields.find((f) => f.name === "cb4");
    r = first && last ? { start: first.offset, end: last.offset + last.size, writable: first.writable } : null;
    CB_RANGES.set(layout, r);
  }
  return r ?? undefined;
}
const CB_RANGES = new WeakMap<CtxLayout, { start: number; end: number; writable: boolean } | null>();

function packetAccess(env: Env, reg: Reg, op: MemOp): Reg {
  if (op.access === "write" ? !env.rules.packetWrite : !env.rules.packetRead) {
    reject(op.access === "write" ? "cannot write into packet" : "cannot read from packet");
  }
  if (reg.s.sminH < 0) {
    reject(`R${op.regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  }
  const off = reg.off + op.off;
  if (off < 0 || off + op.size > reg.range || umaxNum(reg.s) + off > MAX_PACKET_OFF) {
    reject(`invalid access to packet, off=${off} size=${op.size}, R${op.regno}(id=${reg.id},off=${off},r=${reg.range}); R${op.regno} offset is outside of the packet`);
  }
  return loaded(op);
}

/**
 * check_mem_region_access: [min, max + size) within [0, limit). Offsets are the pointer's fixed
 * part plus smin (lowest) or umax (highest) of its variable part; numbers are exact wherever an
 * access can pass (messages take the exact bigint).
 */
function regionAccess(reg: Reg, op: MemOp, limit: number, what: (off: bigint) => string): void {
  const base = reg.off + op.off;
  const smin = sminNum(reg.s);
  if (smin < 0 && (smin <= -MAX_VAR_OFF || base + smin < 0)) {
    reject(`R${op.regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  }
  // __check_mem_access's line, then check_mem_region_access's: which bound is out.
  const lo = base + smin;
  if (lo < 0 || lo + op.size > limit) reject(`${what(BigInt(base) + reg.s.smin)}; R${op.regno} min value is outside of the allowed memory range`);
  const umax = umaxNum(reg.s);
  if (umax >= MAX_VAR_OFF) {
    reject(`R${op.regno} unbounded memory access, make sure to bounds check any such access`);
  }
  if (base + umax + op.size > limit) reject(`${what(BigInt(base) + reg.s.umax)}; R${op.regno} max value is outside of the allowed memory range`);
}

function mapValueAccess(env: Env, reg: Reg, op: MemOp): Reg {
  const map = env.maps[reg.map]!;
  // check_map_access_type before the bounds (check_mem_access, check_helper_mem_access).
  checkMapAccessType(map, op.access, reg.off + op.off, op.size);
  regionAccess(reg, op, map.valueSize, (o) => `invalid access to map value, value_size=${map.valueSize} off=${o} size=${op.size}`);
  checkLockAccess(map, reg, op.off, op.size);
  checkTimerAccess(map, reg, op.off, op.size);
  if (op.access === "read" && op.value === undefined) {
    const known = frozenRead(map, reg, op);
    if (known !== undefined) return constReg(known);
  }
  return loaded(op);
}

/**
 * A load from a frozen read-only map value at a constant offset is the constant stored there
 * (check_mem_access: tnum_is_const(var_off) && bpf_map_is_rdonly(map) → bpf_map_direct_read,
 * sizes 1/2/4/8, little-endian, sign-extended only for ldxs*). Only single-entry ARRAYs have
 * map_direct_value_addr; the bytes are given only once the map is frozen.
 */
function frozenRead(map: VerifierMap, reg: Reg, op: MemOp): bigint | undefined {
  const bytes = map.frozen;
  if (!bytes || !(mapFlags(map) & MapFlag.RDONLY_PROG) || map.type !== BPF_MAP_TYPE_ARRAY || map.maxEntries !== 1) return undefined;
  if (!scalarIsConst(reg.s) || !DIRECT_READ_SIZES.has(op.size)) return undefined;
  const off = reg.off + op.off + constNumS(reg.s);
  if (off < 0 || off + op.size > bytes.length) return undefined;
  let v = 0n;
  for (let i = op.size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[off + i]!);
  return op.signed ? BigInt.asIntN(op.size * 8, v) : v;
}

/**
 * PTR_TO_MAP_KEY (the key bpf_for_each_map_elem hands its callback): read-only, key_size bytes
 * (check_mem_access: "write to change key"; __check_mem_access's message for the bounds).
 */
function mapKeyAccess(env: Env, reg: Reg, op: MemOp): Reg {
  if (op.access === "write") reject(`write to change key R${op.regno} not allowed`);
  const size = env.maps[reg.map]!.keySize;
  regionAccess(reg, op, size, (o) => `invalid access to map key, key_size=${size} off=${o} size=${op.size}`);
  return loaded(op);
}

const BPF_MAP_TYPE_ARRAY = 2;
const DIRECT_READ_SIZES: ReadonlySet<number> = new Set([1, 2, 4, 8]);

function memAccess(reg: Reg, op: MemOp): Reg {
  regionAccess(reg, op, reg.range, (o) => `invalid access to memory, mem_size=${reg.range} off=${o} size=${op.size}`);
  return loaded(op);
}

function stackAccess(env: Env, st: VState, reg: Reg, op: MemOp): Reg {
  const frame = st.frames[reg.frame]!;
  const dir = op.access === "read" ? " read from" : " write to";
  const fixed = scalarIsConst(reg.s);
  const base = reg.off + op.off;
  // Stack accesses must be aligned: spill tracking relies on it (check_ptr_alignment, strict).
  const lowBits = op.size - 1;
  if (((reg.s.t.vl + base) & lowBits) !== 0 || (reg.s.t.ml & lowBits) !== 0) {
    const varOff = scalarIsConst(reg.s) ? `${BigInt.asIntN(64, reg.s.t.value)}` : tnumString(reg.s.t);
    reject(`misaligned stack access off ${varOff}+${reg.off}+${op.off} size ${op.size}`);
  }
  if (!fixed && (smaxNum(reg.s) >= MAX_VAR_OFF || sminNum(reg.s) <= -MAX_VAR_OFF)) {
    reject(`invalid unbounded variable-offset${dir} stack R${op.regno}`);
  }
  const lo = fixed ? base + constNumS(reg.s) : base + sminNum(reg.s);
  const hi = (fixed ? lo : base + smaxNum(reg.s)) + op.size; // exclusive end of the last access
  if (lo < -STACK_SIZE || hi > 0) {
    reject(fixed
      ? `invalid${dir} stack R${op.regno} off=${lo} size=${op.size}`
      : `invalid variable-offset${dir} stack R${op.regno} var_off=${tnumString(reg.s.t)} off=${base} size=${op.size}`);
  }
  env.noteStack(frame.subprog, -lo);
  // check_stack_write_fixed_off: a pointer goes to the stack whole (8 bytes) or not at all.
  if (fixed && op.access === "write" && op.value && isPointer(op.value) && op.size !== 8) {
    reject("invalid size of register spill");
  }
  // A callee's stack dies when it returns: its address must not outlive it in a caller's frame.
  if (op.access === "write" && op.value?.type === "stack" && frame !== st.frame) {
    reject("cannot spill pointers to stack into stack frame of the caller");
  }
  if (op.access === "read") env.liveness.read(reg.frame, lo, hi);
  else if (fixed && op.size === 8) env.liveness.write(reg.frame, lo); // a whole slot (aligned above)
  if (op.access === "write") destroyDynptrsIn(st, reg.frame, lo, hi);
  if (fixed) {
    if (op.access === "write") {
      stackWriteFixed(frame, lo, op.size, op.value);
      return loaded(op);
    }
    return stackReadFixed(frame, lo, op.size, op.signed ?? false, env.allowUninitStack);
  }
  if (op.access === "write") {
    stackClobber(frame, lo, hi);
    return loaded(op);
  }
  stackCheckInit(frame, lo, hi, env.allowUninitStack, (i) => `invalid variable-offset read from stack R${op.regno} var_off=${tnumString(reg.s.t)}+${i} size ${op.size}`);
  return loaded(op);
}

/**
 * A helper reads or writes `size` bytes at the pointer in `regno` (check_helper_mem_access).
 * Stack bytes a helper writes become MISC; stack bytes it reads must be initialised (unless
 * uninitialised reads are allowed: Env.allowUninitStack).
 */
export function checkHelperMem(env: Env, st: VState, regno: number, size: number, access: Access): void {
  const reg = st.regs[regno]!;
  // A zero size (ARG_CONST_SIZE_OR_ZERO) still puts the pointer in bounds (check_helper_mem_access).
  const op: MemOp = { regno, off: 0, size, access };
  switch (reg.type) {
    case "stack": return helperStack(env, st, reg, op);
    case "packet":
    case "packet_meta": packetAccess(env, reg, op); return;
    case "map_value": mapValueAccess(env, reg, op); return;
    case "map_key":
      // check_helper_mem_access: a helper may read a map key, never write one.
      if (op.access === "write") reject(`R${regno} cannot write into map_key`);
      mapKeyAccess(env, reg, op);
      return;
    case "mem": memAccess(reg, op); return;
    case "rdonly_mem":
      if (op.access === "write") reject(`R${regno} cannot write into rdonly_mem`);
      memAccess(reg, op);
      return;
    default:
      reject(`R${regno} type=${typeName(reg)} expected=fp, pkt, pkt_meta, map_value, ringbuf_mem`);
  }
}

function helperStack(env: Env, st: VState, reg: Reg, op: MemOp): void {
  const frame = st.frames[reg.frame]!;
  const fixed = scalarIsConst(reg.s);
  if (!fixed && (smaxNum(reg.s) >= MAX_VAR_OFF || sminNum(reg.s) <= -MAX_VAR_OFF)) {
    reject(`invalid unbounded variable-offset indirect access to stack R${op.regno}`);
  }
  const lo = reg.off + (fixed ? constNumS(reg.s) : sminNum(reg.s));
  const hi = reg.off + (fixed ? constNumS(reg.s) : smaxNum(reg.s)) + op.size;
  const dir = op.access === "read" ? " read from" : " write to";
  // check_stack_access_within_bounds: the lowest byte at or below fp-1, even for a zero size.
  if (lo < -STACK_SIZE || lo > -1 || hi > 0) {
    reject(fixed
      ? `invalid${dir} stack R${op.regno} off=${lo} size=${op.size}`
      : `invalid variable-offset${dir} stack R${op.regno} var_off=${tnumString(reg.s.t)} off=${reg.off} size=${op.size}`);
  }
  env.noteStack(frame.subprog, -lo);
  if (op.access === "write") {
    refuseDynptrOverlap(frame, lo, hi);
    stackClobber(frame, lo, hi);
    return;
  }
  env.liveness.read(reg.frame, lo, hi);
  // 6.18 says "indirect" for never-written bytes, not for an iterator's or a dynptr's.
  stackCheckInit(frame, lo, hi, env.allowUninitStack, (i, opaque) => `invalid ${opaque ? "" : "indirect "}read from stack R${op.regno} off ${lo}+${i} size ${op.size}`);
}
