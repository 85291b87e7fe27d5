// The chart: Mpps per engine per program, one panel per corpus, with the 64-byte line rates of
// 10, 40 and 100 GbE (14.88, 59.52, 148.8 Mpps) drawn across. Plain SVG text, no dependencies.

import type { Row } from "../line-rate/suite.js";
import { describeMachine, type MachineInfo } from "./machine.js";

export const LINE_RATES: ReadonlyArray<readonly [string, number]> = [["10GbE", 14.88], ["40GbE", 59.52], ["100GbE", 148.8]];

const COLORS = ["#8c8c8c", "#1f77b4", "#2ca02c", "#17becf", "#9467bd", "#d62728", "#ff7f0e"];
const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const seriesOf = (r: Row): string => (r.engine === "kernel" ? "kernel" : `${r.engine} ×${r.workers}`);

export function renderSvg(rows: readonly Row[], machine: MachineInfo): string {
  const corpora = [...new Set(rows.map((r) => r.corpus))];
  const programs = [...new Set(rows.map((r) => r.program))];
  const series = [...new Set(rows.map(seriesOf))].sort((a, b) => order(a) - order(b));
  const barW = 18;
  const groupW = series.length * barW + 28;
  const left = 60;
  const panelW = Math.max(760, left + programs.length * groupW + 130);
  const panelH = 260;
  const top = 50;
  const legendH = 30;
  const width = panelW;
  const height = top + corpora.length * (panelH + 40) + legendH;
  const yMax = Math.max(160, ...rows.map((r) => r.mpps_max)) * 1.08;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">ebpf-wasm line rate: Mpps per engine and program</text>`,
    `<text x="${width / 2}" y="34" text-anchor="middle" fill="#555">${esc(describeMachine(machine))}</text>`,
  ];
  corpora.forEach((corpus, p) => {
    const y0 = top + p * (panelH + 40);
    const plotH = panelH - 40;
    const y = (v: number): number => y0 + 20 + plotH - (v / yMax) * plotH;
    out.push(`<text x="${left}" y="${y0 + 12}" font-weight="bold">corpus: ${esc(corpus)}</text>`);
    out.push(`<line x1="${left}" y1="${y(0)}" x2="${panelW - 120}" y2="${y(0)}" stroke="#000"/>`);
    out.push(`<line x1="${left}" y1="${y(0)}" x2="${left}" y2="${y(yMax)}" stroke="#000"/>`);
    for (let v = 0; v <= yMax; v += 25) {
      out.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${v}</text>`);
    }
    out.push(`<text x="14" y="${y(yMax / 2)}" transform="rotate(-90 14 ${y(yMax / 2)})" text-anchor="middle">Mpps</text>`);
    for (const [name, rate] of LINE_RATES) {
      out.push(`<line x1="${left}" y1="${y(rate)}" x2="${panelW - 120}" y2="${y(rate)}" stroke="#d62728" stroke-dasharray="5,4" stroke-width="1"/>`);
      out.push(`<text x="${panelW - 116}" y="${y(rate) + 4}" fill="#d62728">${name} ${rate}</text>`);
    }
    programs.forEach((program, g) => {
      const gx = left + 12 + g * groupW;
      series.forEach((s, k) => {
        const row = rows.find((r) => r.corpus === corpus && r.program === program && seriesOf(r) === s);
        if (!row) return;
        const x = gx + k * barW;
        out.push(`<rect x="${x}" y="${y(row.mpps)}" width="${barW - 2}" height="${y(0) - y(row.mpps)}" fill="${COLORS[k % COLORS.length]}"><title>${esc(`${program} / ${corpus} / ${s}: ${row.mpps} Mpps (${row.mpps_min}..${row.mpps_max}), ${row.ns_per_packet} ns/packet`)}</title></rect>`);
        out.push(`<line x1="${x + (barW - 2) / 2}" y1="${y(row.mpps_min)}" x2="${x + (barW - 2) / 2}" y2="${y(row.mpps_max)}" stroke="#000"/>`);
        out.push(`<text x="${x + (barW - 2) / 2}" y="${y(row.mpps_max) - 3}" text-anchor="middle" font-size="8">${row.mpps < 10 ? row.mpps.toFixed(1) : Math.round(row.mpps)}</text>`);
      });
      out.push(`<text x="${gx + (series.length * barW) / 2}" y="${y(0) + 14}" text-anchor="middle">${esc(program)}</text>`);
    });
  });
  const ly = height - legendH + 12;
  let lx = left;
  series.forEach((s, k) => {
    out.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${COLORS[k % COLORS.length]}"/><text x="${lx + 14}" y="${ly}">${esc(s)}</text>`);
    lx += 14 + s.length * 7 + 18;
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

/** interpreter, jit ×1, jit ×2, ..., kernel. */
function order(series: string): number {
  if (series.startsWith("interpreter")) return 0 + Number(series.split("×")[1] ?? 0) / 1000;
  if (series.startsWith("jit")) return 1 + Number(series.split("×")[1] ?? 0) / 1000;
  return 2;
}
