// Every helper of the runtime declares the registers it reads (HelperDef.args), which is what
// the verifier checks and what the JIT passes it (jit/lower/context.ts helperArity; the
// interpreter passes all five): a helper reading a register through a rest parameter past its
// declared arguments would see 0 on the JIT.

import { describe, expect, it } from "vitest";
import { PROGRAM_TYPES, type ProgramTypeName } from "../../vm/programs/types.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";

describe("helper arity", () => {
  it("no helper of any program type's machine declares fewer arguments than its impl takes", () => {
    let checked = 0;
    for (const type of Object.keys(PROGRAM_TYPES) as ProgramTypeName[]) {
      for (const def of createNodeMachine({ type }).helpers.list()) {
        // impl(ctx, r1, ..., rN): its declared parameters after the context (no rest parameters).
        expect(def.impl.toString(), `${type}: ${def.name}`).not.toMatch(/^\s*(function\s*\w*\s*)?\([^)]*\.\.\./);
        expect(def.impl.length - 1, `${type}: helper ${def.id} (${def.name})`).toBeLessThanOrEqual(def.args.length);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });
});
