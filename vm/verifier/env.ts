// What one verification run knows besides the states: the program, its type and the rules that
// type brings, the maps and helpers it may use, the log, and counters (ids, stack depths).

import type { Insn } from "../isa/instruction.js";
import type { OpDef } from "../isa/table.js";
import type { HelperTable } from "../helpers/registry.js";
import type { ProgramType } from "../programs/types.js";
import type { Subprogram } from "../program/subprograms.js";
import { typeRules, type TypeRules } from "./type-rules.js";
import type { Log } from "./messages.js";
import type { StackLiveness } from "./stack-liveness.js";

/** What the verifier needs to know about a map (the maps module implements more). */
export interface VerifierMap {
  /** enum bpf_map_type (linux/bpf.h): 1 hash, 2 array, 3 prog_array, 5 percpu_hash, 6 percpu_array, 27 ringbuf... */
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly name: string;
  /**
   * map_flags as given to BPF_MAP_CREATE; the verifier reads BPF_F_RDONLY_PROG (1 << 7: programs
   * may read the values, not write them; libbpf's .rodata) and BPF_F_WRONLY_PROG (1 << 8: write,
   * not read). DEVMAP / DEVMAP_HASH are read-only whatever the flags say (map-rules.ts).
   */
  readonly flags?: number;
  /**
   * The value bytes of a frozen single-entry ARRAY (libbpf's .rodata after BPF_MAP_FREEZE). With
   * BPF_F_RDONLY_PROG, loads of 1/2/4/8 bytes at a constant offset read these bytes as a known
   * constant (check_mem_access: bpf_map_is_rdonly → bpf_map_direct_read). Give it only when
   * nobody can change the value any more (the runtime's map is frozen).
   */
  readonly frozen?: Uint8Array;
  /**
   * ARRAY_OF_MAPS / HASH_OF_MAPS: the inner map template (the kernel's map->inner_map_meta). A
   * lookup in the outer map gives map_value_or_null that a NULL check turns into a map_ptr of
   * this template (mark_ptr_not_null_reg), which the map helpers take.
   */
  readonly inner?: VerifierMap;
  /**
   * Offset of the value's `struct bpf_spin_lock` (found through the map's BTF: btf_parse_fields),
   * which bpf_spin_lock / bpf_spin_unlock take and loads and stores may not touch
   * (vm/verifier/spin-lock.ts). Undefined: the value has none.
   */
  readonly spinLock?: number;
  /**
   * Offset of the value's `struct bpf_timer` (found as the lock is), which the bpf_timer_*
   * helpers take and loads and stores may not touch (vm/verifier/timer.ts).
   */
  readonly timer?: number;
  /**
   * The map was created with BTF describing its value (a BTF-defined map of an object). Only
   * changes the message for a lock the value has not: "has to have BTF" without, "has no valid
   * bpf_spin_lock" with. A map with `spinLock` has BTF.
   */
  readonly btf?: boolean;
}

export class Env {
  private idGen = 0;
  /** Deepest stack byte used by each subprogram (kernel: subprog_info.stack_depth). */
  readonly stackDepth: number[];
  readonly rules: TypeRules;
  insnsProcessed = 0;
  jmpsProcessed = 0;
  statesStored = 0;
  /** Checkpoints kept now, and the most ever kept at once (the kernel's peak_states). */
  statesKept = 0;
  peakStates = 0;
  /** Scalars marked precise in checkpoints so far (loops.ts: has a propagation changed anything?). */
  precisionMarks = 0;
  /** Kernel-style heuristics: progress at the last checkpoint added (is_state_visited). */
  lastCheckpointInsns = 0;
  lastCheckpointJmps = 0;

  constructor(
    readonly insns: readonly Insn[],
    readonly defs: ReadonlyArray<OpDef | undefined>,
    readonly subprogs: readonly Subprogram[],
    readonly subprogIndex: Int32Array,
    readonly type: ProgramType,
    /** The maps a program names by fd (lddw BPF_PSEUDO_MAP_FD / _IDX). */
    readonly fdMaps: readonly VerifierMap[],
    readonly helpers: HelperTable,
    readonly log: Log,
    readonly maxInsns: number,
    /** conformance type: bytes r1 points at (r2 holds the same number). */
    readonly memSize: number,
    /** Never-written stack bytes read as unknown (root's allow_uninit_stack), else refused. */
    readonly allowUninitStack: boolean,
    /** BPF_F_STRICT_ALIGNMENT: every access aligned to its size (memory.ts checkStrictAlignment). */
    readonly strictAlignment: boolean,
    /** BPF_F_TEST_STATE_FREQ: a checkpoint at every prune point (verifier.ts visited). */
    readonly testStateFreq: boolean,
    /** enum bpf_attach_type (VerifyOptions.expectedAttach); 0 when none. */
    expectedAttach: number,
    /** Which stack slots paths may still read (pruning ignores the others). */
    readonly liveness: StackLiveness,
  ) {
    this.stackDepth = new Array(subprogs.length).fill(0);
    this.rules = typeRules(type.name, expectedAttach);
    // Inner map templates get indices after the fds: a map_ptr register names one by index,
    // as the kernel's reg->map_ptr points at the outer map's inner_map_meta.
    const maps = [...fdMaps];
    fdMaps.forEach((m, fd) => {
      if (m.inner) this.innerIndex.set(fd, maps.push(m.inner) - 1);
    });
    this.maps = maps;
  }

  /** Every map a register may name (Reg.map): the fd maps, then the inner map templates. */
  readonly maps: readonly VerifierMap[];
  /** A map of maps' index → its inner template's index in `maps`. */
  private readonly innerIndex = new Map<number, number>();

  /** The index of map `index`'s inner template, when it is a map of maps. */
  innerOf(index: number): number | undefined {
    return this.innerIndex.get(index);
  }

  nextId(): number {
    return ++this.idGen;
  }

  noteStack(subprog: number, depth: number): void {
    if (depth > this.stackDepth[subprog]!) this.stackDepth[subprog] = depth;
  }
}
