// Register states (the kernel's struct bpf_reg_state and enum bpf_reg_type). A Reg is immutable:
// every change makes a new one, so states can share registers and copying a state is cheap.
//
// For pointers, `off` is the fixed part of the offset and `s` the variable part (a Scalar, as
// the kernel keeps var_off and the min/max fields for both scalars and pointers).

import { iterString } from "./iter-slot.js";
import { dynptrString } from "./dynptr-slot.js";
import { UNKNOWN, ZERO, isConstValue, scalarConst, scalarFromFacts, scalarIsConst, scalarString, scalarURange, type Scalar } from "./bounds.js";

export type RegType =
  | "not_init"
  | "scalar"
  | "ctx"
  | "stack"
  | "packet"
  | "packet_end"
  | "packet_meta"
  | "map_value"
  | "map_value_or_null"
  // PTR_TO_MAP_KEY: the key of the element bpf_for_each_map_elem's callback is given (read-only).
  | "map_key"
  | "map_ptr"
  | "mem"
  | "mem_or_null"
  // PTR_TO_FUNC: a subprogram's address (`lddw rX, func`), only to be passed as a callback.
  | "func"
  // PTR_TO_XDP_SOCK: an XSKMAP lookup's socket after its NULL check (struct bpf_xdp_sock).
  | "xdp_sock"
  // PTR_TO_SOCKET / PTR_TO_SOCK_COMMON (| PTR_MAYBE_NULL): a socket lookup's result (struct
  // bpf_sock; sock_common: only the fields every socket has), holding a reference (`ref`).
  | "sock"
  | "sock_or_null"
  | "sock_common"
  | "sock_common_or_null"
  // PTR_TO_TCP_SOCK (| PTR_MAYBE_NULL): bpf_tcp_sock's result (struct bpf_tcp_sock).
  | "tcp_sock"
  | "tcp_sock_or_null"
  // PTR_TO_MEM | MEM_RDONLY (| PTR_MAYBE_NULL): memory a kfunc returns for reading only, of
  // `range` bytes (bpf_iter_num_next's int *); `ref` = the iterator's reference (vm/verifier/iter.ts).
  | "rdonly_mem"
  | "rdonly_mem_or_null"
  // Not a register: an open-coded iterator's state in a stack slot (STACK_ITER; the kernel keeps
  // it in the slot's spilled_ptr): `ref` its reference, `range` its state, `off` its depth (iter.ts).
  | "iter"
  // Not a register: half of a struct bpf_dynptr in a stack slot (STACK_DYNPTR): its type, which
  // half, its id and reference (dynptr.ts).
  | "dynptr";

export interface Reg {
  readonly type: RegType;
  /** The value of a scalar; the variable offset of a pointer. */
  readonly s: Scalar;
  /** Fixed offset of a pointer. */
  readonly off: number;
  /** or-null pointers: the id shared by copies (a null check marks them all); packet: id of
   * the variable offset added (pointers with the same id share a proven range). */
  readonly id: number;
  /** packet / packet_meta: bytes proven in bounds from the pointer's base, or (packet only)
   * BEYOND_PKT_END / AT_PKT_END: this pointer is known past / at data_end; mem: its size. */
  readonly range: number;
  /**
   * map_ptr, map_value(_or_null), map_key: index of the map; func: index of the subprogram;
   * mem(_or_null) that bpf_dynptr_data returned: the id of its dynptr (the kernel's dynptr_id,
   * which shares that union of bpf_reg_state), else -1.
   */
  readonly map: number;
  /**
   * stack: which call frame's stack it points into; a kfunc's slice of a dynptr (mem,
   * rdonly_mem): the dynptr's type (the kernel's DYNPTR_TYPE_* flag in the register's type),
   * else 0.
   */
  readonly frame: number;
  /** mem(_or_null) from an acquiring helper (ringbuf_reserve): the reference to release. */
  readonly ref: number;
  /**
   * Scalars in checkpoints (precision.ts): some path after the checkpoint relied on this value,
   * so pruning must compare it; an imprecise scalar matches any scalar. Always false in the
   * states being explored (the kernel's bpf_reg_state.precise, for CAP_BPF).
   */
  readonly precise: boolean;
}

/**
 * Negative packet ranges (the kernel's mark_pkt_end): a comparison with data_end proved this
 * register's address > data_end (BEYOND) or >= data_end (AT). Only that register is marked (not
 * its copies by id), it reads nothing, and a later comparison of it with data_end is decided
 * (branch.ts, is_pkt_ptr_branch_taken).
 */
export const BEYOND_PKT_END = -1;
export const AT_PKT_END = -2;

const BASE: Reg = { type: "not_init", s: UNKNOWN, off: 0, id: 0, range: 0, map: -1, frame: 0, ref: 0, precise: false };

export const NOT_INIT: Reg = BASE;
export const UNKNOWN_SCALAR: Reg = { ...BASE, type: "scalar" };

export const scalarReg = (s: Scalar): Reg => (s === UNKNOWN ? UNKNOWN_SCALAR : { ...BASE, type: "scalar", s });
export const constReg = (v: bigint): Reg => scalarReg(scalarConst(v));

function loadedScalarOf(bytes: number, signed: boolean): Reg {
  if (bytes >= 8) return UNKNOWN_SCALAR;
  const bits = BigInt(bytes * 8);
  if (!signed) return scalarReg(scalarURange(0n, (1n << bits) - 1n));
  return scalarReg(scalarFromFacts({ smin: -(1n << (bits - 1n)), smax: (1n << (bits - 1n)) - 1n }) ?? UNKNOWN);
}

/** Loaded values by width and signedness (they are immutable: computed once). */
const LOADED = [1, 2, 4, 8].map((b) => [loadedScalarOf(b, false), loadedScalarOf(b, true)] as const);
const LOADED_INDEX = [0, 0, 1, 2, 2, 3, 3, 3, 3]; // by bytes (odd widths round up: still sound)

/** A value loaded from memory of `bytes` width: zero-extended, or sign-extended (ldxs*). */
export function loadedScalar(bytes: number, signed = false): Reg {
  return LOADED[LOADED_INDEX[bytes >= 8 ? 8 : bytes]!]![signed ? 1 : 0];
}

export function pointer(type: RegType, fields: Partial<Reg> = {}): Reg {
  return { ...BASE, type, s: ZERO, ...fields };
}

export const isPointer = (r: Reg): boolean => r.type !== "scalar" && r.type !== "not_init";
export const isScalar = (r: Reg): boolean => r.type === "scalar";
export const isOrNull = (r: Reg): boolean =>
  r.type === "map_value_or_null" || r.type === "mem_or_null" || r.type === "sock_or_null" || r.type === "sock_common_or_null" || r.type === "tcp_sock_or_null" ||
  r.type === "rdonly_mem_or_null";
/** The socket pointers (the kernel's type_is_sk_pointer, without xdp_sock). */
export const isSockPointer = (r: Reg): boolean => r.type === "sock" || r.type === "sock_common" || r.type === "tcp_sock";
export const isPacketLike = (r: Reg): boolean => r.type === "packet" || r.type === "packet_meta";

/** Constant value of a scalar register, if known. */
export const regConst = (r: Reg): bigint | undefined => (r.type === "scalar" && scalarIsConst(r.s) ? r.s.t.value : undefined);

/** A scalar known to be 0 (the kernel's register_is_null). */
export const isNullScalar = (r: Reg): boolean => r.type === "scalar" && isConstValue(r.s, 0);

/** The pointer's offset is exactly `off` (no variable part). */
export const fixedOffset = (r: Reg): boolean => isConstValue(r.s, 0);

/** Names as the kernel's reg_type_str() prints them. */
const TYPE_NAME: Record<RegType, string> = {
  not_init: "?",
  scalar: "scalar",
  ctx: "ctx",
  stack: "fp",
  packet: "pkt",
  packet_end: "pkt_end",
  packet_meta: "pkt_meta",
  map_value: "map_value",
  map_value_or_null: "map_value_or_null",
  map_key: "map_key",
  map_ptr: "map_ptr",
  mem: "mem",
  mem_or_null: "mem_or_null",
  func: "func",
  xdp_sock: "xdp_sock",
  sock: "sock",
  sock_or_null: "sock_or_null",
  sock_common: "sock_common",
  sock_common_or_null: "sock_common_or_null",
  tcp_sock: "tcp_sock",
  tcp_sock_or_null: "tcp_sock_or_null",
  rdonly_mem: "rdonly_mem",
  rdonly_mem_or_null: "rdonly_mem_or_null",
  iter: "iter",
  dynptr: "dynptr",
};

/**
 * A register's type as the kernel's messages name it (reg_type_str): memory from the ring buffer
 * — the only memory that carries a reference here, from bpf_ringbuf_reserve — is `ringbuf_mem`,
 * other memory (a global function's pointer argument) plain `mem`.
 */
export const typeName = (r: Pick<Reg, "type" | "ref" | "map">): string =>
  (r.type === "mem" || r.type === "mem_or_null") && r.ref !== 0 && r.map < 0 ? "ringbuf_" + TYPE_NAME[r.type] : TYPE_NAME[r.type];

/** A register as the kernel's log shows it: `scalar(umax=255)`, `pkt(off=14,r=14)`, `fp-8`. */
export function regString(r: Reg): string {
  switch (r.type) {
    case "not_init": return "?";
    case "scalar": {
      const v = scalarString(r.s);
      return scalarIsConst(r.s) ? v : `scalar(${v})`;
    }
    case "stack":
      return fixedOffset(r) ? `fp${r.off === 0 ? "0" : r.off}` : `fp(off=${r.off},${scalarString(r.s)})`;
    case "iter":
      return iterString(r);
    case "dynptr":
      return dynptrString(r);
    default: {
      const parts: string[] = [];
      if (r.id) parts.push(`id=${r.id}`);
      if (r.ref) parts.push(`ref_obj_id=${r.ref}`);
      if (r.off) parts.push(`off=${r.off}`);
      if (r.type === "packet" || r.type === "packet_meta") parts.push(`r=${r.range}`);
      if (r.type === "mem" || r.type === "mem_or_null") parts.push(`size=${r.range}`);
      if (r.type === "rdonly_mem" || r.type === "rdonly_mem_or_null") parts.push(`sz=${r.range}`);
      if (r.map >= 0) parts.push(`${r.type === "func" ? "subprog" : r.type === "mem" || r.type === "mem_or_null" ? "dynptr_id" : "map"}=${r.map}`);
      if (!fixedOffset(r)) parts.push(scalarString(r.s));
      return `${typeName(r)}(${parts.join(",")})`;
    }
  }
}
