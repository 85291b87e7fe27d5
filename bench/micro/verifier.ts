// Verifier benchmark (issue 6, "Must show"): for every program of corpus/programs, our
// verifier's time and processed instructions next to the kernel verifier's own figures for the
// same instructions and maps on this machine:
//   - ours: verify() wall time, median of `rounds` rounds over all programs after warm-up rounds
//     (the first run of each program in the process is printed too: for the first program it
//     includes V8 compiling the verifier, "first" is a cold start); "cpu ms" is the process's
//     CPU time per run, V8's background threads (GC, compiler) included;
//   - kernel: BPF_PROG_LOAD with log_level BPF_LOG_STATS (4), whose log says "verification time
//     N usec" (bpf_check() from its start to the end of its fix-ups, measured in the kernel) and
//     "processed N insns"; verified_insns from BPF_OBJ_GET_INFO_BY_FD; median of `rounds` loads.
// Ratio = our median ms / the kernel's median ms (below 1: we are faster). Printed, returned,
// never asserted. Without bpf() the kernel columns say why they are empty.
//
//   node dist/bench/main.js --only verifier [--quick]

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Insn } from "../../vm/isa/instruction.js";
import { loadObject, verifierMaps } from "../../vm/elf/load/index.js";
import type { ObjectMap } from "../../vm/elf/load/maps.js";
import { KernelError, kernelBridge, verifierStats } from "../../vm/node/kernel/engine.js";
import { PROGRAM_TYPES, type ProgramTypeName } from "../../vm/programs/types.js";
import { createNodeMachine } from "../../vm/runtime/machine.node.js";
import { verify, type VerifierMap } from "../../vm/verifier/index.js";
import { packageRoot } from "../root.js";

export interface VerifierBenchRow {
  readonly program: string;
  readonly type: ProgramTypeName;
  /** Instruction slots of the linked program. */
  readonly slots: number;
  readonly accepted: boolean;
  readonly message?: string;
  readonly processedInsns: number;
  readonly states: number;
  /** Wall clock of verify(), median and fastest of the timed rounds, and the first run in this process. */
  readonly ms: number;
  readonly msMin: number;
  readonly msFirst: number;
  /** Process CPU time (user + system, all threads: V8's GC and compiler too) per timed run. */
  readonly cpuMs: number;
  readonly kernel?: {
    readonly accepted: boolean;
    readonly message?: string;
    /** "verification time", median over the loads, in ms. */
    readonly ms?: number;
    readonly msMin?: number;
    readonly processedInsns?: number;
    readonly verifiedInsns?: number;
    readonly totalStates?: number;
    readonly peakStates?: number;
  };
  /** ours.ms / kernel.ms. */
  readonly ratio?: number;
}

export interface VerifierBenchReport {
  readonly rounds: number;
  readonly kernel: string;
  readonly rows: VerifierBenchRow[];
  /** Sums over the programs both verifiers accepted. */
  readonly totalMs: number;
  readonly kernelTotalMs?: number;
  /** Programs where our median is above the kernel's. */
  readonly slower: readonly string[];
}

interface BenchProgram {
  readonly name: string;
  readonly type: ProgramTypeName;
  readonly insns: readonly Insn[];
  readonly maps: readonly ObjectMap[];
  readonly verifierMaps: readonly VerifierMap[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Every program of every object in corpus/programs (vm/elf/load), in file order. */
export function corpusPrograms(): BenchProgram[] {
  const dir = join(packageRoot(), "corpus", "programs");
  return readdirSync(dir).filter((f) => f.endsWith(".o")).sort().flatMap((file) => {
    const base = file.slice(0, -2);
    const object = loadObject(readFileSync(join(dir, file)));
    return object.programs.flatMap((p) => p.type === undefined || p.error ? [] : [{
      name: object.programs.length > 1 ? `${base}:${p.name}` : base,
      type: p.type,
      insns: p.insns,
      maps: object.maps,
      verifierMaps: verifierMaps(object),
    }]);
  });
}

type Ours = Omit<VerifierBenchRow, "program" | "type" | "slots" | "kernel" | "ratio">;

/**
 * Our side, every program at once: one first run each (cold), `warmup` rounds over all of them
 * (V8 compiles the verifier's hot paths for every kind of program), then `rounds` timed rounds,
 * round-robin over the programs so that a burst of load on the machine spreads over all rows.
 * Also the process CPU time per run (user + system), which waiting for a busy CPU does not inflate.
 */
function measureOurs(programs: readonly BenchProgram[], rounds: number, warmup: number): Ours[] {
  const runs = programs.map((p) => {
    // The helpers a machine of this type really has (signatures from vm/helpers).
    const helpers = createNodeMachine({ type: p.type, maps: p.maps.map((m) => m.spec) }).helpers;
    return () => verify(p.insns, { type: p.type, maps: p.verifierMaps, helpers });
  });
  const first = runs.map((run) => run());
  for (let k = 0; k < warmup; k++) for (const run of runs) run();
  const ms = runs.map(() => [] as number[]);
  const cpu = runs.map(() => 0);
  for (let k = 0; k < rounds; k++) {
    runs.forEach((run, i) => {
      const c0 = process.cpuUsage();
      ms[i]!.push(run().ms);
      const c = process.cpuUsage(c0);
      cpu[i]! += (c.user + c.system) / 1000;
    });
  }
  return first.map((r, i) => ({
    accepted: r.accepted,
    ...(r.message ? { message: r.message } : {}),
    processedInsns: r.processedInsns,
    states: r.states,
    ms: median(ms[i]!),
    msMin: Math.min(...ms[i]!),
    msFirst: r.ms,
    cpuMs: cpu[i]! / rounds,
  }));
}

/** One load with BPF_LOG_STATS: its "verification time" in ms, or why there is none. */
function kernelLoad(p: BenchProgram): () => NonNullable<VerifierBenchRow["kernel"]> & { oneMs?: number } {
  const bridge = kernelBridge();
  const type = PROGRAM_TYPES[p.type].kernelType!;
  const BPF_F_RDONLY_PROG = 1 << 7;
  const maps = p.maps.map((m) => ({
    type: m.spec.type, keySize: m.spec.keySize, valueSize: m.spec.valueSize, maxEntries: m.spec.maxEntries,
    flags: m.spec.flags | (m.readonly ? BPF_F_RDONLY_PROG : 0), name: m.name,
  }));
  return () => {
    let prog;
    try {
      prog = bridge.load(p.insns, { type, maps, log: 4 });
    } catch (err) {
      if (!(err instanceof KernelError)) throw err;
      return { accepted: false, message: err.message };
    }
    try {
      const stats = verifierStats(prog.log);
      if (!stats) return { accepted: true, message: `no statistics in the kernel's log: ${JSON.stringify(prog.log.slice(0, 200))}` };
      return {
        accepted: true, oneMs: stats.usec / 1000, processedInsns: stats.processedInsns, verifiedInsns: prog.info().verifiedInsns,
        totalStates: stats.totalStates, peakStates: stats.peakStates,
      };
    } finally {
      prog.close();
    }
  };
}

/** The kernel's side: `rounds` loads of each program, round-robin; medians of "verification time". */
function measureKernel(programs: readonly BenchProgram[], rounds: number): Array<NonNullable<VerifierBenchRow["kernel"]>> {
  const loads = programs.map(kernelLoad);
  const results = loads.map((load) => load());
  const ms = programs.map(() => [] as number[]);
  for (let k = 0; k < rounds; k++) {
    loads.forEach((load, i) => {
      if (results[i]!.oneMs === undefined) return; // refused, or no statistics: said once
      const r = load();
      if (r.oneMs !== undefined) ms[i]!.push(r.oneMs);
    });
  }
  return results.map((r, i) => {
    const { oneMs: _one, ...rest } = r;
    return ms[i]!.length ? { ...rest, ms: median(ms[i]!), msMin: Math.min(...ms[i]!) } : rest;
  });
}

const f = (x: number | undefined, digits = 3): string => (x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(digits));

function table(rows: readonly VerifierBenchRow[]): string[] {
  const header = ["program", "type", "slots", "insns", "states", "ms", "min", "cpu ms", "first", "kernel insns", "kernel states", "kernel ms", "ours/kernel"];
  const cells = rows.map((r) => [
    r.program, r.type, String(r.slots), r.accepted ? String(r.processedInsns) : "REJECTED", String(r.states), f(r.ms), f(r.msMin), f(r.cpuMs), f(r.msFirst),
    r.kernel ? (r.kernel.accepted ? `${r.kernel.processedInsns ?? "-"}${r.kernel.verifiedInsns !== r.kernel.processedInsns ? ` (info ${r.kernel.verifiedInsns})` : ""}` : "REJECTED") : "-",
    r.kernel?.totalStates === undefined ? "-" : String(r.kernel.totalStates),
    f(r.kernel?.ms), r.ratio === undefined ? "-" : f(r.ratio, 2),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c]!.length)));
  const line = (row: readonly string[]): string => row.map((s, c) => (c < 2 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)];
}

export async function runVerifierBench(options: { quick?: boolean; log?: (line: string) => void } = {}): Promise<VerifierBenchReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const rounds = options.quick ? 11 : 51;
  const warmup = options.quick ? 10 : 40;
  const status = kernelBridge().available();
  const programs = corpusPrograms();
  const ours = measureOurs(programs, rounds, warmup);
  const kernel = status.ok ? measureKernel(programs, rounds) : undefined;
  const rows: VerifierBenchRow[] = programs.map((p, i) => {
    const k = kernel?.[i];
    const ratio = ours[i]!.accepted && k?.ms ? ours[i]!.ms / k.ms : undefined;
    return { program: p.name, type: p.type, slots: p.insns.length, ...ours[i]!, ...(k ? { kernel: k } : {}), ...(ratio === undefined ? {} : { ratio }) };
  });
  // The bridge is shared by every suite of the run (line-rate uses it after this one): it is not
  // closed here; the runner closes its fds when the process exits and its input ends.
  const both = rows.filter((r) => r.ratio !== undefined);
  const totalMs = rows.filter((r) => r.accepted).reduce((a, r) => a + r.ms, 0);
  const kernelTotalMs = both.length ? both.reduce((a, r) => a + r.kernel!.ms!, 0) : undefined;
  const slower = both.filter((r) => r.ratio! > 1).map((r) => r.program);
  log(`verifier: corpus/programs, median of ${rounds} runs after ${warmup} warm-up rounds over all programs; kernel: ${status.ok ? `${status.reason}, median of ${rounds} loads (BPF_LOG_STATS "verification time")` : `unavailable (${status.reason})`}`);
  for (const line of table(rows)) log(line);
  const problems = rows.filter((r) => !r.accepted || (r.kernel && !r.kernel.accepted) || r.kernel?.message);
  for (const r of problems) log(`  ${r.program}: ${r.accepted ? "" : `ours: ${r.message} `}${r.kernel?.message ? `kernel: ${r.kernel.message}` : ""}`);
  const sumBoth = both.reduce((a, r) => a + r.ms, 0);
  log(`cold (first run in the process, all programs): ${f(rows.reduce((a, r) => a + r.msFirst, 0))} ms`);
  log(kernelTotalMs === undefined
    ? `total ${f(totalMs)} ms`
    : `total over ${both.length} programs: ours ${f(sumBoth)} ms, kernel ${f(kernelTotalMs)} ms (ours/kernel ${f(sumBoth / kernelTotalMs, 2)}); slower than the kernel on ${slower.length}: ${slower.join(", ") || "none"}`);
  return { rounds, kernel: status.reason, rows, totalMs, ...(kernelTotalMs === undefined ? {} : { kernelTotalMs }), slower };
}
