// Keys and values cross between JavaScript and the memory as bytes, little-endian like the
// machines eBPF runs on. User code may give a Uint8Array of exactly the right size, a number
// (for 1-, 2-, 4- and 8-byte fields, within the safe integer range) or a bigint (any size,
// two's complement for negatives); a wrong size is refused with a BpfError naming the map,
// the field, the expected and the given size.

import { BpfError } from "../errors.js";

export type MapBytes = Uint8Array | bigint | number;

/** Views of the one memory. The Layout's memory never grows, so the views stay valid. */
export class MemoryView {
  readonly u8: Uint8Array;
  readonly dv: DataView;

  constructor(readonly memory: WebAssembly.Memory) {
    this.u8 = new Uint8Array(memory.buffer);
    this.dv = new DataView(memory.buffer);
  }

  read(addr: number, size: number): Uint8Array {
    return this.u8.slice(addr, addr + size);
  }
}

const describe = (input: MapBytes): string =>
  input instanceof Uint8Array ? `a Uint8Array of ${input.length} bytes` : `${typeof input} ${input}`;

/** Write `input` as `size` bytes at `addr`; `what` is e.g. "map 'flows': key". */
export function writeBytes(view: MemoryView, addr: number, input: MapBytes, size: number, what: string): void {
  if (input instanceof Uint8Array) {
    if (input.length !== size) {
      throw new BpfError(`${what} must be ${size} bytes, got ${describe(input)}`);
    }
    view.u8.set(input, addr);
    return;
  }
  if (typeof input === "number") {
    writeNumber(view.dv, addr, input, size, what);
    return;
  }
  if (typeof input === "bigint") {
    writeBigInt(view, addr, input, size, what);
    return;
  }
  throw new BpfError(`${what} must be a Uint8Array, number or bigint, got ${typeof input}`);
}

/** [lowest, highest] number a field of 1, 2 or 4 bytes accepts (signed or unsigned). */
const NUMBER_RANGE: Readonly<Record<number, readonly [number, number]>> = {
  1: [-0x80, 0xff],
  2: [-0x8000, 0xffff],
  4: [-0x80000000, 0xffffffff],
};

function writeNumber(dv: DataView, addr: number, n: number, size: number, what: string): void {
  if (!Number.isSafeInteger(n)) throw new BpfError(`${what} must be an integer, got ${n}`);
  if (size === 8) {
    dv.setBigUint64(addr, BigInt.asUintN(64, BigInt(n)), true);
    return;
  }
  const range = NUMBER_RANGE[size];
  if (!range) throw new BpfError(`${what} is ${size} bytes: give a Uint8Array of ${size} bytes or a bigint, not the number ${n}`);
  if (n < range[0] || n > range[1]) throw new BpfError(`${what} is ${size} bytes: the number ${n} does not fit`);
  if (size === 4) dv.setUint32(addr, n >>> 0, true);
  else if (size === 2) dv.setUint16(addr, n & 0xffff, true);
  else dv.setUint8(addr, n & 0xff);
}

/** A bigint fits `size` bytes when it is a valid unsigned or signed value of that width. */
function bigIntFits(v: bigint, bits: number): boolean {
  return BigInt.asUintN(bits, v) === v || BigInt.asIntN(bits, v) === v;
}

function writeBigInt(view: MemoryView, addr: number, v: bigint, size: number, what: string): void {
  if (!bigIntFits(v, size * 8)) throw new BpfError(`${what} is ${size} bytes: the bigint ${v} does not fit`);
  if (size === 8) {
    view.dv.setBigUint64(addr, BigInt.asUintN(64, v), true);
    return;
  }
  const u8 = view.u8;
  let u = BigInt.asUintN(size * 8, v);
  for (let i = 0; i < size; i++) {
    u8[addr + i] = Number(u & 0xffn);
    u >>= 8n;
  }
}

/** Little-endian unsigned value of `bytes` as a bigint. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

/** Little-endian unsigned value of up to 6 bytes as a number. */
export function bytesToNumber(bytes: Uint8Array): number {
  if (bytes.length > 6) throw new BpfError(`${bytes.length} bytes do not fit a number exactly: use bytesToBigInt`);
  let v = 0;
  for (let i = bytes.length - 1; i >= 0; i--) v = v * 256 + bytes[i]!;
  return v;
}
