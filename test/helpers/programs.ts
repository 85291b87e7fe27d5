// The test programs that run both here and in the kernel, in the assembler's syntax
// (vm/asm/README.md). They take their arguments from the packet, so one program covers many
// cases with one BPF_PROG_TEST_RUN each. Every one of them passes the kernel's verifier; the
// verifier test checks that ours accepts them too with the packet helpers' signatures.

/** adjust_meta(+0), adjust_head(+4), adjust_tail(+8) with offsets from the packet; r0 packs the
 * low byte of each result (meta | head << 8 | tail << 16); then data[0] = 0xab if there is room. */
export const ADJUST_ALL = `
  mov %r6, %r1
  ldxw %r2, [%r6+0]
  ldxw %r3, [%r6+4]
  mov %r4, %r2
  add %r4, 12
  jgt %r4, %r3, short
  ldxw %r7, [%r2+0]
  ldxw %r8, [%r2+4]
  ldxw %r9, [%r2+8]
  mov %r1, %r6
  mov %r2, %r7
  call 54
  and %r0, 0xff
  stxw [%r10-4], %r0
  mov %r1, %r6
  mov %r2, %r8
  call 44
  and %r0, 0xff
  lsh %r0, 8
  ldxw %r1, [%r10-4]
  or %r0, %r1
  stxw [%r10-4], %r0
  mov %r1, %r6
  mov %r2, %r9
  call 65
  and %r0, 0xff
  lsh %r0, 16
  ldxw %r1, [%r10-4]
  or %r0, %r1
  ldxw %r2, [%r6+0]
  ldxw %r3, [%r6+4]
  mov %r4, %r2
  add %r4, 1
  jgt %r4, %r3, done
  stb [%r2+0], 0xab
done:
  exit
short:
  mov %r0, 0xffffff
  exit
`;

/** csum_diff over packet bytes: sizes (& 63) at +0/+1, start offsets (& 3) at +2/+3, seed at +8. */
export const CSUM_DIFF = `
  ldxw %r2, [%r1+0]
  ldxw %r3, [%r1+4]
  mov %r4, %r2
  add %r4, 16
  jgt %r4, %r3, short
  ldxb %r7, [%r2+0]
  and %r7, 63
  ldxb %r8, [%r2+1]
  and %r8, 63
  ldxb %r9, [%r2+2]
  and %r9, 3
  ldxb %r0, [%r2+3]
  and %r0, 3
  ldxdw %r5, [%r2+8]
  mov %r1, %r2
  add %r1, 16
  add %r1, %r9
  mov %r4, %r1
  add %r4, 63
  jgt %r4, %r3, short
  mov %r9, %r2
  add %r9, 60
  add %r9, %r0
  mov %r4, %r9
  add %r4, 63
  jgt %r4, %r3, short
  mov %r2, %r7
  mov %r3, %r9
  mov %r4, %r8
  call 28
  exit
short:
  mov %r0, 0xdead
  exit
`;

/** l3 or l4_csum_replace with offset (+0, u32), from (+8), to (+16), flags (+24) from the packet. */
export const CSUM_REPLACE = (id: number) => `
  mov %r6, %r1
  ldxw %r2, [%r6+76]
  ldxw %r3, [%r6+80]
  mov %r4, %r2
  add %r4, 32
  jgt %r4, %r3, short
  ldxw %r7, [%r2+0]
  ldxdw %r8, [%r2+8]
  ldxdw %r9, [%r2+16]
  ldxdw %r5, [%r2+24]
  mov %r1, %r6
  mov %r2, %r7
  mov %r3, %r8
  mov %r4, %r9
  call ${id}
  exit
short:
  mov %r0, 0xdead
  exit
`;

/** Where a context keeps its packet pointers, and which bytes-load helper it calls. */
export interface LoadBytesCtx {
  readonly data: number;
  readonly dataEnd: number;
  readonly helper: number;
  /** Packet bytes checked before the packet's u32 offset is read (r0 = 0xdead when shorter). */
  readonly first: number;
}

/** __sk_buff data / data_end and bpf_skb_load_bytes; 48 bytes checked up front. */
export const SKB_LOAD: LoadBytesCtx = { data: 76, dataEnd: 80, helper: 26, first: 48 };

/**
 * Fill 40 stack bytes with 0x77, load `len` bytes at the packet's u32 at +0 into r10-40 with the
 * context's helper, copy the 40 stack bytes to packet[8..48) when the packet has 48 bytes, and
 * return r0 of the load.
 */
export const loadBytesProgram = (ctx: LoadBytesCtx, len: number) => `
  mov %r6, %r1
  lddw %r1, 0x7777777777777777
  stxdw [%r10-40], %r1
  stxdw [%r10-32], %r1
  stxdw [%r10-24], %r1
  stxdw [%r10-16], %r1
  stxdw [%r10-8], %r1
  ldxw %r2, [%r6+${ctx.data}]
  ldxw %r3, [%r6+${ctx.dataEnd}]
  mov %r4, %r2
  add %r4, ${ctx.first}
  jgt %r4, %r3, short
  ldxw %r2, [%r2+0]
  mov %r1, %r6
  mov %r3, %r10
  add %r3, -40
  mov %r4, ${len}
  call ${ctx.helper}
  ldxw %r2, [%r6+${ctx.data}]
  ldxw %r3, [%r6+${ctx.dataEnd}]
  mov %r4, %r2
  add %r4, 48
  jgt %r4, %r3, out
  ldxdw %r1, [%r10-40]
  stxdw [%r2+8], %r1
  ldxdw %r1, [%r10-32]
  stxdw [%r2+16], %r1
  ldxdw %r1, [%r10-24]
  stxdw [%r2+24], %r1
  ldxdw %r1, [%r10-16]
  stxdw [%r2+32], %r1
  ldxdw %r1, [%r10-8]
  stxdw [%r2+40], %r1
out:
  exit
short:
  mov %r0, 0xdead
  exit
`;

export const LOAD_TC = (len: number) => loadBytesProgram(SKB_LOAD, len);

/** Socket filter: offsets are from the network header; r0 = result byte | loaded bytes 0..2 << 8. */
export const LOAD_SOCKET = (offset: number, len: number) => `
  lddw %r2, 0x7777777777777777
  stxdw [%r10-8], %r2
  stxdw [%r10-16], %r2
  stxdw [%r10-24], %r2
  stxdw [%r10-32], %r2
  lddw %r2, ${offset}
  mov %r3, %r10
  add %r3, -32
  mov %r4, ${len}
  call 26
  and %r0, 0xff
  ldxw %r1, [%r10-32]
  and %r1, 0xffffff
  lsh %r1, 8
  or %r0, %r1
  exit
`;

/** Store `len` pattern bytes at the packet's u32 at +0 with the flags at +8. */
export const STORE = (len: number) => `
  mov %r6, %r1
  lddw %r1, 0xa1a2a3a4a5a6a7a8
  stxdw [%r10-32], %r1
  lddw %r1, 0xb1b2b3b4b5b6b7b8
  stxdw [%r10-24], %r1
  lddw %r1, 0xc1c2c3c4c5c6c7c8
  stxdw [%r10-16], %r1
  lddw %r1, 0xd1d2d3d4d5d6d7d8
  stxdw [%r10-8], %r1
  ldxw %r2, [%r6+76]
  ldxw %r3, [%r6+80]
  mov %r4, %r2
  add %r4, 16
  jgt %r4, %r3, short
  ldxw %r7, [%r2+0]
  ldxdw %r5, [%r2+8]
  mov %r1, %r6
  mov %r2, %r7
  mov %r3, %r10
  add %r3, -32
  mov %r4, ${len}
  call 9
  exit
short:
  mov %r0, 0xdead
  exit
`;

// ---- trace_printk ----------------------------------------------------------------------------

export type Arg = bigint | { readonly stack: string } | { readonly packet: true };

export const FMT_AT = -256;
export const ARG_AT = [-512, -448, -384];

/** Store `bytes` at r10 + at, padded with zeros to whole 8-byte words. */
export function storeBytes(at: number, bytes: Uint8Array): string[] {
  const padded = new Uint8Array(Math.ceil(bytes.length / 8) * 8);
  padded.set(bytes);
  const lines: string[] = [];
  const v = new DataView(padded.buffer);
  for (let k = 0; k < padded.length; k += 8) lines.push(`lddw %r1, 0x${v.getBigUint64(k, true).toString(16)}`, `stxdw [%r10${at + k}], %r1`);
  return lines;
}

export const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** trace_printk(fmt on the stack, size, args...) with r0 its result. */
export function printkProgram(fmt: string, args: readonly Arg[], size?: number): string {
  const fmtBytes = latin1(`${fmt}\0`);
  const lines = [`mov %r6, %r1`, ...storeBytes(FMT_AT, fmtBytes)];
  args.forEach((a, k) => {
    if (typeof a === "object" && "stack" in a) lines.push(...storeBytes(ARG_AT[k]!, latin1(`${a.stack}\0`)));
  });
  args.forEach((a, k) => {
    const reg = `%r${k + 3}`;
    if (typeof a === "bigint") lines.push(`lddw ${reg}, 0x${BigInt.asUintN(64, a).toString(16)}`);
    else if ("stack" in a) lines.push(`mov ${reg}, %r10`, `add ${reg}, ${ARG_AT[k]}`);
    else lines.push(`ldxw ${reg}, [%r6+0]`);
  });
  lines.push(`mov %r1, %r10`, `add %r1, ${FMT_AT}`, `mov %r2, ${size ?? fmtBytes.length}`, `call 6`, `exit`);
  return lines.join("\n");
}

// ---- perf_event_output -------------------------------------------------------------------------

/** perf_event_output of 8 stack bytes with the flags in the packet's u64 at +0; r0 = result. */
export const PERF = (map: string) => `
  mov %r6, %r1
  stdw [%r10-8], 0x44434241
  ldxw %r2, [%r6+0]
  ldxw %r3, [%r6+4]
  mov %r4, %r2
  add %r4, 16
  jgt %r4, %r3, short
  ldxdw %r7, [%r2+0]
  mov %r1, %r6
  ${map}
  mov %r3, %r7
  mov %r4, %r10
  add %r4, -8
  mov %r5, 8
  call 25
  exit
short:
  mov %r0, 0xdead
  exit`;
