// The direct builder's writer (../writer.ts drives it), in AssemblyScript: one expression of the
// arena (../arena.ts) written out as wasm code — the node's bytes copied, its holes filled: a
// child written in place, a label as its relative depth (core spec §3.3.8.6: the innermost
// enclosing scope is 0), a function, global or signature name as its index, a mark recorded as
// the output offset where an eBPF instruction's code starts (the source map), a run of templated
// instructions filled in (../../wasm/template.ts: their code with the placeholders replaced by
// the instruction's fields).
//
// Why wasm: this loop runs once per hole and the template fill once per byte of most eBPF
// instructions, and a program's first compile runs them before V8 has optimised any JavaScript;
// as wasm they run at Liftoff speed from the first call, 5–10× faster than the same loops as
// baseline JavaScript.
//
// The caller lays out every array in this module's memory and passes their addresses; nothing
// here allocates. An explicit stack, never recursion, so scopes nested tens of thousands deep
// cost nothing special. The arena's layout constants are exported so the caller can check they
// are its own.

// ---- the arena's layout (../arena.ts) ----
export const FIELDS: i32 = 6;
export const B0: i32 = 0;
export const B1: i32 = 1;
export const H0: i32 = 2;
export const H1: i32 = 3;
export const INSN: i32 = 5;
export const ID_MASK: i32 = 0xffffff;
export const NO_LABEL: i32 = ID_MASK;
export const REF_LABEL: i32 = 1 << 24;
export const REF_OPEN: i32 = 2 << 24;
export const REF_CLOSE: i32 = 3 << 24;
export const REF_FUNC: i32 = 4 << 24;
export const REF_GLOBAL: i32 = 5 << 24;
export const REF_SIG: i32 = 6 << 24;
export const REF_MARK: i32 = 7 << 24;
export const REF_RUN: i32 = 8 << 24;
/** A template instance: template id, dst local, src local, imm, off, instruction (-1: no mark). */
export const INSTANCE_FIELDS: i32 = 6;
/** Label ids from here on are numbered after the arithmetic ones (../labels.ts). */
export const OTHER_LABELS: i32 = 1 << 22;

// ---- the templates' placeholders (../../wasm/template.ts Hole) ----
export const HOLE_DST: i32 = 0x100;
export const HOLE_SRC: i32 = 0x101;
export const HOLE_IMM: i32 = 0x102;
export const HOLE_OFF: i32 = 0x103;
export const HOLE_NEG_OFF: i32 = 0x104;
export const HOLE_LABEL: i32 = 0x105;

// ---- template runs: the arena's instances and runs, and the registry (set by templates()) ----
let instances: usize = 0;
let runs: usize = 0;
let templateIndex: usize = 0; // per template id: start and length in templateCodes
let templateCodes: usize = 0; // i16: bytes and placeholders
let templateBounds: usize = 0; // per template id: its longest filling

/** Where the template instances, runs and registry are, for the writes that follow. */
export function templates(instanceAt: usize, runAt: usize, indexAt: usize, codesAt: usize, boundsAt: usize): void {
  instances = instanceAt;
  runs = runAt;
  templateIndex = indexAt;
  templateCodes = codesAt;
  templateBounds = boundsAt;
}

// ---- the labels' depths during a write (set by write()) ----
let depthOf: usize = 0; // per label slot: the depth its scope opened at, -1 when not open
let arithmeticSlots: i32 = 0;

// ---- results besides the output length ----
let markCount: i32 = 0;
let failedLabel: i32 = -1;

/** Marks written by the last write(). */
export function marks(): i32 {
  return markCount;
}

/** The label a branch of the last write() could not reach (write returned -1). */
export function failedLabelId(): i32 {
  return failedLabel;
}

@inline function i32At(base: usize, index: i32): i32 {
  return load<i32>(base + (<usize>index << 2));
}

@inline function setI32(base: usize, index: i32, value: i32): void {
  store<i32>(base + (<usize>index << 2), value);
}

/** write() results besides a length. */
export const BAD_LABEL: i32 = -1;
export const NO_ROOM: i32 = -2;

/**
 * Write expression `root` at `out` (up to outEnd); returns the bytes written, BAD_LABEL for a
 * branch to a label outside its scope (failedLabelId()), or NO_ROOM when out or the marks are
 * too small (a node used twice is written twice, so the arena's size does not bound them).
 * Arrays (i32 unless said): nodes (FIELDS per node), bytes (u8), holePos, holeRef, funcs /
 * globals / sigs (index by interned id), depthOf (`slots` entries, scratch), scopes (2 per open
 * scope, scratch), stack (4 per nesting level: a node is never inside itself, so at most 4 per
 * node, scratch), markAt (2 per mark: offset, instruction; 0 = no marks wanted; room for
 * marksCap).
 */
export function write(
  root: i32, nodes: usize, bytes: usize, holePos: usize, holeRef: usize,
  funcs: usize, globals: usize, sigs: usize, depths: usize, slots: i32, arithmetic: i32,
  scopes: usize, stack: usize, out: usize, outEnd: usize, markAt: usize, marksCap: i32,
): i32 {
  depthOf = depths;
  arithmeticSlots = arithmetic;
  memory.fill(depthOf, 0xff, <usize>slots << 2); // every label: no open scope (-1)
  markCount = 0;
  failedLabel = -1;
  let depth = 0; // open scopes
  let len: usize = out;
  let sp = 4;
  let o = root * FIELDS;
  setI32(stack, 0, i32At(nodes, o + B0));
  setI32(stack, 1, i32At(nodes, o + H0));
  setI32(stack, 2, i32At(nodes, o + B1));
  setI32(stack, 3, i32At(nodes, o + H1));
  while (sp > 0) {
    const top = sp - 4;
    const at = i32At(stack, top);
    const h = i32At(stack, top + 1);
    const last = h == i32At(stack, top + 3);
    // The bytes up to the next hole, or to the node's end.
    const to = last ? i32At(stack, top + 2) : i32At(holePos, h);
    if (len + <usize>(to - at) + 5 > outEnd || markCount + 1 > marksCap) return NO_ROOM; // 5: a LEB after them
    // Most runs between holes are a few bytes: a loop beats memory.copy's call into the engine.
    const n = <usize>(to - at);
    if (n < 16) {
      for (let k: usize = 0; k < n; k++) store<u8>(len + k, load<u8>(bytes + <usize>at + k));
    } else memory.copy(len, bytes + <usize>at, n);
    len += n;
    if (last) {
      sp = top;
      continue;
    }
    setI32(stack, top, to);
    setI32(stack, top + 1, h + 1);
    const ref = i32At(holeRef, h);
    if (ref < 0) {
      // A child: written here, in place.
      o = (-ref - 1) * FIELDS;
      const insn = i32At(nodes, o + INSN);
      if (markAt != 0 && insn >= 0) addMark(markAt, <i32>(len - out), insn);
      setI32(stack, sp, i32At(nodes, o + B0));
      setI32(stack, sp + 1, i32At(nodes, o + H0));
      setI32(stack, sp + 2, i32At(nodes, o + B1));
      setI32(stack, sp + 3, i32At(nodes, o + H1));
      sp += 4;
      continue;
    }
    const id = ref & ID_MASK;
    const kind = ref & ~ID_MASK;
    let index = -1;
    if (kind == REF_LABEL) {
      index = labelDepth(id, depth);
      if (index < 0) return BAD_LABEL;
    } else if (kind == REF_OPEN) {
      // Remember the label's previous scope (a label may be reopened after it closed).
      setI32(scopes, depth * 2, id);
      if (id != NO_LABEL) {
        const slot = slotOf(id);
        setI32(scopes, depth * 2 + 1, i32At(depthOf, slot));
        setI32(depthOf, slot, depth);
      }
      depth++;
    } else if (kind == REF_CLOSE) {
      depth--;
      const closed = i32At(scopes, depth * 2);
      if (closed != NO_LABEL) setI32(depthOf, slotOf(closed), i32At(scopes, depth * 2 + 1));
    } else if (kind == REF_FUNC) index = i32At(funcs, id);
    else if (kind == REF_GLOBAL) index = i32At(globals, id);
    else if (kind == REF_SIG) index = i32At(sigs, id);
    else if (kind == REF_MARK) {
      if (markAt != 0) addMark(markAt, <i32>(len - out), id);
    } else if (kind == REF_RUN) {
      const end = i32At(runs, id * 2 + 1);
      for (let k = i32At(runs, id * 2); k < end; k++) {
        const o = k * INSTANCE_FIELDS;
        const template = i32At(instances, o);
        if (len + <usize>i32At(templateBounds, template) > outEnd || markCount + 1 > marksCap) return NO_ROOM;
        const insn = i32At(instances, o + 5);
        if (markAt != 0 && insn >= 0) addMark(markAt, <i32>(len - out), insn);
        len = fill(len, template, i32At(instances, o + 1), i32At(instances, o + 2), i32At(instances, o + 3), i32At(instances, o + 4), depth);
        if (len == 0) return BAD_LABEL;
      }
    }
    if (index >= 0) len = unsignedLeb(len, <u32>index);
  }
  return <i32>(len - out);
}

/** Label id → its slot in depthOf (../labels.ts Labels.slot). */
@inline function slotOf(id: i32): i32 {
  return id < OTHER_LABELS ? id : arithmeticSlots + id - OTHER_LABELS;
}

@inline function addMark(markAt: usize, offset: i32, insn: i32): void {
  setI32(markAt, markCount * 2, offset);
  setI32(markAt, markCount * 2 + 1, insn);
  markCount++;
}

/** The relative depth of label `id` with `depth` scopes open, or -1 (failedLabel) when it is not open. */
function labelDepth(id: i32, depth: i32): i32 {
  const open = i32At(depthOf, slotOf(id));
  if (open < 0) {
    failedLabel = id;
    return -1;
  }
  return depth - 1 - open;
}

/**
 * Template `template` at p, its placeholders replaced by the fields (off: a label id for
 * Hole.LABEL), with `depth` scopes open; returns the next free address, 0 for a label not open.
 */
function fill(p: usize, template: i32, dst: i32, src: i32, imm: i32, off: i32, depth: i32): usize {
  const code = templateCodes + (<usize>i32At(templateIndex, template * 2) << 1);
  const n = <usize>i32At(templateIndex, template * 2 + 1);
  for (let k: usize = 0; k < n; k++) {
    const c = <i32>load<i16>(code + (k << 1));
    if (c < 0x100) store<u8>(p++, <u8>c);
    else if (c == HOLE_DST) p = unsignedLeb(p, <u32>dst);
    else if (c == HOLE_SRC) p = unsignedLeb(p, <u32>src);
    else if (c == HOLE_IMM) p = signedLeb(p, imm);
    else if (c == HOLE_OFF) p = unsignedLeb(p, <u32>off);
    else if (c == HOLE_NEG_OFF) p = signedLeb(p, off);
    else {
      const label = labelDepth(off, depth);
      if (label < 0) return 0;
      p = unsignedLeb(p, <u32>label);
    }
  }
  return p;
}

/** Signed LEB128 of an int32 (core spec §5.2.2) at p; returns the next free address. */
function signedLeb(p: usize, value: i32): usize {
  let x = value;
  let byte = x & 0x7f;
  x >>= 7;
  while (!((x == 0 && (byte & 0x40) == 0) || (x == -1 && (byte & 0x40) != 0))) {
    store<u8>(p++, <u8>(byte | 0x80));
    byte = x & 0x7f;
    x >>= 7;
  }
  store<u8>(p++, <u8>byte);
  return p;
}

/** Unsigned LEB128 (core spec §5.2.2) at p; returns the next free address. */
function unsignedLeb(p: usize, value: u32): usize {
  let x = value;
  while (x >= 0x80) {
    store<u8>(p++, <u8>(x & 0x7f) | 0x80);
    x >>= 7;
  }
  store<u8>(p++, <u8>x);
  return p;
}
