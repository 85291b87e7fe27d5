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
//     writer special-cases it; direct/module.ts never recurses), so tens of thousands of targets
//     nest without deep stacks.
// That fails only when a forward jump enters a loop from before its header: flow that is
// irreducible in program order. The whole subprogram then becomes a dispatch loop: forward
// jumps still `br` to blocks, and only back edges set `pc` and re-enter a `br_table`.

import type { Expr, IrModule, IrTypes } from "./ir.js";

/** How control gets from one block to another. */
export type Edge =
  | { kind: "fall" } // the target is the next block: nothing to emit
  | { kind: "br"; label: string }
  | { kind: "dispatch"; label: string; pc: number }; // pc = target; br label

export interface Plan {
  readonly mode: "structured" | "dispatch";
  edge(from: number, to: number): Edge;
  /** Nest per-block bodies into the scopes; `pcLocal` is the dispatch mode's i32 local. */
  build(m: IrModule, bn: IrTypes, bodies: readonly Expr[][], pcLocal: number): Expr;
}

interface Loop {
  readonly header: number;
  end: number; // last position inside (inclusive)
  parent: Loop | undefined;
}

/** Scopes opened at one position, outermost first. */
interface Scope {
  readonly label: string;
  readonly loop: boolean;
  readonly last: number; // last position inside (inclusive)
}

// Label names are cached so every branch to a block reuses one string (its hash is computed once).
const blockLabels: string[] = [];
const loopLabels: string[] = [];
export const blockLabel = (j: number): string => (blockLabels[j] ??= "b" + j);
export const loopLabel = (h: number): string => (loopLabels[h] ??= "l" + h);
const DISPATCH = "dispatch";

/** Plan the scopes for `count` blocks with the given jump edges (block indices). */
export function planStructure(count: number, edges: ReadonlyArray<readonly [number, number]>): Plan {
  const loops = findLoops(count, edges);
  const loopAt = innermostLoops(count, loops);
  const blockStart = new Map<number, number>(); // forward target j → position its block opens at
  for (const [from, to] of edges) {
    if (to <= from || to === from + 1) continue;
    let scope = loopAt[to];
    while (scope && scope.header > to - 1) scope = scope.parent;
    const start = scope ? scope.header : 0;
    if (from < start) return dispatchPlan(count);
    blockStart.set(to, start);
  }
  return structuredPlan(count, loops, blockStart);
}

/** Loops from back edges, merged so that no two cross. */
function findLoops(count: number, edges: ReadonlyArray<readonly [number, number]>): Loop[] {
  const ends = new Int32Array(count).fill(-1);
  for (const [from, to] of edges) if (to <= from && from > ends[to]!) ends[to] = from;
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
  const at: Array<Loop | undefined> = new Array(count);
  const open: Loop[] = [];
  let next = 0;
  for (let p = 0; p < count; p++) {
    while (open.length && open[open.length - 1]!.end < p) open.pop();
    while (next < loops.length && loops[next]!.header === p) open.push(loops[next++]!);
    at[p] = open[open.length - 1];
  }
  return at;
}

function structuredPlan(count: number, loops: readonly Loop[], blockStart: ReadonlyMap<number, number>): Plan {
  const opening: Array<Scope[] | undefined> = new Array(count);
  const open = (at: number, scope: Scope): void => void (opening[at] ??= []).push(scope);
  for (const loop of loops) open(loop.header, { label: loopLabel(loop.header), loop: true, last: loop.end });
  for (const [target, start] of blockStart) open(start, { label: blockLabel(target), loop: false, last: target - 1 });
  // Outermost first: the scope that covers more; on a tie the block (its end follows the loop's).
  for (const list of opening) if (list && list.length > 1) list.sort((a, b) => b.last - a.last || Number(a.loop) - Number(b.loop));
  return {
    mode: "structured",
    edge: (from, to) =>
      to === from + 1 ? { kind: "fall" } : { kind: "br", label: to > from ? blockLabel(to) : loopLabel(to) },
    build: (m, bn, bodies) => nest(m, bn, count, opening, bodies),
  };
}

/** Build the nested expression with one pass over positions and a stack of open scopes. */
function nest(
  m: IrModule,
  bn: IrTypes,
  count: number,
  opening: ReadonlyArray<Scope[] | undefined>,
  bodies: readonly Expr[][],
): Expr {
  interface Frame {
    scope: Scope | undefined;
    children: Expr[];
  }
  const stack: Frame[] = [{ scope: undefined, children: [] }];
  for (let p = 0; p < count; p++) {
    for (const scope of opening[p] ?? []) stack.push({ scope, children: [] });
    const top = stack[stack.length - 1]!;
    for (const e of bodies[p]!) top.children.push(e);
    while (stack.length > 1 && stack[stack.length - 1]!.scope!.last === p) {
      const { scope, children } = stack.pop()!;
      const body = m.block(scope!.loop ? null : scope!.label, children, bn.none);
      stack[stack.length - 1]!.children.push(scope!.loop ? m.loop(scope!.label, body) : body);
    }
  }
  if (stack.length !== 1) throw new Error(`structure: ${stack.length - 1} scopes left open`);
  return m.block(null, stack[0]!.children, bn.none);
}

/**
 * Irreducible flow: `loop $dispatch (block $bN-1 … (block $b0 (br_table $b0…$bN-1 pc)) body0 …)`.
 * Block k's body follows the end of $b<k>, so a forward jump still branches straight to $b<k>;
 * a back edge stores its target in pc and re-enters the dispatch loop.
 */
function dispatchPlan(count: number): Plan {
  return {
    mode: "dispatch",
    edge: (from, to) =>
      to === from + 1
        ? { kind: "fall" }
        : to > from
          ? { kind: "br", label: blockLabel(to) }
          : { kind: "dispatch", label: DISPATCH, pc: to },
    build: (m, bn, bodies, pcLocal) => {
      const labels = Array.from({ length: count }, (_, k) => blockLabel(k));
      let inner = m.block(labels[0]!, [m.switch(labels, labels[0]!, m.local.get(pcLocal, bn.i32))], bn.none);
      for (let k = 0; k < count; k++) inner = m.block(labels[k + 1] ?? null, [inner, ...bodies[k]!], bn.none);
      return m.loop(DISPATCH, inner);
    },
  };
}
