// Dynptrs from C. fixtures/dynptr_xdp.c: the helpers — bpf_dynptr_from_mem over a map value,
// bpf_dynptr_read / _write / _data on it, ring buffer dynptrs reserved, written through a slice,
// submitted or discarded — each helper's errors included (-E2BIG past the end, -EINVAL for
// flags, a null dynptr after a failed making). fixtures/dynptr_pkt.c: the packet dynptrs of
// XDP, tc and socket filter programs (the kfuncs bpf_dynptr_from_xdp / _from_skb, slices into
// the packet or through a buffer across an XDP frame's fragments, writable slices and
// bpf_dynptr_write changing the packet, adjust / size / is_null / is_rdonly). Both verifiers
// accept them; the interpreter, the JIT and the kernel (BPF_PROG_TEST_RUN) give the same
// verdicts, packets, return codes, map values and ring buffer records on every frame.

import { afterAll, describe, expect, it } from "vitest";
import { findProgram, verifyObjectProgram } from "../../vm/elf/load/index.js";
import { nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, frames, runKernel, runOurs, type ObjectRun } from "./objects.js";

const status = kernelAvailability();
if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason})`);
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const E2BIG = -7;
const EINVAL = -22;

/** rc's slot → what the helper answered, after any frame (fixtures/dynptr_xdp.c's checks). */
const EXPECTED_RC: ReadonlyMap<number, number> = new Map([
  [0, 0], [1, 0], [2, 0], [3, E2BIG], [4, EINVAL], [5, E2BIG], [6, EINVAL], [8, 1], [9, 0],
  [10, EINVAL], [11, EINVAL], [12, EINVAL], [13, 0],
  [14, 0], [15, 0], [16, EINVAL], [17, E2BIG], [18, EINVAL], [19, EINVAL], [20, 0], [21, 0],
]);

describe("dynptr_xdp.o (the dynptr helpers from C)", () => {
  const obj = fixtureObject("dynptr_xdp");
  const p = findProgram(obj);

  it("our verifier accepts it", () => {
    const r = verifyObjectProgram(obj, p, { helpers: nodeHelperTables() });
    expect(r.message).toBeUndefined();
    expect(r.status).toBe("accepted");
  });

  it("the interpreter, the JIT and the kernel agree on every frame, the maps and the ring buffer", async () => {
    const data = frames("mix:200:seed=17");
    const interp = await runOurs(obj, "interpreter", data);
    expect(await runOurs(obj, "jit", data)).toEqual(interp);
    const rc = new Map(interp.maps.rc!.map((line) => {
      const [k, v] = line.split("=");
      return [Buffer.from(k!, "hex").readUInt32LE(), Number(Buffer.from(v!, "hex").readBigInt64LE())] as const;
    }));
    for (const [slot, want] of EXPECTED_RC) expect(rc.get(slot), `check ${slot}`).toBe(want);
    // The last frame's head went through the LOCAL dynptr: out = bytes 12..19 of the value (frame bytes 4..11).
    const last = data.filter((d) => d.length >= 24).at(-1)!;
    expect(rc.get(7)).toBe(Number(Buffer.from(last.subarray(4, 12)).readBigInt64LE()));
    // One submitted record per frame: its head, then the frame's length.
    const records = interp.maps.events!;
    expect(records.length).toBe(data.filter((d) => d.length >= 24).length);
    if (!status.ok) return;
    expect(runKernel(obj, data)).toEqual(interp);
  });
});

/** rc's slot → its value, from a run's maps. */
function rcOf(run: ObjectRun): Map<number, number> {
  return new Map(run.maps.rc!.map((line) => {
    const [k, v] = line.split("=");
    return [Buffer.from(k!, "hex").readUInt32LE(), Number(Buffer.from(v!, "hex").readBigInt64LE())] as const;
  }));
}

describe("dynptr_pkt.o (skb and xdp dynptrs: the kfuncs)", () => {
  const obj = fixtureObject("dynptr_pkt");
  // Multi-buffer XDP frames too: 3,520 bytes in the linear part, the rest in fragment pages.
  const big = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i < 12 ? 2 : i === 12 ? 8 : i === 13 ? 0 : (i * 7) & 0xff));
  const linear = frames("mix:120:seed=21");

  for (const [program, extra] of [["dynptr_xdp_pkt", [big(5000), big(9000)]], ["dynptr_skb_pkt", []], ["dynptr_socket_pkt", []]] as const) {
    it(`${program}: our verifier accepts it; the interpreter, the JIT and the kernel agree on every frame and the map`, async () => {
      const r = verifyObjectProgram(obj, findProgram(obj, program), { helpers: nodeHelperTables() });
      expect(r.message).toBeUndefined();
      const data = [...linear, ...extra];
      const interp = await runOurs(obj, "interpreter", data, program);
      expect(await runOurs(obj, "jit", data, program)).toEqual(interp);
      const rc = rcOf(interp);
      const last = data[data.length - 1]!;
      expect(rc.get(16), "size").toBe(last.length);
      expect(rc.get(19), "the EtherType through a slice").toBe((last[12]! << 8) | last[13]!);
      expect(rc.get(25), "the size after adjust").toBe(last.length - 14);
      expect([rc.get(23), rc.get(26), rc.get(27)]).toEqual([E2BIG, EINVAL, -34]); // read past the end, adjust start > end, past the size
      // The clone, narrowed to 4 bytes from frame byte 16; the original keeps its size.
      expect([rc.get(29), rc.get(30), rc.get(31)]).toEqual([0, 4 * 100000 + last.length - 14, last[16]]);
      if (program === "dynptr_socket_pkt") expect([rc.get(18), rc.get(8)], "read-only").toEqual([1, EINVAL]);
      if (program === "dynptr_xdp_pkt") {
        // The last frame (9,000 bytes): bytes 3510..3529 span the linear part and a fragment, so
        // the slice is the buffer, and NULL without one.
        expect([rc.get(4), rc.get(5), rc.get(6)]).toEqual([1, last[3510]! + last[3529]!, 0]);
        expect([rc.get(1), rc.get(2), rc.get(3), rc.get(9), rc.get(10)]).toEqual([EINVAL, 1, 0xffffffea, EINVAL, E2BIG]);
      }
      // The writes reached the packet.
      if (program !== "dynptr_socket_pkt") expect(interp.results.every((p) => p.packet.startsWith(program === "dynptr_xdp_pkt" ? "02000000002a" : "12"))).toBe(true);
      if (!status.ok) return;
      expect(runKernel(obj, data, program)).toEqual(interp);
    });
  }
});
