// Packet helpers as wasm-to-wasm calls: skb_load_bytes, skb_store_bytes, l3/l4_csum_replace,
// csum_diff, skb_pull_data and csum_update are also exports of the maps runtime (vm/helpers/packet/as/index.ts), so a tc program
// rewriting headers does not cross into JavaScript for each of them (a JS helper call pays for
// five BigInt conversions and the helper's own BigInt arithmetic).
//
// The export checks every address the JS helper would dereference and, when one is outside the
// memory, returns PACKET_SLOW having touched nothing; the JIT then calls the JS helper
// (HelperDef.impl), which raises the interpreter's fault. So the JIT behaves exactly as with the
// JS helper alone, and the interpreter keeps calling the JS helper:
//
//   r0 = maps.<export>(r1..rN)
//   if (r0 == PACKET_SLOW) r0 = helpers.<id>(r1..rN)

import { csumDiff, csumUpdate, l3CsumReplace, l4CsumReplace, skbLoadBytes, skbPullData, skbStoreBytes } from "../../vm/helpers/packet/index.js";
import type { HelperDef } from "../../vm/helpers/registry.js";
import type { Expr } from "../ir.js";
import { PACKET_HELPER_EXPORTS, PACKET_SLOW, type MapHelperExport } from "../map-exports.js";
import { mapExportName, type FnLowering, type ModuleState } from "./context.js";

/** The runtime's twin of each JS helper, by the HelperDef it stands for. */
const TWINS: ReadonlyMap<HelperDef, MapHelperExport> = new Map(
  [skbLoadBytes, skbStoreBytes, l3CsumReplace, l4CsumReplace, csumDiff, skbPullData, csumUpdate].map((def) => [def, PACKET_HELPER_EXPORTS.find((e) => e.id === def.id)!]),
);

/**
 * The export a `call id` lowers to: when the module calls the runtime wasm-to-wasm and the
 * machine's helper `id` is the very HelperDef the export mirrors (not another with its id).
 */
export function packetCallFor(mod: ModuleState, id: number): MapHelperExport | undefined {
  const def = mod.helpers.get(id);
  return mod.mapImports && def ? TWINS.get(def) : undefined;
}

/** `call id` → r0 from the runtime's export, or from the JS helper when the export says PACKET_SLOW. */
export function lowerPacketCall(f: FnLowering, entry: MapHelperExport): Expr {
  const { m, bn } = f;
  const mod = f.mod;
  mod.usedMapExports.add(entry.export);
  const fast = m.call(mapExportName(entry.export), [1, 2, 3, 4, 5].slice(0, entry.params.length).map((r) => f.get(r)), bn.i64);
  const slow = f.callHelper(entry.id);
  const r0 = f.t64(0);
  const isSlow = m.i64.eq(m.local.tee(r0, fast, bn.i64), m.i64.const(PACKET_SLOW));
  return f.set(0, m.if(isSlow, slow, m.local.get(r0, bn.i64)));
}
