// Shrinking a failing case (delta debugging over the program tree): try smaller variants —
// drop a run of statements (halves first, then quarters, ... then single statements), replace an
// if by one of its branches, replace a loop by a single round — and keep a variant when it is
// still a valid program (flow.ts) and still shows a mismatch of the same kind between the same
// engines. Repeat until no variant is accepted. Working on the tree keeps every variant a
// well-formed program: no jump offset to repair, no loop left without its counter update.

import { AluOp, Cls, Src } from "../isa/opcodes.js";
import { insn } from "../isa/instruction.js";
import type { FuzzProgram, Stmt } from "./ast.js";
import { isValid } from "./flow.js";

type Block = readonly Stmt[];

interface BlockRef {
  readonly stmts: Block;
  readonly replace: (stmts: Block) => FuzzProgram;
}

/** Every block of the program (main, subprogram bodies, branches, loop bodies) with a way to swap it. */
function blocksOf(p: FuzzProgram): BlockRef[] {
  const out: BlockRef[] = [];
  const walk = (stmts: Block, replace: (b: Block) => FuzzProgram): void => {
    out.push({ stmts, replace });
    stmts.forEach((s, i) => {
      const swap = (next: Stmt): FuzzProgram => replace([...stmts.slice(0, i), next, ...stmts.slice(i + 1)]);
      if (s.k === "if") {
        walk(s.then, (b) => swap({ ...s, then: b }));
        walk(s.otherwise, (b) => swap({ ...s, otherwise: b }));
      } else if (s.k === "loop") {
        walk(s.body, (b) => swap({ ...s, body: b }));
      }
    });
  };
  walk(p.main, (main) => ({ ...p, main }));
  p.subs.forEach((sub, k) => {
    walk(sub.body, (body) => ({ ...p, subs: p.subs.map((x, j) => (j === k ? { ...x, body } : x)) }));
  });
  return out;
}

/** Smaller variants of p, biggest cuts first. */
function* variants(p: FuzzProgram): Generator<FuzzProgram> {
  const blocks = blocksOf(p);
  for (const { stmts, replace } of blocks) {
    for (let size = Math.max(1, stmts.length >> 1); size >= 1; size = size === 1 ? 0 : Math.max(1, size >> 1)) {
      for (let at = 0; at + size <= stmts.length; at += size) {
        yield replace([...stmts.slice(0, at), ...stmts.slice(at + size)]);
      }
    }
  }
  for (const { stmts, replace } of blocks) {
    for (let i = 0; i < stmts.length; i++) {
      const s = stmts[i]!;
      const splice = (inner: Block): FuzzProgram => replace([...stmts.slice(0, i), ...inner, ...stmts.slice(i + 1)]);
      if (s.k === "if") {
        yield splice(s.then);
        yield splice(s.otherwise);
      } else if (s.k === "loop") {
        // One round: the counter starts as the loop would start it and steps once.
        yield splice([
          { k: "op", insn: insn(Cls.ALU64 | AluOp.MOV | Src.K, s.counter, 0, 0, s.init) },
          ...s.body,
          { k: "op", insn: insn(Cls.ALU64 | AluOp.ADD | Src.K, s.counter, 0, 0, s.step) },
        ]);
      }
    }
  }
}

export interface MinimizeResult {
  readonly program: FuzzProgram;
  /** Variants tried (each is one run of the engines). */
  readonly tries: number;
}

/**
 * Shrink `p` while `fails` holds. `fails` runs the engines on a variant; it is only called on
 * valid variants. `budget` caps the number of engine runs.
 */
export async function minimize(p: FuzzProgram, fails: (candidate: FuzzProgram) => Promise<boolean>, budget = 5000): Promise<MinimizeResult> {
  let best = p;
  let tries = 0;
  let progress = true;
  while (progress && tries < budget) {
    progress = false;
    for (const candidate of variants(best)) {
      if (size(candidate) >= size(best)) continue;
      if (!isValid(candidate)) continue;
      tries++;
      if (await fails(candidate)) {
        best = candidate;
        progress = true;
        break;
      }
      if (tries >= budget) break;
    }
  }
  return { program: best, tries };
}

/** Size for "smaller": statements, a loop weighing what it emits beyond its body (3 slots). */
function weight(stmts: Block): number {
  let n = 0;
  for (const s of stmts) {
    if (s.k === "if") n += 1 + weight(s.then) + weight(s.otherwise);
    else if (s.k === "loop") n += 3 + weight(s.body);
    else n += 1;
  }
  return n;
}

const size = (p: FuzzProgram): number => weight(p.main) + p.subs.reduce((n, s) => n + weight(s.body), 0);
