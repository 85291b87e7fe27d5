// get_current_pid_tgid, get_current_uid_gid and get_current_comm on both engines and in the
// kernel. The kernel's current task in BPF_PROG_TEST_RUN is the test runner; ours is the idle
// task a packet interrupts (vm/helpers/task.ts: swapper/N, pid 0, root). So the values are
// compared in shape: root's uid and gid (the same: 0), pid == tgid (a single-threaded task), a
// name of at most 15 bytes followed by zeros to the end of the buffer, cut to size - 1.

import { describe, expect, it } from "vitest";
import { ENGINES, kernel, kernelRunMany, load, makeRig, runPacket } from "./harness.js";

/** pid_tgid → packet[0], uid_gid → [8], comm into 24 stack bytes → [16..40), comm of 4 → [40..44). */
const SOURCE = `
  mov %r6, %r1
  ldxw %r7, [%r6+0]
  ldxw %r8, [%r6+4]
  mov %r1, %r7
  add %r1, 48
  jgt %r1, %r8, short
  call 14
  stxdw [%r7+0], %r0
  call 15
  stxdw [%r7+8], %r0
  lddw %r1, 0x5a5a5a5a5a5a5a5a
  stxdw [%r10-32], %r1
  stxdw [%r10-24], %r1
  stxdw [%r10-16], %r1
  stxdw [%r10-8], %r1
  mov %r1, %r10
  add %r1, -32
  mov %r2, 24
  call 16
  mov %r9, %r0
  mov %r1, %r10
  add %r1, -8
  mov %r2, 4
  call 16
  or %r9, %r0
  ldxdw %r1, [%r10-32]
  stxdw [%r7+16], %r1
  ldxdw %r1, [%r10-24]
  stxdw [%r7+24], %r1
  ldxdw %r1, [%r10-16]
  stxdw [%r7+32], %r1
  ldxdw %r1, [%r10-8]
  stxdw [%r7+40], %r1
  mov %r0, %r9
  exit
short:
  mov %r0, 0xdead
  exit`;

const packet = new Uint8Array(64);

interface Task {
  readonly r0: number;
  readonly pid: number;
  readonly tgid: number;
  readonly uidGid: bigint;
  /** The 24-byte buffer, the 4-byte one, and 4 bytes after it that get_current_comm must not touch. */
  readonly comm: Uint8Array;
  readonly short: Uint8Array;
  readonly after: Uint8Array;
}

function task(r0: number, data: Uint8Array): Task {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { r0, pid: v.getUint32(0, true), tgid: v.getUint32(4, true), uidGid: v.getBigUint64(8, true), comm: data.slice(16, 40), short: data.slice(40, 44), after: data.slice(44, 48) };
}

/** A name of 1..limit printable bytes, then zeros to the end. */
function expectPadded(buf: Uint8Array, limit: number): string {
  const len = buf.indexOf(0);
  expect(len).toBeGreaterThan(0);
  expect(len).toBeLessThanOrEqual(limit);
  expect([...buf.subarray(len)].every((b) => b === 0)).toBe(true);
  const name = String.fromCharCode(...buf.subarray(0, len));
  expect(name).toMatch(/^[\x20-\x7e]+$/);
  return name;
}

function expectShape(t: Task): string {
  expect(t.r0).toBe(0);
  expect(t.uidGid).toBe(0n);
  expect(t.pid).toBe(t.tgid);
  const name = expectPadded(t.comm, 15);
  expect(expectPadded(t.short, 3)).toBe(name.slice(0, 3));
  expect([...t.after]).toEqual([0x5a, 0x5a, 0x5a, 0x5a]);
  return name;
}

describe("get_current_pid_tgid, get_current_uid_gid, get_current_comm", () => {
  for (const engine of ENGINES) {
    it(`on the ${engine}: the idle task of the CPU (swapper/N, pid 0, root)`, async () => {
      const rig = makeRig("xdp", { cpus: 2 });
      const prog = await load(rig, SOURCE, engine);
      for (const cpu of [0, 1]) {
        const run = runPacket(rig, prog, packet, cpu);
        const t = task(Number(run.r0), run.data);
        expect(expectShape(t)).toBe(`swapper/${cpu}`);
        expect(t.pid).toBe(0);
      }
      prog.dispose();
    });
  }

  it.skipIf(!kernel.ok)("in the kernel: the test runner's task, with the same shape (root, pid == tgid, a padded name)", () => {
    const [run] = kernelRunMany("xdp", SOURCE, [packet]);
    expect(run!.retval).not.toBe(0xdead);
    expectShape(task(run!.retval, run!.data));
  });
});
