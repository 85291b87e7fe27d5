// lddw pseudo sources (vm/program/lddw.ts): map pointers and global data addresses, resolved the
// same way for both engines, with the kernel's refusals.

import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { BpfError } from "../../vm/errors.js";
import { Pseudo } from "../../vm/isa/opcodes.js";
import { pseudoLddwValue, resolveLddw } from "../../vm/program/lddw.js";
import { frame, interp, machine, program, runner } from "./fixture.js";

const m = machine("xdp", [
  { name: "counts", type: "hash", keySize: 4, valueSize: 8, maxEntries: 16 },
  { name: ".data", type: "array", keySize: 4, valueSize: 32, maxEntries: 1 },
  { name: "table", type: "array", keySize: 4, valueSize: 8, maxEntries: 4 },
  { name: "pcpu", type: "percpu_array", keySize: 4, valueSize: 8, maxEntries: 1 },
]);
const maps = m.maps.describe();

describe("resolveLddw", () => {
  it("map_fd and map_idx load the map's header address", () => {
    const insns = assemble("lddw %r1, map_fd 0\nlddw %r2, map_idx 2\nmov %r0, 0\nexit");
    const out = resolveLddw(insns, maps);
    expect(out[0]!.src).toBe(Pseudo.NONE);
    expect(pseudoLddwValue(insns, 0, maps)).toBe(BigInt(m.maps.get("counts")!.address));
    expect(pseudoLddwValue(insns, 2, maps)).toBe(BigInt(m.maps.get("table")!.address));
    expect(out[0]!.imm >>> 0).toBe(m.maps.get("counts")!.address);
    expect(out[1]!.imm).toBe(0);
    expect(insns[0]!.src).toBe(Pseudo.MAP_FD); // the input is not modified
  });

  it("map_value and map_idx_value load the address of element 0's value plus the offset", () => {
    const insns = assemble("lddw %r1, map_value 1, 12\nlddw %r2, map_idx_value 1, 0\nexit");
    expect(pseudoLddwValue(insns, 0, maps)).toBe(BigInt(m.maps.get(".data")!.descriptor.values + 12));
    expect(pseudoLddwValue(insns, 2, maps)).toBe(BigInt(m.maps.get(".data")!.descriptor.values));
  });

  it("returns the same array when there is nothing to resolve", () => {
    const insns = assemble("lddw %r1, 0x1122334455667788\nexit");
    expect(resolveLddw(insns, maps)).toBe(insns);
  });

  const refusals: Array<[string, RegExp]> = [
    ["lddw %r1, map_fd 9", /insn 1: lddw map_fd 9: fd 9 is not pointing to valid bpf_map \(the machine has 4 maps\)/],
    ["lddw %r1, map_fd -1", /fd -1 is not pointing to valid bpf_map/],
    ["lddw %r1, map_fd 0, 4", /unrecognized bpf_ld_imm64 insn/],
    ["lddw %r1, map_value 0, 0", /map 'counts'\): no direct value access support for this map type/],
    ["lddw %r1, map_value 2, 0", /invalid access to map value pointer, value_size=8 off=0 \(max_entries 4, direct access needs 1\)/],
    ["lddw %r1, map_value 3, 0", /no direct value access support/],
    ["lddw %r1, map_value 1, 32", /invalid access to map value pointer, value_size=32 off=32/],
    ["lddw %r1, map_value 1, -1", /direct value offset of 4294967295 is not allowed/],
    ["lddw %r1, btf_id 5", /BTF ids \(ksyms\) are not supported/],
  ];
  for (const [source, message] of refusals) {
    it(`refuses \`${source}\``, () => {
      const insns = assemble(`mov %r0, 0\n${source}\nexit`);
      let error: unknown;
      try {
        resolveLddw(insns, maps);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(BpfError);
      expect((error as BpfError).message).toMatch(message);
      expect((error as BpfError).where.insn).toBe(1);
    });
  }

  it("refuses map references on a machine without maps", () => {
    expect(() => resolveLddw(assemble("lddw %r1, map_fd 0\nexit"), undefined)).toThrow(/the machine has 0 maps/);
  });
});

describe("the interpreter resolves lddw at load", () => {
  it("a program reads and writes global data through map_value", () => {
    const r = runner(m, `
      lddw %r1, map_value 1, 8
      ldxdw %r0, [%r1]
      add %r0, 1
      stxdw [%r1], %r0
      exit`);
    const data = m.maps.keyed(".data");
    const value = new Uint8Array(32);
    value[8] = 41;
    data.update(0, value);
    expect(r.run(frame()).retval).toBe(42n);
    expect(data.lookup(0)![8]).toBe(42);
  });

  it("a load with a bad map reference fails naming the instruction", () => {
    expect(() => interp.loadSync(program("mov %r0, 0\nlddw %r1, map_fd 7\nexit"), m)).toThrow(/insn 1: lddw map_fd 7: fd 7 is not pointing to valid bpf_map/);
  });
});
