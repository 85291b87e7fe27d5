// ebpf-wasm's Node-only entry point (`import … from "ebpf-wasm/node"`): what needs files,
// threads or the kernel. Everything else is in index.ts, which also runs in a browser.

export * from "./index.js";

// The maps runtime (build/maps*.wasm) and machines that load it from disk.
export { loadMapsModule, loadMapsRuntime, createMapSet } from "./vm/maps/load.node.js";
export { createNodeMachine, type NodeMachineOptions } from "./vm/runtime/machine.node.js";
export { instantiateObjectNode, type NodeObjectMachineOptions } from "./vm/elf/load/machine.node.js";

// One worker per CPU on a shared memory (Piscina).
export { CpuPool, type PoolOptions, type PoolProgram, type PoolRun } from "./vm/pool/index.js";

// The Linux kernel as an engine and oracle (bpf() through a helper process; root only).
export { KernelBridge, type Availability } from "./vm/node/kernel/bridge.js";
