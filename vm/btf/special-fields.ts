// Where a map value's special kernel struct is (a `struct bpf_spin_lock`, a `struct bpf_timer`),
// from the map's BTF, as the kernel finds it when the map is created (kernel/bpf/btf.c
// btf_parse_fields, called by syscall.c map_check_btf): a member whose type (through typedefs
// and qualifiers) is the struct of that name, in the value struct (or a global data section's
// variables) or in a struct nested in it (btf_find_nested_struct), at a byte offset that is a
// multiple of the struct's alignment. A second one is refused (-E2BIG), a misaligned one with
// -EFAULT (what 6.18's BPF_MAP_CREATE answers for such a BTF: test/kernel/spin-lock.test.ts,
// test/kernel/timer.test.ts). One walk serves every kind; spin-lock.ts and timer.ts name theirs.

import type { Btf } from "./btf.js";
import { BtfKind } from "./kinds.js";

/** A special struct's BTF name and alignment (include/uapi/linux/bpf.h). */
export interface SpecialStruct {
  readonly name: string;
  readonly align: number;
}

export type SpecialField =
  | { readonly off: number }
  | { readonly error: string; readonly errno: number }
  | undefined;

const E2BIG = 7;
const EFAULT = 14;
/** Nesting the search follows (the kernel's nested struct depth is bounded the same way). */
const MAX_DEPTH = 8;

/** The field in the value of BTF type `valueType`, an error the kernel would refuse the map with, or none. */
export function findSpecialField(btf: Btf, valueType: number, kind: SpecialStruct): SpecialField {
  const found: number[] = [];
  walk(btf, valueType, 0, found, 0, kind.name);
  return verdict(found, kind);
}

/**
 * The field among a global data section's variables (libbpf's .data / .bss maps, created with
 * the section's DATASEC as the value type, which btf_parse_fields searches VAR by VAR):
 * `offsetOf` gives each variable's offset in the section (clang may leave the DATASEC's offsets
 * 0; libbpf takes them from the symbol table).
 */
export function findDatasecSpecialField(btf: Btf, section: string, offsetOf: (name: string) => number | undefined, kind: SpecialStruct): SpecialField {
  const sec = btf.datasec(section);
  if (!sec) return undefined;
  const found: number[] = [];
  for (const v of sec.vars) {
    const t = btf.type(v.type, `DATASEC '${section}' entry`);
    if (t.kind !== BtfKind.VAR) continue;
    const off = offsetOf(t.name);
    if (off === undefined) continue;
    walk(btf, t.type, off, found, 0, kind.name);
  }
  return verdict(found, kind);
}

function verdict(found: readonly number[], kind: SpecialStruct): SpecialField {
  if (found.length === 0) return undefined;
  if (found.length > 1) return { error: `the value has ${found.length} 'struct ${kind.name}' fields (at ${found.join(", ")}); only one is allowed`, errno: E2BIG };
  const off = found[0]!;
  if (off % kind.align !== 0) return { error: `its 'struct ${kind.name}' at byte ${off} is not ${kind.align}-byte aligned`, errno: EFAULT };
  return { off };
}

function walk(btf: Btf, id: number, base: number, found: number[], depth: number, name: string): void {
  const t = btf.resolve(id, "map value type");
  if (t.kind !== BtfKind.STRUCT && t.kind !== BtfKind.UNION) return;
  if (t.name === name) {
    found.push(base);
    return;
  }
  if (depth >= MAX_DEPTH) return;
  for (const m of t.members) {
    if (m.bitfieldSize !== 0 || m.bitOffset % 8 !== 0) continue;
    walk(btf, m.type, base + m.bitOffset / 8, found, depth + 1, name);
  }
}
