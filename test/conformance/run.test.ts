// The conformance runner's rules (vm/conformance/run.ts), which both the CLI and the engine
// suite rely on: what the program sees, and when a test passes, fails or is skipped.
import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/assembler.js";
import type { ConformanceTest } from "../../vm/conformance/datafile.js";
import { conformanceMachine, runConformanceTest, xdpInput } from "../../vm/conformance/run.js";
import { Interpreter } from "../../vm/interpreter/index.js";

const engine = new Interpreter();
const machine = conformanceMachine();

function test(asm: string, fields: Partial<ConformanceTest> = {}): ConformanceTest {
  return { name: "t", asm, insns: assemble(asm), mem: new Uint8Array(0), result: 0n, noRegisterOffset: false, ...fields };
}

describe("runConformanceTest", () => {
  it("passes when r0 equals the expected 64-bit result", async () => {
    expect(await runConformanceTest(test("lddw %r0, 0x100000001\nexit", { result: 0x100000001n }), engine, machine))
      .toEqual({ name: "t", status: "pass", message: "", r0: 0x100000001n });
  });
  it("compares all 64 bits", async () => {
    const o = await runConformanceTest(test("lddw %r0, 0x100000001\nexit", { result: 1n }), engine, machine);
    expect(o.status).toBe("fail");
    expect(o.message).toBe("expected 0x1, got 0x100000001");
  });
  it("gives r1 = a copy of the memory and r2 = its length", async () => {
    const mem = new Uint8Array([5, 6, 7]);
    const t = test("ldxb %r0, [%r1+2]\nstb [%r1], 9\nlsh %r2, 8\nadd %r0, %r2\nexit", { mem, result: 0x307n });
    expect((await runConformanceTest(t, engine, machine)).status).toBe("pass");
    expect(mem[0]).toBe(5); // the program wrote to its copy
  });
  it("a test expecting an error passes when the program faults or is refused", async () => {
    const faults = test("ldxw %r0, [%r1+100]\nexit", { result: undefined, errorExpected: "out of bounds" });
    expect((await runConformanceTest(faults, engine, machine)).status).toBe("pass");
    const refused = { ...test("exit", { result: undefined, errorExpected: "bad" }), insns: [{ opcode: 0x8c, dst: 0, src: 0, off: 0, imm: 0 }] };
    expect((await runConformanceTest(refused, engine, machine)).status).toBe("pass");
  });
  it("a test expecting an error fails when the program runs to its end", async () => {
    const o = await runConformanceTest(test("mov %r0, 3\nexit", { result: undefined, errorExpected: "boom" }), engine, machine);
    expect(o).toMatchObject({ status: "fail", message: "expected error 'boom', got 0x3" });
  });
  it("a fault where a result was expected fails with the error", async () => {
    const o = await runConformanceTest(test("ldxw %r0, [%r1+100]\nexit", { result: 1n }), engine, machine);
    expect(o.status).toBe("fail");
    expect(o.message).toMatch(/^expected 0x1, got error: insn 0 \(ldxw %r0, \[%r1\+100\]\): invalid read/);
  });
  it("a test without a program or an expectation is skipped with a reason", async () => {
    expect(await runConformanceTest({ ...test("exit"), insns: [] }, engine, machine)).toMatchObject({ status: "skip", message: "the test has no program" });
    expect((await runConformanceTest(test("exit", { result: undefined }), engine, machine)).status).toBe("skip");
  });
});

describe("xdpInput", () => {
  it("r1 is an xdp_md whose data/data_end frame the memory", async () => {
    const loaded = await engine.load({ insns: assemble("ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nldxb %r0, [%r2+1]\nsub %r3, %r2\nlsh %r3, 8\nadd %r0, %r3\nexit") }, machine);
    expect(loaded.run(xdpInput(machine, new Uint8Array([1, 2, 3])))).toBe(0x302n);
  });
});
