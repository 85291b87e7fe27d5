// cBPF differential test: for each tcpdump expression, tcpdump compiles it (tcpdump -ddd), we
// check and translate the classic program to eBPF and run it as a socket filter on the
// engines over every Ethernet packet of the corpus and the generated
// captures. Per packet, three verdicts must agree:
//   1. tcpdump's own selection: `tcpdump -r ALL.pcap -w - EXPR` over one capture holding every
//      packet, whose timestamps are the packets' indices (so the selection names packets);
//   2. the translated eBPF's r0 on the interpreter and on the JIT (vm/engines.ts; accept = r0 ≠ 0);
//   3. the test-only classic interpreter (oracle.ts), which must also give the same r0.
// tcpdump -r filters in user space with libpcap's bpf_filter(), which differs from Linux (and
// so from our translation) in two rules: shifts by X >= 32 and indirect loads whose X + k
// overflows (oracle.ts). So tcpdump's selection is compared with the oracle under libpcap's
// rules, and the engines' r0 with the oracle under Linux's; the expressions that meet those
// rules on the corpus (listed in expressions.ts) show how many packets the two rules decide.
// Each translation must also pass the verifier (vm/verifier) as a socket filter.
// __sk_buff.len is the packet's wire length (origLen): a live socket filter runs before the
// snaplen cuts the packet, and libpcap's offline filter also uses the wire length for `len`.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { translateClassic, type SockFilter } from "../../vm/cbpf/index.js";
import { compileTcpdumpFilter } from "../../vm/cbpf/tcpdump.node.js";
import { readPcap, writePcap, type Packet } from "../../vm/packets/index.js";
import { tcpdumpMissing, tcpdumpRewrite } from "../packets/tcpdump.js";
import { corpusPackets, EXPRESSIONS, LIBPCAP_RULES, UNOPTIMIZED, type PacketSource } from "./expressions.js";
import { verify } from "../../vm/verifier/index.js";
import { SocketFilterRunner } from "./harness.js";
import { runClassic } from "./oracle.js";

/** The interpreter is the reference engine; the JIT must give the same r0 on every packet. */
const ENGINES = ["interpreter", "jit"];

const missing = tcpdumpMissing();

describe("classic BPF: our translation's verdicts equal tcpdump's selection, packet by packet", () => {
  if (missing) {
    it.skip(`skipped: ${missing}`, () => {});
    console.log(`skipped: cBPF differential test: ${missing}`);
    return;
  }

  let packets: Packet[] = [];
  let sources: PacketSource[] = [];
  let all: Uint8Array;
  const summary: string[] = [];

  beforeAll(() => {
    ({ packets, sources } = corpusPackets());
    // Timestamps = packet numbers: tcpdump's output then says which packets it selected.
    all = writePcap(packets.map((p, i) => ({ ...p, ts: BigInt(i) * 1_000_000_000n })));
  });

  afterAll(() => {
    if (summary.length) console.log(`cBPF differential (${packets.length} packets):\n${summary.join("\n")}`);
  });

  it("has enough expressions and packets", () => {
    expect(EXPRESSIONS.length).toBeGreaterThanOrEqual(20);
    expect(packets.length).toBeGreaterThan(10000);
  });

  const cases: Array<[string, string, boolean]> = [
    ...EXPRESSIONS.map((e): [string, string, boolean] => [e, e, true]),
    ...UNOPTIMIZED.map((e): [string, string, boolean] => [`${e} (unoptimized)`, e, false]),
  ];

  it.each(cases)("%s", async (_name, expr, optimize) => {
    const filter: SockFilter[] = compileTcpdumpFilter(expr, { optimize });
    const insns = translateClassic(filter);
    // The translation must be a loadable eBPF socket filter, not only a runnable one.
    const verdict = verify(insns, { type: "socket_filter" });
    expect(verdict.accepted, verdict.message).toBe(true);
    const ref = tcpdumpRewrite(all, expr);
    expect(ref.status, ref.stderr).toBe(0);
    const selected = new Set(readPcap(ref.stdout).packets.map((p) => Number(p.ts / 1_000_000_000n)));
    const mismatches: string[] = [];
    const oracle = packets.map((p) => runClassic(filter, p.data, { len: p.origLen }));
    let differ = 0;
    packets.forEach((p, i) => {
      const libpcap = runClassic(filter, p.data, { len: p.origLen }, "libpcap") !== 0;
      if (libpcap !== selected.has(i)) mismatches.push(`libpcap's rules: packet ${i} (${sources[i]!.file} #${sources[i]!.index}): oracle ${libpcap ? "selects" : "drops"}, tcpdump ${selected.has(i) ? "selects" : "drops"}`);
      if (libpcap !== (oracle[i] !== 0)) differ++;
    });
    for (const engine of ENGINES) {
      const runner = await SocketFilterRunner.load(engine, insns);
      try {
        packets.forEach((p, i) => {
          const r0 = runner.run(p.data, { len: p.origLen });
          if (r0 !== oracle[i]) {
            const s = sources[i]!;
            mismatches.push(`${engine}: packet ${i} (${s.file} #${s.index}): r0 ${r0}, oracle (Linux's rules) ${oracle[i]}, tcpdump ${selected.has(i) ? "selects" : "drops"}`);
          }
        });
      } finally {
        runner.dispose();
      }
    }
    const note = differ ? `, ${differ} decided differently by libpcap's rules` : "";
    summary.push(`  ${_name.padEnd(48)} ${String(filter.length).padStart(3)} cBPF → ${String(insns.length).padStart(3)} eBPF insns, ${selected.size} selected${note}`);
    expect(mismatches.slice(0, 10), `${mismatches.length} mismatches`).toEqual([]);
    // Exactly the expressions listed as meeting libpcap's other rules meet them on the corpus.
    expect(differ > 0, "libpcap's rules decide some packet differently").toBe(LIBPCAP_RULES.includes(expr));
    // The expression must discriminate on this corpus (not all-accept or all-drop), or it tests little.
    expect(selected.size).toBeGreaterThan(0);
    expect(selected.size).toBeLessThan(packets.length);
  });
});
