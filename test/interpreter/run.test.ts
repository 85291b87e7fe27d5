// Interpreter behaviour besides semantics: entry state, instruction counts, CPUs, batches.
import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/assembler.js";
import { conformanceInput, conformanceMachine } from "../../vm/conformance/run.js";
import { Interpreter } from "../../vm/interpreter/index.js";
import { Layout } from "../../vm/memory/layout.js";
import { baseHelpers } from "../../vm/helpers/index.js";
import type { Machine } from "../../vm/engine.js";

const machine = conformanceMachine();
const load = (asm: string, m: Machine = machine) => new Interpreter().loadSync({ insns: assemble(asm) }, m);

describe("entry state", () => {
  it("r1..r5 come from args (as u64), r10 is the CPU's stack top, the rest are 0", () => {
    const p = load("mov %r0, %r1\nadd %r0, %r5\nadd %r0, %r6\nexit");
    expect(p.run({ args: [-1n, 0n, 0n, 0n, 3n] })).toBe(2n);
    expect(load("mov %r0, %r10\nexit").run()).toBe(BigInt(machine.layout.cpu(0).stackTop));
  });
  it("r0 is returned as an unsigned 64-bit value", () => {
    expect(load("mov %r0, -1\nexit").run()).toBe(0xffffffffffffffffn);
  });
  it("each CPU has its own stack", () => {
    const layout = new Layout({ cpus: 2, packetMax: 256 });
    const m: Machine = { layout, memory: layout.createMemory(), helpers: baseHelpers() };
    const p = load("mov %r0, %r10\nexit", m);
    expect(p.run({ cpu: 1 })).toBe(BigInt(layout.cpu(1).stackTop));
    expect(load("call 8\nexit", m).run({ cpu: 1 })).toBe(1n);
  });
});

describe("executed instruction count", () => {
  it("counts every executed instruction, lddw once, across jumps and calls", () => {
    const p = load("mov %r0, 0\nmov %r1, 10\nloop:\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, loop\nexit");
    expect(p.executed).toBe(0);
    expect(p.run()).toBe(55n);
    expect(p.executed).toBe(2 + 10 * 3 + 1);
    const q = load("lddw %r0, 5\ncall local f\nexit\nf:\nadd %r0, 1\nexit");
    q.run();
    expect(q.executed).toBe(5);
  });
  it("a packet load that leaves the packet counts up to itself", () => {
    const layout = new Layout({ packetMax: 64 });
    const m: Machine = { layout, memory: layout.createMemory(), helpers: baseHelpers() };
    const cpu = layout.cpu(0);
    new DataView(m.memory.buffer).setUint32(cpu.ctx + 76, cpu.packetData, true);
    new DataView(m.memory.buffer).setUint32(cpu.ctx + 80, cpu.packetData + 4, true);
    const p = load("mov %r6, %r1\nldabsw 4\nmov %r0, 1\nexit", m);
    expect(p.run({ args: [BigInt(cpu.ctx)], regions: [{ start: cpu.ctx, end: cpu.ctx + 192, writable: false, name: "ctx" }] })).toBe(0n);
    expect(p.executed).toBe(2);
  });
});

describe("runBatch", () => {
  it("runs over packet descriptors in memory and stores each r0", () => {
    const m = conformanceMachine();
    const cpu = m.layout.cpu(0);
    const view = new DataView(m.memory.buffer);
    const base = m.layout.mapsBase;
    const packets = [[1, 2, 3], [4, 5], [], [9, 9, 9, 9]];
    let at = base + 4096;
    packets.forEach((bytes, i) => {
      new Uint8Array(m.memory.buffer).set(bytes, at);
      view.setUint32(base + 8 * i, at, true);
      view.setUint32(base + 8 * i + 4, bytes.length, true);
      at += 64;
    });
    // r0 = len * 256 + first byte (or 0xff when empty)
    const p = load("mov %r0, 0xff\njeq %r2, 0, +1\nldxb %r0, [%r1]\nlsh %r2, 8\nadd %r0, %r2\nexit", m);
    const results = base + 1024;
    p.runBatch!({ descAddr: base, count: packets.length, resultsAddr: results });
    const got = packets.map((_, i) => view.getBigUint64(results + 8 * i, true));
    expect(got).toEqual([0x301n, 0x204n, 0xffn, 0x409n]);
    void cpu;
  });
  it("with a context, r1 is the context whose data/data_end frame each packet", () => {
    const m = conformanceMachine();
    const cpu = m.layout.cpu(0);
    const view = new DataView(m.memory.buffer);
    const base = m.layout.mapsBase;
    view.setUint32(base, base + 256, true);
    view.setUint32(base + 4, 6, true);
    // r0 = data_end - data
    const p = load("ldxw %r2, [%r1+4]\nldxw %r3, [%r1+0]\nmov %r0, %r2\nsub %r0, %r3\nexit", m);
    p.runBatch!({ descAddr: base, count: 1, resultsAddr: base + 128, ctx: { addr: cpu.ctx, dataOff: 0, dataEndOff: 4 } });
    expect(view.getBigUint64(base + 128, true)).toBe(6n);
  });
  it("a packet read out of bounds in a batch faults", () => {
    const m = conformanceMachine();
    const view = new DataView(m.memory.buffer);
    const base = m.layout.mapsBase;
    view.setUint32(base, base + 256, true);
    view.setUint32(base + 4, 2, true);
    const p = load("ldxw %r0, [%r1]\nexit", m);
    expect(() => p.runBatch!({ descAddr: base, count: 1, resultsAddr: base + 128 })).toThrow(/insn 0 .*crosses the bounds of 'packet'/);
  });
});

describe("conformance input", () => {
  it("puts the input in the CPU's packet slot and zeroes the stack", () => {
    const m = conformanceMachine();
    const input = conformanceInput(m, new Uint8Array([1, 2, 3]));
    expect(input.args).toEqual([BigInt(m.layout.cpu(0).packetData), 3n]);
    expect(load("ldxdw %r0, [%r10-8]\nexit", m).run(conformanceInput(m, new Uint8Array(0)))).toBe(0n);
  });
});
