// Bad input to the JIT's compile(), which validates the program itself (vm/program/validate.ts:
// the checks and messages every engine gives, for callers that skip validate()), internal
// failures, and Binaryen's output kept off stderr.

import { afterEach, describe, expect, it, vi } from "vitest";
import { compile, JitInternalError } from "../../jit/compile.js";
import { loadBinaryen, quietly } from "../../jit/binaryen.js";
import { BpfError } from "../../vm/errors.js";
import { baseHelpers } from "../../vm/helpers/index.js";
import { insn, type Insn } from "../../vm/isa/instruction.js";
import { JitProgram } from "../../jit/engine.js";
import { A, AluOp, JmpOp, makeMachine } from "./util.js";

const target = { pages: 64, shared: false, helpers: baseHelpers() };

async function refusal(insns: Insn[]): Promise<BpfError> {
  try {
    await compile(insns, target);
  } catch (err) {
    expect(err).toBeInstanceOf(BpfError);
    return err as BpfError;
  }
  throw new Error("compile accepted the program");
}

describe("compile() refuses bad programs with the instruction index", () => {
  const cases: Array<[string, Insn[], number, RegExp]> = [
    ["unknown opcode", [A.mov64(0, 0), insn(0xff), A.exit()], 1, /unknown opcode 0xff/],
    ["a known opcode with a field it does not define", [A.mov64(0, 0), insn(0x07, 1, 0, 5, 1), A.exit()], 1, /insn 1: .*off/],
    ["jump out of the program", [A.ja(5), A.exit()], 0, /jump out of range from insn 0 to 6/],
    ["jump into an lddw", [A.ja(1), ...A.lddw(0, 1n), A.exit()], 0, /jump into the middle of ldimm64 insn 1/],
    ["lddw without its second slot", [A.mov64(0, 0), A.lddw(0, 1n)[0]!], 1, /lddw has no second slot/],
    ["falling off the end", [A.mov64(0, 0)], 0, /last insn is not an exit or jmp/],
    ["writing r10", [A.mov64(10, 0), A.exit()], 0, /frame pointer is read only/],
    ["register r11", [insn(0xb7, 11), A.exit()], 0, /R11 is invalid/],
    ["jump across subprograms", [A.callLocal(1), A.exit(), A.ja(-3), A.exit()], 2, /outside its subprogram/],
    ["call into an lddw", [A.callLocal(2), A.exit(), ...A.lddw(0, 1n), A.exit()], 0, /call into the middle of ldimm64/],
    ["unknown helper", [A.call(4242), A.exit()], 0, /invalid func unknown#4242/],
    ["tail call on a machine without bpf_tail_call (test/jit/tailcall.test.ts has machines with it)", [A.call(12), A.exit()], 0, /bpf_tail_call#12/],
  ];
  for (const [name, insns, at, message] of cases) {
    it(name, async () => {
      const err = await refusal(insns);
      expect(err.message).toMatch(message);
      expect(err.where.insn).toBe(at);
    });
  }
  it("an empty program", async () => expect((await refusal([])).message).toMatch(/empty program: no instructions/));
});

describe("internal failures", () => {
  afterEach(() => vi.restoreAllMocks());

  it("a module V8 rejects becomes a JitInternalError carrying the program", async () => {
    const prog = [A.mov64(0, 1), A.exit()];
    // More pages than a 32-bit memory can have: our own output is invalid, which is a bug.
    const err = await compile(prog, { ...target, pages: 70_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JitInternalError);
    expect((err as JitInternalError).program).toBe(prog);
    expect((err as Error).message).toMatch(/bug in ebpf-wasm's JIT/);
  });

  it("Binaryen's own reports are captured, never printed", async () => {
    const stderr = vi.spyOn(process.stderr, "write");
    const stdout = vi.spyOn(process.stdout, "write");
    const bn = await loadBinaryen();
    const m = new bn.Module();
    try {
      // A function declared to return i64 whose body is an i32: invalid.
      m.addFunction("bad", bn.none, bn.i64, [], m.i32.const(1));
      const { value, printed } = quietly(() => m.validate());
      expect(value).toBe(0);
      expect(printed).toMatch(/bad/);
    } finally {
      m.dispose();
    }
    expect(stderr).not.toHaveBeenCalled();
    expect(stdout).not.toHaveBeenCalled();
  });

  it("optimisation levels 1-3 and the Binaryen IR builder give the same results", async () => {
    const prog = [
      A.mov64(0, 0), A.mov64(1, 50),
      A.alu64r(AluOp.ADD, 0, 1), A.alu64(AluOp.MUL, 0, 3), A.alu64(AluOp.SUB, 1, 1), A.jmp(JmpOp.JNE, 1, 0, -4),
      A.exit(),
    ];
    const results = [];
    for (const options of [{ opt: 0 }, { opt: 1 }, { opt: 2 }, { opt: 3 }, { backend: "binaryen" }, { backend: "binaryen", opt: 2 }] as const) {
      const machine = makeMachine();
      const c = await compile(prog, { ...target, pages: machine.layout.pages }, { ...options, validate: true });
      const jit = await JitProgram.instantiate(c, machine, "levels", prog);
      results.push(jit.exports.run(0n, 0n, 0n, 0n, 0n, machine.layout.cpu(0).stackTop, 0));
    }
    expect(new Set(results).size).toBe(1);
  });
});
