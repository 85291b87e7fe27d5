// The lightweight-tunnel types in the verifier (lwt_in, lwt_out, lwt_xmit, lwt_seg6local), each
// case checked against the kernel's verifier too (loaded, never attached): lwt_is_valid_access
// (the fields they may read and write, narrow reads), direct packet reads for all and writes for
// lwt_xmit alone (may_access_direct_pkt_data), no return range (check_return_code has none for
// them), LD_ABS refused (may_access_skb), and the helper sets of lwt_out_func_proto,
// lwt_in_func_proto, lwt_xmit_func_proto and lwt_seg6local_func_proto compared id by id with
// the kernel's answers. `__sk_buff.sk` is the test run's socket, as for tc.

import { afterAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { sectionType } from "../../vm/elf/load/index.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { PROGRAM_TYPES, type LwtTypeName } from "../../vm/programs/types.js";
import { verify } from "../../vm/verifier/index.js";
import { kernelAvailability, kernelRefusal } from "../kernel/available.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason}); our verifier is still checked`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const MAPS = [{ name: "h", type: 1, keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 }];
const tables = nodeHelperTables();
const TYPES: readonly LwtTypeName[] = ["lwt_in", "lwt_out", "lwt_xmit", "lwt_seg6local"];

function ours(source: string, type: LwtTypeName): string | undefined {
  const r = verify(assemble(source), { type, maps: MAPS, helpers: tables(type) });
  return r.accepted ? undefined : r.message;
}

const kernel = (source: string, type: LwtTypeName): string | undefined =>
  kernelRefusal(assemble(source), { type: PROGRAM_TYPES[type].kernelType!, name: "lwt", maps: MAPS });

/** [what, program, types]: both verifiers accept it for these types. */
const SAFE: ReadonlyArray<readonly [string, string, readonly LwtTypeName[]]> = [
  ["every readable field, whole and narrow", `
ldxw %r2, [%r1+0]
ldxw %r2, [%r1+4]
ldxw %r2, [%r1+8]
ldxw %r2, [%r1+12]
ldxw %r2, [%r1+16]
ldxh %r2, [%r1+16]
ldxw %r2, [%r1+20]
ldxw %r2, [%r1+24]
ldxw %r2, [%r1+28]
ldxw %r2, [%r1+32]
ldxw %r2, [%r1+36]
ldxw %r2, [%r1+40]
ldxw %r2, [%r1+44]
ldxw %r2, [%r1+48]
ldxw %r2, [%r1+64]
ldxw %r2, [%r1+68]
ldxb %r2, [%r1+68]
ldxw %r2, [%r1+84]
ldxw %r2, [%r1+164]
ldxw %r2, [%r1+176]
mov %r0, 0
exit`, TYPES],
  ["writes of mark, priority and cb[]", `
mov %r2, 7
stxw [%r1+8], %r2
stxw [%r1+32], %r2
stxw [%r1+48], %r2
stxw [%r1+64], %r2
mov %r0, 0
exit`, TYPES],
  ["a direct packet read after a bounds check", `
ldxw %r2, [%r1+76]
ldxw %r3, [%r1+80]
mov %r4, %r2
add %r4, 20
mov %r0, 0
jgt %r4, %r3, +1
ldxb %r0, [%r2+9]
exit`, TYPES],
  ["a direct packet write (lwt_xmit)", `
ldxw %r2, [%r1+76]
ldxw %r3, [%r1+80]
mov %r4, %r2
add %r4, 1
mov %r0, 0
jgt %r4, %r3, +1
stb [%r2+0], 1
exit`, ["lwt_xmit"]],
  ["returning skb->len (no return range)", "ldxw %r0, [%r1+0]\nexit", TYPES],
  ["returning -1", "mov %r0, -1\nexit", TYPES],
  ["returning the ctx (a root loader may leak pointers)", "mov %r0, %r1\nexit", TYPES],
  ["skb_load_bytes, csum_diff and get_hash_recalc (lwt_out_func_proto)", `
mov %r6, %r1
mov %r2, 0
mov %r3, %r10
add %r3, -8
mov %r4, 8
call 26
mov %r1, %r10
add %r1, -8
mov %r2, 8
mov %r3, 0
mov %r4, 0
mov %r5, 0
call 28
mov %r1, %r6
call 34
exit`, TYPES],
  ["bpf_lwt_push_encap from the stack, and packet pointers reloaded after it", `
mov %r6, %r1
stdw [%r10-24], 0
stdw [%r10-16], 0
stdw [%r10-8], 0
mov %r2, 2
mov %r3, %r10
add %r3, -24
mov %r4, 20
call 73
ldxw %r2, [%r6+76]
ldxw %r3, [%r6+80]
mov %r4, %r2
add %r4, 1
mov %r0, 0
jgt %r4, %r3, +1
ldxb %r0, [%r2+0]
exit`, ["lwt_in", "lwt_xmit"]],
  ["the seg6local helpers", `
mov %r6, %r1
stdw [%r10-8], 0
mov %r2, 8
mov %r3, %r10
add %r3, -8
mov %r4, 8
call 74
mov %r1, %r6
mov %r2, 8
mov %r3, 8
call 75
mov %r1, %r6
mov %r2, 1
mov %r3, %r10
add %r3, -8
mov %r4, 4
call 76
exit`, ["lwt_seg6local"]],
];

/** [what, program, types, our message, the kernel's]. */
const UNSAFE: ReadonlyArray<readonly [string, string, readonly LwtTypeName[], string, string]> = [
  ["a packet write", `
ldxw %r2, [%r1+76]
ldxw %r3, [%r1+80]
mov %r4, %r2
add %r4, 1
mov %r0, 0
jgt %r4, %r3, +1
stb [%r2+0], 1
exit`, ["lwt_in", "lwt_out", "lwt_seg6local"], "cannot write into packet", "cannot write into packet"],
  ...([
    ["tc_classid", "ldxw %r0, [%r1+72]", 72, 4],
    ["family", "ldxw %r0, [%r1+88]", 88, 4],
    ["remote_ip4", "ldxw %r0, [%r1+92]", 92, 4],
    ["local_port", "ldxw %r0, [%r1+136]", 136, 4],
    ["data_meta", "ldxw %r0, [%r1+140]", 140, 4],
    ["flow_keys", "ldxdw %r0, [%r1+144]", 144, 8],
    ["tstamp", "ldxdw %r0, [%r1+152]", 152, 8],
    ["wire_len", "ldxw %r0, [%r1+160]", 160, 4],
    ["tstamp_type", "ldxb %r0, [%r1+180]", 180, 1],
    ["hwtstamp", "ldxdw %r0, [%r1+184]", 184, 8],
    ["sk as 4 bytes", "ldxw %r0, [%r1+168]", 168, 4],
  ] as const).map(([field, load, off, size]) => [`reading ${field}`, `${load}\nmov %r0, 0\nexit`, TYPES, `invalid bpf_context access off=${off} size=${size}`, `invalid bpf_context access off=${off} size=${size}`] as const),
  ...([
    ["len", 0], ["queue_mapping", 12], ["tc_index", 44], ["tc_classid", 72],
  ] as const).map(([field, off]) => [`writing ${field}`, `mov %r2, 1\nstxw [%r1+${off}], %r2\nmov %r0, 0\nexit`, TYPES, `invalid bpf_context access off=${off} size=4`, `invalid bpf_context access off=${off} size=4`] as const),
  ["writing tstamp", "mov %r2, 1\nstxdw [%r1+152], %r2\nmov %r0, 0\nexit", TYPES, "invalid bpf_context access off=152 size=8", "invalid bpf_context access off=152 size=8"],
  ["LD_ABS", "mov %r6, %r1\nldabsb 0\nmov %r0, 0\nexit", TYPES,
    "BPF_LD_[ABS|IND] instructions not allowed for this program type", "BPF_LD_[ABS|IND] instructions not allowed for this program type"],
  ["skb_store_bytes outside lwt_xmit", `
mov %r2, 0
mov %r3, %r10
add %r3, -8
stdw [%r10-8], 0
mov %r4, 8
mov %r5, 0
call 9
mov %r0, 0
exit`, ["lwt_in", "lwt_out", "lwt_seg6local"], "program of this type cannot use helper bpf_skb_store_bytes#9", "program of this type cannot use helper bpf_skb_store_bytes#9"],
  ["lwt_push_encap from lwt_out / lwt_seg6local", "mov %r2, 2\nmov %r3, %r10\nadd %r3, -8\nstdw [%r10-8], 0\nmov %r4, 8\ncall 73\nexit", ["lwt_out", "lwt_seg6local"],
    "program of this type cannot use helper bpf_lwt_push_encap#73", "program of this type cannot use helper bpf_lwt_push_encap#73"],
  ["lwt_seg6_adjust_srh outside lwt_seg6local", "mov %r2, 0\nmov %r3, 0\ncall 75\nexit", ["lwt_in", "lwt_out", "lwt_xmit"],
    "program of this type cannot use helper bpf_lwt_seg6_adjust_srh#75", "program of this type cannot use helper bpf_lwt_seg6_adjust_srh#75"],
  ["skb_load_bytes_relative (not lwt's)", "mov %r2, 0\nmov %r3, %r10\nadd %r3, -8\nmov %r4, 8\nmov %r5, 0\ncall 68\nexit", TYPES,
    "program of this type cannot use helper bpf_skb_load_bytes_relative#68", "program of this type cannot use helper bpf_skb_load_bytes_relative#68"],
  ["a packet pointer as lwt_push_encap's header (its proto has no pkt_access)", `
ldxw %r3, [%r1+76]
ldxw %r4, [%r1+80]
mov %r5, %r3
add %r5, 20
mov %r0, 0
jgt %r5, %r4, +3
mov %r2, 2
mov %r4, 20
call 73
exit`, ["lwt_in", "lwt_xmit"], "helper access to the packet is not allowed", "helper access to the packet is not allowed"],
  ["a packet pointer kept across lwt_push_encap", `
mov %r6, %r1
ldxw %r7, [%r1+76]
ldxw %r8, [%r1+80]
mov %r5, %r7
add %r5, 1
mov %r0, 0
jgt %r5, %r8, +8
stdw [%r10-24], 0
stdw [%r10-16], 0
stdw [%r10-8], 0
mov %r2, 2
mov %r3, %r10
add %r3, -24
mov %r4, 20
call 73
ldxb %r0, [%r7+0]
exit`, ["lwt_in", "lwt_xmit"], "R7 invalid mem access 'scalar'", "R7 invalid mem access 'scalar'"],
];

describe("lwt programs the verifier accepts", () => {
  for (const [what, source, types] of SAFE) {
    for (const type of types) {
      it(`${type}: ${what}`, () => {
        expect(ours(source, type)).toBeUndefined();
        if (status.ok) expect(kernel(source, type)).toBeUndefined();
      });
    }
  }
});

describe("lwt programs the verifier refuses, as the kernel does", () => {
  for (const [what, source, types, ourWords, kernelWords] of UNSAFE) {
    for (const type of types) {
      it(`${type}: ${what}`, () => {
        expect(ours(source, type)).toContain(ourWords);
        if (status.ok) expect(kernel(source, type)).toContain(kernelWords);
      });
    }
  }
});

describe("__sk_buff.sk", () => {
  const READ_SK = "ldxdw %r2, [%r1+168]\nmov %r0, 0\nexit";
  const NO_NULL_CHECK = "ldxdw %r2, [%r1+168]\nldxw %r0, [%r2+4]\nexit";
  for (const type of TYPES) {
    it(`${type}: read whole, a socket pointer or NULL (PTR_TO_SOCK_COMMON_OR_NULL), as the kernel reads it`, () => {
      expect(ours(READ_SK, type)).toBeUndefined();
      expect(ours(NO_NULL_CHECK, type)).toContain("R2 invalid mem access 'sock_common_or_null'");
      if (status.ok) {
        expect(kernel(READ_SK, type)).toBeUndefined();
        expect(kernel(NO_NULL_CHECK, type)).toContain("R2 invalid mem access 'sock_common_or_null'");
      }
    });
  }
});

/**
 * Which helper ids each type may call: where our verifier decides (a helper we have, or one it
 * refuses for the type), the kernel decides the same; helpers we have not built are refused
 * here by name ("not implemented") and left out.
 */
describe.skipIf(!status.ok)("helper sets, id by id against the kernel (func_proto)", () => {
  const call = (id: number): string => `mov %r0, 0\ncall ${id}\nmov %r0, 0\nexit`;
  for (const type of TYPES) {
    it(type, () => {
      const decided: string[] = [];
      for (let id = 1; id <= 211; id++) {
        const mine = ours(call(id), type) ?? "";
        if (/not implemented here|invalid func/.test(mine)) continue;
        const refusedHere = mine.includes("cannot use helper");
        const theirs = kernel(call(id), type) ?? "";
        const refusedThere = /cannot use helper|unknown func/.test(theirs);
        expect(refusedHere, `${type} helper ${id}: ours '${mine}', kernel '${theirs.split("\n")[0]}'`).toBe(refusedThere);
        if (!refusedHere) decided.push(String(id));
      }
      // The helpers we have for the type are among those decided.
      expect(decided.length).toBeGreaterThan(20);
    });
  }
});

describe("section names (libbpf's SEC_DEFs)", () => {
  it("give the lwt types", () => {
    expect(sectionType("lwt_in")).toMatchObject({ kernel: "LWT_IN", kernelType: 10, runAs: "lwt_in" });
    expect(sectionType("lwt_out")).toMatchObject({ kernel: "LWT_OUT", kernelType: 11, runAs: "lwt_out" });
    expect(sectionType("lwt_xmit")).toMatchObject({ kernel: "LWT_XMIT", kernelType: 12, runAs: "lwt_xmit" });
    expect(sectionType("lwt_seg6local")).toMatchObject({ kernel: "LWT_SEG6LOCAL", kernelType: 19, runAs: "lwt_seg6local" });
  });
});
