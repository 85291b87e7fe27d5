// Writing a line-rate run's reports: JSON (one row per measurement, with the machine), Markdown
// and SVG, into a directory (bench/results/ by default).

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { LineRateResult } from "../line-rate/suite.js";
import type { MachineInfo } from "./machine.js";
import { renderMarkdown } from "./markdown.js";
import { renderSvg } from "./svg.js";

/** The JSON document: `rows` is the stable part (program, corpus, engine, workers, packets, mpps, ns_per_packet, ...). */
export interface LineRateJson extends LineRateResult {
  readonly machine: MachineInfo;
  readonly settings: unknown;
}

export function lineRateJson(result: LineRateResult, machine: MachineInfo, settings: unknown): LineRateJson {
  return { machine, settings, ...result };
}

export function writeJson(file: string, doc: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
}

/** line-rate.json, line-rate.md and line-rate.svg in `dir`; returns the paths written. */
export function writeReports(dir: string, doc: LineRateJson): string[] {
  mkdirSync(dir, { recursive: true });
  const files = { json: join(dir, "line-rate.json"), md: join(dir, "line-rate.md"), svg: join(dir, "line-rate.svg") };
  writeJson(files.json, doc);
  writeFileSync(files.md, renderMarkdown(doc, doc.machine, "line-rate.svg"));
  writeFileSync(files.svg, renderSvg(doc.rows, doc.machine));
  return Object.values(files);
}
