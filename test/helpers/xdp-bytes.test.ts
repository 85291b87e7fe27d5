// xdp_get_buff_len / xdp_load_bytes / xdp_store_bytes (vm/helpers/packet/xdp-bytes.ts): error
// codes, bytes loaded and bytes stored, against BPF_PROG_TEST_RUN on both engines. Offsets come
// from the packet (u32 at 0), so one program covers many cases.

import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { baseHelpers, HelperTable } from "../../vm/helpers/index.js";
import { packetHelpers } from "../../vm/helpers/packet/index.js";
import { Layout } from "../../vm/memory/layout.js";
import { verify } from "../../vm/verifier/index.js";
import { expectKernelAgreement, kernel, load, low32, makeRig, neg, randomBytes, rng, runPacket } from "./harness.js";
import { loadBytesProgram } from "./programs.js";

/**
 * xdp_load_bytes of `len` bytes at the packet's u32 offset into a buffer prefilled with 0x77;
 * the buffer is then copied to packet bytes 8..47 (when the packet has 48). r0 = the result.
 */
const LOAD = (len: number) => loadBytesProgram({ data: 0, dataEnd: 4, helper: 189, first: 4 }, len);

/** xdp_store_bytes of `len` bytes of a fixed pattern at the packet's u32 offset; r0 = the result. */
const STORE = (len: number) => `
  mov %r6, %r1
  lddw %r1, 0xa1a2a3a4a5a6a7a8
  stxdw [%r10-32], %r1
  lddw %r1, 0xb1b2b3b4b5b6b7b8
  stxdw [%r10-24], %r1
  lddw %r1, 0xc1c2c3c4c5c6c7c8
  stxdw [%r10-16], %r1
  lddw %r1, 0xd1d2d3d4d5d6d7d8
  stxdw [%r10-8], %r1
  ldxw %r2, [%r6+0]
  ldxw %r3, [%r6+4]
  mov %r4, %r2
  add %r4, 4
  jgt %r4, %r3, short
  ldxw %r2, [%r2+0]
  mov %r1, %r6
  mov %r3, %r10
  add %r3, -32
  mov %r4, ${len}
  call 190
  exit
short:
  mov %r0, 0xdead
  exit
`;

/** r0 = xdp_get_buff_len after moving the head by the packet's s32 at 0 (adjust_head, 44). */
const BUFF_LEN = `
  mov %r6, %r1
  ldxw %r2, [%r6+0]
  ldxw %r3, [%r6+4]
  mov %r4, %r2
  add %r4, 4
  jgt %r4, %r3, short
  ldxw %r2, [%r2+0]
  mov %r1, %r6
  call 44
  mov %r1, %r6
  call 188
  exit
short:
  mov %r0, 0xdead
  exit
`;

const LENS = [1, 4, 7, 32] as const;

/** Packets of assorted sizes whose u32 at 0 is an offset around the interesting edges. */
function offsetCases(seed: number, len: number): Uint8Array[] {
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length]!;
  return Array.from({ length: 60 }, () => {
    const size = pick([14, 20, 48, 49, 64, 100, 1500]);
    const p = randomBytes(next, size);
    const offsets = [0, 1, size - len, size - len + 1, size, size + 5, 0xffff, 0x10000, 0xffff - len, 0x7fffffff, 0xffffffff, next() % (size + 8)];
    new DataView(p.buffer).setUint32(0, pick(offsets) >>> 0, true);
    return p;
  });
}

describe("xdp_load_bytes / xdp_store_bytes / xdp_get_buff_len", () => {
  it("our verifier accepts the test programs (the kernel loads them in the tests below)", () => {
    const helpers = new HelperTable([...baseHelpers().list(), ...packetHelpers("xdp", { layout: new Layout({ cpus: 1, packetMax: 2048 }) })]);
    for (const src of [...LENS.flatMap((n) => [LOAD(n), STORE(n)]), BUFF_LEN]) {
      expect(verify(assemble(src), { type: "xdp", helpers }).message).toBeUndefined();
    }
  });

  it("they are XDP helpers: a tc program may not call them", () => {
    const helpers = new HelperTable([...baseHelpers().list(), ...packetHelpers("sched_cls", { layout: new Layout({ cpus: 1, packetMax: 2048 }) })]);
    expect(verify(assemble("call 188\nexit"), { type: "sched_cls", helpers }).reason).toBe("program of this type cannot use helper bpf_xdp_get_buff_len#188");
  });

  for (const len of LENS) {
    it.skipIf(!kernel.ok)(`xdp_load_bytes of ${len} bytes: results and loaded bytes`, async () => {
      const codes = new Set((await expectKernelAgreement("xdp", LOAD(len), offsetCases(30 + len, len))).map((r) => r.retval | 0));
      expect(codes).toEqual(new Set([0, -14, -22]));
    });

    it.skipIf(!kernel.ok)(`xdp_store_bytes of ${len} bytes: results and packet bytes`, async () => {
      const codes = new Set((await expectKernelAgreement("xdp", STORE(len), offsetCases(70 + len, len))).map((r) => r.retval | 0));
      expect(codes).toEqual(new Set([0, -14, -22]));
    });
  }

  it.skipIf(!kernel.ok)("xdp_get_buff_len follows the packet's length, also after adjust_head", async () => {
    const packets = [-16, -1, 0, 1, 14, 50, 86, 100].map((delta) => {
      const p = new Uint8Array(100);
      new DataView(p.buffer).setInt32(0, delta, true);
      return p;
    });
    const lens = (await expectKernelAgreement("xdp", BUFF_LEN, packets)).map((r) => r.retval);
    expect(lens).toEqual([116, 101, 100, 99, 86, 50, 14, 100]);
  });

  it("a failed load leaves the destination as it was; the errors are -EFAULT, then -EINVAL", async () => {
    const rig = makeRig("xdp");
    const prog = await load(rig, LOAD(4));
    const p = new Uint8Array(64);
    new DataView(p.buffer).setUint32(0, 61, true);
    const run = runPacket(rig, prog, p);
    expect(low32(run.r0)).toBe(Number(neg(22) & 0xffffffffn));
    expect(run.data.subarray(8, 12)).toEqual(new Uint8Array([0x77, 0x77, 0x77, 0x77]));
    new DataView(p.buffer).setUint32(0, 0x10000, true);
    expect(runPacket(rig, prog, p).r0).toBe(neg(14));
  });
});
