// XDP metadata and BPF_PROG_TEST_RUN: the kernel's data_out starts at data_meta, so metadata a
// program pushed with bpf_xdp_adjust_meta came back as the first bytes of the packet, and every
// comparison with our engines (whose packet is the frame from data) failed. The bridge now runs
// XDP with an xdp_md ctx (the kernel reports the metadata's length only in ctx_out) and splits
// data_out into `meta` and the frame.

import { afterAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { kernelBridge, ProgType } from "../../vm/node/kernel/engine.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, runKernel, runOurs } from "./objects.js";

const status = kernelAvailability();
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

/** Push 8 bytes of metadata {0x11223344, frame length}, add 1 to the frame's first byte, XDP_TX. */
const PUSH_META = `
  mov %r6, %r1
  ldxw %r7, [%r6+4]
  ldxw %r8, [%r6+0]
  sub %r7, %r8
  mov %r2, -8
  call 54
  jne %r0, 0, fail
  ldxw %r2, [%r6+8]
  ldxw %r3, [%r6+0]
  ldxw %r4, [%r6+4]
  mov %r5, %r2
  add %r5, 8
  jgt %r5, %r3, fail
  mov %r5, %r3
  add %r5, 1
  jgt %r5, %r4, fail
  stw [%r2+0], 0x11223344
  stxw [%r2+4], %r7
  ldxb %r5, [%r3+0]
  add %r5, 1
  stxb [%r3+0], %r5
  mov %r0, 3
  exit
fail:
  mov %r0, 0
  exit`;

const frame = (len: number): Uint8Array => Uint8Array.from({ length: len }, (_, i) => (i * 7 + len) & 0xff);
const bumped = (f: Uint8Array): number[] => [(f[0]! + 1) & 0xff, ...f.subarray(1)];
const metaOf = (len: number): number[] => [0x44, 0x33, 0x22, 0x11, len & 0xff, (len >> 8) & 0xff, 0, 0];

describe.skipIf(!status.ok)("XDP test runs: metadata is not packet data", () => {
  it("testRun: data is the frame from xdp_md.data, meta the bytes bpf_xdp_adjust_meta pushed", () => {
    const prog = kernelBridge().load(assemble(PUSH_META), { type: ProgType.XDP, name: "meta" });
    try {
      const f = frame(64);
      const out = prog.testRun({ data: f });
      expect(out.retval).toBe(3);
      expect([...out.data]).toEqual(bumped(f));
      expect([...out.meta]).toEqual(metaOf(64));
      // ctx_out as the kernel filled it: data = the metadata's length, data_end = data + 64.
      const md = new DataView(out.ctx.buffer, out.ctx.byteOffset);
      expect([md.getUint32(0, true), md.getUint32(4, true)]).toEqual([8, 72]);
    } finally {
      prog.close();
    }
  });

  it("testRunMany: each packet of its own length, split per run", () => {
    const prog = kernelBridge().load(assemble(PUSH_META), { type: ProgType.XDP, name: "meta" });
    try {
      const lengths = [14, 60, 61, 1500, 3000];
      const runs = prog.testRunMany(lengths.map(frame));
      runs.forEach((r, k) => {
        const len = lengths[k]!;
        expect([r.errno, r.retval], `length ${len}`).toEqual([0, 3]);
        expect([...r.data], `length ${len}`).toEqual(bumped(frame(len)));
        expect([...r.meta], `length ${len}`).toEqual(metaOf(len));
      });
    } finally {
      prog.close();
    }
  });

  it("without metadata nothing is split off, and a failed run returns nothing", () => {
    const prog = kernelBridge().load(assemble("mov %r0, 2\nexit"), { type: ProgType.XDP, name: "pass" });
    try {
      const f = frame(100);
      const one = prog.testRun({ data: f });
      expect([...one.data]).toEqual([...f]);
      expect(one.meta.length).toBe(0);
      const [ok, runt] = prog.testRunMany([f, new Uint8Array(10)]);
      expect([...ok!.data]).toEqual([...f]);
      expect(ok!.meta.length).toBe(0);
      expect(runt!.errno).toBe(22); // EINVAL: shorter than ETH_HLEN
      expect([runt!.data.length, runt!.meta.length]).toEqual([0, 0]);
    } finally {
      prog.close();
    }
  });

  it("other program types keep the whole data_out (no xdp_md there)", () => {
    const prog = kernelBridge().load(assemble("mov %r0, 0\nexit"), { type: ProgType.SCHED_CLS, name: "tc" });
    try {
      const f = frame(64);
      const [r] = prog.testRunMany([f]);
      expect([...r!.data]).toEqual([...f]);
      expect(r!.meta.length).toBe(0);
    } finally {
      prog.close();
    }
  });

  it("--engine kernel gives the interpreter's and the JIT's packets and maps for an object that pushes metadata", async () => {
    const obj = fixtureObject("xdp_meta");
    const data = frames("mix:200:seed=5");
    const kernel = runKernel(obj, data);
    expect(new Set(kernel.results.map((r) => r.verdict))).toEqual(new Set(["XDP_PASS"]));
    for (const engine of ["interpreter", "jit"] as const) {
      const ours = await runOurs(obj, engine, data);
      expect(ours.results, engine).toEqual(kernel.results);
      expect(ours.maps, engine).toEqual(kernel.maps);
    }
  });
});
