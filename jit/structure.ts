// Structured lowering of one subprogram's control flow to wasm `block`/`loop`/`br` (issue 3,
// item 2). Binaryen's Relooper took 573 ms on a 10k-instruction program and grows about
// quadratically; this is linear in practice because it keeps the program's own block order and
// only decides where scopes open and close.
//
// Positions are basic blocks in program order. A jump from block i to block j is
//   forward (j > i):  `br $b<j>` to a wasm `block` that ends just before j;
//   backward (j <= i): `br $l<j>` to a wasm `loop` that starts at j and covers i.
// For the scopes to nest:
//   - a loop spans from its header to its last back-edge source; loops that cross are merged
//     by extending the earlier one's end (a loop's end may always move later);
//   - a forward block opens at the start of the innermost loop that holds both j-1 and j (or at
//     the function start), so all blocks of one scope open together, each the first child of
//     the one around it — a chain both builders write without recursion (Binaryen's binary
//     writer special-cases it; direct/writer.ts never recurses), so tens of thousands of targets
//     nest without deep stacks.
// That fails only when a forward jump enters a loop from before its header: flow that is
// irreducible in program order. The whole subprogram then becomes a dispatch loop: forward
// jumps still `br` to blocks, and only back edges set `pc` and re-enter a `br_table`.

import type { Expr, IrModule, IrTypes, Sequence } from "./ir.js";

/** How control gets from one block to another. */
export type Edge =
  | { kind: "fall" } // the target is the next block: nothing to emit
  | { kind: "br"; label: string }
  | { kind: "dispatch"; label: string; pc: number }; // pc = target; br label

/**
 * The code of every block, in order: block k is exprs[starts[k]] up to exprs[starts[k + 1]]
 * (excluded). Unsigned: Binaryen's expression references are addresses in its wasm memory.
 */
export interface BlockCode {
  readonly exprs: Uint32Array;
  readonly starts: Int32Array;
  /**
   * Code that runs first in each iteration of the loop of blocks header..last (the instruction
   * budget, lower/context.ts charge()), if any. The dispatch loop spans every block.
   */
  readonly loopHead?: (header: number, last: number) => Expr | undefined;
}

export interface Plan {
  readonly mode: "structured" | "dispatch";
  /** Whether the code has loops (back edges). */
  readonly loops: boolean;
  edge(from: number, to: number): Edge;
  /** Nest the blocks' code into the scopes; `pcLocal` is the dispatch mode's i32 local. */
  build(m: IrModule, bn: IrTypes, code: BlockCode, pcLocal: number): Expr;
}

interface Loop {
  readonly header: number;
  end: number; // last position inside (inclusive)
  parent: Loop | undefined;
}

// Label names are cached so every branch to a block reuses one string (its hash is computed once).
const blockLabels: string[] = [];
const loopLabels: string[] = [];
export const blockLabel = (j: number): string => (blockLabels[j] ??= "b" + j);
export const loopLabel = (h: number): string => (loopLabels[h] ??= "l" + h);
const DISPATCH = "dispatch";

/** Plan the scopes for `count` blocks; `jumps[k]`: the block block k jumps to (-1: none). */
export function planStructure(count: number, jumps: Int32Array): Plan {
  const loops = findLoops(count, jumps);
  const loopAt = innermostLoops(count, loops);
  const blockStart = new Int32Array(count + 1).fill(-1); // forward target j → position its block opens at
  for (let from = 0; from < count; from++) {
    const to = jumps[from]!;
    if (to <= from || to === from + 1) continue;
    let scope = loopAt[to];
    while (scope && scope.header > to - 1) scope = scope.parent;
    const start = scope ? scope.header : 0;
    if (from < start) return dispatchPlan(count);
    blockStart[to] = start;
  }
  return structuredPlan(count, loops, blockStart);
}

/** Loops from back edges, merged so that no two cross. */
function findLoops(count: number, jumps: Int32Array): Loop[] {
  const ends = new Int32Array(count).fill(-1);
  for (let from = 0; from < count; from++) {
    const to = jumps[from]!;
    if (to >= 0 && to <= from && from > ends[to]!) ends[to] = from;
  }
  const loops: Loop[] = [];
  const open: Loop[] = [];
  for (let h = 0; h < count; h++) {
    if (ends[h]! < 0) continue;
    while (open.length && open[open.length - 1]!.end < h) open.pop();
    const loop: Loop = { header: h, end: ends[h]!, parent: open[open.length - 1] };
    // An enclosing loop that ends before this one would cross it: extend it (and its parents).
    for (let k = open.length - 1; k >= 0 && open[k]!.end < loop.end; k--) open[k]!.end = loop.end;
    open.push(loop);
    loops.push(loop);
  }
  return loops;
}

/** For each position, the innermost loop holding it. */
function innermostLoops(count: number, loops: readonly Loop[]): Array<Loop | undefined> {
  const at = slots<Loop>(count);
  const open: Loop[] = [];
  let next = 0;
  for (let p = 0; p < count; p++) {
    while (open.length && open[open.length - 1]!.end < p) open.pop();
    while (next < loops.length && loops[next]!.header === p) open.push(loops[next++]!);
    at[p] = open[open.length - 1];
  }
  return at;
}

/**
 * Scopes (a block ending before forward target j, or a loop with header h) as linked lists per
 * position where they open, outermost first, in typed arrays: no object per scope.
 */
class Scopes {
  readonly head: Int32Array; // position → first scope opening there (-1: none)
  private readonly tail: Int32Array;
  next: Int32Array; // scope → next scope opening at the same position
  last: Int32Array; // scope → last position inside (inclusive)
  at: Int32Array; // scope → target j (block) or header h (loop)
  loop: Uint8Array;
  count = 0;

  constructor(positions: number, expected: number) {
    this.head = new Int32Array(positions).fill(-1);
    this.tail = new Int32Array(positions).fill(-1);
    this.next = new Int32Array(expected);
    this.last = new Int32Array(expected);
    this.at = new Int32Array(expected);
    this.loop = new Uint8Array(expected);
  }

  /** Append a scope to the list of position `p`. */
  open(p: number, loop: boolean, at: number, last: number): void {
    const s = this.count++;
    this.next[s] = -1;
    this.last[s] = last;
    this.at[s] = at;
    this.loop[s] = loop ? 1 : 0;
    if (this.tail[p]! < 0) this.head[p] = s;
    else this.next[this.tail[p]!] = s;
    this.tail[p] = s;
  }

  label(s: number): string {
    return this.loop[s] ? loopLabel(this.at[s]!) : blockLabel(this.at[s]!);
  }
}

function structuredPlan(count: number, loops: readonly Loop[], blockStart: Int32Array): Plan {
  let blocks = 0;
  for (let j = 0; j <= count; j++) if (blockStart[j]! >= 0) blocks++;
  const scopes = new Scopes(count, blocks + loops.length);
  // Loops by their last position (linked lists, like the scopes).
  const endHead = new Int32Array(count).fill(-1);
  const endNext = new Int32Array(loops.length);
  loops.forEach((loop, k) => {
    endNext[k] = endHead[loop.end]!;
    endHead[loop.end] = k;
  });
  // Outermost first at each position: the scope that covers more; on a tie the block (its end
  // follows the loop's). Visiting scopes by their last position, from the end, appends them in
  // that order (a bucket order: no comparison sort).
  for (let last = count - 1; last >= 0; last--) {
    const start = blockStart[last + 1]!;
    if (start >= 0) scopes.open(start, false, last + 1, last);
    for (let k = endHead[last]!; k >= 0; k = endNext[k]!) scopes.open(loops[k]!.header, true, loops[k]!.header, last);
  }
  return {
    mode: "structured",
    loops: loops.length > 0,
    edge: (from, to) => (to === from + 1 ? FALL : to > from ? toBlock(to) : toLoop(to)),
    build: (m, bn, code) => {
      const heads = loopHeads(scopes, code.loopHead); // before the sequence: a builder writes it as one node
      return nest(m.sequence?.() ?? treeSequence(m, bn), count, scopes, code, heads);
    },
  };
}

// Edges are cached like the labels: plans hand them out per jump without allocating.
const FALL: Edge = { kind: "fall" };
const blockEdges: Edge[] = [];
const loopEdges: Edge[] = [];
const toBlock = (j: number): Edge => (blockEdges[j] ??= { kind: "br", label: blockLabel(j) });
const toLoop = (h: number): Edge => (loopEdges[h] ??= { kind: "br", label: loopLabel(h) });

/** The blocks' code in their scopes: one pass over positions with a stack of open scopes. */
function nest(seq: Sequence, count: number, scopes: Scopes, { exprs, starts }: BlockCode, heads: ReadonlyMap<number, Expr>): Expr {
  const open = new Int32Array(scopes.count); // scope ids, innermost last
  let depth = 0;
  for (let p = 0; p < count; p++) {
    for (let s = scopes.head[p]!; s >= 0; s = scopes.next[s]!) {
      open[depth++] = s;
      seq.open(scopes.loop[s] === 1, scopes.label(s));
      const head = heads.get(s);
      if (head !== undefined) seq.add(head);
    }
    for (let k = starts[p]!; k < starts[p + 1]!; k++) seq.add(exprs[k]!);
    while (depth > 0 && scopes.last[open[depth - 1]!] === p) {
      depth--;
      seq.close();
    }
  }
  if (depth !== 0) throw new Error(`structure: ${depth} scopes left open`);
  return seq.end();
}

/** Each loop scope's BlockCode.loopHead code, if any. */
function loopHeads(scopes: Scopes, loopHead: BlockCode["loopHead"]): Map<number, Expr> {
  const heads = new Map<number, Expr>();
  if (!loopHead) return heads;
  for (let s = 0; s < scopes.count; s++) {
    const head = scopes.loop[s] ? loopHead(scopes.at[s]!, scopes.last[s]!) : undefined;
    if (head !== undefined) heads.set(s, head);
  }
  return heads;
}

/** A sequence as nested expressions, for builders without one of their own: a block or loop per scope. */
function treeSequence(m: IrModule, bn: IrTypes): Sequence {
  const children: Expr[][] = [[]]; // children[k + 1]: what the k-th open scope holds so far
  const open: Array<{ loop: boolean; label: string }> = [];
  return {
    open: (loop, label) => {
      open.push({ loop, label });
      children.push([]);
    },
    add: (e) => children[children.length - 1]!.push(e),
    close: () => {
      const { loop, label } = open.pop()!;
      const inner = m.block(loop ? null : label, children.pop()!, bn.none);
      children[children.length - 1]!.push(loop ? m.loop(label, inner) : inner);
    },
    end: () => m.block(null, children[0]!, bn.none),
  };
}

/**
 * Irreducible flow: `loop $dispatch (block $bN-1 … (block $b0 (br_table $b0…$bN-1 pc)) body0 …)`.
 * Block k's body follows the end of $b<k>, so a forward jump still branches straight to $b<k>;
 * a back edge stores its target in pc and re-enters the dispatch loop.
 */
function dispatchPlan(count: number): Plan {
  return {
    mode: "dispatch",
    loops: true,
    edge: (from, to) =>
      to === from + 1
        ? FALL
        : to > from
          ? toBlock(to)
          : { kind: "dispatch", label: DISPATCH, pc: to },
    build: (m, bn, { exprs, starts, loopHead }, pcLocal) => {
      const labels = Array.from({ length: count }, (_, k) => blockLabel(k));
      let inner = m.block(labels[0]!, [m.switch(labels, labels[0]!, m.local.get(pcLocal, bn.i32))], bn.none);
      for (let k = 0; k < count; k++) {
        const children = [inner, ...exprs.subarray(starts[k]!, starts[k + 1]!)];
        inner = m.block(labels[k + 1] ?? null, children, bn.none);
      }
      const head = loopHead?.(0, count - 1);
      return m.loop(DISPATCH, head === undefined ? inner : m.block(null, [head, inner], bn.none));
    },
  };
}

/** `count` empty slots, with fast elements (`new Array(n)` of a large n starts as a dictionary). */
function slots<T>(count: number): Array<T | undefined> {
  const out: Array<T | undefined> = [];
  for (let k = 0; k < count; k++) out.push(undefined);
  return out;
}
