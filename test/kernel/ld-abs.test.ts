// LD_ABS / LD_IND at negative offsets (vm/program/ld-abs.ts): SKF_NET_OFF reads from the
// network header, SKF_LL_OFF from the MAC header, anything below or past the skb's bytes returns
// 0 from the program. tc programs against BPF_PROG_TEST_RUN (the same skb: MAC header at data,
// network header 14 bytes on), also after helpers that move the headers (skb_adjust_room,
// skb_change_head); socket filters here see the frame from its MAC header as a packet socket's
// filter does (the kernel's test run pulls it: vm/node/kernel/socket-frame.ts), checked on the
// frame's own bytes.

import { afterAll, describe, expect, it } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { getEngine } from "../../vm/engines.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { SK_BUFF_TC } from "../../vm/programs/skb.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { loadRunner } from "../../vm/runtime/run.js";
import { kernelAvailability } from "./available.js";
import { frames, skbTestRunnable } from "./objects.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason}); the socket filter cases still run`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const DATA = skbTestRunnable(frames("mix:300:seed=41"));
const SCHED_CLS = 3;

/**
 * Three loads at offsets the frame's bytes 20..22 choose (network header + 0..31, + 0..127 and MAC
 * header + 0..15; the second passes the end of short frames), folded into r0; `prologue` runs first.
 */
const fold = (prologue: string): string => `
mov %r6, %r1
${prologue}
mov %r9, 7
ldabsb 20
mov %r7, %r0
and %r7, 31
ldindb %r7, -0x100000
mul %r9, 31
add %r9, %r0
ldabsb 21
mov %r7, %r0
and %r7, 127
ldindw %r7, -0x100000
mul %r9, 31
add %r9, %r0
ldabsb 22
mov %r7, %r0
and %r7, 15
ldindh %r7, -0x200000
mul %r9, 31
add %r9, %r0
ldabsh -0x1ffff4
mul %r9, 31
add %r9, %r0
mov %r0, %r9
exit`;

/** One load at a fixed offset: r0 = the byte, 0 when there is none (then 0 is also returned). */
const single = (off: number): string => `mov %r6, %r1\nldabsb ${off}\nadd %r0, 0x100\nexit`;

const PROGRAMS: ReadonlyArray<readonly [string, string]> = [
  ["network and MAC header loads", fold("")],
  // BPF_ADJ_ROOM_NET: 8 bytes inserted after the MAC header; the network header stays in front of them.
  ["after skb_adjust_room(+8, BPF_ADJ_ROOM_NET)", fold("mov %r1, %r6\nmov %r2, 8\nmov %r3, 0\nmov %r4, 0\ncall 50")],
  // 14 new bytes in front: the MAC header moves to them, the network header stays where it was.
  ["after skb_change_head(+14)", fold("mov %r1, %r6\nmov %r2, 14\nmov %r3, 0\ncall 43")],
  ["below SKF_LL_OFF", single(-0x200001)],
  ["SKF_LL_OFF: the MAC header's first byte", single(-0x200000)],
  ["SKF_LL_OFF + 0xfffff: past the skb", single(-0x100001)],
  ["SKF_NET_OFF: the network header's first byte", single(-0x100000)],
  ["SKF_NET_OFF + 0xfffff: past the skb", single(-1)],
];

async function ours(source: string, type: "sched_cls" | "socket_filter", engine: "interpreter" | "jit", data: readonly Uint8Array[]): Promise<string[]> {
  const runner = await loadRunner(await getEngine(engine), { insns: assemble(source) }, createNodeMachine({ type, cpus: 1 }));
  try {
    return runner.runBatch(data, { results: true }).results!.map((r) => BigInt.asUintN(32, r.retval).toString(16));
  } finally {
    runner.dispose();
  }
}

describe("LD_ABS / LD_IND at SKF_NET_OFF and SKF_LL_OFF", () => {
  for (const [what, source] of PROGRAMS) {
    it.skipIf(!status.ok)(`tc, ${what}: the kernel's r0 for every frame, on both engines`, async () => {
      const prog = kernelBridge().load(assemble(source), { type: SCHED_CLS, name: "ld_abs_neg" });
      const kernel = prog.testRunMany(DATA, { ctx: new Uint8Array(SK_BUFF_TC.size) }).map((r) => (r.errno ? `errno ${r.errno}` : (r.retval >>> 0).toString(16)));
      prog.close();
      for (const engine of ["interpreter", "jit"] as const) {
        const got = await ours(source, "sched_cls", engine, DATA);
        got.forEach((r, k) => expect(r, `${engine}, frame ${k} (${DATA[k]!.length} bytes)`).toBe(kernel[k]));
      }
      if (source.includes("ldind")) expect(new Set(kernel).size, "distinct results").toBeGreaterThan(DATA.length / 2);
    });
  }

  it("socket filters: the MAC header is the frame's first byte, the network header 14 bytes on", async () => {
    const frame = Uint8Array.from({ length: 60 }, (_, i) => i + 1);
    for (const engine of ["interpreter", "jit"] as const) {
      const [mac, net, below, past] = await Promise.all([-0x200000 + 3, -0x100000 + 3, -0x200001, -0x100000 + 60].map((off) => ours(single(off), "socket_filter", engine, [frame])));
      expect([mac![0], net![0], below![0], past![0]], engine).toEqual(["104", "112", "0", "0"]);
    }
  });
});
