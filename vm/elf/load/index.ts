// The ELF object loader (issue 5 item 1): programs and maps by name from clang's BPF objects,
// verified and instantiated on a machine. Node-free except machine.node.ts.
export { loadObject, findProgram, withProgramType, type BpfObject, type ObjectProgram } from "./object.js";
export { innerSlotError, mapCreationError, type ObjectMap, type MapOrigin } from "./maps.js";
export type { PlacedFunction, ProgramRelocation, LinkedProgram } from "./link.js";
export { sectionType, kernelProgTypeName, KERNEL_PROG_TYPES, type SectionType } from "./program-types.js";
export { anyMapTypeName, mapFlagsText } from "./map-types.js";
export { licenseIsGplCompatible } from "./license.js";
export { objectMapError, verifierMaps, verifyObject, verifyObjectProgram, type ProgramVerification, type VerifyObjectOptions, type VerifyStatus } from "./verify.js";
export { instantiateObject, type LoadedObjectProgram, type ObjectMachineOptions } from "./machine.js";
