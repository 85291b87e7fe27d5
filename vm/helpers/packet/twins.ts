// Which export of the maps runtime does a packet helper's work for JIT code: its AssemblyScript
// twin (./as/index.ts says why there are twins and how they stay equal to these helpers). Keyed
// by the HelperDef itself, so that only the helpers defined here get a twin, not another helper
// a machine registers under the same id; the layout-bound helpers made per machine by factories
// (redirect, the XDP adjust helpers) are tagged as they are made.

import type { MapsExports } from "../../maps/runtime.js";
import type { HelperDef } from "../registry.js";
import { csumDiff, l3CsumReplace, l4CsumReplace } from "./csum.js";
import { skbLoadBytes, skbStoreBytes } from "./skb-bytes.js";
import { csumUpdate, skbPullData } from "./skb-linear.js";

const twins = new WeakMap<HelperDef, keyof MapsExports>([
  [skbLoadBytes, "skb_load_bytes"],
  [skbStoreBytes, "skb_store_bytes"],
  [l3CsumReplace, "l3_csum_replace"],
  [l4CsumReplace, "l4_csum_replace"],
  [csumDiff, "csum_diff"],
  [skbPullData, "skb_pull_data"],
  [csumUpdate, "csum_update"],
]);

/** `def`, recorded as having the runtime export `name` for its twin. */
export function withTwin(def: HelperDef, name: keyof MapsExports): HelperDef {
  twins.set(def, name);
  return def;
}

/** The runtime export that is `def`'s twin, if it has one. */
export const twinOf = (def: HelperDef): keyof MapsExports | undefined => twins.get(def);
