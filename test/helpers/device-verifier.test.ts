// The verifier's side of check_mtu (163), the tunnel helpers (20, 21, 29, 30) and
// skb_get_xfrm_state (66), decided by the kernel: each program below is loaded into the kernel
// and verified here, and both must accept it or both refuse it (the reasons are printed when they
// disagree). Argument kinds: mtu_len (fixed-size 4, read and written, aligned), the key and option
// buffers (uninitialised memory for gets, initialised for sets), constant sizes, no packet
// pointers, a read-only map value where the helper writes, and the program types.

import { describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { kernelBridge, KernelError, ProgType, type KernelMapSpec } from "../../vm/node/kernel/engine.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { verify } from "../../vm/verifier/index.js";
import { kernel } from "./harness.js";

type T = "xdp" | "sched_cls" | "socket_filter";
const KERNEL_TYPE: Record<T, number> = { xdp: ProgType.XDP, sched_cls: ProgType.SCHED_CLS, socket_filter: ProgType.SOCKET_FILTER };
/** An ARRAY of one 64-byte value, and the same read-only to programs (BPF_F_RDONLY_PROG). */
const ARRAY: KernelMapSpec = { type: 2, keySize: 4, valueSize: 64, maxEntries: 1, name: "buf" };
const RDONLY: KernelMapSpec = { ...ARRAY, flags: 1 << 7, name: "ro" };

/** r2 = &value of the map's element 0 (+ off), or exit 0. */
const VALUE = (off = 0): string => `
  stw [%r10-4], 0
  lddw %r1, map_fd 0
  mov %r2, %r10
  add %r2, -4
  call 1
  jne %r0, 0, +2
  mov %r0, 0
  exit
  mov %r2, %r0
  add %r2, ${off}`;
const PKT = (type: T): string => (type === "xdp" ? `
  ldxw %r2, [%r1+0]
  ldxw %r3, [%r1+4]
  mov %r4, %r2
  add %r4, 64
  jgt %r4, %r3, out` : `
  ldxw %r2, [%r1+76]
  ldxw %r3, [%r1+80]
  mov %r4, %r2
  add %r4, 64
  jgt %r4, %r3, out`);
const MTU = (ptr: string): string => `
  mov %r6, %r1
${ptr}
  mov %r3, %r2
  mov %r1, %r6
  mov %r2, 0
  mov %r4, 0
  mov %r5, 0
  call 163
out:
  mov %r0, 0
  exit`;
const KEY = (id: number, ptr: string, size: string): string => `
  mov %r6, %r1
${ptr}
  mov %r1, %r6
  ${size}
  mov %r4, 0
  call ${id}
out:
  mov %r0, 0
  exit`;
/** skb_get_xfrm_state(ctx, index 0, buffer, size, flags 0). */
const XFRM = (ptr: string, size: string): string => `
  mov %r6, %r1
${ptr}
  mov %r3, %r2
  mov %r1, %r6
  mov %r2, 0
  ${size}
  mov %r5, 0
  call 66
out:
  mov %r0, 0
  exit`;
const STACK = (off: number, init = false): string => `${init ? Array.from({ length: 8 }, (_, i) => `  stdw [%r10-${64 - 8 * i}], 0`).join("\n") : ""}
  mov %r2, %r10
  add %r2, ${off}`;

const CASES: ReadonlyArray<[string, T, string, KernelMapSpec[]?]> = [
  ["check_mtu: uninitialised stack u32", "xdp", MTU(STACK(-4))],
  ["check_mtu: stack at -6 (misaligned)", "sched_cls", MTU(STACK(-6, true))],
  ["check_mtu: stack at -2 (4 bytes past the frame)", "xdp", MTU(STACK(-2, true))],
  ["check_mtu: map value", "sched_cls", MTU(VALUE()), [ARRAY]],
  ["check_mtu: map value + 2 (misaligned)", "xdp", MTU(VALUE(2)), [ARRAY]],
  ["check_mtu: map value + 60 (the last u32)", "xdp", MTU(VALUE(60)), [ARRAY]],
  ["check_mtu: map value + 62 (past the value)", "xdp", MTU(VALUE(62)), [ARRAY]],
  ["check_mtu: read-only map value", "sched_cls", MTU(VALUE()), [RDONLY]],
  ["check_mtu: packet pointer", "xdp", MTU(PKT("xdp"))],
  ["check_mtu: a scalar", "xdp", MTU("  mov %r2, 0")],
  ["check_mtu: socket filter", "socket_filter", MTU(STACK(-4, true))],
  ["get_tunnel_key: 44 bytes of uninitialised stack", "sched_cls", KEY(20, STACK(-48), "mov %r3, 44")],
  ["get_tunnel_key: 64 bytes from fp-48 (past the frame)", "sched_cls", KEY(20, STACK(-48), "mov %r3, 64")],
  ["get_tunnel_key: size 0", "sched_cls", KEY(20, STACK(-48), "mov %r3, 0")],
  ["get_tunnel_key: size unknown", "sched_cls", KEY(20, STACK(-64), "ldxw %r3, [%r6+0]")],
  ["get_tunnel_key: size & 63, at least 1", "sched_cls", KEY(20, STACK(-64), "ldxw %r3, [%r6+0]\n  and %r3, 63\n  jlt %r3, 1, out")],
  ["get_tunnel_key: into a map value", "sched_cls", KEY(20, VALUE(), "mov %r3, 44"), [ARRAY]],
  ["get_tunnel_key: into a read-only map value", "sched_cls", KEY(20, VALUE(), "mov %r3, 44"), [RDONLY]],
  ["get_tunnel_key: into the packet", "sched_cls", KEY(20, PKT("sched_cls"), "mov %r3, 44")],
  ["get_tunnel_key: xdp", "xdp", KEY(20, STACK(-48), "mov %r3, 44")],
  ["set_tunnel_key: initialised stack", "sched_cls", KEY(21, STACK(-64, true), "mov %r3, 44")],
  ["set_tunnel_key: uninitialised stack", "sched_cls", KEY(21, STACK(-64), "mov %r3, 44")],
  ["set_tunnel_key: from a read-only map value", "sched_cls", KEY(21, VALUE(), "mov %r3, 44"), [RDONLY]],
  ["set_tunnel_key: from the packet", "sched_cls", KEY(21, PKT("sched_cls"), "mov %r3, 44")],
  ["set_tunnel_key: socket filter", "socket_filter", KEY(21, STACK(-64, true), "mov %r3, 44")],
  ["get_tunnel_opt: 64 bytes", "sched_cls", KEY(29, STACK(-64), "mov %r3, 64")],
  ["set_tunnel_opt: 8 bytes of a map value", "sched_cls", KEY(30, VALUE(), "mov %r3, 8"), [ARRAY]],
  ["set_tunnel_opt: xdp", "xdp", KEY(30, STACK(-64, true), "mov %r3, 8")],
  ["skb_get_xfrm_state: 64 bytes", "sched_cls", XFRM(STACK(-64), "mov %r4, 64")],
  ["skb_get_xfrm_state: size 0", "sched_cls", XFRM(STACK(-64), "mov %r4, 0")],
  ["skb_get_xfrm_state: from the packet", "sched_cls", XFRM(PKT("sched_cls"), "mov %r4, 8")],
  ["skb_get_xfrm_state: xdp", "xdp", XFRM(STACK(-64), "mov %r4, 64")],
];

/** The kernel's verdict: "accepted" or its last log line. */
function kernelVerdict(type: T, source: string, maps: KernelMapSpec[]): string {
  try {
    kernelBridge().load(assemble(source), { type: KERNEL_TYPE[type], name: "h3_verify", maps }).close();
    return "accepted";
  } catch (err) {
    if (!(err instanceof KernelError)) throw err;
    return `refused: ${err.log.trim().split("\n").filter((l) => !l.startsWith("processed") && !/^\d+: \(/.test(l)).pop() ?? err.message}`;
  }
}

function ourVerdict(type: T, source: string, maps: KernelMapSpec[]): string {
  const r = verify(assemble(source), {
    type,
    helpers: createNodeMachine({ type }).helpers,
    maps: maps.map((m) => ({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, name: m.name ?? "m", flags: m.flags ?? 0 })),
  });
  return r.accepted ? "accepted" : `refused: ${r.reason ?? r.message}`;
}

describe("check_mtu, tunnel and xfrm helpers: our verifier decides as the kernel's", () => {
  for (const [name, type, source, maps] of CASES) {
    it.skipIf(!kernel.ok)(`${name} (${type})`, () => {
      const want = kernelVerdict(type, source, maps ?? []);
      const got = ourVerdict(type, source, maps ?? []);
      expect(got.startsWith("accepted"), `kernel: ${want}\nours:   ${got}`).toBe(want.startsWith("accepted"));
    });
  }
});
