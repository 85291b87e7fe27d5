// BPF_PROG_TYPE_CGROUP_SKB in the verifier, each case checked against the kernel's verifier too
// (loaded, never attached, with the expected attach type of its hook): the context rules of
// cg_skb_is_valid_access (the fields it may read and write, direct packet reads but no writes,
// whole loads of the socket addresses), check_return_code's range (ingress [0, 1], egress
// [0, 3]) with the kernel's message, LD_ABS refused (may_access_skb), the helper set
// (cg_skb_func_proto). `__sk_buff.sk` is a socket pointer to NULL-check before a read
// (test/kernel/sk-verifier.test.ts has the socket cases).

import { afterAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { kernelBridge, ProgType } from "../../vm/node/kernel/engine.js";
import { BPF_CGROUP_INET_EGRESS, BPF_CGROUP_INET_INGRESS } from "../../vm/programs/types.js";
import { sectionType } from "../../vm/elf/load/index.js";
import { verify } from "../../vm/verifier/index.js";
import { kernelAvailability, kernelRefusal } from "../kernel/available.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason}); our verifier is still checked`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const MAPS = [{ name: "h", type: 1, keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 }];
const helpers = nodeHelperTables()("cgroup_skb");

function ours(source: string, attach: number): string | undefined {
  const r = verify(assemble(source), { type: "cgroup_skb", maps: MAPS, helpers, expectedAttach: attach });
  return r.accepted ? undefined : r.message;
}

const kernel = (source: string, attach: number): string | undefined =>
  kernelRefusal(assemble(source), { type: ProgType.CGROUP_SKB, expectedAttachType: attach, name: "cg", maps: MAPS });

const IN = BPF_CGROUP_INET_INGRESS;
const OUT = BPF_CGROUP_INET_EGRESS;

/** [what, program, attach]: both verifiers accept. */
const SAFE: ReadonlyArray<readonly [string, string, number]> = [
  ["every readable field, whole and narrow", `
ldxw %r2, [%r1+0]
ldxw %r2, [%r1+4]
ldxw %r2, [%r1+8]
ldxw %r2, [%r1+16]
ldxh %r2, [%r1+16]
ldxw %r2, [%r1+32]
ldxw %r2, [%r1+36]
ldxw %r2, [%r1+40]
ldxw %r2, [%r1+68]
ldxw %r2, [%r1+84]
ldxw %r2, [%r1+88]
ldxw %r2, [%r1+92]
ldxw %r2, [%r1+96]
ldxw %r2, [%r1+112]
ldxw %r2, [%r1+124]
ldxw %r2, [%r1+128]
ldxw %r2, [%r1+132]
ldxh %r2, [%r1+136]
ldxb %r2, [%r1+88]
ldxdw %r2, [%r1+152]
ldxw %r2, [%r1+164]
ldxw %r2, [%r1+176]
ldxdw %r2, [%r1+184]
mov %r0, 1
exit`, IN],
  ["writes of mark, priority, cb[] and tstamp", `
mov %r2, 7
stxw [%r1+8], %r2
stxw [%r1+32], %r2
stxw [%r1+48], %r2
stxdw [%r1+56], %r2
stxdw [%r1+152], %r2
mov %r0, 0
exit`, IN],
  ["a direct packet read after a bounds check", `
ldxw %r2, [%r1+76]
ldxw %r3, [%r1+80]
mov %r4, %r2
add %r4, 20
mov %r0, 0
jgt %r4, %r3, +2
ldxb %r0, [%r2+9]
and %r0, 1
exit`, IN],
  ["skb_ecn_set_ce (cg_skb_func_proto only)", `
call 97
and %r0, 1
exit`, IN],
  ["an egress program returning 0..3", `
ldxw %r0, [%r1+0]
and %r0, 3
exit`, OUT],
  ["skb_load_bytes_relative and a map", `
mov %r6, %r1
mov %r1, %r6
mov %r2, 0
mov %r3, %r10
add %r3, -8
mov %r4, 8
mov %r5, 0
call 68
stw [%r10-12], 1
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -12
mov %r3, %r10
add %r3, -8
mov %r4, 0
call 2
mov %r0, 1
exit`, IN],
];

/** [what, program, attach, our message, the kernel's]. */
const UNSAFE: ReadonlyArray<readonly [string, string, number, string, string]> = [
  ["an ingress program returning 2", "mov %r0, 2\nexit", IN,
    "At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]", "At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]"],
  ["an egress program returning skb->len", "ldxw %r0, [%r1+0]\nexit", OUT,
    "At program exit the register R0 has smin=0 smax=4294967295 should have been in [0, 3]", "At program exit the register R0 has smin=0 smax=4294967295 should have been in [0, 3]"],
  ["an egress program returning -1", "mov %r0, -1\nexit", OUT,
    "should have been in [0, 3]", "At program exit the register R0 has smin=-1 smax=-1 should have been in [0, 3]"],
  ["returning the ctx", "mov %r0, %r1\nexit", IN,
    "At program exit the register R0 is not a known value (ctx)", "At program exit the register R0 is not a known value (ctx)"],
  ["a packet write", `
ldxw %r2, [%r1+76]
ldxw %r3, [%r1+80]
mov %r4, %r2
add %r4, 1
mov %r0, 0
jgt %r4, %r3, +1
stb [%r2+0], 1
exit`, IN, "cannot write into packet", "cannot write into packet"],
  ["reading tc_classid", "ldxw %r0, [%r1+72]\nmov %r0, 0\nexit", IN, "invalid bpf_context access off=72 size=4", "invalid bpf_context access off=72 size=4"],
  ["reading tstamp_type", "ldxb %r0, [%r1+180]\nmov %r0, 0\nexit", IN, "invalid bpf_context access off=180 size=1", "invalid bpf_context access off=180 size=1"],
  ["a 4-byte read of sk", "ldxw %r0, [%r1+168]\nmov %r0, 0\nexit", IN, "invalid bpf_context access off=168 size=4", "invalid bpf_context access off=168 size=4"],
  ["reading data_meta", "ldxw %r0, [%r1+140]\nmov %r0, 0\nexit", IN, "invalid bpf_context access off=140 size=4", "invalid bpf_context access off=140 size=4"],
  ["reading wire_len", "ldxw %r0, [%r1+160]\nmov %r0, 0\nexit", IN, "invalid bpf_context access off=160 size=4", "invalid bpf_context access off=160 size=4"],
  ["reading flow_keys", "ldxdw %r0, [%r1+144]\nmov %r0, 0\nexit", IN, "invalid bpf_context access off=144 size=8", "invalid bpf_context access off=144 size=8"],
  ["a narrow read of remote_ip4", "ldxh %r0, [%r1+96]\nmov %r0, 0\nexit", IN, "invalid bpf_context access off=96 size=2", "invalid bpf_context access off=96 size=2"],
  ["writing len", "mov %r2, 1\nstxw [%r1+0], %r2\nmov %r0, 0\nexit", IN, "invalid bpf_context access off=0 size=4", "invalid bpf_context access off=0 size=4"],
  ["writing tc_index", "mov %r2, 1\nstxw [%r1+44], %r2\nmov %r0, 0\nexit", IN, "invalid bpf_context access off=44 size=4", "invalid bpf_context access off=44 size=4"],
  ["writing queue_mapping", "mov %r2, 1\nstxw [%r1+12], %r2\nmov %r0, 0\nexit", IN, "invalid bpf_context access off=12 size=4", "invalid bpf_context access off=12 size=4"],
  ["LD_ABS", "mov %r6, %r1\nldabsb 0\nmov %r0, 0\nexit", IN,
    "BPF_LD_[ABS|IND] instructions not allowed for this program type", "BPF_LD_[ABS|IND] instructions not allowed for this program type"],
  ["skb_store_bytes, a tc helper", `
mov %r2, 0
mov %r3, %r10
add %r3, -8
stdw [%r10-8], 0
mov %r4, 8
mov %r5, 0
call 9
mov %r0, 0
exit`, IN, "bpf_skb_store_bytes#9", "program of this type cannot use helper bpf_skb_store_bytes#9"],
];

describe("cgroup_skb programs the verifier accepts", () => {
  for (const [what, source, attach] of SAFE) {
    it(what, () => {
      expect(ours(source, attach)).toBeUndefined();
      if (status.ok) expect(kernel(source, attach)).toBeUndefined();
    });
  }
});

describe("cgroup_skb programs the verifier refuses, as the kernel does", () => {
  for (const [what, source, attach, ourWords, kernelWords] of UNSAFE) {
    it(what, () => {
      expect(ours(source, attach)).toContain(ourWords);
      if (status.ok) expect(kernel(source, attach)).toContain(kernelWords);
    });
  }
});

describe("__sk_buff.sk", () => {
  const READ_SK = "ldxdw %r2, [%r1+168]\nmov %r0, 1\nexit";
  const READ_FAMILY = "ldxdw %r2, [%r1+168]\nldxw %r3, [%r2+4]\nmov %r0, 1\nexit";
  it("is a socket pointer that may be NULL, as in the kernel", () => {
    expect(ours(READ_SK, IN)).toBeUndefined();
    expect(ours(READ_FAMILY, IN)).toContain("R2 invalid mem access 'sock_common_or_null'");
    if (!status.ok) return;
    expect(kernel(READ_SK, IN)).toBeUndefined();
    expect(kernel(READ_FAMILY, IN)).toContain("R2 invalid mem access 'sock_common_or_null'");
  });
});

describe("section names (libbpf's SEC_DEFs)", () => {
  it("give cgroup_skb and the hook's expected attach type", () => {
    expect(sectionType("cgroup_skb/ingress")).toMatchObject({ kernel: "CGROUP_SKB", kernelType: 8, runAs: "cgroup_skb", expectedAttach: IN });
    expect(sectionType("cgroup_skb/egress")).toMatchObject({ kernel: "CGROUP_SKB", kernelType: 8, runAs: "cgroup_skb", expectedAttach: OUT });
    const plain = sectionType("cgroup/skb");
    expect(plain).toMatchObject({ kernel: "CGROUP_SKB", runAs: "cgroup_skb" });
    expect(plain?.expectedAttach).toBeUndefined();
  });
});
