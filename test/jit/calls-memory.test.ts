// Calls (helpers, callx, bpf-to-bpf), memory (loads/stores, atomics on shared memory, packet
// loads) and faults of the JIT, with the interpreter as the oracle where both apply.

import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/assembler.js";
import { BpfError, BpfRuntimeError } from "../../vm/errors.js";
import type { HelperDef } from "../../vm/helpers/registry.js";
import { SKB_DATA_END_OFFSET, SKB_DATA_OFFSET } from "../../vm/programs/skb.js";
import { both, load, makeMachine, run } from "./util.js";

const asm = (...lines: string[]) => assemble(lines.join("\n"));

const errorOf = async (p: Promise<unknown>): Promise<BpfError> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof BpfError) return err;
    throw err;
  }
  throw new Error("expected a BpfError");
};

describe("bpf-to-bpf calls", () => {
  it("r6..r9 survive a call, r1..r5 come back as the callee left them, r0 goes in", async () => {
    const prog = asm(
      "mov %r0, 5", "mov %r6, 6", "mov %r9, 9", "mov %r1, 1",
      "call local f",
      // r0 = callee's r0; fold r1 (callee set it to 100) and r6, r9 (preserved)
      "add %r0, %r1", "add %r0, %r6", "add %r0, %r9", "exit",
      "f:", "add %r0, 10", "mov %r6, 1000", "mov %r1, 100", "exit",
    );
    const [[interp, jit]] = await both(prog, [[]]);
    expect(jit).toBe(interp);
    expect(jit).toBe("0x" + (5n + 10n + 100n + 6n + 9n).toString(16));
  });

  it("each frame gets its own 512 bytes below the caller's", async () => {
    const prog = asm(
      "stdw [%r10-8], 1", "call local f", "ldxdw %r1, [%r10-8]", "add %r0, %r1", "exit",
      "f:", "stdw [%r10-8], 40", "ldxdw %r0, [%r10-8]", "mov %r2, %r10", "exit",
    );
    expect(await run(prog)).toBe(41n);
  });

  it("recursion deeper than 8 frames stops with an error naming the call", async () => {
    const prog = asm("mov %r1, 20", "call local f", "exit", "f:", "sub %r1, 1", "jeq %r1, 0, +1", "call local f", "exit");
    const err = await errorOf(run(prog));
    expect(err).toBeInstanceOf(BpfRuntimeError);
    expect(err.message).toMatch(/^insn 5 .*too deep/);
    expect(err.where.insn).toBe(5);
    // 7 levels of recursion (8 frames) are fine.
    expect(await run(asm("mov %r1, 7", "call local f", "exit", "f:", "sub %r1, 1", "jeq %r1, 0, +1", "call local f", "exit"))).toBe(0n);
  });
});

describe("helpers and callx", () => {
  const seen: bigint[][] = [];
  const probe: HelperDef = {
    id: 1000,
    name: "probe",
    args: [],
    ret: "integer",
    impl: (ctx, a, b, c, d, e) => {
      seen.push([a, b, c, d, e, BigInt(ctx.cpu)]);
      return a + b + c + d + e;
    },
  };
  const failing: HelperDef = { id: 1001, name: "failing", args: [], ret: "integer", impl: () => { throw new Error("boom"); } };

  it("a helper gets r1..r5 and the CPU, and its result lands in r0", async () => {
    const machine = makeMachine({ helpers: [probe], cpus: 2 });
    const { prog } = await load(asm("mov %r1, 1", "mov %r2, 2", "mov %r3, 3", "mov %r4, 4", "lddw %r5, 0xffffffffffffffff", "call 1000", "exit"), { machine });
    seen.length = 0;
    expect(prog.run({ cpu: 1 })).toBe(9n);
    expect(seen).toEqual([[1n, 2n, 3n, 4n, 0xffffffffffffffffn, 1n]]);
  });

  it("callx dispatches on the register; an unknown id faults with the id", async () => {
    const machine = makeMachine({ helpers: [probe] });
    expect(await run(asm("mov %r1, 40", "mov %r2, 2", "mov %r6, 1000", "callx %r6", "exit"), { machine })).toBe(42n);
    const err = await errorOf(run(asm("mov %r6, 77", "callx %r6", "exit"), { machine }));
    expect(err.message).toMatch(/insn 1 .*no helper with id 77/);
    expect(err.where.insn).toBe(1);
  });

  it("an exception in a helper becomes a BpfRuntimeError at the call", async () => {
    const machine = makeMachine({ helpers: [failing] });
    const err = await errorOf(run(asm("mov %r0, 0", "call 1001", "exit"), { machine }));
    expect(err).toBeInstanceOf(BpfRuntimeError);
    expect(err.message).toMatch(/insn 1 .*boom/);
  });

  it("an unknown helper, a kfunc call and an unresolved map reference are refused at load", async () => {
    expect((await errorOf(run(asm("call 9999", "exit")))).where.insn).toBe(0);
    const kfunc = asm("call 5", "exit");
    kfunc[0] = { ...kfunc[0]!, src: 2 };
    expect((await errorOf(run(kfunc))).message).toMatch(/kfunc/i);
    const mapRef = asm("lddw %r1, 0", "mov %r0, 0", "exit");
    mapRef[0] = { ...mapRef[0]!, src: 1 };
    expect((await errorOf(run(mapRef))).where.insn).toBe(0);
  });
});

describe("memory", () => {
  it("loads and stores of every size and sign, with positive and negative offsets", async () => {
    const machine = makeMachine();
    const addr = machine.layout.cpu(0).packetData;
    const regions = [{ start: addr, end: addr + 64, writable: true, name: "input" }];
    const prog = asm(
      "lddw %r2, 0x8182838485868788",
      "stxdw [%r1+8], %r2", "stxw [%r10-4], %r2", "stxh [%r1+20], %r2", "stxb [%r1+23], %r2",
      "sth [%r10-10], -2", "stb [%r1+30], 0x80", "stw [%r1+32], -1",
      "ldxsb %r3, [%r1+30]", "ldxsh %r4, [%r10-10]", "ldxsw %r5, [%r10-4]",
      "ldxdw %r0, [%r1+8]", "xor %r0, %r3", "xor %r0, %r4", "xor %r0, %r5",
      "ldxb %r3, [%r1+23]", "add %r0, %r3", "ldxh %r3, [%r1+20]", "add %r0, %r3", "ldxw %r3, [%r1+32]", "add %r0, %r3",
      "mov %r6, %r1", "add %r6, 40", "stxdw [%r6-8], %r0", "ldxdw %r0, [%r6-8]",
      "exit",
    );
    for (const [interp, jit] of await both(prog, [[BigInt(addr)]], { machine, regions })) expect(jit).toBe(interp);
  });

  it("an access outside the memory faults at the instruction", async () => {
    const err = await errorOf(run(asm("mov %r0, 0", "lddw %r1, 0x7ffffff0", "ldxw %r0, [%r1+4]", "exit")));
    expect(err).toBeInstanceOf(BpfRuntimeError);
    expect(err.where.insn).toBe(3);
    expect(err.message).toMatch(/^insn 3 .*out of bounds/);
  });

  it("a fault inside a callee names the callee's instruction", async () => {
    const err = await errorOf(run(asm("call local f", "exit", "f:", "lddw %r1, 0x7ffffff0", "stb [%r1+0], 1", "exit")));
    expect(err.where.insn).toBe(4);
  });

  it("atomics on a shared memory, every operation, 32 and 64 bits", async () => {
    const machine = makeMachine({ shared: true });
    expect(machine.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const ops = ["add", "or", "and", "xor"];
    const lines = ["lddw %r7, 0x0f0f0f0f0f0f0f0f", "stxdw [%r10-8], %r7", "stxdw [%r10-16], %r7", "mov %r0, 0"];
    for (const op of ops) {
      lines.push(`mov %r1, 0x3c`, `lock ${op} [%r10-8], %r1`, `lock fetch ${op} [%r10-8], %r1`, "add %r0, %r1");
      lines.push(`lddw %r1, 0xffffffff00000011`, `lock fetch ${op}32 [%r10-16], %r1`, "add %r0, %r1");
    }
    lines.push("mov %r1, 5", "lock xchg [%r10-8], %r1", "add %r0, %r1", "lock xchg32 [%r10-16], %r1", "add %r0, %r1");
    lines.push("mov %r8, %r0", "ldxdw %r0, [%r10-8]", "mov %r1, 99", "lock cmpxchg [%r10-8], %r1", "add %r8, %r0");
    lines.push("mov %r0, 1", "lock cmpxchg32 [%r10-16], %r1", "add %r8, %r0", "ldxdw %r0, [%r10-8]", "add %r0, %r8", "ldxdw %r1, [%r10-16]", "add %r0, %r1", "exit");
    const prog = asm(...lines);
    for (const [interp, jit] of await both(prog, [[]], { machine })) expect(jit).toBe(interp);
  });

  it("a misaligned atomic is a runtime fault, as in the interpreter", async () => {
    const prog = asm("stdw [%r10-16], 0", "mov %r1, 1", "lock add [%r10-12], %r1", "mov %r0, 0", "exit");
    const [[interp, jit]] = await both(prog, [[]]);
    expect(interp).toMatch(/^error: .*misaligned atomic/);
    expect(jit).toMatch(/^error: insn 2 .*misaligned atomic/);
  });

  it("LD_ABS / LD_IND read big-endian from the __sk_buff packet in r6 and return 0 outside it", async () => {
    const machine = makeMachine();
    const cpu = machine.layout.cpu(0);
    const packet = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc];
    new Uint8Array(machine.memory.buffer).set(packet, cpu.packetData);
    const view = new DataView(machine.memory.buffer);
    view.setUint32(cpu.ctx + SKB_DATA_OFFSET, cpu.packetData, true);
    view.setUint32(cpu.ctx + SKB_DATA_END_OFFSET, cpu.packetData + packet.length, true);
    const regions = [
      { start: cpu.ctx, end: cpu.ctx + 256, writable: false, name: "ctx" },
      { start: cpu.packetData, end: cpu.packetData + packet.length, writable: false, name: "packet" },
    ];
    const progs = [
      ["ldabsw 2", 0x56789abcn],
      ["ldabsh 4", 0x9abcn],
      ["mov %r2, 1\nldindb %r2, 4", 0xbcn],
      ["ldabsw 3\nmov %r0, 7", 0n],
      ["mov %r2, -3\nldindh %r2, 1\nmov %r0, 7", 0n],
      ["lddw %r2, 0x100000001\nldindb %r2, 0", 0x34n], // LD_IND takes src + imm as s32
    ] as const;
    for (const [text, expected] of progs) {
      const prog = asm("mov %r6, %r1", "mov %r0, 99", text, "exit");
      const [[interp, jit]] = await both(prog, [[BigInt(cpu.ctx)]], { machine, regions });
      expect(jit, text).toBe(interp);
      expect(jit, text).toBe("0x" + expected.toString(16));
    }
  });
});

describe("runBatch", () => {
  it("runs once per descriptor with r1 = ptr, r2 = len and stores each r0", async () => {
    const machine = makeMachine();
    const { prog } = await load(asm("mov %r0, %r2", "ldxb %r3, [%r1]", "lsh %r3, 8", "or %r0, %r3", "exit"), { machine });
    const base = machine.layout.cpu(0).packetData;
    const view = new DataView(machine.memory.buffer);
    const bytes = new Uint8Array(machine.memory.buffer);
    const desc = base + 1024;
    const results = base + 2048;
    for (let k = 0; k < 5; k++) {
      bytes[base + k * 16] = 0xa0 + k;
      view.setUint32(desc + 8 * k, base + k * 16, true);
      view.setUint32(desc + 8 * k + 4, k + 1, true);
    }
    prog.runBatch({ descAddr: desc, count: 5, resultsAddr: results });
    const got = Array.from({ length: 5 }, (_, k) => view.getBigUint64(results + 8 * k, true));
    expect(got).toEqual([0xa001n, 0xa102n, 0xa203n, 0xa304n, 0xa405n]);
  });

  it("with a ctx, stores data/data_end into it and runs with r1 = ctx (xdp_md layout)", async () => {
    const machine = makeMachine();
    // r0 = data_end - data (the packet length), read through the context.
    const { prog } = await load(asm("ldxw %r2, [%r1+0]", "ldxw %r3, [%r1+4]", "mov %r0, %r3", "sub %r0, %r2", "exit"), { machine });
    const cpu = machine.layout.cpu(0);
    const view = new DataView(machine.memory.buffer);
    const desc = cpu.packetData;
    const results = desc + 256;
    [60, 1500, 0].forEach((len, k) => {
      view.setUint32(desc + 8 * k, cpu.packetData + 512, true);
      view.setUint32(desc + 8 * k + 4, len, true);
    });
    prog.runBatch({ descAddr: desc, count: 3, resultsAddr: results, ctx: { addr: cpu.ctx, dataOff: 0, dataEndOff: 4 } });
    expect([0, 1, 2].map((k) => view.getBigUint64(results + 8 * k, true))).toEqual([60n, 1500n, 0n]);
  });
});
