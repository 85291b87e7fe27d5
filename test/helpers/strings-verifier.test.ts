// The verifier's rules for the base helpers of vm/helpers/strings.ts, time.ts and task.ts: each program
// goes through our verifier and through the kernel's (map 0 is a single-entry array holding
// the constant string, BPF_F_RDONLY_PROG and frozen as libbpf leaves .rodata, unless the case
// says otherwise); both must give the verdict written here — accepted, or the kernel's message.
// ARG_PTR_TO_CONST_STR (check_reg_const_str), snprintf's format check (check_bpf_snprintf_call),
// its NULL-or-written buffer, strtol's aligned u64 result, get_current_comm's buffer, and the
// helpers offered to every networking type (bpf_base_func_proto).

import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { baseHelpers, HelperTable } from "../../vm/helpers/index.js";
import { packetHelpers } from "../../vm/helpers/packet/index.js";
import { TraceLog, traceHelpers } from "../../vm/helpers/trace.js";
import { Layout } from "../../vm/memory/layout.js";
import { KernelError, kernelBridge, ProgType } from "../../vm/node/kernel/engine.js";
import { verify, type VerifierMap } from "../../vm/verifier/index.js";
import { kernel } from "./harness.js";
import { latin1 } from "./programs.js";

type NetType = "xdp" | "sched_cls" | "socket_filter" | "cgroup_skb";

const layout = new Layout({ cpus: 1, packetMax: 2048 });
const helpersOf = (type: NetType): HelperTable => new HelperTable([...baseHelpers().list(), ...traceHelpers(new TraceLog()), ...packetHelpers(type, { layout })]);

const KERNEL_TYPE: Record<NetType, number> = { xdp: ProgType.XDP, sched_cls: ProgType.SCHED_CLS, socket_filter: ProgType.SOCKET_FILTER, cgroup_skb: ProgType.CGROUP_SKB };
const BPF_F_RDONLY_PROG = 1 << 7;

interface Rodata {
  readonly text: string;
  /** map_flags; default BPF_F_RDONLY_PROG. */
  readonly flags?: number;
  /** Frozen (default true): only then is the map read-only to the verifier. */
  readonly freeze?: boolean;
}

interface Case {
  readonly name: string;
  readonly src: string;
  readonly rodata?: Rodata;
  /** "accepted", or the kernel's message (our refusal must contain it). */
  readonly verdict: string;
  readonly type?: NetType;
}

/** snprintf(fp-64, 32, fmt, fp-8 holding 7, 8) with the lines of `patch` replacing defaults. */
function snprintf(patch: { fmt?: string; str?: string; data?: string; before?: string } = {}): string {
  return [
    patch.before ?? "",
    "stdw [%r10-8], 7",
    patch.str ?? "mov %r1, %r10\nadd %r1, -64\nmov %r2, 32",
    patch.fmt ?? "lddw %r3, map_value 0, 0",
    patch.data ?? "mov %r4, %r10\nadd %r4, -8\nmov %r5, 8",
    "call 165",
    "mov %r0, 0",
    "exit",
  ].join("\n");
}

/** strncmp(fp-8 (8 zero bytes), size, s2). */
const strncmp = (size: number, s2 = "lddw %r3, map_value 0, 0"): string => `stdw [%r10-8], 0\nmov %r1, %r10\nadd %r1, -8\nmov %r2, ${size}\n${s2}\ncall 182\nexit`;

/** strtol/strtoul("12", 8, 0, res). */
const strtox = (res: string, id = 105): string => `stdw [%r10-32], 0x3231\nmov %r1, %r10\nadd %r1, -32\nmov %r2, 8\nmov %r3, 0\n${res}\ncall ${id}\nexit`;

const VAR_BIT = "call 7\nand %r0, 1";

const CASES: readonly Case[] = [
  { name: "snprintf with a .rodata format", src: snprintf(), rodata: { text: "%d\0" }, verdict: "accepted" },
  { name: "snprintf's format on the stack", src: snprintf({ fmt: "stdw [%r10-16], 0\nmov %r3, %r10\nadd %r3, -16" }), verdict: "R3 type=fp expected=map_value" },
  { name: "snprintf's format as a map pointer", src: snprintf({ fmt: "lddw %r3, map_fd 0" }), rodata: { text: "%d\0" }, verdict: "R3 type=map_ptr expected=map_value" },
  { name: "a format in a map not frozen", src: snprintf(), rodata: { text: "%d\0", freeze: false }, verdict: "R3 does not point to a readonly map'" },
  { name: "a format in a map programs may write", src: snprintf(), rodata: { text: "%d\0", flags: 0 }, verdict: "R3 does not point to a readonly map'" },
  { name: "a format without its NUL", src: snprintf(), rodata: { text: "%d%d" }, verdict: "string is not zero-terminated" },
  { name: "a format whose NUL is before its offset", src: snprintf({ fmt: "lddw %r3, map_value 0, 3" }), rodata: { text: "%d\0x" }, verdict: "string is not zero-terminated" },
  { name: "a format at a constant offset", src: snprintf({ fmt: "lddw %r3, map_value 0, 0\nadd %r3, 3" }), rodata: { text: "ab\0%d\0" }, verdict: "accepted" },
  { name: "a format past the value", src: snprintf({ fmt: "lddw %r3, map_value 0, 0\nadd %r3, 8" }), rodata: { text: "ab\0%d\0" }, verdict: "invalid access to map value, value_size=6 off=8 size=-2" },
  { name: "a format before the value", src: snprintf({ fmt: "lddw %r3, map_value 0, 0\nadd %r3, -1" }), rodata: { text: "ab\0%d\0" }, verdict: "invalid access to map value, value_size=6 off=-1 size=7" },
  { name: "a format at a variable offset", src: snprintf({ before: VAR_BIT, fmt: "lddw %r3, map_value 0, 0\nadd %r3, %r0" }), rodata: { text: "%d\0\0" }, verdict: "R3 is not a constant address'" },
  { name: "an unknown conversion", src: snprintf(), rodata: { text: "%q\0" }, verdict: "Invalid format string" },
  { name: "more conversions than arguments", src: snprintf(), rodata: { text: "%d %d\0" }, verdict: "Invalid format string" },
  { name: "a control character in the format", src: snprintf(), rodata: { text: "\x07%d\0" }, verdict: "Invalid format string" },
  { name: "junk after the format's NUL", src: snprintf(), rodata: { text: "%d\0%q\0" }, verdict: "accepted" },
  { name: "no arguments for a conversion", src: snprintf({ data: "mov %r4, 0\nmov %r5, 0" }), rodata: { text: "%d\0" }, verdict: "Invalid format string" },
  { name: "no arguments and none needed", src: snprintf({ data: "mov %r4, 0\nmov %r5, 0" }), rodata: { text: "100%%\0" }, verdict: "accepted" },
  { name: "an unsupported pointer conversion", src: snprintf({ data: "mov %r4, 0\nmov %r5, 0" }), rodata: { text: "%pX\0" }, verdict: "Invalid format string" },
  { name: "a variable data_len (its known bits: none)", src: snprintf({ before: "call 7\nand %r0, 8\nstdw [%r10-16], 1", data: "mov %r4, %r10\nadd %r4, -16\nmov %r5, %r0" }), rodata: { text: "%d\0" }, verdict: "Invalid format string" },
  { name: "13 arguments (refused at run time, not here)", src: snprintf({ str: "mov %r1, %r10\nadd %r1, -200\nmov %r2, 32", data: "mov %r4, %r10\nadd %r4, -104\nmov %r5, 104" }), rodata: { text: "%d\0" }, verdict: "accepted" },
  { name: "a NULL buffer of size 0", src: snprintf({ str: "mov %r1, 0\nmov %r2, 0" }), rodata: { text: "%d\0" }, verdict: "accepted" },
  { name: "a NULL buffer of size 32", src: snprintf({ str: "mov %r1, 0\nmov %r2, 32" }), rodata: { text: "%d\0" }, verdict: "R1 type=scalar expected=fp" },
  { name: "a buffer of variable size", src: snprintf({ before: "call 7\nand %r0, 31", str: "mov %r2, %r0\nmov %r1, %r10\nadd %r1, -64" }), rodata: { text: "%d\0" }, verdict: "accepted" },
  { name: "the read-only map as the buffer", src: snprintf({ str: "lddw %r1, map_value 0, 0\nmov %r2, 3" }), rodata: { text: "%d\0" }, verdict: "write into map forbidden, value_size=3 off=0 size=3" },
  {
    name: "the packet as the buffer",
    src: "mov %r6, %r1\nldxw %r1, [%r6+0]\nldxw %r7, [%r6+4]\nmov %r8, %r1\nadd %r8, 8\njgt %r8, %r7, out\nmov %r2, 8\nlddw %r3, map_value 0, 0\nmov %r4, 0\nmov %r5, 0\ncall 165\nout:\nmov %r0, 0\nexit",
    rodata: { text: "x\0" },
    verdict: "helper access to the packet is not allowed",
  },
  { name: "snprintf in a tc program", src: snprintf(), rodata: { text: "%d\0" }, verdict: "accepted", type: "sched_cls" },
  { name: "snprintf in a socket filter", src: snprintf(), rodata: { text: "%d\0" }, verdict: "accepted", type: "socket_filter" },
  { name: "snprintf in a cgroup_skb program", src: snprintf(), rodata: { text: "%d\0" }, verdict: "accepted", type: "cgroup_skb" },

  { name: "strncmp with a .rodata s2", src: strncmp(8), rodata: { text: "abc\0" }, verdict: "accepted" },
  { name: "strncmp of 0 bytes", src: strncmp(0), rodata: { text: "abc\0" }, verdict: "R2 invalid zero-sized read: u64=[0,0]" },
  { name: "strncmp with s2 on the stack", src: strncmp(8, "mov %r3, %r10\nadd %r3, -8"), rodata: { text: "abc\0" }, verdict: "R3 type=fp expected=map_value" },
  { name: "strncmp with s2 not NUL-terminated", src: strncmp(8), rodata: { text: "abc" }, verdict: "string is not zero-terminated" },
  { name: "strncmp of .rodata with .rodata", src: "lddw %r1, map_value 0, 0\nmov %r2, 4\nlddw %r3, map_value 0, 0\ncall 182\nexit", rodata: { text: "abc\0" }, verdict: "accepted" },
  { name: "strncmp of the packet", src: "ldxw %r1, [%r1+0]\nmov %r2, 4\nlddw %r3, map_value 0, 0\ncall 182\nexit", rodata: { text: "abc\0" }, verdict: "helper access to the packet is not allowed" },

  { name: "strtol into the stack", src: strtox("mov %r4, %r10\nadd %r4, -8"), verdict: "accepted" },
  { name: "strtoul into the stack", src: strtox("mov %r4, %r10\nadd %r4, -8", 106), verdict: "accepted" },
  { name: "strtol into a 4-aligned slot", src: strtox("mov %r4, %r10\nadd %r4, -12"), verdict: "misaligned stack access off 0+-12+0 size 8" },
  { name: "strtol into an odd slot", src: strtox("mov %r4, %r10\nadd %r4, -15"), verdict: "misaligned stack access off 0+-15+0 size 8" },
  { name: "strtol past the stack's top", src: strtox("mov %r4, %r10\nadd %r4, -4"), verdict: "invalid write to stack R4 off=-4 size=8" },
  { name: "strtol into a read-only map", src: strtox("lddw %r4, map_value 0, 0"), rodata: { text: "abcdefgh" }, verdict: "write into map forbidden, value_size=8 off=0 size=8" },
  { name: "strtol into a writable map value", src: strtox("lddw %r4, map_value 0, 0"), rodata: { text: "abcdefgh", flags: 0, freeze: false }, verdict: "accepted" },
  { name: "strtol into a misaligned map value", src: strtox("lddw %r4, map_value 0, 4"), rodata: { text: "abcdefghijkl", flags: 0, freeze: false }, verdict: "misaligned value access off 0+4+0 size 8" },
  { name: "strtol into NULL", src: strtox("mov %r4, 0"), verdict: "R4 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_" },
  { name: "strtol of an empty buffer", src: strtox("mov %r4, %r10\nadd %r4, -8").replace("mov %r2, 8", "mov %r2, 0"), verdict: "R2 invalid zero-sized read: u64=[0,0]" },
  { name: "strtol into a variable 8-aligned slot", src: strtox("call 7\nand %r0, 8\nmov %r4, %r10\nadd %r4, -16\nadd %r4, %r0\nstdw [%r10-32], 0x3231\nmov %r1, %r10\nadd %r1, -32\nmov %r2, 8\nmov %r3, 0"), verdict: "accepted" },
  { name: "strtol into a variable 4-aligned slot", src: strtox("call 7\nand %r0, 4\nmov %r4, %r10\nadd %r4, -16\nadd %r4, %r0\nstdw [%r10-32], 0x3231\nmov %r1, %r10\nadd %r1, -32\nmov %r2, 8\nmov %r3, 0"), verdict: "misaligned stack access off (0x0; 0x4)+-16+0 size 8" },

  { name: "get_current_comm into the stack", src: "mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\ncall 16\nexit", verdict: "accepted" },
  { name: "get_current_comm of 0 bytes", src: "mov %r1, %r10\nadd %r1, -16\nmov %r2, 0\ncall 16\nexit", verdict: "R2 invalid zero-sized read: u64=[0,0]" },
  { name: "get_current_comm past the stack's top", src: "mov %r1, %r10\nadd %r1, -8\nmov %r2, 16\ncall 16\nexit", verdict: "invalid write to stack R1 off=-8 size=16" },
  { name: "get_current_comm into a read-only map", src: "lddw %r1, map_value 0, 0\nmov %r2, 4\ncall 16\nexit", rodata: { text: "abcd" }, verdict: "write into map forbidden, value_size=4 off=0 size=4" },
  { name: "get_current_comm into NULL", src: "mov %r1, 0\nmov %r2, 4\ncall 16\nexit", verdict: "R1 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_" },
  { name: "probe_read_kernel into the stack from anywhere", src: "mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\nmov %r3, 12345\ncall 113\nexit", verdict: "accepted" },
  { name: "probe_read_kernel_str of 0 bytes into NULL", src: "mov %r1, 0\nmov %r2, 0\nmov %r3, 0\ncall 115\nexit", verdict: "R1 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_" },
  { name: "probe_read_user into the packet", src: "ldxw %r1, [%r1+0]\nmov %r2, 0\nmov %r3, 0\ncall 112\nexit", verdict: "helper access to the packet is not allowed" },
  ...(["xdp", "sched_cls", "socket_filter", "cgroup_skb"] as const).map((type): Case => ({ name: `current pid_tgid and uid_gid in ${type}`, src: "call 14\ncall 15\nmov %r0, 1\nexit", verdict: "accepted", type })),
  ...(["xdp", "sched_cls", "socket_filter", "cgroup_skb"] as const).map((type): Case => ({ name: `numa id, jiffies64 and coarse ns in ${type}`, src: "call 42\ncall 118\ncall 160\nmov %r0, 1\nexit", verdict: "accepted", type })),
];

function verifierMaps(rodata: Rodata | undefined): VerifierMap[] {
  if (!rodata) return [];
  const bytes = latin1(rodata.text);
  const flags = rodata.flags ?? BPF_F_RDONLY_PROG;
  return [{ type: 2, keySize: 4, valueSize: bytes.length, maxEntries: 1, name: "rodata", flags, ...(rodata.freeze ?? true ? { frozen: bytes } : {}) }];
}

function ourVerdict(c: Case): string {
  const type = c.type ?? "xdp";
  const result = verify(assemble(c.src), { type, helpers: helpersOf(type), maps: verifierMaps(c.rodata) });
  return result.accepted ? "accepted" : result.message ?? "refused without a message";
}

function kernelVerdict(c: Case): string {
  const bridge = kernelBridge();
  const maps = [];
  try {
    if (c.rodata) {
      const bytes = latin1(c.rodata.text);
      const map = bridge.createMap({ type: 2, keySize: 4, valueSize: bytes.length, maxEntries: 1, flags: c.rodata.flags ?? BPF_F_RDONLY_PROG });
      maps.push(map);
      map.update(new Uint8Array(4), bytes);
      if (c.rodata.freeze ?? true) map.freeze();
    }
    bridge.load(assemble(c.src), { type: KERNEL_TYPE[c.type ?? "xdp"], name: "strings", sharedMaps: maps }).close();
    return "accepted";
  } catch (e) {
    if (e instanceof KernelError) return e.log;
    throw e;
  } finally {
    for (const m of maps) m.close();
  }
}

describe("the verifier on the base helpers (snprintf, strncmp, strtol, strtoul, numa, jiffies, coarse ns, current task)", () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.verdict}`, () => {
      const ours = ourVerdict(c);
      if (c.verdict === "accepted") expect(ours).toBe("accepted");
      else expect(ours).toContain(c.verdict);
    });
  }

  it.skipIf(!kernel.ok)(`the kernel gives the same ${CASES.length} verdicts`, () => {
    for (const c of CASES) {
      const log = kernelVerdict(c);
      if (c.verdict === "accepted") expect(log, c.name).toBe("accepted");
      else expect(log, c.name).toContain(`${c.verdict}\n`);
    }
  });
});
