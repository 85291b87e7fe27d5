// Structural validation (vm/program): each bad-input case of issue 2 is refused with the slot
// and the reason; every conformance program passes; subprograms are found.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/assembler.js";
import { parseDataFile } from "../../vm/conformance/datafile.js";
import { BpfError } from "../../vm/errors.js";
import { baseHelpers } from "../../vm/helpers/index.js";
import { decode } from "../../vm/isa/instruction.js";
import { subprogramOf, subprograms, validate } from "../../vm/program/index.js";
import { BAD_PROGRAMS } from "../engines/bad-programs.js";

const helpers = baseHelpers();

describe("validate refuses bad programs", () => {
  for (const bad of BAD_PROGRAMS) {
    it(bad.name, () => {
      let err: unknown;
      try {
        validate(bad.insns, { helpers });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BpfError);
      const e = err as BpfError;
      expect(e.where.insn).toBe(bad.insn);
      expect(e.message).toMatch(bad.reason);
      if (bad.insns.length > 0) expect(e.message.startsWith(`insn ${bad.insn}: `)).toBe(true);
    });
  }
  it("gives the full kernel-style message", () => {
    expect(() => validate(assemble("mov %r0, 0\nja +5\nexit"))).toThrow("insn 1: jump out of range from insn 1 to 7");
    expect(() => validate(assemble("call 9999\nexit"), { helpers })).toThrow("insn 0: invalid func unknown#9999 (no helper with this id)");
    expect(() => validate(assemble("call 69\nexit"), { helpers })).toThrow("insn 0: helper bpf_fib_lookup#69 is not implemented here (not in this machine's helper table)");
    expect(() => validate(assemble("mov %r0, 0\nadd %r0, 1"))).toThrow(
      "insn 1: last insn is not an exit or jmp: execution falls off the end of the program",
    );
  });
  it("checks helper ids only when given a helper table", () => {
    expect(() => validate(assemble("call 9999\nexit"))).not.toThrow();
  });
  it("truncated bytecode is refused when decoded, with the slot", () => {
    expect(() => decode(new Uint8Array(12))).toThrow(/bytecode length 12 is not a multiple of 8/);
  });
});

describe("validate accepts", () => {
  const dir = join(import.meta.dirname, "..", "..", "corpus", "conformance", "bpf_conformance");
  it("every conformance program", () => {
    const files = readdirSync(dir).filter((f) => f.endsWith(".data"));
    expect(files.length).toBe(313);
    for (const f of files) {
      const test = parseDataFile(readFileSync(join(dir, f), "utf8"), f);
      expect(() => validate(test.insns, { helpers }), f).not.toThrow();
    }
  });
  it("constant division by zero and out-of-range shift counts (RFC 9669 defines them)", () => {
    expect(() => validate(assemble("mov %r0, 1\ndiv %r0, 0\nmod32 %r0, 0\nlsh %r0, 99\nexit"))).not.toThrow();
  });
  it("a program ending in an unconditional jump backwards", () => {
    expect(() => validate(assemble("mov %r0, 0\nja +1\nexit\nja -2"))).not.toThrow();
  });
});

describe("subprograms", () => {
  it("splits at local call targets", () => {
    const insns = assemble("call local f\ncall local g\nexit\nf:\nmov %r0, 1\nexit\ng:\ncall local f\nexit");
    const subs = subprograms(insns);
    expect(subs).toEqual([{ start: 0, end: 3 }, { start: 3, end: 5 }, { start: 5, end: 7 }]);
    expect(validate(insns)).toEqual(subs);
    expect([0, 2, 3, 4, 5, 6].map((i) => subprogramOf(subs, i))).toEqual([0, 0, 1, 1, 2, 2]);
  });
  it("one subprogram without local calls; none for an empty program", () => {
    expect(subprograms(assemble("mov %r0, 0\nexit"))).toEqual([{ start: 0, end: 2 }]);
    expect(subprograms([])).toEqual([]);
  });
  it("ignores call targets outside the program (validate reports them)", () => {
    const insns = assemble("call local +5\nexit");
    expect(subprograms(insns)).toEqual([{ start: 0, end: 2 }]);
  });
});
