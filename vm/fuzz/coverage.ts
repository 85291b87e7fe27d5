// Which instructions the fuzzer exercises, in the opcode table's own terms (describe()): every
// mnemonic of every kind it is meant to generate. The generator's test asserts that a few
// thousand programs cover all of them; `ebpf-wasm fuzz --coverage` prints the tally.

import type { Insn } from "../isa/instruction.js";
import { describe, knownOpcodes, type OpDef } from "../isa/table.js";

/** A name per distinct behaviour: the mnemonic, with calls and lddw told apart by target/source. */
export function coverageKey(def: OpDef): string {
  if (def.kind === "call") return `call ${def.target}`;
  if (def.kind === "lddw") return `lddw pseudo ${def.pseudo}`;
  return def.mnemonic;
}

/**
 * What the fuzzer does not generate (generate.ts says why): helper and kfunc calls, callx,
 * LD_ABS/LD_IND, lddw with a pseudo source.
 */
export function fuzzed(def: OpDef): boolean {
  if (def.kind === "callx" || def.kind === "ldpkt") return false;
  if (def.kind === "call") return def.target === "local";
  if (def.kind === "lddw") return def.pseudo === 0;
  return true;
}

/** Every key the fuzzer should cover, found by asking describe() about every refinement. */
export function expectedKeys(): Set<string> {
  const keys = new Set<string>();
  const imms = [0, 16, 32, 64, 0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1];
  for (const opcode of knownOpcodes()) {
    for (const off of [0, 1, 8, 16, 32]) {
      for (const imm of imms) {
        for (const src of [0, 1, 2]) {
          const def = describe({ opcode, dst: 0, src, off, imm });
          if (def && fuzzed(def)) keys.add(coverageKey(def));
        }
      }
    }
  }
  return keys;
}

/** Count the keys of a program's instructions into `counts`. */
export function tally(insns: readonly Insn[], counts: Map<string, number>): void {
  for (let i = 0; i < insns.length; i++) {
    const def = describe(insns[i]!);
    if (!def) continue;
    const key = coverageKey(def);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (def.kind === "lddw") i++;
  }
}
