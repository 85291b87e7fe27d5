// The global-function fixtures (test/verifier/fixtures, rebuilt by fixtures/build.sh) and one
// program of them loaded into the kernel as libbpf loads it: its maps created (global data
// written, .rodata frozen), the object's BTF and the program's .BTF.ext func_info sent, so the
// kernel verifies each global function on its own from its prototype.

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { loadObject, type BpfObject, type ObjectProgram } from "../../vm/elf/load/index.js";
import { programFuncInfo } from "../../vm/elf/load/kernel-btf.js";
import { verifierMaps } from "../../vm/elf/load/verify.js";
import { withCpuSlots } from "../../vm/elf/load/maps.js";
import { kernelBridge, kernelMapSpec, KernelError } from "../../vm/node/kernel/engine.js";
import { verifierStats, type KernelMap } from "../../vm/node/kernel/bridge.js";
import { PROGRAM_TYPES } from "../../vm/programs/index.js";
import type { Insn } from "../../vm/isa/instruction.js";

const DIR = join(import.meta.dirname, "fixtures");
export const GLOBAL_FIXTURES = readdirSync(DIR).filter((f) => f.startsWith("global_") && f.endsWith(".o")).map((f) => f.slice(0, -2)).sort();
export const globalFixture = (name: string): BpfObject => loadObject(new Uint8Array(readFileSync(join(DIR, `${name}.o`))));

export interface KernelVerdict {
  readonly accepted: boolean;
  /** The whole verifier log of a refusal. */
  readonly log: string;
  readonly message?: string;
  /** The instruction the kernel stopped at (the log's last "N: (op)" line). */
  readonly insn?: number;
  /** An accepted program's "processed N insns" (log level 1 | BPF_LOG_STATS). */
  readonly processedInsns?: number;
}


/**
 * BPF_PROG_LOAD of `p` (or of `insns`, a same-shaped variant of it) with the object's maps, BTF
 * and func_info; closes everything it opened.
 */
export function kernelVerdict(obj: BpfObject, p: ObjectProgram, possibleCpus = 1, insns: readonly Insn[] = p.insns): KernelVerdict {
  const bridge = kernelBridge();
  const maps: KernelMap[] = [];
  try {
    verifierMaps(obj).forEach((m, fd) => {
      const map = bridge.createMap(withCpuSlots(kernelMapSpec(m), possibleCpus));
      maps.push(map);
      const om = obj.maps[fd]!;
      if (om.origin === "data" && om.initial) map.update(new Uint8Array(4), om.initial);
      if (om.readonly) map.freeze();
    });
    const funcInfo = programFuncInfo(obj, p);
    const prog = bridge.load(insns, { type: PROGRAM_TYPES[p.type!].kernelType!, name: p.name, sharedMaps: maps, log: 5, ...(funcInfo ? { funcInfo } : {}) });
    prog.close();
    const processed = verifierStats(prog.log)?.processedInsns;
    return { accepted: true, log: "", ...(processed !== undefined ? { processedInsns: processed } : {}) };
  } catch (err) {
    if (err instanceof KernelError && err.verifierRefused) return { accepted: false, log: err.log, message: err.message, ...(err.where.insn !== undefined ? { insn: err.where.insn } : {}) };
    throw err;
  } finally {
    for (const m of maps) m.close();
  }
}

