// bpf_tail_call (helper 12) on the JIT, against the interpreter: chains through a PROG_ARRAY to
// programs of the machine's table, the kernel's limit of 33 per run, fall-through on an empty
// slot or an index out of range, tail calls from a bpf-to-bpf subprogram, programs loaded
// separately into one machine, the table growing after a load, and faults in any program of a
// chain named at the right instruction.

import { describe, expect, it } from "vitest";
import { JitEngine } from "../../jit/engine.js";
import { BpfRuntimeError } from "../../vm/errors.js";
import { Interpreter } from "../../vm/interpreter/index.js";
import type { RuntimeMachine } from "../../vm/runtime/machine.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { ENGINE_NAMES, frame, jit, machine, planOf, program, runner, u32, type EngineName } from "./runtime.js";
import { count, counting, drain, MAPS, stage } from "../runtime/tailcall-programs.js";

const slot = (m: RuntimeMachine, index: number, id: number): void => m.maps.keyed("jmp").update(u32(index), u32(id));

describe.each(ENGINE_NAMES)("bpf_tail_call on the %s", (name: EngineName) => {
  it("a chain: each target replaces the caller; an emptied slot falls through", async () => {
    const m = machine("xdp", [...MAPS]);
    slot(m, 0, m.programs.add(program(stage(2, 1, 102), "a")));
    slot(m, 1, m.programs.add(program("mov %r0, 3\nexit", "b")));
    const r = await runner(name, m, stage(1, 0, 101));
    expect(r.run(frame()).verdict).toBe("XDP_TX");
    expect(drain(m)).toEqual([1n, 2n]);
    m.maps.keyed("jmp").delete(u32(1));
    expect(r.run(frame()).retval).toBe(102n);
    expect(drain(m)).toEqual([1n, 2n]);
  });

  it("falls through on an empty slot or an index out of range (the low 32 bits of r3), r0 unchanged", async () => {
    const m = machine("xdp", [...MAPS]);
    expect((await runner(name, m, stage(1, 2, 7))).run(frame()).retval).toBe(7n);
    expect((await runner(name, m, stage(1, 4, 8))).run(frame()).retval).toBe(8n);
    slot(m, 0, m.programs.add(program("mov %r0, 9\nexit")));
    expect((await runner(name, m, `lddw %r2, map_fd 0\nlddw %r3, 0x100000000\ncall 12\nmov %r0, 1\nexit`)).run(frame()).retval).toBe(9n);
    expect((await runner(name, m, `mov %r0, 5\nlddw %r2, map_fd 0\nmov %r3, 3\ncall 12\nexit`)).run(frame()).retval).toBe(5n);
  });

  it("at most 33 tail calls per run: a self-chain runs 34 times, the count restarts every run and every batch packet", async () => {
    const m = machine("xdp", [...MAPS]);
    const source = counting(`mov %r1, %r6\nlddw %r2, map_fd 0\nmov %r3, 0\ncall 12\nmov %r0, 1\nexit`);
    slot(m, 0, m.programs.add(program(source, "self")));
    const r = await runner(name, m, source);
    expect(r.run(frame()).verdict).toBe("XDP_DROP");
    expect(count(m)).toBe(34n);
    expect(r.runBatch([frame(), frame()]).verdicts).toEqual({ XDP_DROP: 2 });
    expect(count(m)).toBe(34n * 3n);
  });

  it("tail calls through an empty slot do not count against the limit", async () => {
    const m = machine("xdp", [...MAPS]);
    const empties = Array.from({ length: 5 }, () => "mov %r1, %r6\nlddw %r2, map_fd 0\nmov %r3, 1\ncall 12").join("\n");
    const source = counting(`${empties}\nmov %r1, %r6\nlddw %r2, map_fd 0\nmov %r3, 0\ncall 12\nmov %r0, 1\nexit`);
    slot(m, 0, m.programs.add(program(source)));
    (await runner(name, m, source)).run(frame());
    expect(count(m)).toBe(34n);
  });

  it("the target gets r1 = ctx and the caller's frame", async () => {
    const m = machine("xdp", [...MAPS]);
    slot(m, 0, m.programs.add(program("ldxw %r2, [%r1]\nldxw %r0, [%r1+4]\nsub %r0, %r2\nldxdw %r3, [%r10-16]\nadd %r0, %r3\nexit")));
    const r = await runner(name, m, "stdw [%r10-16], 1000\nlddw %r2, map_fd 0\nmov %r3, 0\ncall 12\nmov %r0, 0\nexit");
    expect(r.run(frame(77)).retval).toBe(1077n);
  });

  it("the target starts with may_goto's whole budget, though the caller spent its own", async () => {
    // Each loop counts in r0 until the budget (BPF_MAX_LOOPS) is spent; the target's prologue
    // stores a new one in the kernel (do_misc_fixups), so it counts to 2^23 again.
    const spend = (label: string): string => `mov %r0, 0\n${label}:\nmay_goto ${label}_end\nadd %r0, 1\nja ${label}\n${label}_end:`;
    const m = machine("xdp", [...MAPS]);
    slot(m, 0, m.programs.add(program(`${spend("b")}\nexit`)));
    const source = `${spend("a")}\nlddw %r2, map_fd 0\nmov %r3, 0\ncall 12\nmov %r0, 1\nexit`;
    // Two budgets' loops run 50M instructions: past the interpreter's default limit (10M).
    const loaded = await (name === "jit" ? jit : new Interpreter({ maxInsns: 100_000_000 })).load(program(source), m);
    const r = new PacketRunner(m, loaded);
    expect(r.run(frame(64)).retval).toBe(8n * 1024n * 1024n);
  });

  it("from a bpf-to-bpf subprogram the target replaces the subprogram's frame and returns to its caller", async () => {
    const m = machine("xdp", [...MAPS]);
    slot(m, 0, m.programs.add(program("mov %r6, 99\nmov %r0, 40\nexit")));
    const r = await runner(name, m, `
      mov %r6, 2
      call local sub
      add %r0, %r6
      exit
      sub:
      lddw %r2, map_fd 0
      mov %r3, 0
      call 12
      mov %r0, 0
      exit`);
    expect(r.run(frame()).retval).toBe(42n);
  });

  it("tail calls from subprograms stack a frame each (the target takes the subprogram's): a self-chain of 33 runs 34 frames deep", async () => {
    // The selftests' tailcall_bpf2bpf_hierarchy programs: the kernel bounds this by stack bytes,
    // we by STACK_FRAMES (a program's 8 frames and one per tail call).
    const m = machine("xdp", [...MAPS]);
    const source = counting(`mov %r1, %r6\ncall local sub\nmov %r0, 1\nexit\nsub:\nlddw %r2, map_fd 0\nmov %r3, 0\ncall 12\nmov %r0, 2\nexit`);
    slot(m, 0, m.programs.add(program(source, "self")));
    expect((await runner(name, m, source)).run(frame()).verdict).toBe("XDP_DROP");
    expect(count(m)).toBe(34n);
  });

  it("a tail call without room below for its target's 8 frames faults, naming the frame (two frames a tail call here)", async () => {
    const m = machine("xdp", [...MAPS]);
    const source = counting(`mov %r1, %r6\ncall local sub\nmov %r0, 1\nexit\nsub:\ncall local sub2\nexit\nsub2:\nlddw %r2, map_fd 0\nmov %r3, 0\ncall 12\nmov %r0, 2\nexit`);
    slot(m, 0, m.programs.add(program(source, "deep")));
    const r = await runner(name, m, source);
    expect(() => r.run(frame())).toThrow(/tail call in frame 35: no room for the target's 8 frames \(a CPU's stack holds 41/);
    expect(count(m)).toBe(17n); // 16 tail calls taken, at frames 3, 5, ... 33
  });

  it("a prog array the JIT cannot see at compile time (spilled r2) goes through the shared lookup", async () => {
    const m = machine("xdp", [...MAPS]);
    slot(m, 2, m.programs.add(program("mov %r0, 21\nexit")));
    const source = "lddw %r2, map_fd 0\nstxdw [%r10-8], %r2\nldxdw %r2, [%r10-8]\nmov %r3, 2\ncall 12\nmov %r0, 1\nexit";
    const r = await runner(name, m, source);
    expect(r.run(frame()).retval).toBe(21n);
    if (name === "jit") expect(planOf(r.program)).toMatchObject({ tailCalls: true, tailLookup: true });
  });

  it("faults when r2 is not a prog array, and when a slot names a program the table does not have", async () => {
    const m = machine("xdp", [...MAPS]);
    const notProgArray = await runner(name, m, "lddw %r2, map_fd 2\nmov %r3, 0\ncall 12\nexit");
    expect(() => notProgArray.run(frame())).toThrow(/insn 3 \(call 0xc\): bpf_tail_call: map 'count' is a array map: expected prog array map for tail call/);
    const spilled = await runner(name, m, "lddw %r2, map_fd 2\nstxdw [%r10-8], %r2\nldxdw %r2, [%r10-8]\nmov %r3, 0\ncall 12\nexit");
    expect(() => spilled.run(frame())).toThrow(/insn 5 \(call 0xc\): bpf_tail_call: map 'count' is a array map/);
    slot(m, 0, 55);
    const absent = await runner(name, m, "lddw %r2, map_fd 0\nmov %r3, 0\ncall 12\nexit");
    let error: unknown;
    try {
      absent.run(frame());
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BpfRuntimeError);
    expect((error as Error).message).toMatch(/insn 3 \(call 0xc\): bpf_tail_call: a PROG_ARRAY slot holds program id 55, which is not in the machine's program table/);
  });

  it("a fault inside a tail-call target names the target's instruction", async () => {
    const m = machine("xdp", [...MAPS]);
    // Insn 2 of the target reads far outside the memory.
    slot(m, 0, m.programs.add(program("mov %r0, 0\nlddw %r1, 0x7ffffff0\nldxdw %r0, [%r1]\nexit", "reader")));
    const r = await runner(name, m, "lddw %r2, map_fd 0\nmov %r3, 0\ncall 12\nmov %r0, 0\nexit");
    let error: unknown;
    try {
      r.run(frame());
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BpfRuntimeError);
    expect((error as BpfRuntimeError).where.insn).toBe(3);
    expect((error as Error).message).toMatch(/^insn 3 \(ldxdw %r0, \[%r1\]\): /); // the target's insn 3, not the caller's (call 0xc)
  });
});

describe("bpf_tail_call: JIT specifics", () => {
  it("a chain of programs each loaded separately into one machine (no second compile), and targets added after the load", async () => {
    const m = machine("xdp", [...MAPS]);
    const a = program(stage(1, 1, 101), "a");
    const b = program(stage(2, 2, 102), "b");
    const c = program(stage(3, 3, 103), "c");
    const ids = [a, b, c].map((p) => m.programs.add(p));
    ids.forEach((id, k) => slot(m, k, id));
    // Each program loaded by the engine, as a user with three objects would.
    const loaded = await Promise.all([a, b, c].map((p) => jit.load(p, m)));
    const r = new PacketRunner(m, loaded[0]!);
    expect(r.run(frame()).retval).toBe(103n); // a → b → c, and c's slot 3 is empty
    expect(drain(m)).toEqual([1n, 2n, 3n]);
    // A fourth program, added to the table after everything was loaded, joins the chain.
    slot(m, 3, m.programs.add(program("mov %r0, 4\nexit", "d")));
    expect(r.run(frame()).retval).toBe(4n);
    expect(drain(m)).toEqual([1n, 2n, 3n]);
    // The interpreter on the same machine agrees.
    const i = await runner("interpreter", m, stage(0, 0, 100));
    expect(i.run(frame()).retval).toBe(4n);
    expect(drain(m)).toEqual([0n, 1n, 2n, 3n]);
  });

  it("tail-call targets compile with the loading engine's options (opt 2)", async () => {
    const m = machine("xdp", [...MAPS]);
    const source = counting(`mov %r1, %r6\nlddw %r2, map_fd 0\nmov %r3, 0\ncall 12\nmov %r0, 1\nexit`);
    slot(m, 0, m.programs.add(program(source, "self")));
    const r = new PacketRunner(m, await new JitEngine({ opt: 2 }).load(program(source), m));
    expect(r.run(frame()).verdict).toBe("XDP_DROP");
    expect(count(m)).toBe(34n);
  });
});
