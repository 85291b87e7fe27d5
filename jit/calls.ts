// The static call graph of bpf-to-bpf calls: does any path need more than MAX_CALL_FRAMES
// frames (or recurse)? If not, the generated calls skip the run-time depth check. Iterative
// (Kahn's algorithm), so a program with thousands of subprograms cannot exhaust the JS stack.

import { MAX_CALL_FRAMES } from "../vm/isa/opcodes.js";
import type { ProgramCfg } from "./cfg.js";

/** Frames the deepest call chain from the entry uses, or Infinity when calls can recurse. */
export function maxCallDepth(cfg: ProgramCfg): number {
  const n = cfg.funcs.length;
  const callers = Array.from({ length: n }, () => [] as number[]);
  const pending = new Int32Array(n); // callees not yet resolved
  cfg.funcs.forEach((func) => {
    pending[func.index] = func.callees.size;
    for (const callee of func.callees) callers[callee]!.push(func.index);
  });
  const depth = new Float64Array(n).fill(1);
  const ready = cfg.funcs.filter((func) => func.callees.size === 0).map((func) => func.index);
  let resolved = 0;
  while (ready.length) {
    const callee = ready.pop()!;
    resolved++;
    for (const caller of callers[callee]!) {
      depth[caller] = Math.max(depth[caller]!, depth[callee]! + 1);
      if (--pending[caller]! === 0) ready.push(caller);
    }
  }
  return resolved === n ? depth[0]! : Infinity;
}

export const needsDepthCheck = (cfg: ProgramCfg): boolean => maxCallDepth(cfg) > MAX_CALL_FRAMES;
