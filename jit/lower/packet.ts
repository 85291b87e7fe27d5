// Packet helpers as wasm-to-wasm calls of their twins in the maps runtime
// (vm/helpers/packet/as/, vm/helpers/packet/twins.ts says which): skb_load/store_bytes,
// l3/l4_csum_replace, csum_diff, skb_pull_data, csum_update, the XDP adjust helpers, redirect and
// redirect_map. A JS helper call pays for a BigInt per register and the helper's own BigInt
// arithmetic (60–120 ns for these); tc programs rewriting headers and XDP programs forwarding
// packets make one or several a packet.
//
// Most twins check every address their JS helper would dereference and, when one is outside the
// memory (or, for the adjust helpers, outside the CPU's packet slot), return PACKET_SLOW having
// touched nothing; the JIT then calls the JS helper (HelperDef.impl), which raises the
// interpreter's fault:
//
//   r0 = maps.<twin>(r1..rN[, run record, packet slot end])
//   if (r0 == PACKET_SLOW) r0 = helpers.<id>(r1..rN)
//
// redirect always answers; redirect_map's map register is guarded as a map helper's
// (lower/maps.ts), so its twin only ever sees a map of the machine. The interpreter keeps calling
// the JS helpers.

import { twinOf } from "../../vm/helpers/packet/twins.js";
import type { Expr } from "../ir.js";
import { PACKET_SLOW, packetExport, type MapHelperExport } from "../map-exports.js";
import type { FnLowering, ModuleState } from "./context.js";
import { exportCall, lowerMapCall } from "./maps.js";

/**
 * The twin a `call id` lowers to: when the module calls the runtime wasm-to-wasm and the
 * machine's helper `id` is the very HelperDef the twin mirrors (not another with its id).
 */
export function packetCallFor(mod: ModuleState, id: number): MapHelperExport | undefined {
  const def = mod.helpers.get(id);
  const name = mod.mapImports && def ? twinOf(def) : undefined;
  const entry = name && packetExport(name);
  if (!entry || (mod.packetSlotSize === undefined && entry.params.some((p) => "slotEnd" in p))) return undefined;
  return entry;
}

/** `call id` → r0 from the twin, or from the JS helper when the twin says PACKET_SLOW. */
export function lowerPacketCall(f: FnLowering, entry: MapHelperExport, i: number): Expr {
  const { m, bn } = f;
  if (entry.roles[0] === "map") return lowerMapCall(f, entry, i);
  if (entry.result !== "i64_or_slow") return f.set(0, exportCall(f, entry));
  const r0 = f.t64(0);
  const isSlow = m.i64.eq(m.local.tee(r0, exportCall(f, entry), bn.i64), m.i64.const(PACKET_SLOW));
  return f.set(0, m.if(isSlow, f.callHelper(entry.id), m.local.get(r0, bn.i64)));
}
