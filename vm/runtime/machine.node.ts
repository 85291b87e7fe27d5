// Node-only: createMachine with the maps runtime read from build/maps*.wasm (npm run build:as).

import { loadMapsModule } from "../maps/load.node.js";
import { createMachine, type MachineOptions, type RuntimeMachine } from "./machine.js";

export type NodeMachineOptions = Omit<MachineOptions, "mapsModule"> & { readonly mapsModule?: WebAssembly.Module };

/** A machine whose maps runtime is the build matching `shared` (loaded once per process). */
export function createNodeMachine(options: NodeMachineOptions): RuntimeMachine {
  return createMachine({ ...options, mapsModule: options.mapsModule ?? loadMapsModule(options.shared ?? false) });
}
