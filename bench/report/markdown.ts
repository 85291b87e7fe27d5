// The Markdown summary of a line-rate run (bench/results/line-rate.md): the machine, the table,
// the ratios measured in the same run, and the chart beside it.

import type { LineRateResult } from "../line-rate/suite.js";
import { describeMachine, type MachineInfo } from "./machine.js";
import { RATIO_HEADER, ratioCells, ROW_HEADER, rowCells } from "./table.js";

const f = (x: number | undefined, digits = 2): string => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(digits));
const mdRow = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;

export function renderMarkdown(result: LineRateResult, machine: MachineInfo, chart = "line-rate.svg"): string {
  const out = [
    "# ebpf-wasm line rate",
    "",
    `Measured ${machine.date} on **${describeMachine(machine)}**; kernel engine: ${result.kernel}.`,
    "Medians over rounds (min..max shown); every ratio below comes from this one run.",
    "Gbit/s counts the frames on the wire (frame + FCS + preamble + inter-frame gap).",
    "",
    `![Mpps per engine and program](${chart})`,
    "",
    mdRow(ROW_HEADER),
    mdRow(ROW_HEADER.map(() => "---")),
    ...result.rows.map((r) => mdRow(rowCells(r))),
    "",
    "## Ratios",
    "",
    mdRow(RATIO_HEADER),
    mdRow(RATIO_HEADER.map(() => "---")),
    ...result.ratios.map((r) => mdRow(ratioCells(r))),
    "",
    "N workers / 1 (wall) is the throughput the machine gave; it needs N idle cores. (CPU time)",
    "compares the CPU time per packet, so other processes of this machine taking the cores do not",
    "lower it (a virtual machine's host taking its CPUs still can: the guest counts that time as",
    "running). \"on CPU\" is the share of their busy time the workers were running",
    "(below 100%, other processes had the cores). The kernel's \"test-run floor\" is its ns per run of",
    "a program that only returns: BPF_PROG_TEST_RUN's own cost, included in every kernel figure.",
    "",
    ...(result.dispatch.length
      ? [
          "## Pool dispatch",
          "",
          "Time the workers did not spend running packets, per Piscina task handed out (same program, same packets).",
          "",
          mdRow(["atomics", "tasks per worker", "schedule", "work per task (µs)", "tasks", "idle µs per task", "idle share", "Mpps"]),
          mdRow(["---", "---", "---", "---", "---", "---", "---", "---"]),
          ...result.dispatch.map((d) => mdRow([d.atomics, String(d.concurrent_tasks_per_worker), d.schedule, String(d.task_us), String(d.tasks), f(d.per_task_us, 1), `${f(d.overhead * 100, 1)}%`, f(d.mpps, 1)])),
          "",
        ]
      : []),
    "## Corpora",
    "",
    ...result.corpora.map((c) => `- **${c.name}**: ${c.packets} packets, ${c.avg_wire_bytes.toFixed(1)} bytes per packet on the wire${c.notes.length ? ` (${c.notes.slice(0, 3).join("; ")}${c.notes.length > 3 ? `; ${c.notes.length - 3} more notes` : ""})` : ""}`),
    "",
    "## Agreement",
    "",
    ...result.checks.map((c) =>
      `- ${c.program} / ${c.corpus}: ${Object.entries(c.verdicts).map(([v, n]) => `${v} ${n}`).join(", ")}; JIT vs interpreter: ${c.jit_vs_interpreter === undefined ? "not both run" : `${c.jit_vs_interpreter} packets differ`}; kernel: ${c.kernel_compared === undefined ? "not run" : `${c.kernel_vs_ours} of ${c.kernel_compared} sampled packets differ`}`,
    ),
    ...(result.rows.some((r) => r.note) ? ["", "## Notes", "", ...result.rows.filter((r) => r.note).map((r) => `- ${r.program} / ${r.corpus} / ${r.engine}: ${r.note}`)] : []),
    ...(result.skipped.length ? ["", "## Skipped", "", ...result.skipped.map((s) => `- ${[s.program, s.corpus, s.engine].filter(Boolean).join(" / ")}: ${s.reason}`)] : []),
    "",
  ];
  return out.join("\n");
}
