// Where a map value's `struct bpf_spin_lock` is, from the map's BTF, as the kernel finds it when
// the map is created (kernel/bpf/btf.c btf_parse_fields, called by syscall.c map_check_btf): a
// member whose type (through typedefs and qualifiers) is the struct named bpf_spin_lock, in the
// value struct (or a global data section's variables) or in a struct nested in it
// (btf_find_nested_struct), at a byte offset that is a
// multiple of its 4-byte alignment. A second lock is refused (-E2BIG), a misaligned one with
// -EFAULT (what 6.18's BPF_MAP_CREATE answers for such a BTF).

import type { Btf } from "./btf.js";
import { BtfKind } from "./kinds.js";

export type SpinLockField =
  | { readonly off: number }
  | { readonly error: string; readonly errno: number }
  | undefined;

const E2BIG = 7;
const EFAULT = 14;
const LOCK_NAME = "bpf_spin_lock";
const LOCK_SIZE = 4;
/** Nesting the search follows (the kernel's nested struct depth is bounded the same way). */
const MAX_DEPTH = 8;

/** The lock in the value of BTF type `valueType`, an error the kernel would refuse the map with, or none. */
export function findSpinLock(btf: Btf, valueType: number): SpinLockField {
  const found: number[] = [];
  walk(btf, valueType, 0, found, 0);
  return verdict(found);
}

function verdict(found: readonly number[]): SpinLockField {
  if (found.length === 0) return undefined;
  if (found.length > 1) return { error: `the value has ${found.length} 'struct bpf_spin_lock' fields (at ${found.join(", ")}); only one is allowed`, errno: E2BIG };
  const off = found[0]!;
  if (off % LOCK_SIZE !== 0) return { error: `its 'struct bpf_spin_lock' at byte ${off} is not 4-byte aligned`, errno: EFAULT };
  return { off };
}

function walk(btf: Btf, id: number, base: number, found: number[], depth: number): void {
  const t = btf.resolve(id, "map value type");
  if (t.kind !== BtfKind.STRUCT && t.kind !== BtfKind.UNION) return;
  if (t.name === LOCK_NAME) {
    found.push(base);
    return;
  }
  if (depth >= MAX_DEPTH) return;
  for (const m of t.members) {
    if (m.bitfieldSize !== 0 || m.bitOffset % 8 !== 0) continue;
    walk(btf, m.type, base + m.bitOffset / 8, found, depth + 1);
  }
}

/**
 * The lock among a global data section's variables (libbpf's .data / .bss maps, created with the
 * section's DATASEC as the value type, which btf_parse_fields searches VAR by VAR): `offsetOf`
 * gives each variable's offset in the section (clang may leave the DATASEC's offsets 0; libbpf
 * takes them from the symbol table).
 */
export function findDatasecSpinLock(btf: Btf, section: string, offsetOf: (name: string) => number | undefined): SpinLockField {
  const sec = btf.datasec(section);
  if (!sec) return undefined;
  const found: number[] = [];
  for (const v of sec.vars) {
    const t = btf.type(v.type, `DATASEC '${section}' entry`);
    if (t.kind !== BtfKind.VAR) continue;
    const off = offsetOf(t.name);
    if (off === undefined) continue;
    walk(btf, t.type, off, found, 0);
  }
  return verdict(found);
}
