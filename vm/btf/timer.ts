// Where a map value's `struct bpf_timer` is, from the map's BTF (special-fields.ts: the kernel's
// btf_parse_fields search, shared with struct bpf_spin_lock). include/uapi/linux/bpf.h defines
// it as `struct bpf_timer { __u64 __opaque[2]; } __attribute__((aligned(8)))`: 16 bytes,
// 8-byte aligned, one per value. C always places it 8-aligned; 6.18's BPF_MAP_CREATE takes a BTF
// that puts it at any offset (test/kernel/timer.test.ts), so no alignment is asked here (the
// maps runtime needs 4: vm/maps/spec.ts says so).

import type { Btf } from "./btf.js";
import { findDatasecSpecialField, findSpecialField, type SpecialField, type SpecialStruct } from "./special-fields.js";

const TIMER: SpecialStruct = { name: "bpf_timer", align: 1 };

/** The timer in the value of BTF type `valueType`, an error the kernel would refuse the map with, or none. */
export function findTimer(btf: Btf, valueType: number): SpecialField {
  return findSpecialField(btf, valueType, TIMER);
}

/** The timer among a global data section's variables (findDatasecSpecialField). */
export function findDatasecTimer(btf: Btf, section: string, offsetOf: (name: string) => number | undefined): SpecialField {
  return findDatasecSpecialField(btf, section, offsetOf, TIMER);
}
