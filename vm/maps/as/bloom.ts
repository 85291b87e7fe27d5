// BPF_MAP_TYPE_BLOOM_FILTER (kernel/bpf/bloom_filter.c): a bit array of bitset_mask + 1 bits
// and nr_hash_funcs hashes of the value. Push sets each hash's bit; peek answers 0 ("maybe
// present") when every bit is set, -ENOENT ("certainly absent") otherwise. The hashes are the
// kernel's own (jhash of the value seeded with hash_seed + i), so with BPF_F_ZERO_SEED a filter
// here gives the kernel's answers bit for bit, false positives included.

import { BPF_ANY, EINVAL, ENOENT, H_BLOOM_HASHES, H_BLOOM_MASK, H_SEED } from "../abi";
import { values, valueSize } from "./header";

@inline function rol32(x: u32, k: u32): u32 { return rotl<u32>(x, k); }

/**
 * jhash (include/linux/jhash.h, Bob Jenkins' lookup3) of `length` bytes, words read little-endian.
 * The kernel hashes a value whose size is a multiple of 4 with jhash2 over u32s instead: on a
 * little-endian machine that reads the same words with the same initial state, so one function
 * serves both.
 */
function jhash(k: usize, length: u32, initval: u32): u32 {
  let a: u32 = 0xdeadbeef + length + initval;
  let b = a;
  let c = a;
  while (length > 12) {
    a += load<u32>(k);
    b += load<u32>(k, 4);
    c += load<u32>(k, 8);
    // __jhash_mix
    a -= c; a ^= rol32(c, 4); c += b;
    b -= a; b ^= rol32(a, 6); a += c;
    c -= b; c ^= rol32(b, 8); b += a;
    a -= c; a ^= rol32(c, 16); c += b;
    b -= a; b ^= rol32(a, 19); a += c;
    c -= b; c ^= rol32(b, 4); b += a;
    length -= 12;
    k += 12;
  }
  if (length == 0) return c;
  // The last 1..12 bytes, zero-padded, as the kernel's fallthrough switch adds them.
  a += tailWord(k, length, 0);
  b += tailWord(k, length, 4);
  c += tailWord(k, length, 8);
  // __jhash_final
  c ^= b; c -= rol32(b, 14);
  a ^= c; a -= rol32(c, 11);
  b ^= a; b -= rol32(a, 25);
  c ^= b; c -= rol32(b, 16);
  a ^= c; a -= rol32(c, 4);
  b ^= a; b -= rol32(a, 14);
  c ^= b; c -= rol32(b, 24);
  return c;
}

/** Bytes at..at+3 of the last block (length bytes), little-endian, zero past its end. */
@inline function tailWord(k: usize, length: u32, at: u32): u32 {
  let w: u32 = 0;
  for (let i: u32 = 0; i < 4 && at + i < length; i++) w |= <u32>load<u8>(k + at + i) << (i << 3);
  return w;
}

/** hash(): the bit of hash function `index` for the value. */
@inline function bitOf(m: usize, value: usize, index: u32): u32 {
  return jhash(value, valueSize(m), load<u32>(m, H_SEED) + index) & load<u32>(m, H_BLOOM_MASK);
}

/** bloom_map_push_elem: set every hash's bit (set_bit is atomic: programs on other CPUs push too). */
export function bloomPush(m: usize, value: usize, flags: u64): i32 {
  if (flags != <u64>BPF_ANY) return -EINVAL;
  const bits = values(m);
  const n = load<u32>(m, H_BLOOM_HASHES);
  for (let i: u32 = 0; i < n; i++) {
    const h = bitOf(m, value, i);
    atomic.or<u32>(bits + ((h >> 5) << 2), 1 << (h & 31));
  }
  return 0;
}

/** bloom_map_peek_elem: 0 when every hash's bit is set, else -ENOENT. */
export function bloomPeek(m: usize, value: usize): i32 {
  const bits = values(m);
  const n = load<u32>(m, H_BLOOM_HASHES);
  for (let i: u32 = 0; i < n; i++) {
    const h = bitOf(m, value, i);
    if ((atomic.load<u32>(bits + ((h >> 5) << 2)) & (1 << (h & 31))) == 0) return -ENOENT;
  }
  return 0;
}
