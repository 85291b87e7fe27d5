// Context accesses against the kernel's <type>_is_valid_access, byte by byte: for every program
// type with a context, every offset from 0 to past the struct's end, every size (1, 2, 4, 8) and
// four instructions — a load, a sign-extending load, a register store and an immediate store
// through r1 — our verifier must accept exactly what the 6.18 kernel accepts. This is where the
// __sk_buff rules live that no field table shows: tstamp_type is a __u8 followed by padding,
// tstamp and hwtstamp are read whole only, the IPv4/IPv6 addresses of cgroup_skb whole only,
// xdp_md with no narrow loads, no sign-extending load of a pointer field.

import { afterAll, describe, expect, it } from "vitest";
import type { Insn } from "../../vm/isa/instruction.js";
import { nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { PROGRAM_TYPES, type ProgramTypeName } from "../../vm/programs/types.js";
import { verify } from "../../vm/verifier/index.js";
import { kernelAvailability, kernelRefusal } from "../kernel/available.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason}); the context accesses are not compared`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const TYPES: readonly ProgramTypeName[] = ["socket_filter", "sched_cls", "cgroup_skb", "lwt_in", "lwt_out", "lwt_xmit", "xdp"];
const SIZE_BITS: Record<number, number> = { 1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18 };
const insn = (opcode: number, dst: number, src: number, off: number, imm: number): Insn => ({ opcode, dst, src, off, imm });
const EXIT = [insn(0xb7, 0, 0, 0, 0), insn(0x95, 0, 0, 0, 0)];

/** `r0 = *(size *)(r1 + off)` (zero- or sign-extended), `*(size *)(r1 + off) = r2` (a scalar) or `*(size *)(r1 + off) = 0`, then return 0. */
const ACCESSES = {
  load: (size: number, off: number): Insn[] => [insn(0x61 | SIZE_BITS[size]!, 0, 1, off, 0), ...EXIT],
  // BPF_MEMSX has no 8-byte form: that size is a plain load again.
  "sign-extending load": (size: number, off: number): Insn[] => [insn((size === 8 ? 0x61 : 0x81) | SIZE_BITS[size]!, 0, 1, off, 0), ...EXIT],
  "register store": (size: number, off: number): Insn[] => [insn(0xb7, 2, 0, 0, 0), insn(0x63 | SIZE_BITS[size]!, 1, 2, off, 0), ...EXIT],
  "immediate store": (size: number, off: number): Insn[] => [insn(0x62 | SIZE_BITS[size]!, 1, 0, off, 0), ...EXIT],
};

describe.skipIf(!status.ok)("ctx accesses: every offset and size, as the kernel's is_valid_access", () => {
  const tables = nodeHelperTables();
  for (const type of TYPES) {
    it(type, () => {
      const size = PROGRAM_TYPES[type].ctx!.size;
      const differ: string[] = [];
      let accepted = 0;
      for (const [what, build] of Object.entries(ACCESSES)) {
        for (const bytes of [1, 2, 4, 8]) {
          for (let off = 0; off < size + 8; off++) {
            const insns = build(bytes, off);
            const ours = verify(insns, { type, helpers: tables(type) });
            const kernel = kernelRefusal(insns, { type: PROGRAM_TYPES[type].kernelType!, name: "ctx_access" });
            if (ours.accepted) accepted++;
            if (ours.accepted !== (kernel === undefined)) {
              differ.push(`${what} of ${bytes} at ${off}: ours ${ours.accepted ? "accepts" : `'${ours.message}'`}, the kernel ${kernel === undefined ? "accepts" : `'${kernel.split("\n").pop()}'`}`);
            }
          }
        }
      }
      expect(differ).toEqual([]);
      expect(accepted).toBeGreaterThanOrEqual(5); // xdp_md, the smallest, has 5 readable fields
    });
  }
});
