// The terminal table of a line-rate run: one line per measurement, then the ratios measured in
// the same run, then what was skipped and whether the engines agreed.

import type { LineRateResult, Ratio, Row } from "../line-rate/suite.js";
import { describeMachine, type MachineInfo } from "./machine.js";

const pad = (s: string, n: number, right = false): string => (right ? s.padStart(n) : s.padEnd(n));

/** Columns padded to their widest cell, a rule under the header; columns from `rightFrom` on right-aligned. */
export function grid(header: readonly string[], rows: readonly string[][], rightFrom: number): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]): string => cells.map((s, c) => pad(s, widths[c]!, c >= rightFrom)).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
}

const f = (x: number | undefined, digits = 2): string => (x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(digits));

export function rowCells(r: Row): string[] {
  return [
    r.program, r.corpus, r.engine, String(r.workers), f(r.mpps), `${f(r.mpps_min)}..${f(r.mpps_max)}`, f(r.ns_per_packet, 1),
    f(r.gbps), r.in_place === undefined ? "" : r.in_place ? "yes" : "copy", r.overhead === undefined ? "" : `${f(r.overhead * 100, 1)}%`,
    r.on_cpu === undefined ? "" : `${f(r.on_cpu * 100, 0)}%`,
    r.floor_ns === undefined ? "" : f(r.floor_ns, 1),
  ];
}

/** "on CPU": share of the workers' busy time they ran (below 100%, other work took the cores). */
export const ROW_HEADER = ["program", "corpus", "engine", "workers", "Mpps", "min..max", "ns/pkt", "Gbit/s", "in place", "dispatch", "on CPU", "test-run floor ns"];

const byWorkers = (x: Record<string, number> | undefined): string => (x ? Object.entries(x).map(([n, v]) => `${n}: ${f(v)}`).join(", ") : "-");

export const RATIO_HEADER = ["program", "corpus", "JIT/interp", "N workers / 1 (wall)", "N workers / 1 (CPU time)", "JIT ns / kernel ns", "JIT / 10GbE"];

export function ratioCells(r: Ratio): string[] {
  return [
    r.program, r.corpus, f(r.jit_over_interpreter, 1), byWorkers(r.workers_scaling), byWorkers(r.workers_cpu_scaling),
    f(r.jit_ns_over_kernel_ns), f(r.jit_over_10gbe),
  ];
}

export function formatTable(result: LineRateResult, machine: MachineInfo): string {
  const out: string[] = [`line rate — ${describeMachine(machine)}`, `kernel: ${result.kernel}`, ""];
  out.push(...grid(ROW_HEADER, result.rows.map(rowCells), 3));
  const ratios = result.ratios.filter((r) => Object.keys(r).length > 2);
  if (ratios.length > 0) {
    out.push("", "ratios (same run):");
    out.push(...grid(RATIO_HEADER, ratios.map(ratioCells), 2));
  }
  if (result.dispatch.length > 0) {
    out.push("", "pool dispatch (time workers did not run packets, per task handed out):");
    out.push(...grid(["atomics", "tasks/worker", "schedule", "µs/task", "tasks", "idle µs/task", "idle", "Mpps"], result.dispatch.map((d) => [
      d.atomics, String(d.concurrent_tasks_per_worker), d.schedule, String(d.task_us), String(d.tasks), f(d.per_task_us, 1), `${f(d.overhead * 100, 1)}%`, f(d.mpps, 1),
    ]), 3));
  }
  const disagreements = result.checks.filter((c) => c.jit_vs_interpreter || c.kernel_vs_ours);
  out.push("", disagreements.length === 0 ? "engines agree on every packet checked (JIT vs interpreter: every packet; kernel: its sample, replayed from the initial maps)" : "engines DISAGREE:");
  for (const c of disagreements) out.push(`  ${c.program} / ${c.corpus}: JIT≠interpreter on ${c.jit_vs_interpreter ?? 0} packets, kernel≠ours on ${c.kernel_vs_ours ?? 0} of ${c.kernel_compared ?? 0}`);
  for (const r of result.rows) if (r.note) out.push(`note: ${r.program} / ${r.corpus} / ${r.engine}: ${r.note}`);
  for (const s of result.skipped) out.push(`skipped ${[s.program, s.corpus, s.engine].filter(Boolean).join(" / ")}: ${s.reason}`);
  return out.join("\n");
}
