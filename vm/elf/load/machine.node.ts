// Node-only: instantiateObject with the maps runtime read from build/maps*.wasm, and the helper
// tables `ebpf-wasm verify` checks programs against.

import type { HelperTable } from "../../helpers/registry.js";
import { loadMapsModule } from "../../maps/load.node.js";
import type { ProgramTypeName } from "../../programs/types.js";
import { createNodeMachine } from "../../runtime/machine.node.js";
import { instantiateObject, type LoadedObjectProgram, type ObjectMachineOptions } from "./machine.js";
import type { BpfObject, ObjectProgram } from "./object.js";

export type NodeObjectMachineOptions = Omit<ObjectMachineOptions, "mapsModule"> & { readonly mapsModule?: WebAssembly.Module };

export function instantiateObjectNode(obj: BpfObject, name: string | ObjectProgram | undefined, options: NodeObjectMachineOptions = {}): LoadedObjectProgram {
  return instantiateObject(obj, name, { ...options, mapsModule: options.mapsModule ?? loadMapsModule(options.shared ?? false) });
}

/**
 * Helper tables by program type, for verifying without running: each is the helper table of an
 * empty machine of that type (the same helpers, hence the same signatures, a run would get).
 */
export function nodeHelperTables(): (type: ProgramTypeName) => HelperTable {
  const tables = new Map<ProgramTypeName, HelperTable>();
  return (type) => {
    let table = tables.get(type);
    if (!table) {
      table = createNodeMachine({ type }).helpers;
      tables.set(type, table);
    }
    return table;
  };
}
