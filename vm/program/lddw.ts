// lddw pseudo sources (RFC 9669 §5.4, linux/bpf.h BPF_PSEUDO_*): a loader leaves map references
// in `lddw` as "map fd N" or "value of map N at offset K"; before a program runs, each becomes
// the 64-bit value it stands for. Both engines call resolveLddw at load, so a map pointer is the
// same number in the interpreter and in JIT code: the map's header address, which is what the
// maps runtime (vm/maps) takes as the map. The kernel does this in resolve_pseudo_ldimm64
// (kernel/bpf/verifier.c); its checks and messages are followed here.
//
// A function address (`lddw rX, func`, a callback) stands for the tagged value of callbacks.ts
// that names the subprogram it points at (pseudoLddwValue). resolveLddw leaves it as it is: it
// needs no machine, and the engines must still see which subprograms are callbacks (an engine
// loads the value where it lowers the lddw, funcAddressOf).
//
// fd and idx are one thing here: the index of the map in the machine's MapSet (the kernel's
// MAP_IDX indexes the fd_array passed to BPF_PROG_LOAD; we have no separate fd table).

import { BpfError } from "../errors.js";
import { insn, type Insn } from "../isa/instruction.js";
import { Cls, Mode, Pseudo, Size } from "../isa/opcodes.js";
import { describe } from "../isa/table.js";
import { funcAddress } from "./callbacks.js";

/** What lddw needs to know about a map: plain data (vm/maps MapDescriptor has all of it). */
export interface LddwMap {
  readonly name: string;
  /** enum bpf_map_type */
  readonly type: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** The map pointer: its header address. */
  readonly address: number;
  /** Where element 0's value is (array maps). */
  readonly values: number;
}

const BPF_MAP_TYPE_ARRAY = 2;
/** The kernel's BPF_MAX_VAR_OFF: a direct value offset must be below it. */
const MAX_VAR_OFF = 1 << 29;

const NAMES: Record<number, string> = {
  [Pseudo.MAP_FD]: "map_fd",
  [Pseudo.MAP_VALUE]: "map_value",
  [Pseudo.BTF_ID]: "btf_id",
  [Pseudo.FUNC]: "func",
  [Pseudo.MAP_IDX]: "map_idx",
  [Pseudo.MAP_IDX_VALUE]: "map_idx_value",
};

const fail = (i: number, what: string): never => {
  throw new BpfError(`insn ${i}: ${what}`, { insn: i });
};

/** Is slot i an lddw with a pseudo source? */
export function isPseudoLddw(ins: Insn): boolean {
  const def = describe(ins);
  return def?.kind === "lddw" && def.pseudo !== Pseudo.NONE;
}

/**
 * The value the pseudo lddw at slot `i` loads, as an unsigned 64-bit bigint. `maps` is indexed by
 * fd (MapSet.describe()); undefined means the machine has no maps.
 */
export function pseudoLddwValue(insns: readonly Insn[], i: number, maps: readonly LddwMap[] | undefined): bigint {
  const ins = insns[i]!;
  const second = insns[i + 1];
  if (!second) return fail(i, "invalid bpf_ld_imm64 insn: no second slot");
  const name = NAMES[ins.src] ?? `src ${ins.src}`;
  // resolve_pseudo_ldimm64 leaves BPF_PSEUDO_FUNC alone (check_ld_imm types it PTR_TO_FUNC);
  // validate() has checked that the target is an instruction of the program.
  if (ins.src === Pseudo.FUNC) return funcAddress(i + 1 + ins.imm);
  const withOffset = ins.src === Pseudo.MAP_VALUE || ins.src === Pseudo.MAP_IDX_VALUE;
  if (!withOffset && ins.src !== Pseudo.MAP_FD && ins.src !== Pseudo.MAP_IDX) {
    return fail(i, `lddw ${name}: BTF ids (ksyms) are not supported`);
  }
  // resolve_pseudo_ldimm64: "unrecognized bpf_ld_imm64 insn" when a map pointer carries an offset.
  if (!withOffset && second.imm !== 0) return fail(i, `unrecognized bpf_ld_imm64 insn: lddw ${name} with a nonzero second immediate (${second.imm})`);
  const fd = ins.imm;
  const map = fd >= 0 ? maps?.[fd] : undefined;
  if (!map) {
    return fail(i, `lddw ${name} ${fd}: fd ${fd} is not pointing to valid bpf_map (the machine has ${maps?.length ?? 0} map${maps?.length === 1 ? "" : "s"})`);
  }
  if (!withOffset) return BigInt(map.address);
  const off = second.imm >>> 0;
  if (off >= MAX_VAR_OFF) return fail(i, `lddw ${name} ${fd}, ${off}: direct value offset of ${off} is not allowed`);
  // Only array maps have map_direct_value_addr, and array_map_direct_value_addr wants exactly one
  // element (global data: .data, .rodata, .bss are single-entry arrays) and off < value_size.
  if (map.type !== BPF_MAP_TYPE_ARRAY) return fail(i, `lddw ${name} ${fd} (map '${map.name}'): no direct value access support for this map type`);
  if (map.maxEntries !== 1 || off >= map.valueSize) {
    return fail(i, `lddw ${name} ${fd} (map '${map.name}'): invalid access to map value pointer, value_size=${map.valueSize} off=${off}${map.maxEntries !== 1 ? ` (max_entries ${map.maxEntries}, direct access needs 1)` : ""}`);
  }
  return BigInt(map.values + off);
}

/** The value the `lddw rX, func` at slot `i` loads: the address of the subprogram it names. */
export const funcAddressOf = (insns: readonly Insn[], i: number): bigint => funcAddress(i + 1 + insns[i]!.imm);

/**
 * The program with every pseudo lddw of a map replaced by a plain lddw of its value (src 0);
 * function addresses stay (see above). Returns the same array when there is nothing to replace.
 * Slot indices do not change.
 */
export function resolveLddw(insns: readonly Insn[], maps: readonly LddwMap[] | undefined): readonly Insn[] {
  let out: Insn[] | undefined;
  for (let i = 0; i < insns.length; i++) {
    const ins = insns[i]!;
    const def = describe(ins);
    if (def?.kind !== "lddw") continue;
    if (def.pseudo !== Pseudo.NONE && def.pseudo !== Pseudo.FUNC) {
      const value = pseudoLddwValue(insns, i, maps);
      out ??= insns.slice();
      out[i] = insn(Cls.LD | Mode.IMM | Size.DW, ins.dst, Pseudo.NONE, 0, Number(value & 0xffffffffn) | 0);
      out[i + 1] = insn(0, 0, 0, 0, Number(value >> 32n) | 0);
    }
    i++; // the second slot is data
  }
  return out ?? insns;
}
