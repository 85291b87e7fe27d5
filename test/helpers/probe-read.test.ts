// probe_read_kernel / _str and probe_read_user / _str on both engines against
// BPF_PROG_TEST_RUN. One program per helper and size reads from an address taken from the
// packet's first u64 — or, when that is 0x5a5a, from the stack's string or, when 0xa5a5, from
// the packet at the offset in its byte 8 — into a stack buffer filled with 0xee, then copies the
// buffer into the packet: the result and the bytes written (or zeroed) are compared. Addresses
// outside the machine's memory are the kernel's too (NULL, user half, non-canonical, a faulting
// kernel address); an address inside our memory is not one in the kernel's, so reads that
// succeed use real pointers (the stack, the packet) on both sides.

import { describe, expect, it } from "vitest";
import { ENGINES, kernel, kernelRunMany, load, low32, makeRig, runPacket } from "./harness.js";
import { latin1, storeBytes } from "./programs.js";

const HELPERS: ReadonlyArray<[number, string]> = [[113, "probe_read_kernel"], [115, "probe_read_kernel_str"], [112, "probe_read_user"], [114, "probe_read_user_str"]];
const SIZES = [0, 3, 8, 16];
const STACK_STRING = "a string!"; // 9 bytes and its NUL

function program(id: number, size: number): string {
  return [
    "mov %r6, %r1",
    ...storeBytes(-64, latin1(`${STACK_STRING}\0`)),
    "lddw %r1, 0xeeeeeeeeeeeeeeee",
    "stxdw [%r10-24], %r1",
    "stxdw [%r10-16], %r1",
    "ldxw %r7, [%r6+0]",
    "ldxw %r8, [%r6+4]",
    "mov %r1, %r7",
    "add %r1, 48",
    "jgt %r1, %r8, short",
    "ldxdw %r3, [%r7+0]",
    "jne %r3, 0x5a5a, not_stack",
    "mov %r3, %r10",
    "add %r3, -64",
    "ja read",
    "not_stack:",
    "jne %r3, 0xa5a5, read",
    "ldxb %r3, [%r7+8]",
    "and %r3, 31",
    "add %r3, %r7",
    "read:",
    "mov %r1, %r10",
    "add %r1, -24",
    `mov %r2, ${size}`,
    `call ${id}`,
    "ldxdw %r1, [%r10-24]",
    "stxdw [%r7+32], %r1",
    "ldxdw %r1, [%r10-16]",
    "stxdw [%r7+40], %r1",
    "exit",
    "short:",
    "mov %r0, 0xdead",
    "exit",
  ].join("\n");
}

/** A 64-byte packet whose first u64 is `addr` and byte 8 `off`; bytes 9.. a pattern with NULs. */
function packet(addr: bigint, off = 0): Uint8Array {
  const p = Uint8Array.from({ length: 64 }, (_, k) => (k % 7 === 6 ? 0 : 0x41 + (k % 26)));
  new DataView(p.buffer).setBigUint64(0, addr, true);
  p[8] = off;
  return p;
}

const ADDRESSES = [0n, 1n, 0xfffn, 0x7fff_0000_0000n, 0xffff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n, 0xffff_7fff_ffff_fff8n, 0xffff_ffff_ff60_0000n];
const PACKETS: readonly Uint8Array[] = [...ADDRESSES.map((a) => packet(a)), packet(0x5a5an), ...[9, 10, 13, 20, 31].map((off) => packet(0xa5a5n, off))];

describe("probe_read_kernel / _str, probe_read_user / _str", () => {
  it.skipIf(!kernel.ok)(`agree with the kernel: ${HELPERS.length} helpers × ${SIZES.length} sizes × ${PACKETS.length} sources, on ${ENGINES.join(" and ")}`, async () => {
    let compared = 0;
    for (const [id, name] of HELPERS) {
      for (const size of SIZES) {
        const source = program(id, size);
        const want = kernelRunMany("xdp", source, PACKETS);
        for (const engine of ENGINES) {
          const rig = makeRig("xdp");
          const prog = await load(rig, source, engine);
          PACKETS.forEach((p, k) => {
            expect(want[k]!.retval, "the kernel ran the program to its end").not.toBe(0xdead);
            const got = runPacket(rig, prog, p);
            const what = `${engine}: ${name}(size ${size}) from case ${k}`;
            expect(low32(got.r0), `${what}: r0`).toBe(want[k]!.retval);
            expect([...got.data.subarray(32, 48)], `${what}: buffer`).toEqual([...want[k]!.data.subarray(32, 48)]);
            compared++;
          });
          prog.dispose();
        }
      }
    }
    expect(compared).toBe(HELPERS.length * SIZES.length * PACKETS.length * ENGINES.length);
  });

  for (const engine of ENGINES) {
    it(`on the ${engine}: our memory is kernel memory (a read succeeds), there is no user memory`, async () => {
      const rig = makeRig("xdp");
      const run = async (id: number, size: number, p: Uint8Array) => {
        const prog = await load(rig, program(id, size), engine);
        const r = runPacket(rig, prog, p);
        prog.dispose();
        return { r0: BigInt.asIntN(64, r.r0), buf: r.data.subarray(32, 48) };
      };
      expect((await run(115, 16, packet(0x5a5an))).r0).toBe(BigInt(STACK_STRING.length + 1));
      expect((await run(113, 8, packet(0xa5a5n, 9))).buf.subarray(0, 8)).toEqual(packet(0n).subarray(9, 17));
      expect((await run(112, 8, packet(0x5a5an))).r0).toBe(-14n);
      expect((await run(113, 8, packet(0n))).r0).toBe(-34n); // NULL: -ERANGE
    });
  }
});
