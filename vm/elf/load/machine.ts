// Instantiating an object for one of its programs: a machine of the program's type with the
// object's maps (fd = index, vm/runtime/README.md §1), global data written into its maps, the
// program verified, and static PROG_ARRAY slots filled with the programs they name (each
// verified and added to the machine's program table, as BPF_PROG_LOAD + a map update would);
// static map-of-maps slots filled with the maps they name.
// Verification is on by default: `verify: false` exists for experiments, and callers that
// expose it must say so loudly.

import { BpfError } from "../../errors.js";
import type { Program } from "../../engine.js";
import type { Insn } from "../../isa/instruction.js";
import { applyCtxRewrites } from "../../program/ctx-narrow.js";
import { trapDeadFrameWrites } from "../../program/frame-writes.js";
import { createMachine, type MachineOptions, type RuntimeMachine } from "../../runtime/machine.js";
import type { VerifyResult } from "../../verifier/verifier.js";
import { BPF_MAP_TYPE_PROG_ARRAY } from "./map-types.js";
import { withCpuSlots, type ObjectMap } from "./maps.js";
import { findProgram, type BpfObject, type ObjectProgram } from "./object.js";
import { objectMapError, verifyObjectProgram } from "./verify.js";

export interface ObjectMachineOptions extends Omit<MachineOptions, "type" | "maps"> {
  /** Verify every program before it can run (default true). */
  readonly verify?: boolean;
  /** Verifier log level for the results kept in `verification`. */
  readonly log?: 0 | 1 | 2;
}

export interface LoadedObjectProgram {
  readonly object: BpfObject;
  /** The program chosen to run. */
  readonly entry: ObjectProgram;
  /** What an engine loads: its linked instructions. */
  readonly program: Program;
  readonly machine: RuntimeMachine;
  /** Whether the programs were verified (false only with `verify: false`). */
  readonly verified: boolean;
  /** Verifier results by program name (the entry and every tail-call target). */
  readonly verification: ReadonlyMap<string, VerifyResult>;
  /** Programs placed in PROG_ARRAY slots: name → program id. */
  readonly tailPrograms: ReadonlyMap<string, number>;
}

/** The object's program `name` (see findProgram) on a new machine, ready for an engine. */
export function instantiateObject(obj: BpfObject, name: string | ObjectProgram | undefined, options: ObjectMachineOptions): LoadedObjectProgram {
  const entry = typeof name === "object" ? name : findProgram(obj, name);
  const type = runnableType(entry);
  // Every map is checked as BPF_MAP_CREATE would check it, with the message `verify` gives.
  const mapError = objectMapError(obj);
  if (mapError) throw mapError;
  const machine = createMachine({ ...options, type, maps: obj.maps.map((m) => withCpuSlots(m.spec, options.cpus ?? 1)) });
  writeGlobalData(obj, machine);
  fillInnerSlots(obj, machine);
  const check = options.verify ?? true;
  const verification = new Map<string, VerifyResult>();
  const verifyOne = (p: ObjectProgram): void => {
    if (!check) return;
    const v = verifyObjectProgram(obj, p, { helpers: () => machine.helpers, log: options.log ?? 0 });
    if (v.result) verification.set(p.name, v.result);
    if (v.status !== "accepted") {
      throw new BpfError(`program '${p.name}' (section '${p.section}') was rejected by the verifier: ${v.message}`, v.insn !== undefined ? { insn: v.insn } : {});
    }
  };
  verifyOne(entry);
  const tailPrograms = fillProgArrays(obj, machine, entry, verifyOne, verification);
  return { object: obj, entry, program: { insns: [...runnable(entry.insns, verification.get(entry.name))], name: entry.name }, machine, verified: check, verification, tailPrograms };
}

/**
 * What an engine runs: a verified program's dead writes to r10 as traps (vm/program/frame-writes.ts)
 * and its accesses to narrower context fields as the kernel converts them (vm/program/ctx-narrow.ts).
 */
const runnable = (insns: readonly Insn[], verified: VerifyResult | undefined): readonly Insn[] =>
  verified ? applyCtxRewrites(trapDeadFrameWrites(insns), verified.ctxRewrites) : insns;

function runnableType(p: ObjectProgram): NonNullable<ObjectProgram["type"]> {
  if (p.error) throw p.error;
  if (!p.type) throw new BpfError(`program '${p.name}' (section '${p.section}') cannot run here: ${p.unsupported ?? "unsupported program type"}`);
  return p.type;
}

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};

/**
 * .data / .rodata contents into element 0 of their maps (.bss stays zero, as created); .rodata is
 * then frozen, as libbpf does (bpf_object__populate_internal_map: BPF_MAP_FREEZE), so the
 * verifier may treat its bytes as constants (verify.ts) and user space can no longer change them.
 */
function writeGlobalData(obj: BpfObject, machine: RuntimeMachine): void {
  for (const m of obj.maps) {
    if (m.origin !== "data") continue;
    const map = machine.maps.keyed(m.name);
    if (m.initial) map.update(u32(0), m.initial);
    if (m.readonly) map.freeze();
  }
}

/**
 * Static map-of-maps slots (libbpf init_map_in_map_slots: key the u32 slot index, value the
 * inner map's fd), before any program is verified, as libbpf fills them when it creates the
 * maps. objectMapError already refused a slot whose map the kernel would refuse.
 */
function fillInnerSlots(obj: BpfObject, machine: RuntimeMachine): void {
  for (const m of obj.maps) {
    if (!m.innerSlots?.length) continue;
    const outer = machine.maps.mapOfMaps(m.name);
    for (const slot of m.innerSlots) {
      try {
        outer.update(u32(slot.index), machine.maps.get(slot.map)!);
      } catch (err) {
        if (!(err instanceof BpfError)) throw err;
        throw new BpfError(`map '${m.name}': cannot initialise slot [${slot.index}] to map '${slot.map}': ${err.message}`);
      }
    }
  }
}

/** Fill static PROG_ARRAY slots; each target is verified and added once. */
function fillProgArrays(
  obj: BpfObject, machine: RuntimeMachine, entry: ObjectProgram, verifyOne: (p: ObjectProgram) => void, verification: ReadonlyMap<string, VerifyResult>,
): Map<string, number> {
  const ids = new Map<string, number>();
  const idOf = (m: ObjectMap, programName: string): number => {
    const known = ids.get(programName);
    if (known !== undefined) return known;
    const p = obj.programs.find((q) => q.name === programName)!;
    const type = runnableType(p);
    // The kernel keeps one program type per PROG_ARRAY (bpf_prog_map_compatible): a tail call
    // target has its caller's type. One machine has one type, so others cannot be placed.
    if (type !== entry.type) {
      throw new BpfError(`map '${m.name}': program '${p.name}' is ${type}, but the machine runs ${entry.type} programs (a PROG_ARRAY holds programs of one type)`);
    }
    if (p !== entry) verifyOne(p);
    const id = machine.programs.add({ insns: [...runnable(p.insns, verification.get(p.name))], name: p.name });
    ids.set(programName, id);
    return id;
  };
  for (const m of obj.maps) {
    if (!m.slots?.length) continue;
    if (m.spec.type !== BPF_MAP_TYPE_PROG_ARRAY) throw new BpfError(`map '${m.name}' has initial program slots but is not a PROG_ARRAY`);
    const map = machine.maps.keyed(m.name);
    for (const slot of m.slots) map.update(u32(slot.index), u32(idOf(m, slot.program)));
  }
  return ids;
}
