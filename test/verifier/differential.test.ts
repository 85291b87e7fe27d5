// Differential fuzzing against the kernel verifier: seeded random mutations of the accepted
// corpus programs (corpus/verifier pos_*, corpus/programs) are verified here and loaded into the
// kernel. Reported: agreement, and every disagreement. "We accept, the kernel rejects" is the
// unsafe direction and must not happen; "we reject, the kernel accepts" is listed as work to do.

import { afterAll, describe, expect, test } from "vitest";
import type { Insn } from "../../vm/isa/instruction.js";
import { describe as describeInsn } from "../../vm/isa/table.js";
import { verify } from "../../vm/verifier/index.js";
import { KernelError, kernelBridge, kernelMapSpec } from "../../vm/node/kernel/engine.js";
import { PROGRAM_TYPES, type ProgramTypeName } from "../../vm/programs/types.js";
import { kernelAvailability } from "../kernel/available.js";
import { kernelHelperTable } from "./kernel-helpers.js";
import { loadCorpus, type CorpusMap } from "./corpus.js";
import { loadCorpusPrograms } from "./elf-programs.js";

// A quick default for every test run; EBPF_WASM_LONG=1 for a long run (or set the count).
const MUTANTS_PER_SEED = Number(process.env["VERIFIER_FUZZ_MUTANTS"] ?? (process.env["EBPF_WASM_LONG"] === "1" ? 600 : 40));
const status = kernelAvailability();

interface Seed {
  name: string;
  type: ProgramTypeName;
  maps: readonly CorpusMap[];
  insns: readonly Insn[];
}

let state = Number(process.env["VERIFIER_FUZZ_SEED"] ?? 0x9e3779b9) | 0 || 1;
const rnd = (n: number): number => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) % n;
};

const FLIPS: Record<number, number[]> = {
  0x20: [0x30, 0xa0, 0xb0], 0x30: [0x20, 0xa0], 0xa0: [0xb0, 0x30], 0xb0: [0xa0, 0x20],
  0x10: [0x50], 0x50: [0x10], 0x60: [0x70, 0xc0], 0x70: [0x60], 0xc0: [0xd0], 0xd0: [0xc0],
};

const MUTABLE = new Set(["ldx", "st", "stx", "alu", "jcond"]);

/** Programs with something mutate() can change. */
const mutable = (insns: readonly Insn[]): boolean => insns.some((i) => MUTABLE.has(describeInsn(i)?.kind ?? ""));

/** One random small change that keeps the program's shape (slot count, lddw pairs). */
function mutate(insns: readonly Insn[]): { insns: Insn[]; what: string } {
  const out = insns.map((i) => ({ ...i }));
  const starts: number[] = [];
  for (let i = 0; i < out.length; i++) {
    starts.push(i);
    if (describeInsn(out[i]!)?.kind === "lddw") i++;
  }
  for (;;) {
    const at = starts[rnd(starts.length)]!;
    const ins = out[at]!;
    const def = describeInsn(ins);
    if (!def) continue;
    switch (def.kind) {
      case "ldx": case "st": case "stx": {
        if (rnd(4) === 0) {
          // Another base register: pointer confusion.
          const r = rnd(11);
          if (def.kind === "ldx") ins.src = r;
          else ins.dst = r;
          return { insns: out, what: `${at}: base r${r}` };
        }
        const d = [-8, -4, -2, -1, 1, 2, 4, 8][rnd(8)]!;
        ins.off += d;
        return { insns: out, what: `${at}: off ${d > 0 ? "+" : ""}${d}` };
      }
      case "alu":
        if (!def.reg && rnd(2)) {
          const d = [-1, 1, 8, -8][rnd(4)]!;
          ins.imm += d;
          return { insns: out, what: `${at}: imm ${d > 0 ? "+" : ""}${d}` };
        }
        if (def.reg && rnd(2)) {
          const r = rnd(10);
          ins.src = r;
          return { insns: out, what: `${at}: src r${r}` };
        }
        if (rnd(3) === 0) {
          // Another operation (add, sub, and, or, lsh, rsh, arsh, xor, mul).
          const op = [0x00, 0x10, 0x50, 0x40, 0x60, 0x70, 0xc0, 0xa0, 0x20][rnd(9)]!;
          ins.opcode = (ins.opcode & 0x0f) | op;
          if ((op === 0x60 || op === 0x70 || op === 0xc0) && !def.reg) ins.imm &= def.wide ? 63 : 31;
          return { insns: out, what: `${at}: op 0x${op.toString(16)}` };
        }
        continue;
      case "jcond": {
        const choices = FLIPS[ins.opcode & 0xf0];
        if (rnd(3) === 0) {
          // Drop the check: a jump that never jumps.
          Object.assign(ins, { opcode: 0x05, dst: 0, src: 0, off: 0, imm: 0 });
          return { insns: out, what: `${at}: check removed` };
        }
        if (!def.reg && rnd(2)) {
          const d = [-1, 1][rnd(2)]!;
          ins.imm += d;
          return { insns: out, what: `${at}: bound ${d > 0 ? "+" : ""}${d}` };
        }
        if (!choices) continue;
        const op = choices[rnd(choices.length)]!;
        ins.opcode = (ins.opcode & 0x0f) | op;
        return { insns: out, what: `${at}: condition 0x${op.toString(16)}` };
      }
      default:
        continue;
    }
  }
}

function kernelAccepts(seed: Seed, insns: Insn[]): { ok: boolean; why: string } {
  try {
    kernelBridge().load(insns, {
      type: PROGRAM_TYPES[seed.type].kernelType!,
      maps: seed.maps.map(kernelMapSpec),
    }).close();
    return { ok: true, why: "" };
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    return { ok: false, why: e.message.replace(/^kernel verifier refused program /, "") };
  }
}

describe.skipIf(!status.ok)("differential fuzz against the kernel verifier", () => {
  afterAll(() => kernelBridge().close());
  test(`${MUTANTS_PER_SEED} mutants of each accepted corpus program`, () => {
    const helpers = kernelHelperTable();
    const seeds: Seed[] = [
      ...loadCorpus().filter((e) => e.expect === undefined),
      ...loadCorpusPrograms(),
    ].filter((s) => mutable(s.insns));
    const tally = { bothAccept: 0, bothReject: 0, unsafe: 0, strict: 0, budget: 0 };
    const budget: string[] = [];
    const unsafe: string[] = [];
    const strict: string[] = [];
    for (const seed of seeds) {
      for (let n = 0; n < MUTANTS_PER_SEED; n++) {
        const { insns, what } = mutate(seed.insns);
        const ours = verify(insns, { type: seed.type, maps: seed.maps, helpers, maxInsns: 200_000 });
        const kernel = kernelAccepts(seed, insns);
        if (ours.accepted && kernel.ok) tally.bothAccept++;
        else if (!ours.accepted && !kernel.ok) tally.bothReject++;
        else if (ours.accepted && /too complex|too large|\(EFAULT\)/.test(kernel.why)) {
          // The kernel ran out of budget (pending branches, processed instructions), not a
          // safety verdict: listed, not counted as unsafe.
          tally.budget++;
          budget.push(`${seed.name} [${what}]: kernel: ${kernel.why}`);
        } else if (ours.accepted) {
          tally.unsafe++;
          unsafe.push(`${seed.name} [${what}]: kernel: ${kernel.why}`);
        } else {
          tally.strict++;
          strict.push(`${seed.name} [${what}]: ours: ${ours.reason}`);
        }
      }
    }
    const total = tally.bothAccept + tally.bothReject + tally.unsafe + tally.strict + tally.budget;
    console.log(
      `verifier differential fuzz: ${total} mutants of ${seeds.length} programs\n` +
      `  agree: ${tally.bothAccept} accept/accept, ${tally.bothReject} reject/reject (${((100 * (tally.bothAccept + tally.bothReject)) / total).toFixed(1)}%)\n` +
      `  we accept, kernel rejects: ${tally.unsafe}\n${unsafe.map((s) => `    ${s}`).join("\n")}\n` +
      `  we accept, kernel out of budget (complexity limits, not safety): ${tally.budget}\n${budget.map((s) => `    ${s}`).join("\n")}\n` +
      `  we reject, kernel accepts (work to do): ${tally.strict}\n${strict.map((s) => `    ${s}`).join("\n")}`,
    );
    expect(unsafe).toEqual([]);
  }, 600_000);
});
