// Helper calls (the kernel's check_helper_call): the helper must exist and be allowed for the
// program type; each argument must match its kind in the helper's signature (HelperDef.args,
// after enum bpf_arg_type); then r1-r5 are clobbered, r0 receives the return kind
// (HelperDef.ret), references are acquired or released, and helpers that change packet data
// invalidate every packet pointer.

import { reject } from "./messages.js";
import { readReg } from "./alu.js";
import { checkHelperMem, checkStrictAlignment } from "./memory.js";
import { spillSize, stackConst } from "./stack.js";
import { MAX_VAR_OFF } from "./memory.js";
import { MapType, helperRule, mapFuncCompatible, type HelperRule } from "./helper-rules.js";
import { kernelHelperName, notImplemented } from "./helper-names.js";
import { checkMapWriteHelper, isSockMap } from "./map-rules.js";
import { NOT_INIT, UNKNOWN_SCALAR, fixedOffset, isNullScalar, pointer, regConst, typeName, type Reg } from "./regs.js";
import { uminNum, umaxNum } from "./bounds.js";
import { tnumString } from "./tnum.js";
import { markPrecise, markStackPrecise } from "./precision.js";
import type { HelperArg, HelperDef } from "../helpers/registry.js";
import type { Env } from "./env.js";
import { Slot, type VState } from "./state.js";
import { processSpinLock, SPIN_LOCK_ID } from "./spin-lock.js";
import { checkTimerMap, processTimer } from "./timer.js";
import { checkSnprintfFormat, constString } from "./const-str.js";
import { dynptrSlice, processDynptrArg, releaseDynptr, type DynptrAt } from "./dynptr.js";
import { DynptrType, isPacketSlice } from "./dynptr-slot.js";

/** BPF_FUNC_snprintf: its format is checked once the arguments are (check_bpf_snprintf_call). */
const SNPRINTF_ID = 165;
/** BPF_FUNC_dynptr_from_mem: its memory must be a map value (check_helper_call). */
const DYNPTR_FROM_MEM_ID = 197;
const DYNPTR_WRITE_ID = 202;
/** bpf_get_local_storage: the flags check (checkLocalStorageFlags). */
const GET_LOCAL_STORAGE_ID = 81;

/**
 * clear_all_pkt_pointers: after a helper that may change the packet's data, no packet pointer
 * (nor a slice of an skb or xdp dynptr) is usable.
 */
export function clearPacketPointers(st: VState): void {
  st.mapRegs((r) => (r.type === "packet" || r.type === "packet_end" || r.type === "packet_meta" || isPacketSlice(r) ? UNKNOWN_SCALAR : r));
}

interface CallMeta {
  map?: number;
  /** The key, when it is a constant on the stack (for array lookups that cannot fail), and where. */
  constKey?: bigint;
  keyAt?: { frame: number; off: number; size: number };
  /** The pending memory argument a size argument refers to; `isNull`: a NULL where the kernel allows one. */
  mem?: { regno: number; access: "read" | "write"; isNull?: boolean };
  allocSize?: number;
  release?: { regno: number; ref: number };
  /** ptr_to_func: the subprogram the helper calls back. */
  callback?: number;
  /** ptr_to_timer: the map whose value holds the timer (timer.ts). */
  timerMap?: number;
  /** The reference a socket argument holds (meta->ref_obj_id): a cast helper's result shares it. */
  refObj?: number;
  /** ptr_to_const_str: the string (with its NUL) read from the frozen map value (const-str.ts). */
  constStr?: Uint8Array;
  /** The dynptr argument (dynptr.ts), and whether the helper releases it. */
  dynptr?: DynptrAt;
  releaseDynptr?: boolean;
}

/**
 * A helper that calls a callback (bpf_loop) has the verifier explore the callback as a call
 * made at this instruction, before the helper's own effects on the state (callbacks.ts).
 */
export type CallbackHook = (st: VState, helper: number, subprog: number) => void;

export function checkHelperCall(env: Env, st: VState, pc: number, id: number, onCallback?: CallbackHook): void {
  const def = lookup(env, id);
  const meta: CallMeta = {};
  const typed = helperRule(id)?.protoArgs ?? def.args.length;
  def.args.slice(0, typed).forEach((kind, i) => checkArg(env, st, pc, def, i + 1, kind, meta));
  if (meta.mem) reject(`R${meta.mem.regno} memory argument of ${def.name} has no size argument`);
  // The kernel's order: record_func_map (a read-only map changed through a helper), the
  // callback's exploration (push_callback_call: bpf_for_each_map_elem refuses a map without a
  // walk there), then check_map_func_compatibility.
  if (meta.map !== undefined) checkMapWriteHelper(env.maps[meta.map]!, def.id);
  if (id === 12) recordTailCallKey(env, st, meta.map!);
  if (id === GET_LOCAL_STORAGE_ID) checkLocalStorageFlags(env, st);
  if (meta.callback !== undefined) {
    if (!onCallback) reject(`helper ${def.name} calls back a function, which this caller cannot verify`);
    onCallback!(st, def.id, meta.callback);
  }
  if (meta.map !== undefined) checkMapCompat(env, def, meta.map);
  if (def.id === SNPRINTF_ID && meta.constStr) checkSnprintfFormat(meta.constStr, readReg(st, 5));
  if (def.id === DYNPTR_FROM_MEM_ID && st.regs[1]!.type !== "map_value") reject(`Unsupported reg type ${typeName(st.regs[1]!)} for bpf_dynptr_from_mem data`);
  const rule = helperRule(id);
  // A tail call does not return: references held now could never be released.
  if (id === 12) checkNoReferenceHeld(st, "tail_call");
  if (meta.release) releaseReference(st, meta.release.ref);
  if (meta.releaseDynptr) releaseDynptr(st, meta.dynptr!);
  for (let r = 1; r <= 5; r++) st.regs[r] = NOT_INIT;
  // bpf_dynptr_write into an skb dynptr changes the packet as skb_store_bytes does.
  if (rule?.pktChanging || (id === DYNPTR_WRITE_ID && meta.dynptr!.state.map === DynptrType.SKB)) clearPacketPointers(st);
  st.regs[0] = returnValue(env, st, pc, def, meta, rule);
}

/** bpf_get_local_storage cannot return an error, so its flags must be 0 (check_helper_call). */
function checkLocalStorageFlags(env: Env, st: VState): void {
  if (!isNullScalar(st.regs[2]!)) reject("get_local_storage() doesn't support non-zero flags");
  markPrecise(env, st, 2);
}

function lookup(env: Env, id: number): HelperDef {
  const def = env.helpers.get(id);
  const rule = helperRule(id);
  const allowed = !rule?.types || rule.types.includes(env.type.name);
  if (!def) {
    if (!rule) {
      // get_helper_proto: ids past __BPF_FUNC_MAX_ID are "unknown"; a known id without a proto
      // for the type (unspec#0 for every type) cannot be used. Other known ids have no rule or
      // implementation here: name the helper the program needs.
      const name = kernelHelperName(id);
      if (name === undefined) return reject(`invalid func unknown#${id}`);
      if (id === 0) return reject(`program of this type cannot use helper ${name}#${id}`);
      return reject(notImplemented(name, id));
    }
    if (!allowed) return reject(`program of this type cannot use helper bpf_${rule.name}#${id}`);
    // The kernel would take it: say that the refusal is ours, not a rule of the kernel's.
    return reject(notImplemented(rule.name, id, `; the kernel allows it in ${env.type.name} programs`));
  }
  if (!allowed) reject(`program of this type cannot use helper bpf_${def.name}#${id}`);
  return def;
}

const expected = (regno: number, r: Reg, what: string): never => reject(`R${regno} type=${typeName(r)} expected=${what}`);

function checkArg(env: Env, st: VState, pc: number, def: HelperDef, regno: number, kind: HelperArg, meta: CallMeta): void {
  const r = readReg(st, regno);
  if (kind === "anything") return;
  // check_func_arg → may_access_direct_pkt_data: only helpers whose proto says pkt_access take
  // a packet pointer for any argument; the others may change or outlive the packet.
  if ((r.type === "packet" || r.type === "packet_meta") && !helperRule(def.id)?.pktAccess) {
    reject("helper access to the packet is not allowed");
  }
  switch (kind) {
    case "const_map_ptr": {
      if (r.type !== "map_ptr") expected(regno, r, "map_ptr");
      // bpf_tail_call's own check comes with the argument (check_func_arg).
      if (def.id === 12 && env.maps[r.map]!.type !== MapType.PROG_ARRAY) reject("expected prog array map for tail call");
      if (meta.timerMap !== undefined) checkTimerMap(meta.timerMap, r.map);
      meta.map = r.map;
      return;
    }
    case "ptr_to_map_key":
    case "ptr_to_map_value":
    case "ptr_to_uninit_map_value": {
      if (meta.map === undefined) reject(`invalid map_ptr to access map->${kind === "ptr_to_map_key" ? "key" : "value"}`);
      const map = env.maps[meta.map!]!;
      // resolve_map_arg_type: a socket map's value argument is the socket itself.
      if (kind !== "ptr_to_map_key" && isSockMap(map.type)) {
        if (kind !== "ptr_to_map_value") reject("invalid arg_type for sockmap/sockhash");
        sockArg(regno, r, BTF_SOCK_COMMON);
        return;
      }
      if (r.type === "scalar" || r.type === "ctx") expected(regno, r, "fp, pkt, pkt_meta, map_value, ringbuf_mem");
      const size = kind === "ptr_to_map_key" ? map.keySize : map.valueSize;
      if (size === 0) reject("invalid zero-sized read");
      checkHelperMem(env, st, regno, size, kind === "ptr_to_uninit_map_value" ? "write" : "read");
      if (kind === "ptr_to_map_key" && r.type === "stack" && fixedOffset(r)) {
        meta.constKey = constantKey(st, r, size);
        meta.keyAt = { frame: r.frame, off: r.off, size };
      }
      return;
    }
    case "ptr_to_mem_or_null":
      // ARG_PTR_TO_MEM | PTR_MAYBE_NULL: a known NULL passes the type check; its size must then
      // be exactly 0 (check_helper_mem_access: "zero-byte read from NULL"). Pointers that may be
      // null (map_value_or_null...) are refused here although the kernel folds PTR_MAYBE_NULL
      // away for them: a non-zero size would make the helper read at address 0.
      if (isNullScalar(r)) {
        markPrecise(env, st, regno);
        meta.mem = { regno, access: "read", isNull: true };
        return;
      }
      return memArg(regno, r, "read", meta);
    case "ptr_to_writable_mem_or_null":
      // ARG_PTR_TO_MEM | PTR_MAYBE_NULL, written (snprintf's str): as above, a write.
      if (isNullScalar(r)) {
        markPrecise(env, st, regno);
        meta.mem = { regno, access: "write", isNull: true };
        return;
      }
      return memArg(regno, r, "write", meta);
    case "ptr_to_const_str":
      if (r.type !== "map_value") expected(regno, r, "map_value");
      meta.constStr = constString(env, regno, r);
      return;
    case "ptr_to_aligned_u64_out":
      // ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED, arg_size 8 (strtol's
      // res): written only, then the alignment (check_func_arg's order; checked against 6.18).
      if (!MEM_TYPES.has(r.type)) expected(regno, r, "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_");
      checkHelperMem(env, st, regno, 8, "write");
      checkStrictAlignment(st, regno, 0, 8);
      return;
    case "ptr_to_mem":
    case "ptr_to_uninit_mem":
      return memArg(regno, r, kind === "ptr_to_mem" ? "read" : "write", meta);
    case "const_size":
    case "const_size_or_zero":
      markPrecise(env, st, regno);
      return checkSize(env, st, regno, r, kind === "const_size_or_zero", meta);
    case "ptr_to_ctx":
      if (r.type !== "ctx") expected(regno, r, "ctx");
      return checkUnmodified(regno, r);
    case "ptr_to_ctx_or_null":
      // ARG_PTR_TO_CTX_OR_NULL: a known NULL skips the type check (check_func_arg:
      // register_is_null && type_may_be_null). The kernel does not mark it precise; we do, so
      // that no pruned path brings another scalar here.
      if (isNullScalar(r)) return markPrecise(env, st, regno);
      if (r.type !== "ctx") expected(regno, r, "ctx");
      return checkUnmodified(regno, r);
    case "ptr_to_uninit_dynptr_local":
    case "ptr_to_uninit_dynptr_ringbuf":
      meta.dynptr = processDynptrArg(env, st, pc, regno, { make: kind === "ptr_to_uninit_dynptr_local" ? DynptrType.LOCAL : DynptrType.RINGBUF }, "helper");
      return;
    case "ptr_to_dynptr":
      meta.dynptr = processDynptrArg(env, st, pc, regno, {}, "helper");
      return;
    case "ptr_to_dynptr_ringbuf_release":
      meta.dynptr = processDynptrArg(env, st, pc, regno, { type: DynptrType.RINGBUF, release: true }, "helper");
      meta.releaseDynptr = true;
      return;
    case "ptr_to_alloc_mem":
      if (r.type !== "mem" || r.ref === 0) expected(regno, r, "ringbuf_mem");
      if (r.off !== 0 || !fixedOffset(r)) reject(`R${regno} must have zero offset when passed to release func`);
      meta.release = { regno, ref: r.ref };
      return;
    case "ptr_to_func":
      // ARG_PTR_TO_FUNC: a subprogram's address, unmodified (check_func_arg_reg_off).
      if (r.type !== "func") expected(regno, r, "func");
      checkUnmodified(regno, r);
      meta.callback = r.map;
      return;
    case "ptr_to_fixed_size_mem": {
      // ARG_PTR_TO_FIXED_SIZE_MEM: arg_size bytes the helper reads (check_func_arg →
      // check_helper_mem_access with fn->arg_size[arg]).
      if (!MEM_TYPES.has(r.type)) expected(regno, r, "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_");
      const size = def.argSizes?.[regno - 1];
      if (size === undefined) reject(`helper ${def.name}: argument ${regno} has no fixed size`);
      checkHelperMem(env, st, regno, size!, "read");
      return;
    }
    case "ptr_to_aligned_u32":
      // ARG_PTR_TO_FIXED_SIZE_MEM | MEM_WRITE | MEM_ALIGNED, arg_size 4: the bytes are read
      // (initialised unless the stack may be read uninitialised), then written; the address must
      // be 4-aligned (check_ptr_alignment with strict). Checked against 6.18 (check_mtu).
      if (!MEM_TYPES.has(r.type)) expected(regno, r, "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_");
      checkHelperMem(env, st, regno, 4, "read");
      checkHelperMem(env, st, regno, 4, "write");
      checkStrictAlignment(st, regno, 0, 4);
      return;
    case "ptr_to_stack_or_null":
      // ARG_PTR_TO_STACK | PTR_MAYBE_NULL: a NULL, or any pointer into a stack (fixed and
      // variable offsets are both allowed; the callback's accesses are checked where it makes them).
      if (isNullScalar(r)) return;
      if (r.type !== "stack") expected(regno, r, "fp");
      return;
    case "ptr_to_spin_lock":
      // ARG_PTR_TO_SPIN_LOCK: process_spin_lock (spin-lock.ts).
      return processSpinLock(env, st, regno, r, def.id === SPIN_LOCK_ID);
    case "ptr_to_timer":
      // ARG_PTR_TO_TIMER: process_timer_func (timer.ts).
      meta.timerMap = processTimer(env, regno, r);
      return;
    case "ptr_to_sock_common_release":
      return sockReleaseArg(regno, r, meta);
    case "ptr_to_btf_id_sock_common":
      sockArg(regno, r, BTF_SOCK_COMMON);
      if (r.ref) meta.refObj = r.ref;
      return;
    case "ptr_to_sock_common":
      sockArg(regno, r, SOCK_COMMON);
      if (r.ref) meta.refObj = r.ref;
      return;
    case "const_alloc_size_or_zero": {
      markPrecise(env, st, regno);
      const c = regConst(r);
      if (c === undefined) reject(`R${regno} is not a known constant'`);
      meta.allocSize = Number(c);
      return;
    }
  }
}

/**
 * ARG_PTR_TO_BTF_ID_SOCK_COMMON | OBJ_RELEASE (bpf_sk_release): a socket pointer of any kind,
 * null-checked (check_reg_type: an or-null pointer is not one of the types), holding a
 * reference (check_func_arg: "must be referenced").
 */
function sockReleaseArg(regno: number, r: Reg, meta: CallMeta): void {
  sockArg(regno, r, BTF_SOCK_COMMON);
  if (r.ref === 0) reject(`R${regno} must be referenced when passed to release function`);
  meta.release = { regno, ref: r.ref };
}

/**
 * ARG_PTR_TO_SOCK_COMMON (sock_types) and ARG_PTR_TO_BTF_ID_SOCK_COMMON (btf_id_sock_common_types,
 * which adds kernel BTF pointers, not modelled): a socket pointer, NULL-checked.
 */
const SOCK_COMMON = "sock_common, sock, tcp_sock, xdp_sock";
const BTF_SOCK_COMMON = `${SOCK_COMMON}, ptr_, trusted_ptr_`;

function sockArg(regno: number, r: Reg, expect: string): void {
  if (r.type !== "sock" && r.type !== "sock_common" && r.type !== "tcp_sock" && r.type !== "xdp_sock") expected(regno, r, expect);
}

/** __check_ptr_off_reg: a pointer passed as it was made, with no offset at all. */
export function checkUnmodified(regno: number, r: Reg): void {
  const name = typeName(r);
  if (r.off < 0) reject(`negative offset ${name} ptr R${regno} off=${r.off} disallowed`);
  if (r.off !== 0) reject(`dereference of modified ${name} ptr R${regno} off=${r.off} disallowed`);
  if (!fixedOffset(r)) reject(`variable ${name} access var_off=${tnumString(r.s.t)} disallowed`);
}

/**
 * A pointer to memory the helper reads or writes; its size argument comes next. The helpers'
 * read-only memory arguments are ARG_PTR_TO_MEM | MEM_RDONLY, which read-only memory passes too
 * (check_reg_type drops MEM_RDONLY from the register's type for them): a bpf_dynptr_slice, an
 * iterator's element.
 */
function memArg(regno: number, r: Reg, access: "read" | "write", meta: CallMeta): void {
  // mem_types, as 6.18 lists them (checked with trace_printk, get_current_comm, strtol, strncmp).
  if (!MEM_TYPES.has(r.type) && !(access === "read" && r.type === "rdonly_mem")) {
    expected(regno, r, "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_");
  }
  meta.mem = { regno, access };
}

const MEM_TYPES: ReadonlySet<string> = new Set(["stack", "packet", "packet_meta", "map_value", "map_key", "mem"]);

/**
 * get_constant_map_key: the key is known when its bytes are STACK_ZERO within the key's slot, or
 * when it is a constant scalar spilled at the slot's start with exactly the key's size (an
 * 8-byte spill read as a 4-byte key is not a constant to the kernel).
 */
function constantKey(st: VState, r: Reg, size: number): bigint | undefined {
  const frame = st.frames[r.frame]!;
  const k = (-r.off - 1) >> 3;
  const slotEnd = -8 * k;
  let zero = r.off + size <= slotEnd;
  for (let i = 0; zero && i < size; i++) if (frame.bytes[512 + r.off + i] !== Slot.ZERO) zero = false;
  if (zero) return 0n;
  const spilled = frame.spills[k];
  if ((r.off & 7) !== 0 || spilled?.type !== "scalar" || spillSize(frame, k) !== size) return undefined;
  return stackConst(frame, r.off, size);
}

/** check_mem_size_reg: a size argument bounds the memory argument before it. */
function checkSize(env: Env, st: VState, regno: number, r: Reg, zeroOk: boolean, meta: CallMeta): void {
  if (r.type !== "scalar") expected(regno, r, "scalar");
  const mem = meta.mem;
  if (!mem) reject(`R${regno} size argument without a memory argument before it`);
  meta.mem = undefined;
  const size = memSizeBound(regno, r, zeroOk);
  if (mem!.isNull) {
    if (!zeroOk || size !== 0) reject(`R${mem!.regno} type=scalar expected=fp`);
    return;
  }
  checkHelperMem(env, st, mem!.regno, size, mem!.access);
}

/**
 * check_mem_size_reg's checks of a size register (a scalar) for helpers and kfuncs alike: the
 * largest size it allows.
 */
export function memSizeBound(regno: number, r: Reg, zeroOk: boolean): number {
  if (r.s.sminH < 0) reject(`R${regno} min value is negative, either use unsigned or 'var &= const'`);
  if (uminNum(r.s) === 0 && !zeroOk) reject(`R${regno} invalid zero-sized read: u64=[${r.s.umin},${r.s.umax}]`);
  const size = umaxNum(r.s);
  if (size >= MAX_VAR_OFF) reject(`R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
  return size;
}

/** check_map_func_compatibility, both directions. */
function checkMapCompat(env: Env, def: HelperDef, mapIndex: number): void {
  const map = env.maps[mapIndex]!;
  if (!mapFuncCompatible(map.type, def.id, env.type.name)) reject(`cannot pass map_type ${map.type} into func bpf_${def.name}#${def.id}`);
}

/**
 * record_func_key: a tail call's constant key within the prog array is made precise (the kernel
 * JITs such a call as a direct jump, so paths with other keys must not be pruned into it).
 */
function recordTailCallKey(env: Env, st: VState, map: number): void {
  const key = regConst(st.regs[3]!);
  if (key !== undefined && key < BigInt(env.maps[map]!.maxEntries)) markPrecise(env, st, 3);
}

/**
 * check_resource_leak's reference part (6.18): with a reference held, `what` (the main program's
 * exit, a tail call, LD_ABS) would leak it. The kernel logs "Unreleased reference id=N
 * alloc_insn=M" for each, then "<what> would lead to reference leak".
 */
export function checkNoReferenceHeld(st: VState, what: string): void {
  const ref = st.refs[0];
  if (ref) reject(`Unreleased reference id=${ref.id} alloc_insn=${ref.insn}; ${what} would lead to reference leak`);
}

function releaseReference(st: VState, ref: number): void {
  const before = st.refs.length;
  st.refs = st.refs.filter((x) => x.id !== ref);
  if (st.refs.length === before) reject(`reference has not been acquired before`);
  // Every copy of the released pointer becomes unusable (release_reference).
  st.mapRegs((r) => (r.ref === ref && r.type !== "scalar" ? UNKNOWN_SCALAR : r));
}

/** map_flags: an array that may be an inner map of another max_entries (map_in_map.c). */
const BPF_F_INNER_MAP = 1 << 12;

/**
 * A map value that cannot be null. A value with a bpf_spin_lock gets an id all the same: it names
 * the element whose lock is taken (check_helper_call, spin-lock.ts).
 */
function mapValue(env: Env, map: number): Reg {
  return pointer("map_value", { map, id: env.maps[map]!.spinLock !== undefined ? env.nextId() : 0 });
}

function returnValue(env: Env, st: VState, pc: number, def: HelperDef, meta: CallMeta, rule: HelperRule | undefined): Reg {
  const acquire = rule?.acquire ?? false;
  switch (def.ret) {
    case "integer": return UNKNOWN_SCALAR;
    case "void": return NOT_INIT;
    case "ptr_to_map_value_or_null": {
      if (meta.map === undefined) reject(`helper ${def.name} returns a map value but has no map argument`);
      // An array lookup with a constant in-range key cannot fail (kernel 6.14+,
      // get_constant_map_key): the value pointer is not null.
      const map = env.maps[meta.map!]!;
      // can_elide_value_nullness: not for BPF_F_INNER_MAP arrays, whose max_entries an inner
      // map template does not prove for the map in the slot at run time.
      const arrayish = (map.type === MapType.ARRAY || map.type === MapType.PERCPU_ARRAY) && !((map.flags ?? 0) & BPF_F_INNER_MAP);
      if (def.id === 1 && arrayish && meta.constKey !== undefined && meta.constKey < BigInt(map.maxEntries)) {
        // The key's value decided that: the stack slots holding it count.
        markStackPrecise(env, st, meta.keyAt!.frame, meta.keyAt!.off, meta.keyAt!.off + meta.keyAt!.size);
        return mapValue(env, meta.map!);
      }
      const id = env.nextId();
      // is_acquire_function: a socket map's lookup takes a reference to the socket it returns
      // (released by bpf_sk_release; dropped on the NULL branch). As in check_helper_call, the
      // NULL-check id above is drawn first and the reference's id replaces it.
      if (def.id === 1 && isSockMap(map.type)) {
        const ref = env.nextId();
        st.refs.push({ id: ref, insn: pc });
        return pointer("map_value_or_null", { map: meta.map!, id: ref, ref });
      }
      return pointer("map_value_or_null", { map: meta.map!, id });
    }
    case "ptr_to_map_value": {
      // RET_PTR_TO_MAP_VALUE (bpf_get_local_storage): never null.
      if (meta.map === undefined) reject(`helper ${def.name} returns a map value but has no map argument`);
      return mapValue(env, meta.map!);
    }
    case "ptr_to_mem_or_null": {
      if (meta.allocSize === undefined) reject(`helper ${def.name} returns memory but has no size argument`);
      // An id for the NULL check; an acquired reference's id replaces it (check_helper_call).
      let id = env.nextId();
      let ref = 0;
      if (acquire) {
        ref = id = env.nextId();
        st.refs.push({ id: ref, insn: pc });
      }
      return pointer("mem_or_null", { id, range: meta.allocSize!, ref });
    }
    case "ptr_to_socket_or_null":
    case "ptr_to_sock_common_or_null":
    case "ptr_to_tcp_sock_or_null": {
      const type = def.ret === "ptr_to_socket_or_null" ? "sock_or_null" : def.ret === "ptr_to_tcp_sock_or_null" ? "tcp_sock_or_null" : "sock_common_or_null";
      // check_helper_call: an id for the NULL check (++id_gen); an acquired reference's id
      // (++id_gen again) becomes the id as well; a cast (sk_fullsock, tcp_sock) shares its
      // argument's reference (is_ptr_cast_function).
      const id = env.nextId();
      if (!acquire) return pointer(type, { id, ref: rule?.cast ? (meta.refObj ?? 0) : 0 });
      const ref = env.nextId();
      st.refs.push({ id: ref, insn: pc });
      return pointer(type, { id: ref, ref });
    }
    case "ptr_to_dynptr_mem_or_null":
      if (meta.allocSize === undefined || !meta.dynptr) reject(`helper ${def.name} returns a dynptr's memory but has no dynptr or size argument`);
      return dynptrSlice(env, meta.dynptr!, meta.allocSize!);
  }
}
