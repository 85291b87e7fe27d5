// The Internet checksum arithmetic of the kernel (include/net/checksum.h, lib/checksum.c,
// arch/x86/lib/csum-partial_64.c): ones' complement sums of 16-bit words (RFC 1071), kept as
// 32-bit "__wsum" partial sums and folded to 16-bit "__sum16" fields. Words are read as the
// memory holds them (little-endian loads, as on x86 and in wasm), so a network-order field and
// the value a program loads from it agree without byte swaps.
//
// The exact representative matters: ones' complement has two zeros (0 and all-ones) and the
// helpers return raw partial sums, so each function below reproduces the kernel's choice, not
// only the value modulo 2^16 - 1. Checked against BPF_PROG_TEST_RUN (test/helpers/).

const M32 = 0x1_0000_0000;
const ror16 = (x: number): number => ((x >>> 16) | (x << 16)) >>> 0;

/**
 * csum_partial(buf, len, seed): the 32-bit ones' complement sum of seed and the bytes read as
 * little-endian 32-bit words (a short tail padded with zeros). x86's end-around-carry adds give
 * 0 only when every addend is 0, and otherwise a value in [1, 2^32 - 1] — all-ones for a sum
 * congruent to 0 — so the result is that canonical representative.
 */
export function csumPartial(bytes: Uint8Array, start: number, len: number, seed: number): number {
  let sum = seed >>> 0;
  let any = sum !== 0;
  const end = start + len;
  let i = start;
  // Sum 32-bit words in a double; reduce modulo 2^32 - 1 often enough to stay exact.
  for (let n = 0; i + 4 <= end; i += 4, n++) {
    const w = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) >>> 0;
    sum += w;
    if (w !== 0) any = true;
    if ((n & 0xfffff) === 0xfffff) sum %= 0xffffffff;
  }
  let tail = 0;
  for (let shift = 0; i < end; i++, shift += 8) tail += bytes[i]! * 2 ** shift;
  sum += tail;
  if (tail !== 0) any = true;
  if (!any) return 0;
  const r = sum % 0xffffffff;
  return r === 0 ? 0xffffffff : r;
}

/** csum_add: 32-bit add with end-around carry. */
export function csumAdd(a: number, b: number): number {
  const res = (a + b) >>> 0;
  return (res + (res < b >>> 0 ? 1 : 0)) >>> 0;
}

/** csum_sub: a - b as a + ~b. */
export const csumSub = (a: number, b: number): number => csumAdd(a, ~b >>> 0);

/** csum_from32to16 (lib/checksum.c from32to16): fold to 16 bits without complementing. */
export function csumFrom32to16(x: number): number {
  return (((x >>> 0) + ror16(x >>> 0)) % M32) >>> 16;
}

/** csum_fold: fold a 32-bit partial sum to the complemented 16-bit field value. */
export function csumFold(x: number): number {
  return ~(((x >>> 0) + ror16(x >>> 0)) % M32) >>> 16 & 0xffff;
}

/** csum16_add: 16-bit add with end-around carry. */
function csum16Add(csum: number, addend: number): number {
  const res = (csum + addend) & 0xffff;
  return (res + (res < addend ? 1 : 0)) & 0xffff;
}

const csum16Sub = (csum: number, addend: number): number => csum16Add(csum, ~addend & 0xffff);

/** csum_replace2: the field `sum` after a 16-bit word changed from `from` to `to` (RFC 1624). */
export function csumReplace2(sum: number, from: number, to: number): number {
  return ~csum16Add(csum16Sub(~sum & 0xffff, from & 0xffff), to & 0xffff) & 0xffff;
}

/** csum_replace4: the field after a 32-bit word changed. */
export function csumReplace4(sum: number, from: number, to: number): number {
  const tmp = csumSub(~(sum & 0xffff) >>> 0, from >>> 0);
  return csumFold(csumAdd(tmp, to >>> 0));
}

/** csum_replace_by_diff: the field after adding a csum_diff() result. */
export function csumReplaceByDiff(sum: number, diff: number): number {
  return csumFold(csumAdd(diff >>> 0, ~(sum & 0xffff) >>> 0));
}
