// Where a map value's `struct bpf_spin_lock` is, from the map's BTF (special-fields.ts: the
// kernel's btf_parse_fields search, shared with struct bpf_timer): 4-byte aligned, one per value.

import type { Btf } from "./btf.js";
import { findDatasecSpecialField, findSpecialField, type SpecialField, type SpecialStruct } from "./special-fields.js";

export type SpinLockField = SpecialField;

const SPIN_LOCK: SpecialStruct = { name: "bpf_spin_lock", align: 4 };

/** The lock in the value of BTF type `valueType`, an error the kernel would refuse the map with, or none. */
export function findSpinLock(btf: Btf, valueType: number): SpinLockField {
  return findSpecialField(btf, valueType, SPIN_LOCK);
}

/** The lock among a global data section's variables (findDatasecSpecialField). */
export function findDatasecSpinLock(btf: Btf, section: string, offsetOf: (name: string) => number | undefined): SpinLockField {
  return findDatasecSpecialField(btf, section, offsetOf, SPIN_LOCK);
}
