// ebpf-wasm's public API: everything a user needs, from this one module. Deep imports
// (vm/..., jit/...) are internal and may change; what is exported here is the contract.
//
//   load (assemble / decode / translate cBPF) → validate → engine.load → run / runBatch
//
// Node-only parts (file loading, the kernel engine, the worker pool) have their own entry points
// under vm/node and vm/pool so that this module stays usable in a browser.

// The ISA: opcodes, instruction slots, the one opcode table.
export * from "./vm/isa/index.js";
export { BpfError, BpfRuntimeError, type BpfErrorWhere } from "./vm/errors.js";

// Text forms: assembler and disassembler (uBPF / bpf_conformance syntax).
export { assemble, disassemble, formatInsn, type AssembleOptions, type DisassembleOptions } from "./vm/asm/index.js";

// Programs: structural validation, subprograms, program types and their contexts.
export { validate, subprograms, trapDeadFrameWrites, type ValidateOptions, type Subprogram } from "./vm/program/index.js";
export * from "./vm/programs/index.js";

// Engines: one interface, found by name ("interpreter", "jit", "kernel").
export type { BatchInput, Engine, LoadedProgram, Machine, Program, Region, RunInput } from "./vm/engine.js";
export { getEngine, engineNames } from "./vm/engines.js";
export { Interpreter, type InterpreterOptions } from "./vm/interpreter/index.js";

// Memory, helpers and maps.
export { Layout, type CpuRegion, type LayoutOptions } from "./vm/memory/layout.js";
export { HelperTable, baseHelpers, type HelperDef, type HelperContext } from "./vm/helpers/index.js";
export * from "./vm/maps/index.js";
// The maps runtime from bytes, a Response or a URL (browsers; Node can use ebpf-wasm/node's loadMapsModule).
export { compileMapsModule, type MapsWasmBytes, type MapsWasmSource } from "./vm/maps/load.js";

// Packets: pcap / pcapng, link types, the seeded generator; classic BPF.
export * from "./vm/packets/index.js";
export { generate, generatePcap, parseGenSpec, formatGenSpec, type GenSpec } from "./corpus/gen/index.js";
export { translateClassic, translateClassicText, parseClassicText, readClassicText, parseTcpdumpDd, parseTcpdumpDdd, decodeSockFilters, checkClassic } from "./vm/cbpf/index.js";

// Conformance: bpf_conformance data files and their runner.
export { parseDataFile, type ConformanceTest } from "./vm/conformance/datafile.js";
export { runConformanceTest, conformanceMachine, conformanceInput } from "./vm/conformance/run.js";

// Objects from clang: the ELF reader and loader (programs, maps, global data, BTF).
export { parseElf } from "./vm/elf/index.js";
export {
  loadObject,
  findProgram,
  instantiateObject,
  verifyObject,
  type BpfObject,
  type ObjectProgram,
  type LoadedObjectProgram,
} from "./vm/elf/load/index.js";
export { parseBtf, parseBtfExt, btfMapDefinitions, Btf } from "./vm/btf/index.js";

// The verifier: only programs it accepts should run (the CLI and the loader verify by default).
export { verify, type VerifyOptions, type VerifyResult, type VerifierMap } from "./vm/verifier/index.js";

// Running packets: machines with maps and helpers per program type, contexts, the runner.
export {
  createMachine,
  attachMachine,
  describeMachine,
  PacketRunner,
  loadRunner,
  type RuntimeMachine,
  type MachineOptions,
  type PacketResult,
  type BatchResult,
} from "./vm/runtime/index.js";
