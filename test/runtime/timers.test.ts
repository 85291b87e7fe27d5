// BPF timers in the runtime (vm/runtime/timers.ts), on both engines: what user-space map
// operations do to a value's timer (a BPF_F_LOCK update keeps it, a plain update or a delete
// cancels and frees it, a lookup never shows its bytes), that close() cancels what is pending and
// no callback runs after it, and the errors bad input gets. Agreement with the kernel on the
// helpers' returns and the callbacks' effects is test/kernel/timer.test.ts.

import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { getEngine } from "../../vm/engines.js";
import * as abi from "../../vm/maps/abi.js";
import type { MapSpec } from "../../vm/maps/types.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { PacketRunner } from "../../vm/runtime/run.js";
import { verify } from "../../vm/verifier/index.js";

/** Value: u64 callback runs at 0, struct bpf_timer at 8, struct bpf_spin_lock at 24, s32 bpf_timer_init's r0 at 28. */
const spec = (type: "array" | "hash"): MapSpec => ({ name: "m", type, keySize: 4, valueSize: 32, maxEntries: 4, timer: 8, spinLock: 24 });

/** Each packet: init (r0 kept at +28), set the callback, start it `delayNs` ahead. The callback counts. */
const program = (delayNs: number): string => `
  stw [%r10-4], 0
  mov %r2, %r10
  add %r2, -4
  lddw %r1, map_fd 0
  call 1
  jeq %r0, 0, out
  mov %r6, %r0
  mov %r1, %r6
  add %r1, 8
  lddw %r2, map_fd 0
  mov %r3, 1
  call 169
  stxw [%r6+28], %r0
  mov %r1, %r6
  add %r1, 8
  lddw %r2, func cb
  call 170
  mov %r1, %r6
  add %r1, 8
  lddw %r2, ${delayNs}
  mov %r3, 0
  call 171
out:
  mov %r0, 2
  exit
cb:
  ldxdw %r1, [%r3+0]
  add %r1, 1
  stxdw [%r3+0], %r1
  mov %r0, 0
  exit`;

const KEY = new Uint8Array(4);
const FRAME = new Uint8Array(64);

function value(fired: number): Uint8Array {
  const v = new Uint8Array(32);
  new DataView(v.buffer).setBigUint64(0, BigInt(fired), true);
  return v;
}

async function setup(type: "array" | "hash", engine: "interpreter" | "jit", delayNs = 2_000_000) {
  const machine = createNodeMachine({ type: "xdp", maps: [spec(type)] });
  const insns = assemble(program(delayNs));
  const { inner: _inner, ...base } = spec(type);
  const v = verify(insns, { type: "xdp", maps: [{ ...base, type: type === "array" ? 2 : 1, flags: 0, btf: true }], helpers: machine.helpers });
  expect(v.message).toBeUndefined();
  const runner = new PacketRunner(machine, await (await getEngine(engine)).load({ insns, name: "timer_user" }, machine));
  const map = machine.maps.keyed("m");
  const read = (): { fired: number; init: number; timerBytes: string } => {
    const b = map.lookup(KEY)!;
    const dv = new DataView(b.buffer, b.byteOffset);
    return { fired: Number(dv.getBigUint64(0, true)), init: dv.getInt32(28, true), timerBytes: Buffer.from(b.subarray(8, 24)).toString("hex") };
  };
  return { machine, runner, map, read };
}

describe("user space and a value's timer", () => {
  for (const type of ["array", "hash"] as const) {
    for (const engine of ["interpreter", "jit"] as const) {
      it(`${type}, ${engine}: BPF_F_LOCK keeps it, a plain update and a delete cancel it, lookups read zeros`, async () => {
        const { machine, runner, map, read } = await setup(type, engine);
        try {
          map.update(KEY, value(0));
          runner.run(FRAME);
          expect(read()).toEqual({ fired: 0, init: 0, timerBytes: "0".repeat(32) });
          // An update in place under the lock leaves the timer armed.
          map.update(KEY, value(0), abi.BPF_F_LOCK);
          expect(await machine.timers.settle(2000)).toBe(0);
          expect(read().fired).toBe(1);
          // Still initialised: init answers -EBUSY; armed again.
          runner.run(FRAME);
          expect(read().init).toBe(-16);
          // A plain update cancels and frees it: no callback, and init succeeds again.
          map.update(KEY, value(100));
          expect(await machine.timers.settle(2000)).toBe(0);
          expect(read().fired).toBe(100);
          runner.run(FRAME);
          expect(read().init).toBe(0);
          if (type === "hash") {
            // A delete cancels it too (the element may come back at the same address).
            map.delete(KEY);
            map.update(KEY, value(7), abi.BPF_NOEXIST);
            expect(await machine.timers.settle(2000)).toBe(0);
            expect(read().fired).toBe(7);
          }
        } finally {
          machine.timers.close();
          runner.dispose();
        }
      });
    }
  }

  it("close() cancels pending timers: no callback runs after it", async () => {
    const { machine, runner, map, read } = await setup("array", "interpreter", 5_000_000);
    map.update(KEY, value(0));
    runner.run(FRAME);
    expect(machine.timers.active).toBe(1);
    machine.timers.close();
    expect(machine.timers.active).toBe(0);
    await new Promise((r) => setTimeout(r, 30));
    expect(read().fired).toBe(0);
    runner.dispose();
  });

  it("a timer far ahead is not waited for: settle() returns what is still pending", async () => {
    const { machine, runner, map } = await setup("array", "interpreter", 3_600_000_000_000);
    map.update(KEY, value(0));
    runner.run(FRAME);
    expect(await machine.timers.settle(20)).toBe(1);
    machine.timers.close();
    runner.dispose();
  });
});

describe("a program reached by a tail call sets the callback", () => {
  for (const engine of ["interpreter", "jit"] as const) {
    it(`${engine}: the timers find it in the machine's program table`, async () => {
      const machine = createNodeMachine({ type: "xdp", maps: [spec("array"), { name: "jmp", type: "prog_array", keySize: 4, valueSize: 4, maxEntries: 1 }] });
      const id = machine.programs.add({ insns: assemble(program(1000)), name: "timer_target" });
      machine.maps.keyed("jmp").update(KEY, new Uint8Array(new Uint32Array([id]).buffer));
      const entry = assemble("lddw %r2, map_fd 1\nmov %r3, 0\ncall 12\nmov %r0, 1\nexit");
      const runner = new PacketRunner(machine, await (await getEngine(engine)).load({ insns: entry, name: "entry" }, machine));
      const map = machine.maps.keyed("m");
      map.update(KEY, value(0));
      try {
        expect(runner.run(FRAME).verdict).toBe("XDP_PASS");
        expect(await machine.timers.settle(2000)).toBe(0);
        expect(new DataView(map.lookup(KEY)!.buffer).getBigUint64(0, true)).toBe(1n);
      } finally {
        machine.timers.close();
        runner.dispose();
      }
    });
  }
});

describe("bad input", () => {
  it("a timer pointer that is none, and a callback that is no function: errors naming them", async () => {
    const machine = createNodeMachine({ type: "xdp", maps: [{ ...spec("array"), maxEntries: 1 }] });
    const engine = await getEngine("interpreter");
    const bad = await engine.load({ insns: assemble("mov %r1, 16\nmov %r2, 0\nmov %r3, 0\ncall 171\nexit"), name: "bad_timer" }, machine);
    expect(() => bad.run({ args: [0n] })).toThrow(/bpf_timer_start: R1 \(0x10\) is not a 4-byte aligned struct bpf_timer/);
    const noFunc = await engine.load({ insns: assemble("lddw %r1, map_value 0, 8\nmov %r2, 77\ncall 170\nexit"), name: "no_func" }, machine);
    expect(() => noFunc.run({ args: [0n] })).toThrow(/bpf_timer_set_callback: R2 \(0x4d\) is not a function address/);
    machine.timers.close();
  });

  it("a callback that faults: settle() reports the fault", async () => {
    const machine = createNodeMachine({ type: "xdp", maps: [spec("array")] });
    // The callback reads through r4, which holds nothing (the verifier would refuse it).
    const insns = assemble(program(1000).replace("cb:\n  ldxdw %r1, [%r3+0]", "cb:\n  ldxdw %r1, [%r4+0]"));
    const runner = new PacketRunner(machine, await (await getEngine("interpreter")).load({ insns, name: "faulty_cb" }, machine));
    machine.maps.keyed("m").update(KEY, value(0));
    runner.run(FRAME);
    await expect(machine.timers.settle(2000)).rejects.toThrow(/timer callback of 'faulty_cb' .*insn 30 \(ldxdw %r1, \[%r4\]\): invalid read of 8 bytes at 0x0: null pointer dereference/);
    machine.timers.close();
    runner.dispose();
  });
});
