// Differential fuzzing in the suite: a fixed seed, every registered engine pair, and a mutant
// engine to prove the harness can tell engines apart at all. Engines that are missing (not yet
// registered, or the kernel without bpf()) are skipped with the reason printed.

import { describe, expect, it } from "vitest";
import type { Engine, LoadedProgram, Machine, Program } from "../../vm/engine.js";
import { engineNames, getEngine } from "../../vm/engines.js";
import { AluOp, Cls } from "../../vm/isa/opcodes.js";
import { parseDataFile } from "../../vm/conformance/datafile.js";
import { conformanceMachine, runConformanceTest } from "../../vm/conformance/run.js";
import { fuzz, fuzzMachine, type FuzzReport } from "../../vm/fuzz/index.js";
import { kernelAvailability } from "../kernel/available.js";

/** The engine, or why it cannot take part: not registered, or it cannot load a trivial program. */
async function engineOrReason(name: string): Promise<Engine | string> {
  if (!engineNames().includes(name)) return `engine '${name}' is not registered in vm/engines.ts`;
  if (name === "kernel") {
    const status = kernelAvailability();
    if (!status.ok) return `no kernel bpf() (${status.reason})`;
  }
  try {
    const engine = await getEngine(name);
    const probe = await engine.load({ insns: [{ opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }] }, fuzzMachine());
    probe.dispose();
    return engine;
  } catch (err) {
    return `engine '${name}' does not load a program: ${(err as Error).message}`;
  }
}

const interpreter = await engineOrReason("interpreter");
const jit = await engineOrReason("jit");
const kernel = await engineOrReason("kernel");
for (const e of [interpreter, jit, kernel]) if (typeof e === "string") console.log(`skipped: ${e}`);

const failures = (report: FuzzReport): string[] => report.failures.map((f) => f.reproducer);

function summary(what: string, report: FuzzReport): void {
  const s = report.stats;
  const refused = Object.entries(s.refused).map(([e, n]) => `, ${e} verifier refused ${n}`).join("") || ", no verifier refusals";
  console.log(`${what}: ${s.programs} programs (${s.slots} instructions) in ${(s.elapsedMs / 1000).toFixed(1)} s, ` +
    `${(s.programs / (s.elapsedMs / 1000)).toFixed(0)} programs/s, ${s.mismatches} mismatches${refused}`);
}

describe("differential fuzzing", () => {
  it.skipIf(typeof interpreter === "string" || typeof jit === "string")("interpreter and JIT agree on 10,000 programs (seed 20240601)", async () => {
    const report = await fuzz([interpreter as Engine, jit as Engine], { iterations: 10_000, seed: 20240601 });
    summary("interpreter vs jit", report);
    expect(failures(report)).toEqual([]);
    expect(report.stats.programs).toBe(10_000);
  }, 180_000);

  it.skipIf(typeof interpreter === "string" || typeof kernel === "string")("the kernel agrees with the interpreter (and the JIT) on 1,000 programs", async () => {
    const engines = [kernel as Engine, interpreter as Engine, ...(typeof jit === "string" ? [] : [jit])];
    const report = await fuzz(engines, { iterations: 1_000, seed: 777 });
    summary(engines.map((e) => e.name).join(" vs "), report);
    for (const [engine, first] of Object.entries(report.firstRefusals)) console.log(`first ${engine} refusal: case ${first.seed}: ${first.reason}`);
    expect(failures(report)).toEqual([]);
    // Refusals are not mismatches, but the generator promises programs the kernel accepts.
    expect(report.stats.refused["kernel"] ?? 0).toBeLessThanOrEqual(10);
  }, 120_000);
});

/** An engine with a planted bug: it runs `sdiv` as `div` (and `smod` as `mod`). */
class SignedDivisionBug implements Engine {
  readonly name = "mutant";
  constructor(private readonly inner: Engine) {}

  load(program: Program, machine: Machine): Promise<LoadedProgram> {
    const signed = (op: number): boolean => (op & 0x07) !== Cls.LD && ((op & 0xf0) === AluOp.DIV || (op & 0xf0) === AluOp.MOD) && ((op & 0x07) === Cls.ALU || (op & 0x07) === Cls.ALU64);
    const insns = program.insns.map((ins) => (signed(ins.opcode) && ins.off === 1 ? { ...ins, off: 0 } : ins));
    return this.inner.load({ ...program, insns }, machine);
  }
}

describe.skipIf(typeof interpreter === "string")("the harness", () => {
  it("catches a planted bug, shrinks it, and prints a reproducer that runs on its own", async () => {
    const engine = interpreter as Engine;
    const report = await fuzz([engine, new SignedDivisionBug(engine)], { iterations: 2000, seed: 9 });
    expect(report.stats.mismatches).toBe(1);
    const [failure] = report.failures;
    const text = failure!.reproducer;
    expect(text).toMatch(/^# differential fuzzing mismatch \((r0|memory)\) between interpreter and mutant/);
    const test = parseDataFile(text, "reproducer");
    // Minimal: r3..r5 loaded, r9 = r1, the signed division and what feeds it, the dump, exit.
    const body = test.asm.split("\n").filter((l) => l && !/^(ldxdw %r[345], \[%r1|stx|ldxdw %r[01], \[%r(9|10)|exit|mov %r9, %r1)/.test(l));
    expect(body.some((l) => /^s(div|mod)/.test(l))).toBe(true);
    expect(body.length).toBeLessThanOrEqual(6);
    // The reproducer is a conformance test: the reference engine passes it, the mutant fails it.
    expect((await runConformanceTest(test, engine, conformanceMachine())).status).toBe("pass");
    expect((await runConformanceTest(test, new SignedDivisionBug(engine), conformanceMachine())).status).not.toBe("pass");
  }, 60_000);
});

describe("the fuzz CLI's engine list", () => {
  it("includes the kernel engine entry", () => {
    expect(engineNames()).toContain("kernel");
  });
});
