// bpf_tail_call (BPF_FUNC_tail_call = 12): a jump into another program, not a call. Engines
// implement the jump (the interpreter swaps the running program; see vm/runtime/README.md §6);
// what they share is here: the signature the verifier checks, and the lookup that decides whether
// a tail call happens and where to.
//
// Kernel semantics (kernel/bpf/core.c JMP_TAIL_CALL; arch/x86/net/bpf_jit_comp.c
// emit_bpf_tail_call_indirect, the JIT this machine's kernel runs):
//   index = (u32) r3; if (index >= max_entries) fall through;
//   if (tail_call_cnt >= MAX_TAIL_CALL_CNT) fall through;
//   prog = array->ptrs[index]; if (!prog) fall through;
//   tail_call_cnt++;  jump to prog with r1 = ctx.
// The x86 JIT counts only populated slots ("inc tail_call_cnt if the slot is populated"). A tail
// call that falls through leaves r0 undefined for the verifier (RET_VOID).

import type { Program } from "../engine.js";
import { MAX_TAIL_CALLS } from "../isa/opcodes.js";
import { BPF_MAP_TYPE_PROG_ARRAY } from "../maps/abi.js";
import type { MapSet } from "../maps/mapset.js";
import type { ProgramTable } from "../runtime/programs.js";
import type { HelperDef } from "./registry.js";

export const TAIL_CALL_ID = 12;

/**
 * The helper table entry: its signature serves the verifier and validation; calling it as a
 * function is an engine bug (the engine must recognise `call 12` and jump), so it throws.
 */
export const tailCallHelper: HelperDef = {
  id: TAIL_CALL_ID,
  name: "tail_call",
  args: ["ptr_to_ctx", "const_map_ptr", "anything"],
  ret: "void",
  impl: () => {
    throw new Error("bpf_tail_call is a jump, not a call: this engine does not implement tail calls (vm/runtime/README.md §6)");
  },
};

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** The tail-call lookup of one machine: its PROG_ARRAY maps and its program table. */
export class TailCalls {
  constructor(
    private readonly maps: MapSet,
    private readonly programs: ProgramTable | undefined,
  ) {}

  /**
   * The id of the program `bpf_tail_call(ctx, r2, r3)` jumps to when `done` tail calls already
   * happened in this run, or 0 when it falls through. Throws (an Error naming the problem) when
   * r2 is not a PROG_ARRAY of this machine: the verifier's refusal.
   */
  target(r2: bigint, r3: bigint, done: number): number {
    const map = r2 <= 0xffffffffn ? this.maps.byAddress(Number(r2)) : undefined;
    if (!map) throw new Error(`bpf_tail_call: R2 (${hex(r2)}) is not a map pointer of this machine`);
    if (map.type !== BPF_MAP_TYPE_PROG_ARRAY) {
      throw new Error(`bpf_tail_call: map '${map.name}' is a ${map.typeName} map: expected prog array map for tail call`);
    }
    if (done >= MAX_TAIL_CALLS) return 0;
    // prog_array_get gives 0 both for an index past max_entries and for an empty slot.
    return this.maps.runtime.exports.prog_array_get(map.address, Number(r3 & 0xffffffffn)) >>> 0;
  }

  /** The program behind an id found in a slot. */
  program(id: number): Program {
    const program = this.programs?.get(id);
    if (!program) {
      throw new Error(`bpf_tail_call: a PROG_ARRAY slot holds program id ${id}, which is not in the machine's program table`);
    }
    return program;
  }
}
