// The verifier on kfunc calls: the numeric iterator's rules (iterator slots, references, the
// element pointer) with the kernel's messages, and its loops verified without unrolling
// (convergence at next()). The same programs against the kernel: test/kernel/kfunc-iter.test.ts.

import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { verify } from "../../vm/verifier/index.js";
import { KFUNC_IDS } from "../../vm/helpers/kfunc/index.js";
import { baseHelpers, HelperTable } from "../../vm/helpers/index.js";
import { kernelHelperTable } from "./kernel-helpers.js";
import { DRAINED_FOREVER, KFUNC_CASES, SUM_LOOP } from "./kfunc-cases.js";

const MAPS = [
  { name: "h", type: 1, keySize: 8, valueSize: 8, maxEntries: 4 },
  { name: "locked", type: 2, keySize: 4, valueSize: 8, maxEntries: 1, spinLock: 0, btf: true },
];
const helpers = kernelHelperTable();
const check = (asm: string, options: { type?: "xdp" | "sched_cls" | "socket_filter" | "conformance"; maxInsns?: number; helpers?: HelperTable } = {}) =>
  verify(assemble(asm), { type: options.type ?? "xdp", maps: MAPS, helpers: options.helpers ?? helpers, ...(options.maxInsns ? { maxInsns: options.maxInsns } : {}) });

describe("verifier: kfunc calls (bpf_iter_num_*)", () => {
  for (const c of KFUNC_CASES) {
    it(`${c.reason ? "refuses" : "accepts"}: ${c.name}`, () => {
      const r = check(c.asm);
      if (!c.reason) {
        expect(r.message).toBeUndefined();
        expect(r.accepted).toBe(true);
        if (c.processed !== undefined) expect(r.processedInsns).toBe(c.processed);
        return;
      }
      expect(r.accepted).toBe(false);
      expect(r.reason).toBe(c.reason);
      expect(r.insn).toBe(c.insn);
      // The message names the instruction as the disassembler prints it.
      expect(r.message).toMatch(new RegExp(`^insn ${c.insn}: `));
    });
  }

  it("prints kfunc calls by name and iterator slots as the kernel's log does", () => {
    const r = verify(assemble(SUM_LOOP), { type: "xdp", helpers, log: 2 });
    expect(r.log).toContain("8: call kfunc bpf_iter_num_next");
    expect(r.log).toContain("fp-8=iter_num(ref_id=1,state=active,depth=0)");
    expect(r.log).toContain("fp-8=iter_num(ref_id=1,state=drained,depth=1)");
    expect(r.log).toContain("R0=rdonly_mem(id=2,ref_obj_id=1,sz=4)");
    expect(r.log).toContain("8: iterator loop converged");
  });

  it("a loop of 1,000,000 iterations is verified in a few dozen instructions (no unrolling, no loop bound)", () => {
    const asm = SUM_LOOP.replace("mov %r3, 3", "mov %r3, 1000000");
    const r = check(asm);
    expect(r.accepted).toBe(true);
    expect(r.processedInsns).toBe(48); // the kernel's count too (test/kernel/kfunc-iter.test.ts)
    // A counted loop of the same length without an iterator is refused (the loop bound).
    const counted = "mov %r6, 0\nloop: add %r6, 1\njlt %r6, 1000000, loop\nmov %r0, 2\nexit";
    expect(check(counted, { maxInsns: 50_000 }).reason).toMatch(/BPF program is too large/);
  });

  it("the element is only known to be an int: a loop variable needs the bpf_for range check to index memory", () => {
    const unchecked = KFUNC_CASES.find((c) => c.name.startsWith("the element, range-checked"))!.asm.replace("jgt %r6, 7, loop\n", "");
    const r = check(unchecked);
    expect(r.accepted).toBe(false);
    expect(r.reason).toMatch(/stack/);
  });

  it("next() after NULL, for ever: the DRAINED path never converges (as in the kernel: the instruction limit)", () => {
    const r = check(DRAINED_FOREVER, { maxInsns: 20_000 });
    expect(r.reason).toBe("BPF program is too large. Processed 20001 insn");
  });

  it("the numeric iterator is in the common set: every program type may call it", () => {
    for (const type of ["xdp", "sched_cls", "socket_filter", "conformance"] as const) {
      expect(check(SUM_LOOP, { type, helpers: baseHelpers() }).accepted, type).toBe(true);
    }
  });

  it("a kfunc the machine's table lacks is refused by name", () => {
    const without = new HelperTable(baseHelpers().list());
    const r = check(SUM_LOOP, { helpers: without });
    expect(r.reason).toBe("calling kernel function bpf_iter_num_new is not allowed");
    expect(r.insn).toBe(4);
  });

  it("kfunc ids are this runtime's, above every BTF id (0xfffff)", () => {
    expect(Object.values(KFUNC_IDS).every((id) => id > 0xfffff)).toBe(true);
    expect(assemble("call kfunc bpf_iter_num_next")[0]).toMatchObject({ opcode: 0x85, src: 2, off: 0, imm: KFUNC_IDS.bpf_iter_num_next });
  });
});
