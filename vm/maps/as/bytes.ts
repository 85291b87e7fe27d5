// Byte helpers over raw addresses: key comparison and the key hash. Keys are compared and hashed
// over exactly key_size bytes (the caller's key, e.g. on a program's stack, has no padding).

/** True when the `n` bytes at `a` and `b` are equal. Compares 8 bytes at a time. */
export function bytesEqual(a: usize, b: usize, n: u32): bool {
  let i: u32 = 0;
  while (i + 8 <= n) {
    if (load<u64>(a + i) != load<u64>(b + i)) return false;
    i += 8;
  }
  if (i + 4 <= n) {
    if (load<u32>(a + i) != load<u32>(b + i)) return false;
    i += 4;
  }
  while (i < n) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
    i++;
  }
  return true;
}

// MurmurHash3 (x86, 32-bit): the kernel's htab uses jhash; any well-mixing hash gives the same
// observable map semantics, and this one is short and fast on 4-byte words.
const C1: u32 = 0xcc9e2d51;
const C2: u32 = 0x1b873593;

@inline function mixWord(h: u32, k: u32): u32 {
  k *= C1;
  k = rotl<u32>(k, 15);
  k *= C2;
  h ^= k;
  h = rotl<u32>(h, 13);
  return h * 5 + 0xe6546b64;
}

/** Hash of the `n` bytes at `key`. */
export function hashBytes(key: usize, n: u32): u32 {
  let h: u32 = 0x9747b28c ^ n;
  let i: u32 = 0;
  while (i + 4 <= n) {
    h = mixWord(h, load<u32>(key + i));
    i += 4;
  }
  let tail: u32 = 0;
  let shift: u32 = 0;
  while (i < n) {
    tail |= (<u32>load<u8>(key + i)) << shift;
    shift += 8;
    i++;
  }
  if (shift) {
    tail *= C1;
    tail = rotl<u32>(tail, 15);
    tail *= C2;
    h ^= tail;
  }
  h ^= n;
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h;
}
