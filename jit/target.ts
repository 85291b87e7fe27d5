// From a machine and a program to what compile() takes: the machine's memory, helpers and maps
// as a JitTarget, and the program's instructions checked (the same structural checks and error
// messages as every engine) with their lddw map references resolved to addresses
// (vm/program/lddw.ts, vm/runtime/README.md §5).

import type { Machine, Program } from "../vm/engine.js";
import type { Insn } from "../vm/isa/instruction.js";
import { isSharedMemory } from "../vm/maps/runtime.js";
import { WASM_PAGE } from "../vm/memory/layout.js";
import { resolveLddw } from "../vm/program/lddw.js";
import { validate } from "../vm/program/validate.js";
import type { JitTarget } from "./compile.js";

export { isSharedMemory };

/** The machine as the compiler sees it: memory size and sharedness, helpers, maps, packet slots. */
export function jitTarget(machine: Machine): JitTarget {
  const cpu = machine.layout.cpu(0);
  return {
    pages: machine.memory.buffer.byteLength / WASM_PAGE,
    shared: isSharedMemory(machine.memory),
    helpers: machine.helpers,
    ...(machine.maps ? { maps: machine.maps.describe() } : {}),
    packetSlotSize: cpu.packetEnd - cpu.packetSlot,
  };
}

/** Check `program` for `machine` and resolve its map references: the slots the JIT compiles. */
export function programInsns(program: Program, machine: Machine): readonly Insn[] {
  validate(program.insns, { helpers: machine.helpers });
  return resolveLddw(program.insns, machine.maps?.describe());
}
