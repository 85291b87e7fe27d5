// BTF func_info for loading a program into the Linux kernel. The kernel types the address of a
// callback (`lddw rX, func`) only when the program comes with BTF describing its functions
// (kernel/bpf/verifier.c check_ld_imm: "missing btf func_info"), and each callback must be a
// static function ("callback function not static"). Our programs carry no BTF once linked, so
// this builds the least the kernel takes: one `int` type, one prototype `int (void)` and one
// static FUNC per subprogram, with a func_info record {insn_off, type_id} at each subprogram's
// first instruction (check_btf_func wants exactly one per subprogram, in order, the first at 0).
//
// A static function's BTF prototype only informs the verifier (btf_check_subprog_call marks a
// mismatch "unreliable" and goes on), so one prototype serves every function. The return type
// is `int` because check_btf_func refuses tail calls and LD_ABS in subprograms returning
// anything else. Layouts: include/uapi/linux/btf.h.

import type { Insn } from "../isa/instruction.js";
import { BtfKind } from "../btf/kinds.js";
import { btfBlob, btfInfo, BtfStrings } from "../btf/write.js";
import { subprogramStarts } from "./subprograms.js";

export interface FuncInfo {
  /** A BTF blob (header, types, strings) for BPF_BTF_LOAD. */
  readonly btf: Uint8Array;
  /** bpf_func_info records: insn_off, type_id pairs (8 bytes each: func_info_rec_size). */
  readonly records: Uint32Array;
}

const INT_SIGNED = 1 << 24;
/** Type ids: 1 = int, 2 = int (void), then one FUNC per subprogram. */
const INT_ID = 1;
const PROTO_ID = 2;
const FIRST_FUNC_ID = 3;

/** func_info and the BTF it refers to, for a program's subprograms (vm/program/subprograms.ts). */
export function funcInfo(insns: readonly Insn[]): FuncInfo {
  const starts = subprogramStarts(insns);
  const strings = new BtfStrings();
  const types: number[] = [];
  // struct btf_type { name_off, info (kind << 24 | vlen), size/type }, then kind-specific data.
  types.push(strings.add("int"), btfInfo(BtfKind.INT), 4, INT_SIGNED | 32);
  types.push(0, btfInfo(BtfKind.FUNC_PROTO), INT_ID);
  // FUNC's vlen is its linkage: 0 = BTF_FUNC_STATIC.
  starts.forEach((_, k) => types.push(strings.add(k === 0 ? "main" : `sub_${k}`), btfInfo(BtfKind.FUNC), PROTO_ID));
  const btf = btfBlob(types, strings);
  const records = new Uint32Array(starts.length * 2);
  starts.forEach((start, k) => {
    records[2 * k] = start;
    records[2 * k + 1] = FIRST_FUNC_ID + k;
  });
  return { btf, records };
}
