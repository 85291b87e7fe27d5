// Bob Jenkins' lookup3 hash as the kernel has it (include/linux/jhash.h): jhash over bytes and
// jhash2 over 32-bit words. The kernel's flow hash (skb_get_hash) is jhash2 over the dissected
// flow keys.

const JHASH_INITVAL = 0xdeadbeef;

const rol32 = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** One round of __jhash_mix on the state [a, b, c] (in place). */
function mix(s: Uint32Array): void {
  let a = s[0]!, b = s[1]!, c = s[2]!;
  a = (a - c) >>> 0; a ^= rol32(c, 4); c = (c + b) >>> 0;
  b = (b - a) >>> 0; b ^= rol32(a, 6); a = (a + c) >>> 0;
  c = (c - b) >>> 0; c ^= rol32(b, 8); b = (b + a) >>> 0;
  a = (a - c) >>> 0; a ^= rol32(c, 16); c = (c + b) >>> 0;
  b = (b - a) >>> 0; b ^= rol32(a, 19); a = (a + c) >>> 0;
  c = (c - b) >>> 0; c ^= rol32(b, 4); b = (b + a) >>> 0;
  s[0] = a; s[1] = b; s[2] = c;
}

/** __jhash_final: the last mixing of [a, b, c]; the hash is c. */
function final(s: Uint32Array): number {
  let a = s[0]!, b = s[1]!, c = s[2]!;
  c ^= b; c = (c - rol32(b, 14)) >>> 0;
  a ^= c; a = (a - rol32(c, 11)) >>> 0;
  b ^= a; b = (b - rol32(a, 25)) >>> 0;
  c ^= b; c = (c - rol32(b, 16)) >>> 0;
  a ^= c; a = (a - rol32(c, 4)) >>> 0;
  b ^= a; b = (b - rol32(a, 14)) >>> 0;
  c ^= b; c = (c - rol32(b, 24)) >>> 0;
  return c >>> 0;
}

/** jhash2(k, length, initval): words, three at a time. */
export function jhash2(words: ArrayLike<number>, initval: number): number {
  const s = new Uint32Array(3).fill((JHASH_INITVAL + words.length * 4 + initval) >>> 0);
  let i = 0;
  let left = words.length;
  for (; left > 3; left -= 3, i += 3) {
    s[0] = s[0]! + words[i]!;
    s[1] = s[1]! + words[i + 1]!;
    s[2] = s[2]! + words[i + 2]!;
    mix(s);
  }
  if (left === 0) return s[2]!;
  if (left === 3) s[2] = s[2]! + words[i + 2]!;
  if (left >= 2) s[1] = s[1]! + words[i + 1]!;
  s[0] = s[0]! + words[i]!;
  return final(s);
}

/** jhash(key, length, initval): bytes, twelve at a time, little-endian words. */
export function jhash(bytes: Uint8Array, initval: number): number {
  const s = new Uint32Array(3).fill((JHASH_INITVAL + bytes.length + initval) >>> 0);
  const word = (at: number, n: number): number => {
    let w = 0;
    for (let k = 0; k < n; k++) w += bytes[at + k]! * 2 ** (8 * k);
    return w;
  };
  let i = 0;
  let left = bytes.length;
  for (; left > 12; left -= 12, i += 12) {
    s[0] = s[0]! + word(i, 4);
    s[1] = s[1]! + word(i + 4, 4);
    s[2] = s[2]! + word(i + 8, 4);
    mix(s);
  }
  if (left === 0) return s[2]!;
  s[0] = s[0]! + word(i, Math.min(left, 4));
  if (left > 4) s[1] = s[1]! + word(i + 4, Math.min(left - 4, 4));
  if (left > 8) s[2] = s[2]! + word(i + 8, left - 8);
  return final(s);
}
