// BPF_FUNC_get_prandom_u32 (7): a pseudo-random u32, as the kernel's per-CPU prandom state.

import type { HelperDef } from "./registry.js";

export const getPrandomU32: HelperDef = {
  id: 7,
  name: "get_prandom_u32",
  args: [],
  ret: "integer",
  impl: () => BigInt((Math.random() * 0x1_0000_0000) >>> 0),
};
