// The verifier on socket lookups (84, 85, 99) and bpf_sk_release (86): what the kernel accepts
// and refuses — references to release, NULL checks, which struct bpf_sock fields a sock and a
// sock_common may read and how wide, no stores, no pointer arithmetic — compared with the
// kernel's own verdict and message (its log's last line before "processed") for every case.

import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { ProgType } from "../../vm/node/kernel/bridge.js";
import type { ProgramTypeName } from "../../vm/programs/types.js";
import { verify } from "../../vm/verifier/index.js";
import { kernelAvailability, kernelRefusal } from "./available.js";

/** r0 = a lookup (helper `id`) of a zeroed 12-byte tuple at fp-16 in the current namespace; r6 = ctx. */
const lookup = (id = 84, netns = "mov %r4, -1"): string =>
  `mov %r6, %r1\nstdw [%r10-16], 0\nstw [%r10-8], 0\nmov %r2, %r10\nadd %r2, -16\nmov %r3, 12\n${netns}\nmov %r5, 0\ncall ${id}`;
/** Another lookup, with the ctx from r6. */
const again = (id = 84): string => `mov %r1, %r6\nmov %r2, %r10\nadd %r2, -16\nmov %r3, 12\nmov %r4, -1\nmov %r5, 0\ncall ${id}`;
/** If r0 is NULL, exit with 0; else `body`, then release r0 (kept in r7) and exit. */
const checked = (body: string, id = 84): string =>
  `${lookup(id)}\njne %r0, 0, +2\nmov %r0, 0\nexit\nmov %r7, %r0\n${body}\nmov %r1, %r7\ncall 86\nmov %r0, 0\nexit`;
const EXIT = "mov %r0, 0\nexit";
/** r2 = __sk_buff.sk (r1 the ctx). */
const SKB_SK = "ldxdw %r2, [%r1+168]";
/** A syncookie helper on the socket in r1, with 20-byte headers at fp-64 and fp-32. */
const COOKIE = (id: number): string =>
  `stdw [%r10-64], 0\nstdw [%r10-56], 0\nstw [%r10-48], 0\nstdw [%r10-32], 0\nstdw [%r10-24], 0\nstw [%r10-16], 0\nmov %r2, %r10\nadd %r2, -64\nmov %r3, 20\nmov %r4, %r10\nadd %r4, -32\nmov %r5, 20\ncall ${id}`;

type Case = readonly [what: string, type: ProgramTypeName, source: string, refusal: string | undefined];

/** The refusal of a reference held at `what` (check_resource_leak): the kernel's two lines, joined. */
const leak = (id: number, insn: number, what = "BPF_EXIT instruction in main prog"): string =>
  `Unreleased reference id=${id} alloc_insn=${insn}; ${what} would lead to reference leak`;

const CASES: Case[] = [
  ["lookup, NULL check, release", "xdp", checked(""), undefined],
  ["the same in tc", "sched_cls", checked(""), undefined],
  ["the same in cgroup_skb", "cgroup_skb", checked("").replace(/mov %r0, 0\nexit$/, "mov %r0, 1\nexit"), undefined],
  ["sk_lookup_udp", "sched_cls", checked("", 85), undefined],
  ["skc_lookup_tcp", "xdp", checked("", 99), undefined],
  ["a socket filter may not look up", "socket_filter", checked(""), "program of this type cannot use helper bpf_sk_lookup_tcp#84"],
  ["no release", "xdp", `${lookup()}\n${EXIT}`, leak(2, 8)],
  ["released on one path only", "xdp", `${lookup()}\njeq %r0, 0, +4\nldxw %r1, [%r6+0]\njeq %r1, 0, +2\nmov %r1, %r0\ncall 86\n${EXIT}`, leak(2, 8)],
  ["a NULL socket needs no release", "xdp", `${lookup()}\njne %r0, 0, +1\nexit\nmov %r1, %r0\ncall 86\n${EXIT}`, undefined],
  ["release without a NULL check", "xdp", `${lookup()}\nmov %r1, %r0\ncall 86\n${EXIT}`, "R1 type=sock_or_null expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_"],
  ["release of NULL", "xdp", `mov %r1, 0\ncall 86\n${EXIT}`, "R1 type=scalar expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_"],
  ["release twice", "xdp", checked("mov %r1, %r7\ncall 86"), "R1 type=scalar expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_"],
  ["use after release", "xdp", `${lookup()}\njeq %r0, 0, +4\nmov %r7, %r0\nmov %r1, %r0\ncall 86\nldxw %r0, [%r7+4]\n${EXIT}`, "R7 invalid mem access 'scalar'"],
  ["a read before the NULL check", "xdp", `${lookup()}\nldxw %r1, [%r0+4]\n${EXIT}`, "R0 invalid mem access 'sock_or_null'"],
  ["arithmetic before the NULL check", "xdp", `${lookup()}\nadd %r0, 4\n${EXIT}`, "R0 pointer arithmetic on sock_or_null prohibited, null-check it first"],
  ["arithmetic on a socket", "xdp", checked("mov %r1, %r7\nadd %r1, 4"), "R1 pointer arithmetic on sock prohibited"],
  ["a NULL check through a copy", "xdp", `${lookup()}\nmov %r7, %r0\njeq %r7, 0, +3\nmov %r1, %r0\ncall 86\nexit\n${EXIT}`, undefined],
  ["spilled and filled", "xdp", `${lookup()}\nstxdw [%r10-24], %r0\njeq %r0, 0, +3\nldxdw %r1, [%r10-24]\ncall 86\nexit\n${EXIT}`, undefined],
  ["two sockets, one released", "xdp", `${lookup()}\nmov %r8, %r0\n${again()}\njeq %r0, 0, +2\nmov %r1, %r0\ncall 86\n${EXIT}`, leak(2, 8)],
  ["two sockets, the other released", "xdp", `${lookup()}\nmov %r8, %r0\n${again()}\njeq %r8, 0, +2\nmov %r1, %r8\ncall 86\n${EXIT}`, leak(4, 16)],
  ["LD_ABS holding a socket", "sched_cls", `${lookup()}\nldabsb 0\n${EXIT}`, leak(2, 8, "BPF_LD_[ABS|IND]")],
  ["flags and netns are anything", "xdp", checked("").replace("mov %r5, 0", "ldxw %r5, [%r1+0]").replace("mov %r4, -1", "ldxw %r4, [%r1+4]"), undefined],
  ["a tuple of 36 bytes past the stack's end", "xdp", lookup().replace("mov %r3, 12", "mov %r3, 36") + "\n" + EXIT, "invalid read from stack R2 off=-16 size=36"],
  ["a tuple size of 0", "xdp", checked("").replace("mov %r3, 12", "mov %r3, 0"), undefined],
  ["a tuple size from 0 to 12", "xdp", checked("").replace("mov %r3, 12", "ldxw %r3, [%r1+12]\nand %r3, 7\nadd %r3, 5"), undefined],
  ["a tuple size that may pass the stack", "xdp", checked("").replace("mov %r3, 12", "ldxw %r3, [%r1+12]\nand %r3, 31"), "invalid read from stack R2 off=-16 size=31"],
  ["a tuple in the packet", "xdp", `mov %r6, %r1\nldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r4, %r2\nadd %r4, 12\njgt %r4, %r3, +8\nmov %r1, %r6\nmov %r3, 12\nmov %r4, -1\nmov %r5, 0\ncall 84\njeq %r0, 0, +2\nmov %r1, %r0\ncall 86\n${EXIT}`, undefined],
  // Fields (bpf_sock_is_valid_access / bpf_sock_common_is_valid_access).
  ["every u32 field of a sock", "xdp", checked([0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60, 64, 68, 72, 76].map((o) => `ldxw %r1, [%r7+${o}]`).join("\n")), undefined],
  ["narrow loads of a sock", "xdp", checked(["ldxb %r1, [%r7+4]", "ldxh %r1, [%r7+8]", "ldxb %r1, [%r7+25]", "ldxh %r1, [%r7+30]", "ldxb %r1, [%r7+48]", "ldxb %r1, [%r7+49]", "ldxh %r1, [%r7+48]", "ldxb %r1, [%r7+72]", "ldxh %r1, [%r7+76]", "ldxb %r1, [%r7+71]"].join("\n")), undefined],
  ["a u8 of mark", "xdp", checked("ldxb %r1, [%r7+16]"), "R7 invalid sock access off=16 size=1"],
  ["a u8 of bound_dev_if", "xdp", checked("ldxb %r1, [%r7+0]"), "R7 invalid sock access off=0 size=1"],
  ["the second byte of family", "xdp", checked("ldxb %r1, [%r7+5]"), "R7 invalid sock access off=5 size=1"],
  ["dst_port's padding", "xdp", checked("ldxh %r1, [%r7+50]"), "R7 invalid sock access off=50 size=2"],
  ["a u64 load", "xdp", checked("ldxdw %r1, [%r7+24]"), "R7 invalid sock access off=24 size=8"],
  ["past the struct", "xdp", checked("ldxw %r1, [%r7+80]"), "R7 invalid sock access off=80 size=4"],
  // Not strict: x86 has efficient unaligned access (check_ptr_alignment); the field rule refuses it.
  ["misaligned", "xdp", checked("ldxw %r1, [%r7+26]"), "R7 invalid sock access off=26 size=4"],
  ["a store", "xdp", checked("stw [%r7+16], 1"), "R7 cannot write into sock"],
  ["a register store", "xdp", checked("stxw [%r7+16], %r6"), "R7 cannot write into sock"],
  ["an atomic add", "xdp", checked("mov %r1, 1\nlock add32 [%r7+16], %r1"), "BPF_ATOMIC stores into R7 sock is not allowed"],
  ["sock_common: family, addresses, ports, state", "xdp", checked([0, 4, 24, 28, 44, 48, 52, 56, 72, 76].map((o) => `ldxw %r1, [%r7+${o}]`).join("\n"), 99), undefined],
  ["sock_common: type", "xdp", checked("ldxw %r1, [%r7+8]", 99), "R7 invalid sock_common access off=8 size=4"],
  ["sock_common: priority", "xdp", checked("ldxw %r1, [%r7+20]", 99), "R7 invalid sock_common access off=20 size=4"],
  ["sock_common: a store", "xdp", checked("stw [%r7+0], 1", 99), "R7 cannot write into sock_common"],
  ["sock_common: arithmetic", "xdp", checked("add %r7, 4", 99), "R7 pointer arithmetic on sock_common prohibited"],
  ["one load through a sock and a sock_common", "xdp", `${lookup(84)}\njeq %r0, 0, +1\nja +7\n${again(99)}\njeq %r0, 0, +3\nldxw %r1, [%r0+4]\nmov %r1, %r0\ncall 86\n${EXIT}`, "same insn cannot be used with different pointers"],
  // tcp_check_syncookie / tcp_gen_syncookie: a socket, then two memory and size pairs.
  ["check_syncookie on a socket", "sched_cls", checked(`mov %r1, %r7\n${COOKIE(100)}`, 99), undefined],
  ["gen_syncookie on a socket", "xdp", checked(`mov %r1, %r7\n${COOKIE(110)}`), undefined],
  ["check_syncookie before the NULL check", "xdp", `${lookup(99)}\nmov %r7, %r0\nmov %r1, %r0\n${COOKIE(100)}\nmov %r1, %r7\ncall 86\n${EXIT}`, "R1 type=sock_common_or_null expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_"],
  ["check_syncookie on the stack", "xdp", `mov %r1, %r10\nadd %r1, -8\n${COOKIE(100)}\n${EXIT}`, "R1 type=fp expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_"],
  ["check_syncookie in cgroup_skb", "cgroup_skb", `${COOKIE(100)}\n${EXIT}`, "program of this type cannot use helper bpf_tcp_check_syncookie#100"],
  // __sk_buff.sk: a sock_common that may be NULL, holding no reference.
  ["__sk_buff.sk in tc", "sched_cls", `${SKB_SK}\njeq %r2, 0, +1\nldxw %r0, [%r2+4]\n${EXIT}`, undefined],
  ["__sk_buff.sk in cgroup_skb", "cgroup_skb", `${SKB_SK}\njeq %r2, 0, +1\nldxw %r0, [%r2+4]\nmov %r0, 1\nexit`, undefined],
  ["__sk_buff.sk in a socket filter", "socket_filter", `${SKB_SK}\njeq %r2, 0, +1\nldxw %r0, [%r2+4]\n${EXIT}`, undefined],
  ["__sk_buff.sk read before its NULL check", "sched_cls", `${SKB_SK}\nldxw %r0, [%r2+4]\n${EXIT}`, "R2 invalid mem access 'sock_common_or_null'"],
  ["__sk_buff.sk's type field", "sched_cls", `${SKB_SK}\njeq %r2, 0, +1\nldxw %r0, [%r2+8]\n${EXIT}`, "R2 invalid sock_common access off=8 size=4"],
  ["a u32 of __sk_buff.sk", "sched_cls", `ldxw %r2, [%r1+168]\n${EXIT}`, "invalid bpf_context access off=168 size=4"],
  ["__sk_buff.sk released", "sched_cls", `${SKB_SK}\njeq %r2, 0, +2\nmov %r1, %r2\ncall 86\n${EXIT}`, "R1 must be referenced when passed to release function"],
  ["sk_fullsock of __sk_buff.sk, its type", "sched_cls", `${SKB_SK}\njeq %r2, 0, +5\nmov %r1, %r2\ncall 95\njeq %r0, 0, +2\nldxw %r0, [%r0+8]\nexit\n${EXIT}`, undefined],
  ["sk_fullsock of a maybe-NULL socket", "sched_cls", `${SKB_SK}\nmov %r1, %r2\ncall 95\n${EXIT}`, "R1 type=sock_common_or_null expected=sock_common, sock, tcp_sock, xdp_sock"],
  ["sk_fullsock in xdp", "xdp", `mov %r1, 0\ncall 95\n${EXIT}`, "program of this type cannot use helper bpf_sk_fullsock#95"],
  ["tcp_sock fields", "cgroup_skb", `${SKB_SK}\njeq %r2, 0, +7\nmov %r1, %r2\ncall 96\njeq %r0, 0, +4\nldxw %r1, [%r0+0]\nldxdw %r1, [%r0+80]\nldxdw %r1, [%r0+88]\nldxw %r1, [%r0+108]\nmov %r0, 1\nexit`, undefined],
  ["a u64 of tcp_sock's snd_cwnd", "sched_cls", `${SKB_SK}\njeq %r2, 0, +4\nmov %r1, %r2\ncall 96\njeq %r0, 0, +1\nldxdw %r1, [%r0+0]\n${EXIT}`, "R0 invalid tcp_sock access off=0 size=8"],
  ["a u32 of bytes_acked", "sched_cls", `${SKB_SK}\njeq %r2, 0, +4\nmov %r1, %r2\ncall 96\njeq %r0, 0, +1\nldxw %r1, [%r0+88]\n${EXIT}`, "R0 invalid tcp_sock access off=88 size=4"],
  ["past struct bpf_tcp_sock", "sched_cls", `${SKB_SK}\njeq %r2, 0, +4\nmov %r1, %r2\ncall 96\njeq %r0, 0, +1\nldxw %r1, [%r0+112]\n${EXIT}`, "R0 invalid tcp_sock access off=112 size=4"],
  ["a store into tcp_sock", "sched_cls", `${SKB_SK}\njeq %r2, 0, +4\nmov %r1, %r2\ncall 96\njeq %r0, 0, +1\nstw [%r0+0], 1\n${EXIT}`, "R0 cannot write into tcp_sock"],
  ["sk_fullsock of a lookup's socket, released", "sched_cls", checked("mov %r1, %r7\ncall 95\njeq %r0, 0, +3\nmov %r1, %r0\ncall 86\nexit\nmov %r0, 0"), undefined],
  ["sk_fullsock's socket released, then the lookup's", "sched_cls", checked("mov %r1, %r7\ncall 95\njeq %r0, 0, +2\nmov %r1, %r0\ncall 86"), "R1 type=scalar expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_"],
  ["tcp_sock of a lookup's socket, released", "sched_cls", checked("mov %r1, %r7\ncall 96\njeq %r0, 0, +3\nmov %r1, %r0\ncall 86\nexit\nmov %r0, 0"), undefined],
  ["a NULL tcp_sock keeps the reference", "sched_cls", `${lookup()}\njeq %r0, 0, +5\nmov %r7, %r0\nmov %r1, %r0\ncall 96\njne %r0, 0, +1\nexit\nmov %r1, %r7\ncall 86\n${EXIT}`, leak(2, 8)],
  ["get_listener_sock's socket holds no reference", "sched_cls", checked("mov %r1, %r7\ncall 98\njeq %r0, 0, +2\nmov %r1, %r0\ncall 86"), "R1 must be referenced when passed to release function"],
  ["sk_assign of a lookup's socket", "sched_cls", checked("mov %r1, %r6\nmov %r2, %r7\nmov %r3, 0\ncall 124"), undefined],
  ["sk_assign of a maybe-NULL socket", "sched_cls", `${SKB_SK}\nmov %r1, %r6\ncall 124\n${EXIT}`.replace(SKB_SK, `mov %r6, %r1\n${SKB_SK}\nmov %r3, 0`), "R2 type=sock_common_or_null expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_"],
  ["sk_assign in cgroup_skb", "cgroup_skb", `mov %r2, 0\nmov %r3, 0\ncall 124\n${EXIT}`, "program of this type cannot use helper bpf_sk_assign#124"],
];

const KERNEL_TYPE: Partial<Record<ProgramTypeName, number>> = { xdp: ProgType.XDP, sched_cls: ProgType.SCHED_CLS, socket_filter: ProgType.SOCKET_FILTER, cgroup_skb: ProgType.CGROUP_SKB };

/**
 * The kernel's reason: its log's last line before the "processed ..." summary; a leaked
 * reference takes two lines ("Unreleased reference id=N alloc_insn=M", then "<what> would lead to
 * reference leak"), which our reason joins with "; ".
 */
function kernelReason(refusal: string): string {
  const lines = refusal.split("\n").map((l) => l.trim()).filter(Boolean);
  const at = lines.findIndex((l) => l.startsWith("processed "));
  const last = at > 0 ? lines[at - 1]! : lines[lines.length - 1]!;
  return / would lead to reference leak$/.test(last) && at > 1 ? `${lines[at - 2]}; ${last}` : last;
}

const status = kernelAvailability();
if (!status.ok) console.log(`kernel comparison skipped: ${status.reason}`);

describe("the verifier on socket lookups and sk_release", () => {
  const tables = nodeHelperTables();
  for (const [what, type, source, refusal] of CASES) {
    it(`${what} (${type})`, () => {
      const insns = assemble(source);
      const ours = verify(insns, { type, helpers: tables(type) });
      expect(ours.reason, `${what}: ${ours.log}`).toBe(refusal);
      if (!status.ok) return;
      const kernel = kernelRefusal(insns, { type: KERNEL_TYPE[type]!, name: "sk" });
      expect(kernel === undefined ? undefined : kernelReason(kernel), what).toBe(refusal);
    });
  }
});
