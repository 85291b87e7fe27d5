// A growable byte buffer for the wasm binary's sections, with the unsigned LEB128 encoding of
// indices and sizes (WebAssembly core spec §5.2.2). Expression bytes are built in the direct
// builder's arena (arena.ts) and copied here by the writer (writer.ts).

export class ByteSink {
  private buf = new Uint8Array(1024);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.length++] = b;
  }

  bytes(bs: ArrayLike<number>): void {
    this.room(bs.length);
    this.buf.set(bs, this.length);
    this.length += bs.length;
  }

  u32(v: number): void {
    this.room(5);
    let x = v >>> 0;
    do {
      const b = x & 0x7f;
      x >>>= 7;
      this.buf[this.length++] = x === 0 ? b : b | 0x80;
    } while (x !== 0);
  }

  name(s: string): void {
    const utf8 = new TextEncoder().encode(s);
    this.u32(utf8.length);
    this.bytes(utf8);
  }

  /** Append another sink's bytes preceded by their length (sections, function bodies). */
  sized(other: ByteSink): void {
    this.u32(other.length);
    this.bytes(other.view());
  }

  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
