// Writing one expression of the direct builder (arena.ts) into a function body or a global's
// initialiser: copy the node's bytes and fill its holes — a child is written in place, a label
// becomes its relative depth (core spec §3.3.8.6: the innermost enclosing scope is 0), names
// become indices. An explicit stack, never recursion, so scopes nested tens of thousands deep
// cost nothing special; the work is one step per hole, not per byte.

import type { Expr } from "../ir.js";
import { B0, B1, FIELDS, H0, H1, ID_MASK, NO_LABEL, REF_CLOSE, REF_FUNC, REF_GLOBAL, REF_LABEL, REF_OPEN, REF_SIG, type ExprArena } from "./arena.js";
import type { ByteSink } from "./bytes.js";
import type { Labels } from "./labels.js";

/** Indices the names resolve to, by interned id. */
export interface Resolved {
  readonly funcs: Int32Array;
  readonly globals: Int32Array;
  readonly sigs: Int32Array;
  readonly labels: Labels;
}

/** Where tagged expressions start in `out`, and their instruction (the source map, module.ts). */
export class Marks {
  offsets = new Int32Array(256);
  insns = new Int32Array(256);
  length = 0;

  add(offset: number, insn: number): void {
    if (this.length === this.offsets.length) {
      const [offsets, insns] = [new Int32Array(this.length * 2), new Int32Array(this.length * 2)];
      offsets.set(this.offsets);
      insns.set(this.insns);
      [this.offsets, this.insns] = [offsets, insns];
    }
    this.offsets[this.length] = offset;
    this.insns[this.length++] = insn;
  }
}

export function writeExpr(arena: ExprArena, out: ByteSink, root: Expr, names: Resolved, marks?: Marks): void {
  const { bytes, holePos, holeRef, nodes } = arena;
  const labels = names.labels;
  const depthOf = new Int32Array(labels.slots).fill(-1); // by label slot: depth of its open scope
  const scopeLabel: number[] = [];
  const scopePrev: number[] = [];
  // Frames of 4 int32s: byte position, next hole, byte end, hole end.
  let stack = new Int32Array(256);
  let sp = 0;
  const push = (e: Expr): void => {
    if (sp + 4 > stack.length) {
      const next = new Int32Array(stack.length * 2);
      next.set(stack);
      stack = next;
    }
    const o = e * FIELDS;
    stack[sp] = nodes[o + B0]!;
    stack[sp + 1] = nodes[o + H0]!;
    stack[sp + 2] = nodes[o + B1]!;
    stack[sp + 3] = nodes[o + H1]!;
    sp += 4;
  };
  push(root);
  while (sp > 0) {
    const top = sp - 4;
    const at = stack[top]!;
    const h = stack[top + 1]!;
    if (h === stack[top + 3]) {
      out.copy(bytes, at, stack[top + 2]!);
      sp = top;
      continue;
    }
    const pos = holePos[h]!;
    out.copy(bytes, at, pos);
    stack[top] = pos;
    stack[top + 1] = h + 1;
    const ref = holeRef[h]!;
    if (ref < 0) {
      const child = -ref - 1;
      if (marks && arena.insnOf(child) >= 0) marks.add(out.length, arena.insnOf(child));
      push(child);
      continue;
    }
    const id = ref & ID_MASK;
    switch (ref & ~ID_MASK) {
      case REF_LABEL: {
        const depth = depthOf[labels.slot(id)]!;
        if (depth < 0) throw new Error(`DirectModule: branch to '${labels.name(id)}' outside its scope`);
        out.u32(scopeLabel.length - 1 - depth);
        break;
      }
      case REF_OPEN:
        scopeLabel.push(id);
        if (id !== NO_LABEL) {
          scopePrev.push(depthOf[labels.slot(id)]!);
          depthOf[labels.slot(id)] = scopeLabel.length - 1;
        } else scopePrev.push(-1);
        break;
      case REF_CLOSE: {
        const closed = scopeLabel.pop()!;
        const prev = scopePrev.pop()!;
        if (closed !== NO_LABEL) depthOf[labels.slot(closed)] = prev;
        break;
      }
      case REF_FUNC:
        out.u32(names.funcs[id]!);
        break;
      case REF_GLOBAL:
        out.u32(names.globals[id]!);
        break;
      case REF_SIG:
        out.u32(names.sigs[id]!);
        break;
    }
  }
}
