// Maps: the public surface. The runtime itself is AssemblyScript (./as/), built to build/maps.wasm.

export * from "./abi.js";
export { ArenaAllocator } from "./allocator.js";
export { bytesToBigInt, bytesToNumber, MemoryView, type MapBytes } from "./codec.js";
export type { MapDescriptor } from "./descriptor.js";
export { errnoName, MapError } from "./errors.js";
export { BpfMap, MapHandle, type Batch, type ValueCodec } from "./map.js";
export { MapOfMaps, type InnerMapRef } from "./map-of-maps.js";
export { MapSet, type AnyMap } from "./mapset.js";
export { perCpuValues, sumPerCpu, type PerCpuInput, type PerCpuMap } from "./percpu.js";
export { PerfEventArray } from "./perf-event-array.js";
export { planMap, type MapPlan } from "./plan.js";
export { QueueMap } from "./queue.js";
export { BloomFilterMap } from "./bloom-filter.js";
export { RingBuf, type SampleCallback } from "./ringbuf.js";
export { XskMap } from "./xsk-map.js";
export { CgroupArray } from "./cgroup-array.js";
export { isSharedMemory, MAPS_EXPORTS, MapsRuntime, type MapsExports } from "./runtime.js";
export { checkSpec, innerMapMismatch, type CheckedInner, type CheckedSpec } from "./spec.js";
export { isHash, isMapOfMaps, isPerCpu, MapType, mapTypeName, parseMapType, type InnerMapSpec, type MapSpec, type MapTypeName } from "./types.js";
