// The verdict check against the kernel: a corpus's sampled packets (kernel.ts sampleIndices)
// replayed in corpus order from the program's initial map entries, once here — the interpreter
// on a fresh one-CPU machine — and once in the kernel — a fresh load, BPF_PROG_TEST_RUN with
// repeat 1. Both start from the same maps and see the same packets in the same order, so
// programs with state (conntrack, rate limits, counters that decide verdicts) compare too. The
// timing passes, which leave different state in each (the pool runs the whole corpus many
// times, the kernel repeats each sampled packet), play no part.

import { getEngine } from "../../vm/engines.js";
import { loadRunner } from "../../vm/runtime/run.js";
import type { BenchCorpus } from "./corpora.js";
import { kernelReplay, sampleIndices } from "./kernel.js";
import { benchMachine, writeEntries, type BenchProgram, type MapEntry } from "./programs.js";

export interface Replay {
  /** Sampled packets both ran. */
  readonly compared: number;
  /** Of those, the packets whose r0 (low 32 bits: the kernel's retval) differs. */
  readonly differ: number;
}

export async function replayAgainstKernel(program: BenchProgram, corpus: BenchCorpus, entries: readonly MapEntry[], sample: number): Promise<Replay> {
  const packets = sampleIndices(corpus.packets.length, sample).map((i) => corpus.packets[i]!.data);
  const kernel = kernelReplay(program, entries, packets);
  const ours = await replayHere(program, entries, packets);
  let compared = 0;
  let differ = 0;
  kernel.forEach((retval, k) => {
    if (retval === undefined) return; // the kernel refused to run it (shorter than a header)
    compared++;
    if (BigInt(retval) !== (ours[k]! & 0xffffffffn)) differ++;
  });
  return { compared, differ };
}

/** r0 of each packet, run in order by the interpreter on a new machine holding only `entries`. */
async function replayHere(program: BenchProgram, entries: readonly MapEntry[], packets: readonly Uint8Array[]): Promise<bigint[]> {
  const machine = benchMachine(program, { cpus: 1, packetMax: Math.max(2048, ...packets.map((p) => p.length)) });
  writeEntries(machine, program, entries);
  const runner = await loadRunner(await getEngine("interpreter"), { insns: program.insns, name: program.name }, machine);
  try {
    return packets.map((p) => runner.run(p).retval);
  } finally {
    runner.dispose();
  }
}
