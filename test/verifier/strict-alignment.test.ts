// BPF_F_STRICT_ALIGNMENT (VerifyOptions.strictAlignment): each access aligned to its size,
// packet offsets counted from NET_IP_ALIGN = 2 (check_pkt_ptr_alignment); without the flag only
// the stack and atomics must be aligned. Each program is checked with and without it, here and —
// bpf() available — in the kernel loaded with the flag.

import { afterAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { PROGRAM_TYPES, type ProgramTypeName } from "../../vm/programs/types.js";
import { verify } from "../../vm/verifier/index.js";
import { kernelAvailability, kernelRefusal } from "../kernel/available.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason}); our verifier is still checked`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const BPF_F_STRICT_ALIGNMENT = 1;
const tables = nodeHelperTables();
const MAPS = [{ name: "values", type: 2, keySize: 4, valueSize: 16, maxEntries: 1, flags: 0 }];

/** r2 = data, r3 = data_end, 16 bytes checked; then `body`. */
const packet = (body: string): string => `
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 16
jgt %r4, %r3, out
${body}
out:
mov %r0, 2
exit`;

/** r0 = the array's value 0 (checked); then `body`. */
const mapValue = (body: string): string => `
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
${body}
out:
mov %r0, 0
exit`;

/** [what, program type, program, the refusal with the flag (undefined: accepted)]. All are accepted without it. */
const CASES: ReadonlyArray<readonly [string, ProgramTypeName, string, string | undefined]> = [
  ["a u32 at packet offset 2 (the IP header's alignment)", "xdp", packet("ldxw %r5, [%r2+2]"), undefined],
  ["a u32 at packet offset 0", "xdp", packet("ldxw %r5, [%r2+0]"), "misaligned packet access off 2+0+0+0 size 4"],
  ["a u16 at packet offset 14", "xdp", packet("ldxh %r5, [%r2+14]"), undefined],
  ["a u16 at packet offset 13", "xdp", packet("ldxh %r5, [%r2+13]"), "misaligned packet access off 2+0+0+13 size 2"],
  ["a u8 anywhere", "xdp", packet("ldxb %r5, [%r2+13]"), undefined],
  ["a u64 at value offset 8", "xdp", mapValue("ldxdw %r5, [%r0+8]"), undefined],
  ["a u32 stored at value offset 2", "xdp", mapValue("stw [%r0+2], 1"), "misaligned value access off 0+0+2 size 4"],
  ["a u16 of __sk_buff.mark at offset 9", "sched_cls", "ldxh %r0, [%r1+9]\nexit", "misaligned context access off 0+0+9 size 2"],
];

describe("BPF_F_STRICT_ALIGNMENT", () => {
  for (const [what, type, source, refusal] of CASES) {
    it(`${type}: ${what}: ${refusal ?? "accepted"}`, () => {
      const insns = assemble(source);
      const strict = verify(insns, { type, maps: MAPS, helpers: tables(type), strictAlignment: true });
      if (refusal === undefined) expect(strict.message).toBeUndefined();
      else expect(strict.message).toContain(refusal);
      // Without the flag: accepted, but the narrow ctx load, which bpf_ctx_narrow_access_ok refuses anyway.
      const loose = verify(insns, { type, maps: MAPS, helpers: tables(type) }).message;
      if (type === "sched_cls") expect(loose).toContain("invalid bpf_context access off=9 size=2");
      else expect(loose).toBeUndefined();
      if (status.ok) {
        const kernel = kernelRefusal(insns, { type: PROGRAM_TYPES[type].kernelType!, flags: BPF_F_STRICT_ALIGNMENT, maps: MAPS, name: "strict_align" });
        if (refusal === undefined) expect(kernel).toBeUndefined();
        else expect(kernel).toContain(refusal);
      }
    });
  }
});
