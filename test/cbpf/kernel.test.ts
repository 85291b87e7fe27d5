// The kernel as the authority on the translation: each translated tcpdump filter is loaded into
// the running kernel as a BPF_PROG_TYPE_SOCKET_FILTER (its verifier must accept it) and test-run
// with BPF_PROG_TEST_RUN on the corpus packets; its return value must equal the interpreter's.
//
// BPF_PROG_TEST_RUN builds an skb and pulls an Ethernet header with eth_type_trans, and for
// socket filters does not push it back: the program sees the packet from byte 14. So each frame
// is sent behind a 14-byte header of its own (vm/node/kernel/socket-frame.ts); the program then
// sees exactly the frame, and skb->len is its captured length — which the interpreter run is
// given too.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../corpus/gen/index.js";
import { checkClassic, listSockFilters, translateClassic } from "../../vm/cbpf/index.js";
import { compileTcpdumpFilter, tcpdumpUnavailable } from "../../vm/cbpf/tcpdump.node.js";
import { behindSocketHeader, KernelBridge, ProgType } from "../../vm/node/kernel/engine.js";
import type { Packet } from "../../vm/packets/index.js";
import { corpusPackets, EXPRESSIONS, UNOPTIMIZED } from "./expressions.js";
import { SocketFilterRunner } from "./harness.js";
import { randomProgram } from "./random-programs.js";

const LONG = process.env.EBPF_WASM_LONG === "1";
/** Packets per expression: a stride through the whole corpus normally, every packet in long mode. */
const SAMPLE = LONG ? Infinity : 2500;


/** Our own runner process (not the shared one), stopped when the tests are done. */
const bridge = new KernelBridge();

/** The largest data BPF_PROG_TEST_RUN takes for an skb (about a page less skb overheads): asked, not assumed. */
function largestTestRun(): number {
  const prog = bridge.load(translateClassic([{ code: 0x06, jt: 0, jf: 0, k: 0 }]), { type: ProgType.SOCKET_FILTER, name: "probe" });
  try {
    let lo = 14;
    let hi = 1 << 20;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      let ok = true;
      try {
        prog.testRun({ data: new Uint8Array(mid) });
      } catch {
        ok = false;
      }
      if (ok) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  } finally {
    prog.close();
  }
}
const why = tcpdumpUnavailable() ?? (bridge.available().ok ? undefined : `kernel: ${bridge.available().reason}`);

describe("classic BPF translations run in the kernel exactly as on the interpreter", () => {
  if (why) {
    it.skip(`skipped: ${why}`, () => {});
    console.log(`skipped: cBPF kernel comparison: ${why}`);
    return;
  }

  let packets: Packet[] = [];
  let runs = 0;

  let tooLarge = 0;
  let maxData = 0;

  beforeAll(() => {
    maxData = largestTestRun();
    const all = corpusPackets().packets;
    const fits = all.filter((p) => 14 + p.data.length <= maxData);
    tooLarge = all.length - fits.length;
    const stride = Math.max(1, Math.ceil(fits.length / SAMPLE));
    packets = fits.filter((_, i) => i % stride === 0);
  });

  afterAll(() => {
    const kernel = bridge.available().reason;
    bridge.close();
    console.log(
      `cBPF on the kernel (${kernel}): ${runs} BPF_PROG_TEST_RUNs over ${packets.length} packets per expression ` +
        `(${tooLarge} corpus packets longer than the ${maxData - 14} bytes BPF_PROG_TEST_RUN takes behind the dummy header are left out)`,
    );
  });

  const cases: Array<[string, string, boolean]> = [
    ...EXPRESSIONS.map((e): [string, string, boolean] => [e, e, true]),
    ...UNOPTIMIZED.map((e): [string, string, boolean] => [`${e} (unoptimized)`, e, false]),
  ];

  it.each(cases)("%s", async (_name, expr, optimize) => {
    const insns = translateClassic(compileTcpdumpFilter(expr, { optimize }));
    const prog = bridge.load(insns, { type: ProgType.SOCKET_FILTER, name: "cbpf" });
    const runner = await SocketFilterRunner.load("interpreter", insns);
    const mismatches: string[] = [];
    try {
      packets.forEach((p, i) => {
        let kernel: number;
        try {
          kernel = prog.testRun({ data: behindSocketHeader(p.data) }).retval >>> 0;
        } catch (e) {
          throw new Error(`packet ${i} (${p.data.length} bytes): ${(e as Error).message}`);
        }
        const ours = runner.run(p.data, { len: p.data.length });
        runs++;
        if (kernel !== ours) mismatches.push(`packet ${i} (${p.data.length} bytes): kernel ${kernel}, interpreter ${ours}`);
      });
    } finally {
      prog.close();
      runner.dispose();
    }
    expect(mismatches.slice(0, 10), `${mismatches.length} mismatches`).toEqual([]);
  }, 120_000);

  // Random programs reach what tcpdump never emits: division and modulo by X (= 0 too), shifts
  // by X ≥ 32, ld_ind offsets that wrap, MSH, A ^= X. Left out: ancillary loads of skb state the
  // two sides do not share (protocol, ifindex, CPU…) and negative packet offsets (the kernel
  // resolves SKF_NET_OFF/SKF_LL_OFF against its skb headers; the engines do not implement them).
  it("random classic programs: the kernel's r0 equals the interpreter's", async () => {
    const rng = new Rng(0x6b65726en);
    const programs = LONG ? 2000 : 250;
    let done = 0;
    while (done < programs) {
      const prog = randomProgram(rng, { ancillary: [40], negativeOffsets: false });
      try {
        checkClassic(prog);
      } catch {
        continue;
      }
      done++;
      const insns = translateClassic(prog);
      const kernel = bridge.load(insns, { type: ProgType.SOCKET_FILTER, name: "random" });
      const runner = await SocketFilterRunner.load("interpreter", insns);
      try {
        for (let p = 0; p < 10; p++) {
          const frame = rng.bytes(rng.range(14, 96));
          const k = kernel.testRun({ data: behindSocketHeader(frame) }).retval >>> 0;
          const ours = runner.run(frame, { len: frame.length });
          runs++;
          if (k !== ours) throw new Error(`kernel r0 ${k}, interpreter ${ours} on a ${frame.length}-byte frame:\n${listSockFilters(prog)}`);
        }
      } finally {
        kernel.close();
        runner.dispose();
      }
    }
  }, 300_000);
});
