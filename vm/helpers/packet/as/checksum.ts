// The Internet checksum arithmetic of ../checksum.ts in AssemblyScript, for the packet helpers
// the JIT calls wasm-to-wasm (./index.ts). Same functions, same kernel representatives
// (include/net/checksum.h, lib/checksum.c); ../checksum.ts explains each choice. u32 arithmetic
// wraps here, where the TypeScript needs `>>> 0`.

/**
 * csum_partial: seed plus the bytes at [start, start + len) as little-endian u32 words, a short
 * tail padded with zeros. Summed exactly in a u64 (len < 2^32, so at most 2^30 words of < 2^32),
 * then reduced: 0 only when every addend is 0, else the representative in [1, 2^32 - 1].
 */
export function csumPartial(start: usize, len: u32, seed: u32): u32 {
  let sum = <u64>seed;
  const end = start + <usize>len;
  let i = start;
  for (; i + 4 <= end; i += 4) sum += <u64>load<u32>(i);
  let tail: u64 = 0;
  for (let shift: u64 = 0; i < end; i++, shift += 8) tail |= <u64>load<u8>(i) << shift;
  sum += tail;
  if (sum == 0) return 0;
  const r = <u32>(sum % 0xffffffff);
  return r == 0 ? 0xffffffff : r;
}

/** csum_add: 32-bit add with end-around carry. */
@inline export function csumAdd(a: u32, b: u32): u32 {
  const res = a + b;
  return res + <u32>(res < b);
}

/** csum_sub: a - b as a + ~b. */
@inline export function csumSub(a: u32, b: u32): u32 {
  return csumAdd(a, ~b);
}

/** csum_from32to16: fold to 16 bits without complementing. */
@inline export function csumFrom32to16(x: u32): u32 {
  return (x + rotr<u32>(x, 16)) >>> 16;
}

/** csum_fold: the complemented 16-bit field value of a 32-bit partial sum. */
@inline function csumFold(x: u32): u32 {
  return ~(x + rotr<u32>(x, 16)) >>> 16;
}

/** csum16_add: 16-bit add with end-around carry. */
@inline function csum16Add(csum: u32, addend: u32): u32 {
  const res = (csum + addend) & 0xffff;
  return (res + <u32>(res < addend)) & 0xffff;
}

/** csum_replace2: the field `sum` after a 16-bit word changed from `from` to `to` (RFC 1624). */
export function csumReplace2(sum: u32, from: u32, to: u32): u32 {
  return ~csum16Add(csum16Add(~sum & 0xffff, ~from & 0xffff), to & 0xffff) & 0xffff;
}

/** csum_replace4: the field after a 32-bit word changed. */
export function csumReplace4(sum: u32, from: u32, to: u32): u32 {
  return csumFold(csumAdd(csumSub(~(sum & 0xffff), from), to));
}

/** csum_replace_by_diff: the field after adding a csum_diff() result. */
export function csumReplaceByDiff(sum: u32, diff: u32): u32 {
  return csumFold(csumAdd(diff, ~(sum & 0xffff)));
}
