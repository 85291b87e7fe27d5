// Loads from a frozen BPF_F_RDONLY_PROG single-entry array (libbpf's .rodata) are known
// constants (check_mem_access: bpf_map_is_rdonly → bpf_map_direct_read → __mark_reg_known);
// without the freeze, the flag, a constant offset or a 1/2/4/8-byte load they are unknown
// scalars of the load's width. The programs below are safe only if the loaded value is known.

import { describe, expect, test } from "vitest";
import { assemble } from "../../vm/asm/assembler.js";
import { verify } from "../../vm/verifier/index.js";
import type { VerifierMap } from "../../vm/verifier/env.js";
import { kernelHelperTable } from "./kernel-helpers.js";

const helpers = kernelHelperTable();
const RDONLY_PROG = 1 << 7;
/** Value bytes: u32 8 at 0, 0xff at 4, u16 0x1234 at 6, u64 at 8. */
const VALUE = new Uint8Array([8, 0, 0, 0, 0xff, 0, 0x34, 0x12, 1, 2, 3, 4, 5, 6, 7, 0x88]);

const rodata = (fields: Partial<VerifierMap> = {}): VerifierMap => ({
  name: ".rodata", type: 2, keySize: 4, valueSize: VALUE.length, maxEntries: 1, flags: RDONLY_PROG, frozen: VALUE, ...fields,
});
const reason = (src: string, map: VerifierMap): string =>
  verify(assemble(src), { type: "xdp", maps: [map], helpers }).reason ?? "accepted";

/** Load with `load` at `off`; reading r9 (never written) is reachable unless the value is `expect`. */
const knows = (load: string, off: number, expect: bigint): string => `
  lddw %r1, map_value 0, 0
  ${load} %r2, [%r1+${off}]
  lddw %r3, 0x${BigInt.asUintN(64, expect).toString(16)}
  jeq %r2, %r3, ok
  ldxdw %r0, [%r9+0]
ok:
  mov %r0, 2
  exit`;

/** A loop bounded only by the u32 at offset 0: 2^32 iterations for the verifier unless known. */
const LOOP = `
  lddw %r1, map_value 0, 0
  ldxw %r2, [%r1+0]
  mov %r0, 0
loop:
  add %r0, 1
  jlt %r0, %r2, loop
  mov %r0, 2
  exit`;

describe("loads from frozen read-only global data", () => {
  test("a loop bounded by a .rodata value: refused unless the map is frozen (the kernel alike)", () => {
    expect(reason(LOOP, rodata())).toBe("accepted");
    expect(reason(LOOP, rodata({ frozen: undefined }))).toMatch(/BPF program is too large/);
  });

  test("1/2/4/8-byte loads read the little-endian bytes, zero-extended; ldxs* sign-extends", () => {
    expect(reason(knows("ldxw", 0, 8n), rodata())).toBe("accepted");
    expect(reason(knows("ldxb", 4, 0xffn), rodata())).toBe("accepted");
    expect(reason(knows("ldxh", 6, 0x1234n), rodata())).toBe("accepted");
    expect(reason(knows("ldxdw", 8, 0x8807060504030201n), rodata())).toBe("accepted");
    expect(reason(knows("ldxsb", 4, -1n), rodata())).toBe("accepted");
    expect(reason(knows("ldxb", 4, -1n), rodata())).toBe("R9 !read_ok"); // zero-extended: 255, not -1
    expect(reason(knows("ldxw", 0, 9n), rodata())).toBe("R9 !read_ok"); // a wrong value is not "known"
  });

  test("not frozen, not BPF_F_RDONLY_PROG, or not a single-entry array: an unknown scalar", () => {
    const src = knows("ldxw", 0, 8n);
    expect(reason(src, rodata({ frozen: undefined }))).toBe("R9 !read_ok");
    expect(reason(src, rodata({ flags: 0 }))).toBe("R9 !read_ok");
    expect(reason(src, rodata({ maxEntries: 2 }))).toBe("R9 !read_ok");
  });

  test("a variable offset gives an unknown scalar; bounds are still checked", () => {
    const variable = (mask: number) => `
  ldxw %r4, [%r1+16]
  and %r4, ${mask}
  lddw %r1, map_value 0, 0
  add %r1, %r4
  ldxw %r2, [%r1+0]
  jeq %r2, 8, ok
  ldxdw %r0, [%r9+0]
ok:
  mov %r0, 2
  exit`;
    // ingress_ifindex & 0 is a known 0: offset 0, value 8; & 4 is 0 or 4: not a constant.
    expect(reason(variable(0), rodata())).toBe("accepted");
    expect(reason(variable(4), rodata())).toBe("R9 !read_ok");
    expect(reason(knows("ldxdw", 12, 0n), rodata())).toBe("invalid access to map value, value_size=16 off=12 size=8; R1 min value is outside of the allowed memory range");
  });
});
