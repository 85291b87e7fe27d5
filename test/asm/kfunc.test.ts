// Kfunc calls in the assembler: `call kfunc NAME` for this runtime's kfuncs (vm/helpers/kfunc),
// `call kfunc ID[, BTF_FD_INDEX]` for any id; the disassembler prints known ids by name.

import { describe, expect, it } from "vitest";
import { assemble, disassemble } from "../../vm/asm/index.js";
import { KFUNC_IDS } from "../../vm/helpers/kfunc/index.js";

describe("assembler: kfunc calls by name", () => {
  it("names assemble to the kfunc's id (src = BPF_PSEUDO_KFUNC_CALL, off 0)", () => {
    const insns = assemble("call kfunc bpf_iter_num_new\ncall kfunc bpf_iter_num_next\ncall kfunc bpf_iter_num_destroy\nexit");
    expect(insns.slice(0, 3).map((i) => [i.opcode, i.src, i.off, i.imm])).toEqual([
      [0x85, 2, 0, KFUNC_IDS.bpf_iter_num_new],
      [0x85, 2, 0, KFUNC_IDS.bpf_iter_num_next],
      [0x85, 2, 0, KFUNC_IDS.bpf_iter_num_destroy],
    ]);
  });

  it("the disassembler prints known ids by name, others as numbers, and both assemble back", () => {
    const text = `call kfunc bpf_iter_num_next\ncall kfunc 0x4d2\ncall kfunc ${KFUNC_IDS.bpf_iter_num_new}, 3\nexit\n`;
    const out = disassemble(assemble(text));
    expect(out).toBe(`call kfunc bpf_iter_num_next\ncall kfunc 0x4d2\ncall kfunc bpf_iter_num_new, 3\nexit\n`);
    expect(assemble(out)).toEqual(assemble(text));
  });

  it("an unknown name is an error naming this runtime's kfuncs", () => {
    expect(() => assemble("call kfunc bpf_xdp_ct_lookup")).toThrow(/line 1: unknown kfunc 'bpf_xdp_ct_lookup' \(this runtime's kfuncs: bpf_iter_num_new, /);
    // Registers are not names.
    expect(() => assemble("call kfunc %r1")).toThrow(/kfunc BTF id/);
  });
});
