// The runtime: machines for a program type (memory, maps, helpers, program table), contexts,
// and packet runs. Contracts for engines and helpers: ./README.md.

export { createMachine, attachMachine, describeMachine, mapsArenaSize, type MachineDescription, type MachineOptions, type OutputOptions, type RuntimeMachine } from "./machine.js";
export { ProgramTable, type ProgramCheck } from "./programs.js";
export { MachineTimers } from "./timers.js";
export { HELPER_SOURCES, helperAllowed, helpersFor, type HelperEnv, type HelperSource } from "./helpers.js";
export { ContextWriter, etherProtocol, packetType, vlanTag, PacketType, ETH_HLEN, type ContextOptions, type Placed } from "./context.js";
export { clearRecord, readRedirect, writeRedirect, RedirectKind, RECORD_SIZE, REC_REDIRECT_FLAGS, REC_REDIRECT_KIND, REC_REDIRECT_MAP, REC_REDIRECT_TARGET, type Redirect } from "./record.js";
export { ctxRegions, loadRunner, PacketRunner, type BatchResult, type PacketInput, type PacketResult, type RunnerOptions } from "./run.js";
