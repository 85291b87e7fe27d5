// Seeded mutations of the kfunc programs (the accepted cases of kfunc-cases.ts and the C
// fixtures iter_num_xdp.o / iter_num_tc.o), verified here and by the kernel: the verdicts must
// agree. Mutations: load/store offsets and base registers, ALU immediates and sources, bounds
// checks removed or moved, jumps moved, kfunc calls swapped for another of the family or
// removed. KFUNC_FUZZ_MUTANTS sets the count per program (default 5; a session-8 sweep of 250
// per program, 1,750 mutants, agreed on every verdict).

import { afterAll, describe, expect, test } from "vitest";
import { assemble } from "../../vm/asm/index.js";
import { findProgram, verifierMaps } from "../../vm/elf/load/index.js";
import { nodeHelperTables } from "../../vm/elf/load/machine.node.js";
import { KFUNC_IDS } from "../../vm/helpers/kfunc/index.js";
import type { Insn } from "../../vm/isa/instruction.js";
import { describe as describeInsn } from "../../vm/isa/table.js";
import { KernelError, kernelBridge, kernelMapSpec } from "../../vm/node/kernel/engine.js";
import { PROGRAM_TYPES, type ProgramTypeName } from "../../vm/programs/types.js";
import type { VerifierMap } from "../../vm/verifier/env.js";
import { verify } from "../../vm/verifier/index.js";
import { kernelAvailability } from "../kernel/available.js";
import { fixtureObject } from "../kernel/objects.js";
import { KFUNC_CASES } from "./kfunc-cases.js";

const MUTANTS = Number(process.env["KFUNC_FUZZ_MUTANTS"] ?? 5);
const status = kernelAvailability();
afterAll(() => {
  if (status.ok) kernelBridge().close();
});

interface Seed {
  readonly name: string;
  readonly type: ProgramTypeName;
  readonly maps: readonly VerifierMap[];
  readonly insns: readonly Insn[];
}

const CASE_MAPS: readonly VerifierMap[] = [
  { name: "h", type: 1, keySize: 8, valueSize: 8, maxEntries: 4 },
  { name: "locked", type: 2, keySize: 4, valueSize: 8, maxEntries: 1, spinLock: 0, btf: true },
];

function seeds(): Seed[] {
  const out: Seed[] = KFUNC_CASES.filter((c) => !c.reason).map((c) => ({ name: c.name, type: "xdp", maps: CASE_MAPS, insns: assemble(c.asm) }));
  for (const f of ["iter_num_xdp", "iter_num_tc"]) {
    const obj = fixtureObject(f);
    const p = findProgram(obj);
    out.push({ name: f, type: p.type!, maps: verifierMaps(obj), insns: p.insns });
  }
  return out;
}

let state = 0x2545f491;
const rnd = (n: number): number => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) % n;
};
const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
const NOP = { opcode: 0x05, dst: 0, src: 0, off: 0, imm: 0 };

/** One random change that keeps the program's slots (lddw pairs stay whole). */
function mutate(insns: readonly Insn[]): { insns: Insn[]; what: string } {
  const out = insns.map((i) => ({ ...i }));
  const starts: number[] = [];
  for (let i = 0; i < out.length; i++) {
    starts.push(i);
    if (describeInsn(out[i]!)?.kind === "lddw") i++;
  }
  for (;;) {
    const at = pick(starts);
    const ins = out[at]!;
    const def = describeInsn(ins);
    switch (def?.kind) {
      case "ldx": case "st": case "stx":
        if (rnd(4) === 0) {
          const r = rnd(11);
          if (def.kind === "ldx") ins.src = r;
          else ins.dst = r;
          return { insns: out, what: `${at}: base r${r}` };
        }
        ins.off += pick([-8, -4, -2, -1, 1, 2, 4, 8]);
        return { insns: out, what: `${at}: off ${ins.off}` };
      case "alu":
        if (def.reg) ins.src = rnd(10);
        else ins.imm += pick([-16, -8, -1, 1, 8, 16]);
        return { insns: out, what: `${at}: ${def.reg ? `src r${ins.src}` : `imm ${ins.imm}`}` };
      case "jcond":
        if (rnd(2)) Object.assign(ins, NOP);
        else if (!def.reg) ins.imm += pick([-1, 1]);
        else continue;
        return { insns: out, what: `${at}: check ${ins.opcode === 0x05 ? "removed" : `bound ${ins.imm}`}` };
      case "ja":
        ins.off += pick([-1, 1]);
        return { insns: out, what: `${at}: ja ${ins.off}` };
      case "call":
        if (def.target !== "kfunc") continue;
        if (rnd(2)) ins.imm = pick(Object.values(KFUNC_IDS));
        else Object.assign(ins, NOP);
        return { insns: out, what: `${at}: ${ins.opcode === 0x05 ? "call removed" : `kfunc ${ins.imm}`}` };
      default:
        continue;
    }
  }
}

function kernelAccepts(seed: Seed, insns: readonly Insn[]): boolean {
  try {
    kernelBridge().load(insns, {
      type: PROGRAM_TYPES[seed.type].kernelType!,
      maps: seed.maps.map(kernelMapSpec),
    }).close();
    return true;
  } catch (e) {
    if (e instanceof KernelError) return false;
    throw e;
  }
}

describe.skipIf(!status.ok)("kfunc programs: mutants verified here and by the kernel", () => {
  const tables = nodeHelperTables();
  test(`${MUTANTS} mutants of each, same verdict`, () => {
    const disagree: string[] = [];
    let count = 0;
    for (const seed of seeds()) {
      for (let k = 0; k < MUTANTS; k++) {
        const m = mutate(seed.insns);
        const ours = verify(m.insns, { type: seed.type, maps: seed.maps, helpers: tables(seed.type), maxInsns: 200_000 });
        const kernel = kernelAccepts(seed, m.insns);
        count++;
        if (ours.accepted !== kernel) disagree.push(`${seed.name} [${m.what}]: ours ${ours.accepted ? "accept" : `refuse (${ours.reason})`}, kernel ${kernel ? "accept" : "refuse"}`);
      }
    }
    console.log(`kfunc mutants: ${count}, disagreements: ${disagree.length}`);
    expect(disagree).toEqual([]);
  }, Math.max(60_000, MUTANTS * 11 * 2_000));
});
