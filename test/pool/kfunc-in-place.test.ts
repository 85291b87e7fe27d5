// The pool's in-place scan (vm/pool/packet-writes.ts) on kfunc calls: the numeric iterator's
// kfuncs write only their stack slot, so a program that loops with them still runs in place;
// any other kfunc, or one given a packet pointer, is assumed to write.

import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { packetWrites } from "../../vm/pool/index.js";
import { programType } from "../../vm/programs/types.js";
import { SUM_LOOP } from "../verifier/kfunc-cases.js";

const scan = (source: string) => packetWrites(assemble(source), programType("xdp"));

describe("packetWrites and kfunc calls", () => {
  it("a bpf_for loop (iterator kfuncs on the stack) does not write packets", () => {
    expect(scan(SUM_LOOP)).toMatchObject({ writes: false });
  });

  it("a kfunc the scan does not know, or an iterator kfunc given a packet pointer, is assumed to write", () => {
    expect(scan("call kfunc 77\nmov %r0, 2\nexit").reason).toBe("insn 0: calls a kfunc (assumed to write)");
    expect(scan("ldxw %r1, [%r1+0]\ncall kfunc bpf_iter_num_next\nmov %r0, 2\nexit").reason).toBe("insn 1: calls a kfunc (assumed to write)");
  });
});
