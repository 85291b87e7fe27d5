// Hand-built capture bytes for the reader tests, written field by field so the tests do not
// depend on the writers they also check.

export class Bytes {
  private parts: number[] = [];
  constructor(private readonly little = true) {}

  u8(...vs: number[]): this {
    for (const v of vs) this.parts.push(v & 0xff);
    return this;
  }

  u16(v: number): this {
    return this.little ? this.u8(v, v >> 8) : this.u8(v >> 8, v);
  }

  u32(v: number): this {
    const b = [v >>> 24, v >>> 16, v >>> 8, v];
    return this.u8(...(this.little ? b.reverse() : b));
  }

  u64(v: bigint): this {
    const lo = Number(v & 0xffffffffn);
    const hi = Number((v >> 32n) & 0xffffffffn);
    return this.little ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }

  raw(data: ArrayLike<number>): this {
    for (let i = 0; i < data.length; i++) this.parts.push(data[i]! & 0xff);
    return this;
  }

  pad4(): this {
    while (this.parts.length % 4) this.parts.push(0);
    return this;
  }

  get length(): number {
    return this.parts.length;
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export const concat = (...chunks: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
};

export function pcapHeader(o: { little?: boolean; magic?: number; major?: number; minor?: number; snaplen?: number; linkType?: number } = {}): Uint8Array {
  return new Bytes(o.little ?? true)
    .u32(o.magic ?? 0xa1b2c3d4)
    .u16(o.major ?? 2)
    .u16(o.minor ?? 4)
    .u32(0)
    .u32(0)
    .u32(o.snaplen ?? 65535)
    .u32(o.linkType ?? 1)
    .bytes();
}

export function pcapRecord(o: { little?: boolean; sec?: number; frac?: number; caplen?: number; len?: number; data: ArrayLike<number> }): Uint8Array {
  return new Bytes(o.little ?? true)
    .u32(o.sec ?? 0)
    .u32(o.frac ?? 0)
    .u32(o.caplen ?? o.data.length)
    .u32(o.len ?? o.data.length)
    .raw(o.data)
    .bytes();
}

/** A pcapng block with correct (or overridden) leading and trailing lengths. */
export function block(type: number, body: Uint8Array, o: { little?: boolean; total?: number; trailing?: number } = {}): Uint8Array {
  const padded = new Uint8Array(Math.ceil(body.length / 4) * 4);
  padded.set(body);
  const total = padded.length + 12;
  return new Bytes(o.little ?? true)
    .u32(type)
    .u32(o.total ?? total)
    .raw(padded)
    .u32(o.trailing ?? o.total ?? total)
    .bytes();
}

export function shb(o: { little?: boolean; major?: number; minor?: number; options?: Uint8Array } = {}): Uint8Array {
  const little = o.little ?? true;
  const body = new Bytes(little)
    .u32(0x1a2b3c4d)
    .u16(o.major ?? 1)
    .u16(o.minor ?? 0)
    .u64(-1n & 0xffffffffffffffffn)
    .raw(o.options ?? [])
    .bytes();
  return block(0x0a0d0d0a, body, { little });
}

export function option(code: number, value: ArrayLike<number>, little = true): Uint8Array {
  return new Bytes(little).u16(code).u16(value.length).raw(value).pad4().bytes();
}

export const endOfOptions = (little = true): Uint8Array => new Bytes(little).u32(0).bytes();

export function idb(o: { little?: boolean; linkType?: number; snaplen?: number; options?: Uint8Array } = {}): Uint8Array {
  const little = o.little ?? true;
  const body = new Bytes(little)
    .u16(o.linkType ?? 1)
    .u16(0)
    .u32(o.snaplen ?? 0)
    .raw(o.options ?? [])
    .bytes();
  return block(1, body, { little });
}

export function epb(o: { little?: boolean; iface?: number; ts?: bigint; caplen?: number; len?: number; data: ArrayLike<number>; options?: Uint8Array }): Uint8Array {
  const little = o.little ?? true;
  const ts = o.ts ?? 0n;
  const body = new Bytes(little)
    .u32(o.iface ?? 0)
    .u32(Number(ts >> 32n))
    .u32(Number(ts & 0xffffffffn))
    .u32(o.caplen ?? o.data.length)
    .u32(o.len ?? o.data.length)
    .raw(o.data)
    .pad4()
    .raw(o.options ?? [])
    .bytes();
  return block(6, body, { little });
}

export function spb(o: { little?: boolean; len: number; data: ArrayLike<number> }): Uint8Array {
  return block(3, new Bytes(o.little ?? true).u32(o.len).raw(o.data).bytes(), { little: o.little });
}

export const seq = (n: number, start = 0): number[] => Array.from({ length: n }, (_, i) => (start + i) & 0xff);
