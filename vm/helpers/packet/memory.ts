// How helpers touch the one memory. The kernel's helpers trust the verifier about their pointer
// arguments; ours also run under the interpreter without a verifier, so every address a helper
// dereferences is checked against the memory (and the null guard) first. A bad one stops the run
// with a BpfRuntimeError naming the helper and the address: never a write outside the memory,
// never a JavaScript RangeError.

import { BpfRuntimeError } from "../../errors.js";
import { NULL_GUARD } from "../../memory/layout.js";

/**
 * Views of a memory's buffer, checked by memOf() at each helper call. Growing a non-shared
 * memory detaches the old buffer (length 0), which is cheaper to test than reading
 * `memory.buffer` every time; a grown shared memory keeps the old, shorter views, so addresses in
 * the new part are refused as outside the memory (a Layout's memory never grows anyway).
 */
export class Mem {
  private buffer: ArrayBufferLike | undefined;
  bytes = new Uint8Array(0);
  view = new DataView(new ArrayBuffer(0));

  constructor(readonly memory: WebAssembly.Memory) {}

  /** Re-create the views if the memory's buffer changed. */
  refresh(): this {
    if (this.bytes.length !== 0) return this;
    const buffer = this.memory.buffer;
    if (buffer !== this.buffer) {
      this.buffer = buffer;
      this.bytes = new Uint8Array(buffer);
      this.view = new DataView(buffer);
    }
    return this;
  }

  get size(): number {
    return this.bytes.length;
  }

  /** True when [addr, addr + len) lies in the usable memory (above the null guard). */
  valid(addr: number, len: number): boolean {
    return Number.isSafeInteger(addr) && addr >= NULL_GUARD && len >= 0 && addr + len <= this.size;
  }

  /** The address in `reg`, checked to cover `len` bytes; a BpfRuntimeError otherwise. */
  span(helper: string, what: string, reg: bigint, len: number): number {
    const addr = reg <= 0xffffffffn ? Number(reg) : -1;
    if (!this.valid(addr, len)) {
      const shown = `0x${BigInt.asUintN(64, reg).toString(16)}`;
      const why = addr >= 0 && addr < NULL_GUARD ? "null pointer" : `outside the memory [0x${NULL_GUARD.toString(16)}, 0x${this.size.toString(16)})`;
      throw new BpfRuntimeError(`${helper}: ${what} ${shown} + ${len} bytes is a ${why}`, addr >= 0 ? { addr } : {});
    }
    return addr;
  }

  u16(addr: number): number {
    return this.view.getUint16(addr, true);
  }

  u32(addr: number): number {
    return this.view.getUint32(addr, true);
  }

  setU16(addr: number, v: number): void {
    this.view.setUint16(addr, v, true);
  }

  setU32(addr: number, v: number): void {
    this.view.setUint32(addr, v >>> 0, true);
  }
}

const cache = new WeakMap<WebAssembly.Memory, Mem>();

/** The Mem of a memory (one per memory, shared by every helper), with fresh views. */
export function memOf(memory: WebAssembly.Memory): Mem {
  let mem = cache.get(memory);
  if (!mem) {
    mem = new Mem(memory);
    cache.set(memory, mem);
  }
  return mem.refresh();
}

/** A helper's u32 argument (the kernel's `u32` parameter: the low 32 bits of the register). */
export const u32 = (reg: bigint): number => Number(reg & 0xffffffffn);
/** A helper's `int` argument: the low 32 bits, signed. */
export const s32 = (reg: bigint): number => Number(BigInt.asIntN(32, reg));
