// XDP frames are one 4 KiB page, as BPF_PROG_TEST_RUN (and page-per-packet drivers) build them:
// 256 bytes of headroom, at most 3520 bytes of packet in the linear part, skb_shared_info at the
// end. A longer frame is multi-buffer: data_end - data = 3520 and the rest are fragments, which
// xdp_get_buff_len, xdp_load_bytes / xdp_store_bytes and xdp_adjust_tail see
// (vm/helpers/packet/xdp-frags.ts). Before, our frames were linear whatever their length, and
// the linear tail could grow to the end of the packet slot: a byte counter (data_end - data) and
// every tail adjustment of a frame over 3520 bytes, or growing past 3520, differed from the kernel.
// fixtures/xdp_frags.c records each step's result in a HASH map.

import { afterAll, describe, expect, it } from "vitest";
import { kernelBridge } from "../../vm/node/kernel/engine.js";
import { kernelAvailability } from "./available.js";
import { fixtureObject, runKernel, runOurs } from "./objects.js";

const status = kernelAvailability();
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

const SIZES = [60, 1500, 3519, 3520, 3521, 4000, 7616, 7617, 9000, 20000, 40000];
const frame = (len: number): Uint8Array => {
  const f = Uint8Array.from({ length: len }, (_, i) => (i * 13 + (i >> 8)) & 0xff);
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x88, 0xb5], 0); // local experimental EtherType
  return f;
};
const data = SIZES.map(frame);
const obj = fixtureObject("xdp_frags");

/** The (step, value) keys the HASH holds for one frame run alone. */
async function steps(len: number): Promise<Map<number, number>> {
  const run = await runOurs(obj, "interpreter", [frame(len)]);
  const out = new Map<number, number>();
  for (const line of run.maps["res"]!) {
    const key = Buffer.from(line.split("=")[0]!, "hex");
    out.set(key.readUInt32LE(4), key.readInt32LE(0));
  }
  return out;
}

describe("XDP frames over 3520 bytes are multi-buffer; the linear tail ends a page after data_hard_start", () => {
  it("interpreter = JIT (r0, packets, the steps' results)", async () => {
    const a = await runOurs(obj, "interpreter", data);
    const b = await runOurs(obj, "jit", data);
    expect(b).toEqual(a);
    expect(a.results.map((r) => r.packet.length / 2)).not.toEqual(SIZES); // some frames grew or shrank
  });

  it("the kernel's facts: 3520 bytes linear, the rest fragments, growth within the last page", async () => {
    const big = await steps(4000);
    expect(big.get(0)).toBe(3520); // data_end - data
    expect(big.get(1)).toBe(480); // fragment bytes
    expect(big.get(2)).toBe(0); // a load across the boundary
    const k = (Math.imul(4000, 2654435761) >>> 0) >>> 20;
    expect(big.get(7)).toBe(k <= 4096 - 480 ? 0 : -22); // the last fragment's page: 3616 bytes free
    const linear = await steps(1000);
    expect(linear.get(0)).toBe(1000);
    expect(linear.get(1)).toBe(0);
    expect(linear.get(16)).toBe(0); // data_end = data_hard_start + 3776 exactly
    expect(linear.get(17)).toBe(-22); // one byte more: -EINVAL
  });

  const skip = status.ok ? undefined : `no kernel bpf() (${status.reason})`;
  if (skip) console.log(`xdp-frags: kernel comparison skipped: ${skip}`);
  it.skipIf(skip !== undefined)("interpreter = kernel (BPF_PROG_TEST_RUN) for every size", async () => {
    const ours = await runOurs(obj, "interpreter", data);
    const theirs = runKernel(obj, data);
    expect(theirs).toEqual(ours);
  });
});
