// `ebpf-wasm run PROG.o --prandom-seed N`: every CPU's bpf_get_prandom_u32 generator seeded
// (vm/helpers/random.ts). fixtures/prandom_sample.c keeps the numbers it drew in a map and passes
// the packets whose number is odd: with a seed, a run gives the same numbers and verdicts each
// time, on the interpreter and on the JIT alike; another seed gives other numbers; a bad seed,
// or one with --engine kernel (which seeds its own), is refused before anything runs.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const OBJECT = join(ROOT, "test", "loader", "fixtures", "prandom_sample.o");

interface Report {
  verdicts: Record<string, number>;
  maps: Record<string, Array<{ key: string; value: string }>>;
}

function run(args: string[]): { status: number | null; stderr: string; report?: Report } {
  const r = spawnSync(process.execPath, [join(ROOT, "bin", "ebpf-wasm.js"), "run", OBJECT, "--gen", "mix:200:seed=3", "--json", ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stderr: r.stderr, ...(r.status === 0 ? { report: JSON.parse(r.stdout) as Report } : {}) };
}

const drawn = (r: Report): string[] => r.maps.drawn!.map((e) => e.value);

describe("run --prandom-seed", () => {
  it("repeats the numbers and verdicts, on both engines; another seed draws others", () => {
    const a = run(["--prandom-seed", "5", "--engine", "interpreter"]);
    expect(a.status, a.stderr).toBe(0);
    const again = run(["--prandom-seed", "5", "--engine", "interpreter"]);
    const jit = run(["--prandom-seed", "5", "--engine", "jit"]);
    const other = run(["--prandom-seed", "6", "--engine", "jit"]);
    const outcome = (r: Report): Pick<Report, "verdicts" | "maps"> => ({ verdicts: r.verdicts, maps: r.maps });
    expect(outcome(again.report!)).toEqual(outcome(a.report!));
    expect(outcome(jit.report!)).toEqual(outcome(a.report!));
    expect(drawn(other.report!)).not.toEqual(drawn(a.report!));
    // About half the packets pass (the numbers' low bit), and all 64 slots were drawn into.
    expect(a.report!.verdicts.XDP_PASS).toBeGreaterThan(60);
    expect(a.report!.verdicts.XDP_DROP).toBeGreaterThan(60);
    expect(new Set(drawn(a.report!)).size).toBe(64);
  });

  it("refuses a seed that is not a non-negative integer, and one for the kernel", () => {
    for (const seed of ["-1", "1.5", "x"]) {
      const r = run(["--prandom-seed", seed]);
      expect(r.status, seed).toBe(2);
      expect(r.stderr, seed).toMatch(/--prandom-seed/);
    }
    const k = run(["--prandom-seed", "5", "--engine", "kernel"]);
    expect(k.status).not.toBe(0);
    expect(k.stderr).toMatch(/--prandom-seed: the kernel seeds its own/);
  });
});
