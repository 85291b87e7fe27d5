// bpf_tail_call (helper 12) on the interpreter: chains through a PROG_ARRAY to programs of the
// machine's program table, the kernel's limit of 33, fall-through on an empty slot or an index
// out of range, tail calls from a bpf-to-bpf subprogram, and faults.

import { describe, expect, it } from "vitest";
import { BpfError, BpfRuntimeError } from "../../vm/errors.js";
import { MapError } from "../../vm/maps/errors.js";
import { frame, machine, program, runner, u32 } from "./fixture.js";
import { count, counting, drain, MAPS, stage } from "./tailcall-programs.js";


describe("bpf_tail_call", () => {
  it("a chain: each target replaces the caller, whose code after the call never runs", () => {
    const m = machine("xdp", [...MAPS]);
    const a = m.programs.add(program(stage(2, 1, 102), "a"));
    const b = m.programs.add(program("mov %r0, 3\nexit", "b"));
    m.maps.keyed("jmp").update(u32(0), u32(a));
    m.maps.keyed("jmp").update(u32(1), u32(b));
    const r = runner(m, stage(1, 0, 101));
    const res = r.run(frame());
    expect(res.verdict).toBe("XDP_TX");
    expect(drain(m)).toEqual([1n, 2n]);
    // An emptied slot: a falls through and returns its fallback.
    m.maps.keyed("jmp").delete(u32(1));
    expect(r.run(frame()).retval).toBe(102n);
    expect(drain(m)).toEqual([1n, 2n]);
  });

  it("falls through when the slot is empty or the index is out of range (the low 32 bits of r3)", () => {
    const m = machine("xdp", [...MAPS]);
    expect(runner(m, stage(1, 2, 7)).run(frame()).retval).toBe(7n);
    expect(runner(m, stage(1, 4, 8)).run(frame()).retval).toBe(8n);
    const t = m.programs.add(program("mov %r0, 9\nexit"));
    m.maps.keyed("jmp").update(u32(0), u32(t));
    // r3 = 2^32: index 0 after truncation to u32, as the kernel reads it.
    expect(runner(m, `lddw %r2, map_fd 0\nlddw %r3, 0x100000000\ncall 12\nmov %r0, 1\nexit`).run(frame()).retval).toBe(9n);
    // r0 is left as it was by a tail call that falls through (the kernel leaves it undefined).
    expect(runner(m, `mov %r0, 5\nlddw %r2, map_fd 0\nmov %r3, 3\ncall 12\nexit`).run(frame()).retval).toBe(5n);
  });

  it("at most 33 tail calls per run (MAX_TAIL_CALL_CNT): a self-chain runs 34 times, per run", () => {
    const m = machine("xdp", [...MAPS]);
    const source = counting(`mov %r1, %r6\nlddw %r2, map_fd 0\nmov %r3, 0\ncall 12\nmov %r0, 1\nexit`);
    m.maps.keyed("jmp").update(u32(0), u32(m.programs.add(program(source, "self"))));
    const r = runner(m, source);
    expect(r.run(frame()).verdict).toBe("XDP_DROP");
    expect(count(m)).toBe(34n);
    expect(r.runBatch([frame(), frame()]).verdicts).toEqual({ XDP_DROP: 2 });
    expect(count(m)).toBe(34n * 3n);
  });

  it("tail calls through an empty slot do not count against the limit (x86 JIT order)", () => {
    const m = machine("xdp", [...MAPS]);
    const empties = Array.from({ length: 5 }, () => "mov %r1, %r6\nlddw %r2, map_fd 0\nmov %r3, 1\ncall 12").join("\n");
    const source = counting(`${empties}\nmov %r1, %r6\nlddw %r2, map_fd 0\nmov %r3, 0\ncall 12\nmov %r0, 1\nexit`);
    m.maps.keyed("jmp").update(u32(0), u32(m.programs.add(program(source))));
    runner(m, source).run(frame());
    expect(count(m)).toBe(34n);
  });

  it("the target gets r1 = ctx and the caller's frame", () => {
    const m = machine("xdp", [...MAPS]);
    // The target returns data_end - data, and a stack word the caller left behind.
    const target = "ldxw %r2, [%r1]\nldxw %r0, [%r1+4]\nsub %r0, %r2\nldxdw %r3, [%r10-16]\nadd %r0, %r3\nexit";
    m.maps.keyed("jmp").update(u32(0), u32(m.programs.add(program(target))));
    const r = runner(m, "stdw [%r10-16], 1000\nlddw %r2, map_fd 0\nmov %r3, 0\ncall 12\nmov %r0, 0\nexit");
    expect(r.run(frame({ length: 77 })).retval).toBe(1077n);
  });

  it("from a bpf-to-bpf subprogram, the target replaces the subprogram's frame and returns to its caller", () => {
    const m = machine("xdp", [...MAPS]);
    m.maps.keyed("jmp").update(u32(0), u32(m.programs.add(program("mov %r6, 99\nmov %r0, 40\nexit"))));
    const r = runner(m, `
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
    expect(r.run(frame()).retval).toBe(42n); // 40 from the target, r6 = 2 restored for main
  });

  it("faults when r2 is not a prog array, and when a slot names a program the table does not have", () => {
    const m = machine("xdp", [...MAPS]);
    expect(() => runner(m, "lddw %r2, map_fd 2\nmov %r3, 0\ncall 12\nexit").run(frame())).toThrow(
      /insn 3 \(call 0xc\): bpf_tail_call: map 'count' is a array map: expected prog array map for tail call/,
    );
    m.maps.keyed("jmp").update(u32(0), u32(55));
    let error: unknown;
    try {
      runner(m, "lddw %r2, map_fd 0\nmov %r3, 0\ncall 12\nexit").run(frame());
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BpfRuntimeError);
    expect((error as Error).message).toMatch(/slot holds program id 55, which is not in the machine's program table/);
  });

  it("user space cannot store id 0 or use flags other than BPF_ANY (the kernel's -EBADF, -EINVAL)", () => {
    const m = machine("xdp", [...MAPS]);
    expect(() => m.maps.keyed("jmp").update(u32(0), u32(0))).toThrow(MapError);
    expect(m.maps.keyed("jmp").tryUpdate(u32(0), u32(1), 1)).toBe(-22);
    expect(m.maps.keyed("jmp").tryUpdate(u32(9), u32(1))).toBe(-7);
  });

  it("the program table refuses what loading would refuse", () => {
    const m = machine("xdp", [...MAPS]);
    expect(() => m.programs.add(program("call 9999\nexit", "bad"))).toThrow(BpfError);
    expect(() => m.programs.add(program("call 9999\nexit", "bad"))).toThrow(/program 'bad' refused: insn 0: invalid func unknown#9999/);
    expect(() => m.programs.add(program("lddw %r1, map_fd 8\nexit"))).toThrow(/fd 8 is not pointing to valid bpf_map/);
    expect(m.programs.size).toBe(0);
  });

  it("an engine that does not implement the jump fails clearly instead of calling on", () => {
    const m = machine("xdp", [...MAPS]);
    const helper = m.helpers.get(12)!;
    expect(helper.ret).toBe("void");
    expect(helper.args).toEqual(["ptr_to_ctx", "const_map_ptr", "anything"]);
    expect(() => helper.impl({ memory: m.memory, cpu: 0 }, 0n, 0n, 0n, 0n, 0n)).toThrow(/bpf_tail_call is a jump, not a call/);
  });
});
