// The generator spec string, as `ebpf-wasm run --gen SPEC` takes it:
//
//   KIND:COUNT[:key=value[:key=value…]]     (options may also be separated by commas)
//
//   imix:10000:seed=1      flood64:1M:seed=3,gbps=100      mix:50k:seed=7:flows=4096
//
// COUNT is a whole number with an optional k (×1000) or M (×1,000,000) suffix. Options:
//   seed   PRNG seed, a non-negative integer (decimal or 0x…), default 1
//   gbps   link rate used for the timestamps (back-to-back frames), default 10
//   flows  size of the flow pool the 5-tuples come from, default 256

import { BpfError } from "../../vm/errors.js";
import { MIXES } from "./mixes.js";

export interface GenSpec {
  kind: string;
  count: number;
  seed: bigint;
  gbps: number;
  flows: number;
}

export const MAX_COUNT = 100_000_000;
const MULTIPLIERS: Record<string, number> = { "": 1, k: 1000, K: 1000, m: 1_000_000, M: 1_000_000 };

function fail(spec: string, why: string): never {
  throw new BpfError(`--gen '${spec}': ${why} (format KIND:COUNT[:seed=N][:gbps=N][:flows=N]; kinds: ${Object.keys(MIXES).join(", ")})`);
}

function parseCount(spec: string, text: string | undefined): number {
  const m = /^(\d+)([kKmM]?)$/.exec(text ?? "");
  if (!m) fail(spec, text ? `count '${text}' is not a whole number (suffix k or M allowed)` : "missing the packet count");
  const count = Number(m[1]) * MULTIPLIERS[m[2]!]!;
  if (count > MAX_COUNT) fail(spec, `count ${count} is above the limit of ${MAX_COUNT}`);
  return count;
}

type OptionParser = (spec: string, value: string, out: GenSpec) => void;

const OPTIONS: Record<string, OptionParser> = {
  seed(spec, value, out) {
    if (!/^(\d+|0x[0-9a-fA-F]+)$/.test(value)) fail(spec, `seed '${value}' is not a non-negative integer`);
    const seed = BigInt(value);
    if (seed >= 1n << 64n) fail(spec, `seed ${value} does not fit 64 bits`);
    out.seed = seed;
  },
  gbps(spec, value, out) {
    const gbps = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value) || !(gbps > 0) || gbps > 10_000) fail(spec, `gbps '${value}' must be a number above 0 and at most 10000`);
    out.gbps = gbps;
  },
  flows(spec, value, out) {
    const flows = Number(value);
    if (!/^\d+$/.test(value) || flows < 1 || flows > 1_000_000) fail(spec, `flows '${value}' must be an integer from 1 to 1000000`);
    out.flows = flows;
  },
};

export function parseGenSpec(spec: string): GenSpec {
  const [kind, countText, ...rest] = spec.trim().split(":");
  if (!kind) fail(spec, "missing the generator kind");
  if (!(kind in MIXES)) fail(spec, `unknown generator '${kind}'`);
  const out: GenSpec = { kind, count: parseCount(spec, countText), seed: 1n, gbps: 10, flows: 256 };
  const seen = new Set<string>();
  for (const item of rest.flatMap((r) => r.split(","))) {
    const eq = item.indexOf("=");
    if (eq <= 0) fail(spec, `option '${item}' is not key=value`);
    const key = item.slice(0, eq);
    const parse = OPTIONS[key];
    if (!parse) fail(spec, `unknown option '${key}' (known: ${Object.keys(OPTIONS).join(", ")})`);
    if (seen.has(key)) fail(spec, `option '${key}' given twice`);
    seen.add(key);
    parse(spec, item.slice(eq + 1), out);
  }
  return out;
}

/** The canonical spec string for a parsed spec (what generated files are named after). */
export function formatGenSpec(s: GenSpec): string {
  return `${s.kind}:${s.count}:seed=${s.seed}:gbps=${s.gbps}:flows=${s.flows}`;
}
