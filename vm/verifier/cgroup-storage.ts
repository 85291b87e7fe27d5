// resolve_pseudo_ldimm64 → bpf_cgroup_storage_assign (kernel/bpf/verifier.c, local_storage.c):
// a program may use one CGROUP_STORAGE map and one PERCPU_CGROUP_STORAGE map, since its run has
// one storage of each type (vm/helpers/cgroup-storage.ts). The kernel checks every map an
// ld_imm64 names, in instruction order, before verifying any path: so does this, dead code too.

import type { OpDef } from "../isa/table.js";
import type { Insn } from "../isa/instruction.js";
import { Pseudo } from "../isa/opcodes.js";
import type { VerifierMap } from "./env.js";
import { MapType } from "./map-rules.js";
import { reject } from "./messages.js";

/** ld_imm64 sources whose imm names a map (by fd or index). */
const NAMES_MAP: ReadonlySet<number> = new Set([Pseudo.MAP_FD, Pseudo.MAP_VALUE, Pseudo.MAP_IDX, Pseudo.MAP_IDX_VALUE]);

export function checkCgroupStorageMaps(insns: readonly Insn[], defs: ReadonlyArray<OpDef | undefined>, maps: readonly VerifierMap[]): void {
  const used = new Map<number, VerifierMap>();
  for (let i = 0; i < insns.length; i++) {
    const def = defs[i];
    if (def?.kind !== "lddw" || !NAMES_MAP.has(def.pseudo)) continue;
    const map = maps[insns[i]!.imm];
    if (map?.type !== MapType.CGROUP_STORAGE && map?.type !== MapType.PERCPU_CGROUP_STORAGE) continue;
    const assigned = used.get(map.type);
    if (assigned !== undefined && assigned !== map) reject("only one cgroup storage of each type is allowed", i);
    used.set(map.type, map);
  }
}
