// redirect (23) and redirect_map (51) as wasm-to-wasm calls of their twins in the maps runtime
// (vm/helpers/packet/as/redirect.ts), which write the target into the running CPU's run record
// as the JS helpers do (vm/helpers/packet/redirect.ts). An XDP program forwarding every packet
// makes one of these calls per packet; through JS, redirect_map took 122 ns.
//
// redirect_map's map register is checked as a map helper's is (lower/maps.ts: proven from a
// known map constant, else tested against the machine's maps in wasm, else the JS helper), so
// the twin only ever sees a map of the machine.

import { redirectTwin } from "../../vm/helpers/packet/redirect.js";
import type { Expr } from "../ir.js";
import { REDIRECT_EXPORTS, type MapHelperExport } from "../map-exports.js";
import type { FnLowering, ModuleState } from "./context.js";
import { exportCall, lowerMapCall } from "./maps.js";

/** The twin of the machine's helper `id`, when the module calls the runtime wasm-to-wasm. */
export function redirectCallFor(mod: ModuleState, id: number): MapHelperExport | undefined {
  const def = mod.helpers.get(id);
  const twin = mod.mapImports && def ? redirectTwin(def) : undefined;
  return twin && REDIRECT_EXPORTS[twin];
}

export function lowerRedirect(f: FnLowering, entry: MapHelperExport, i: number): Expr {
  return entry.roles[0] === "map" ? lowerMapCall(f, entry, i) : f.set(0, exportCall(f, entry));
}
