// Runtime faults of the interpreter: every access is checked against the current call chain's
// stack and the run's regions, and a fault names the instruction (index and assembly), the
// access, the address and why it is refused.
import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/assembler.js";
import { conformanceInput, conformanceMachine } from "../../vm/conformance/run.js";
import { BpfError, BpfRuntimeError } from "../../vm/errors.js";
import { Interpreter } from "../../vm/interpreter/index.js";
import { baseHelpers, HelperTable } from "../../vm/helpers/index.js";
import type { Machine } from "../../vm/engine.js";

const machine = conformanceMachine();
const cpu = machine.layout.cpu(0);
const hex = (n: number) => `0x${n.toString(16)}`;

function fault(asm: string, mem = new Uint8Array(0), m: Machine = machine, maxInsns?: number): BpfRuntimeError {
  const loaded = new Interpreter({ maxInsns }).loadSync({ insns: assemble(asm) }, m);
  try {
    const r0 = loaded.run(conformanceInput(m, mem));
    throw new Error(`expected a fault, got r0 = ${r0}`);
  } catch (err) {
    if (!(err instanceof BpfRuntimeError)) throw err;
    return err;
  }
}

describe("memory faults", () => {
  it("a read past the input: instruction, size, address and the region it crosses", () => {
    const err = fault("mov %r0, 0\nldxw %r0, [%r1+6]\nexit", new Uint8Array(8));
    const at = cpu.packetData + 6;
    expect(err.message).toBe(
      `insn 1 (ldxw %r0, [%r1+6]): invalid read of 4 bytes at ${hex(at)}: crosses the bounds of 'input' [${hex(cpu.packetData)}, ${hex(cpu.packetData + 8)})`,
    );
    expect(err.where).toEqual({ insn: 1, addr: at });
  });
  it("a read entirely outside the stack and the input", () => {
    const err = fault("lddw %r1, 0x200000\nldxb %r0, [%r1+1]\nexit");
    expect(err.message).toBe("insn 2 (ldxb %r0, [%r1+1]): invalid read of 1 byte at 0x200001: outside stack and input");
    expect(err.where.insn).toBe(2);
  });
  it("a null pointer", () => {
    expect(fault("mov %r1, 0\nstw [%r1+16], 1\nexit").message).toMatch(/^insn 1 \(stw \[%r1\+16\], 1\): invalid write of 4 bytes at 0x10: null pointer dereference$/);
  });
  it("an address that needs more than 32 bits is shown in full", () => {
    expect(fault("mov %r1, -8\nldxdw %r0, [%r1]\nexit").message).toMatch(/invalid read of 8 bytes at 0xfffffffffffffff8: outside the 32-bit address space/);
  });
  it("64-bit wrap-around back into valid memory is followed, as the hardware would", () => {
    // r1 = stack address + 2^64 - 8 ... + 8 wraps to the stack address itself.
    const asm = `lddw %r1, ${hex(cpu.stackTop - 8 - 8)}\nlddw %r2, 0xffffffff00000000\nadd %r1, %r2\nlddw %r2, 0x100000000\nadd %r1, %r2\nstdw [%r1+8], 7\nldxdw %r0, [%r10-8]\nexit`;
    const r0 = new Interpreter().loadSync({ insns: assemble(asm) }, machine).run(conformanceInput(machine, new Uint8Array(0)));
    expect(r0).toBe(7n);
  });
  it("a write above the top of the stack", () => {
    expect(fault("stdw [%r10-4], 1\nexit").message).toMatch(/^insn 0 .*invalid write of 8 bytes at 0x[0-9a-f]+: crosses the top of the stack$/);
  });
  it("a write below the current frame", () => {
    expect(fault("stb [%r10-513], 1\nexit").message).toMatch(/outside the stack of the current call chain/);
  });
  it("a callee may use its own frame but not the frame below it", () => {
    const asm = "call local f\nexit\nf:\nstdw [%r10-512], 1\nstdw [%r10-520], 1\nmov %r0, 0\nexit";
    const err = fault(asm);
    expect(err.where.insn).toBe(3);
    expect(err.message).toMatch(/^insn 3 \(stdw \[%r10-520\], 1\): invalid write/);
  });
  it("a pointer into a returned callee's frame is dangling", () => {
    const asm = "call local f\nldxdw %r0, [%r0]\nexit\nf:\nstdw [%r10-8], 5\nmov %r0, %r10\nadd %r0, -8\nexit";
    expect(fault(asm).message).toMatch(/^insn 1 \(ldxdw %r0, \[%r0\]\): invalid read of 8 bytes at .*outside the stack of the current call chain/);
  });
  it("misaligned atomics are refused, as the kernel requires natural alignment", () => {
    expect(fault("stdw [%r10-16], 0\nmov %r1, 1\nlock add [%r10-12], %r1\nexit").message).toMatch(/^insn 2 .*misaligned atomic access of 8 bytes/);
  });
  it("atomics check writability", () => {
    const err = fault("mov %r2, 1\nlock add32 [%r1+8], %r2\nexit", new Uint8Array(8));
    expect(err.message).toMatch(/^insn 1 .*invalid write of 4 bytes/);
  });
});

describe("other faults", () => {
  it("the instruction budget stops a runaway loop", () => {
    const err = fault("mov %r0, 0\nloop:\nadd %r0, 1\nja loop\nexit", undefined, machine, 1000);
    expect(err.message).toMatch(/^insn 1 \(add %r0, 1\): instruction budget exhausted: more than 1000 instructions executed/);
  });
  it("the budget also counts calls (unbounded recursion is stopped by depth)", () => {
    expect(fault("call local f\nexit\nf:\ncall local f\nexit").message).toMatch(/^insn 2 \(call local -1\): the call stack of 9 frames is too deep \(at most 8\)$/);
  });
  it("callx names the register and the missing id", () => {
    expect(fault("mov %r3, 9999\ncallx %r3\nexit").message).toBe("insn 1 (callx %r3): callx r3: no helper with id 9999");
  });
  it("a helper that throws becomes a fault at the call", () => {
    const helpers = new HelperTable([...baseHelpers().list(), {
      id: 1000, name: "boom", args: [], ret: "integer", impl: () => { throw new Error("kaboom"); },
    }]);
    const m: Machine = { ...machine, helpers };
    expect(fault("call 1000\nexit", undefined, m).message).toBe("insn 0 (call 0x3e8): helper boom (#1000) failed: kaboom");
  });
  it("lddw with a map reference the machine cannot resolve is refused at load", () => {
    const insns = assemble("lddw %r0, 1\nexit");
    insns[0] = { ...insns[0]!, src: 1 };
    expect(() => new Interpreter().loadSync({ insns }, machine)).toThrow(/insn 0: lddw map_fd 1: fd 1 is not pointing to valid bpf_map \(the machine has 0 maps\)/);
  });
  it("regions outside the memory are refused", () => {
    const loaded = new Interpreter().loadSync({ insns: assemble("mov %r0, 0\nexit") }, machine);
    const bytes = machine.memory.buffer.byteLength;
    expect(() => loaded.run({ regions: [{ start: bytes - 4, end: bytes + 4, writable: true, name: "big" }] })).toThrow(BpfError);
    expect(() => loaded.run({ regions: [{ start: 0, end: 16, writable: true, name: "null" }] })).toThrow(/outside the usable memory/);
  });
  it("at most five arguments", () => {
    const loaded = new Interpreter().loadSync({ insns: assemble("mov %r0, 0\nexit") }, machine);
    expect(() => loaded.run({ args: [1n, 2n, 3n, 4n, 5n, 6n] })).toThrow(/at most 5 arguments/);
  });
  it("a disposed program refuses to run", () => {
    const loaded = new Interpreter().loadSync({ insns: assemble("mov %r0, 0\nexit") }, machine);
    loaded.dispose();
    expect(() => loaded.run()).toThrow(/disposed/);
  });
});
