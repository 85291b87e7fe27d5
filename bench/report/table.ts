// The terminal table of a line-rate run: one line per measurement, then the ratios measured in
// the same run, then what was skipped and whether the engines agreed.

import type { LineRateResult, Row } from "../line-rate/suite.js";
import { describeMachine, type MachineInfo } from "./machine.js";

const pad = (s: string, n: number, right = false): string => (right ? s.padStart(n) : s.padEnd(n));

function grid(header: readonly string[], rows: readonly string[][], rightFrom: number): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]): string => cells.map((s, c) => pad(s, widths[c]!, c >= rightFrom)).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
}

const f = (x: number | undefined, digits = 2): string => (x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(digits));

export function rowCells(r: Row): string[] {
  return [
    r.program, r.corpus, r.engine, String(r.workers), f(r.mpps), `${f(r.mpps_min)}..${f(r.mpps_max)}`, f(r.ns_per_packet, 1),
    f(r.gbps), r.in_place === undefined ? "" : r.in_place ? "yes" : "copy", r.overhead === undefined ? "" : `${f(r.overhead * 100, 1)}%`,
  ];
}

export const ROW_HEADER = ["program", "corpus", "engine", "workers", "Mpps", "min..max", "ns/pkt", "Gbit/s", "in place", "dispatch"];

export function formatTable(result: LineRateResult, machine: MachineInfo): string {
  const out: string[] = [`line rate — ${describeMachine(machine)}`, `kernel: ${result.kernel}`, ""];
  out.push(...grid(ROW_HEADER, result.rows.map(rowCells), 3));
  const ratios = result.ratios.filter((r) => Object.keys(r).length > 2);
  if (ratios.length > 0) {
    out.push("", "ratios (same run):");
    const header = ["program", "corpus", "JIT/interp", "N workers / 1", "JIT ns / kernel ns", "JIT / 10GbE"];
    out.push(...grid(header, ratios.map((r) => [
      r.program, r.corpus, f(r.jit_over_interpreter, 1),
      r.workers_scaling ? Object.entries(r.workers_scaling).map(([n, x]) => `${n}: ${f(x)}`).join(", ") : "-",
      f(r.jit_ns_over_kernel_ns), f(r.jit_over_10gbe),
    ]), 2));
  }
  if (result.dispatch.length > 0) {
    out.push("", "pool dispatch (time workers did not run packets, per task handed out):");
    out.push(...grid(["atomics", "tasks/worker", "schedule", "µs/task", "tasks", "idle µs/task", "idle", "Mpps"], result.dispatch.map((d) => [
      d.atomics, String(d.concurrent_tasks_per_worker), d.schedule, String(d.task_us), String(d.tasks), f(d.per_task_us, 1), `${f(d.overhead * 100, 1)}%`, f(d.mpps, 1),
    ]), 3));
  }
  const disagreements = result.checks.filter((c) => c.jit_vs_interpreter || c.kernel_vs_ours);
  out.push("", disagreements.length === 0 ? "engines agree on every packet checked (JIT vs interpreter: every packet; kernel: its sample)" : "engines DISAGREE:");
  for (const c of disagreements) out.push(`  ${c.program} / ${c.corpus}: JIT≠interpreter on ${c.jit_vs_interpreter ?? 0} packets, kernel≠ours on ${c.kernel_vs_ours ?? 0} of ${c.kernel_compared ?? 0}`);
  for (const r of result.rows) if (r.note) out.push(`note: ${r.program} / ${r.corpus} / ${r.engine}: ${r.note}`);
  for (const s of result.skipped) out.push(`skipped ${[s.program, s.corpus, s.engine].filter(Boolean).join(" / ")}: ${s.reason}`);
  return out.join("\n");
}
