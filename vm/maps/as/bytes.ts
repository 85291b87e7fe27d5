// Byte helpers over raw addresses: key comparison, the key hash, small copies. Keys are compared
// and hashed over exactly key_size bytes (the caller's key, e.g. on a program's stack, has no
// padding), a machine word at a time: a key of n >= 8 bytes is read as the 8-byte words at 0,
// 8, 16, ... and one last word ending at byte n, which overlaps the one before it when n is not
// a multiple of 8 (a 12-byte key: bytes 0..7 and 4..11). For one key size this is a fixed,
// one-to-one reading of the key, so equal words mean equal keys and no byte tail loop is needed;
// keys of 4..7 bytes read two overlapping u32s the same way, keys of 1..3 bytes three bytes.

/** Keys of 1..3 bytes as one word: bytes 0, n/2 and n-1 (one-to-one for each n). */
@inline function tinyWord(p: usize, n: u32): u64 {
  return <u64>load<u8>(p) | (<u64>load<u8>(p + (n >> 1)) << 8) | (<u64>load<u8>(p + n - 1) << 16);
}

/** Keys of 4..7 bytes as one word: the u32 at 0 and the u32 ending at byte n. */
@inline function shortWord(p: usize, n: u32): u64 {
  return <u64>load<u32>(p) | (<u64>load<u32>(p + n - 4) << 32);
}

// Key sizes in classes with one reading each: the hash and the comparison take the class as a
// constant where the caller has tested it (`KEY_ANY` otherwise), so that the code for one class
// has no branch or loop for the others.
export const KEY_TINY = 0; // 1..3 bytes
export const KEY_SHORT = 1; // 4..7
export const KEY_WORDS = 2; // 8..16: two overlapping u64s, no loop
export const KEY_ANY = 3;

/** The class of an n-byte key, KEY_ANY past 16 bytes. */
@inline export function keyClass(n: u32): i32 {
  return n >= 8 ? (n <= 16 ? KEY_WORDS : KEY_ANY) : n >= 4 ? KEY_SHORT : KEY_TINY;
}

/** True when the `n` bytes at `a` and `b` are equal (n >= 1, of class `cls`). */
@inline export function bytesEqual(a: usize, b: usize, n: u32, cls: i32 = KEY_ANY): bool {
  if (cls == KEY_ANY) cls = keyClass(n);
  if (cls == KEY_TINY) return tinyWord(a, n) == tinyWord(b, n);
  if (cls == KEY_SHORT) return shortWord(a, n) == shortWord(b, n);
  if (cls == KEY_WORDS) return ((load<u64>(a) ^ load<u64>(b)) | (load<u64>(a + n - 8) ^ load<u64>(b + n - 8))) == 0;
  const last = n - 8;
  for (let i: u32 = 0; i < last; i += 8) {
    if (load<u64>(a + i) != load<u64>(b + i)) return false;
  }
  return load<u64>(a + last) == load<u64>(b + last);
}

// The key hash. The kernel's htab hashes with jhash seeded by a random hashrnd per map (0 with
// BPF_F_ZERO_SEED), so that who cannot read the seed cannot choose keys that collide in one
// bucket (hash flooding). Map semantics do not depend on which hash it is, only the bucket
// order of get_next_key does, and the kernel's is random too. This one is seeded the same way
// and built for wasm: each 8-byte word is xored into a 64-bit state, whose two 32-bit halves are
// then multiplied into a full 64-bit product, the next state. Both factors depend on the seed,
// so how a difference between two keys spreads depends on it too — unlike a multiplication by
// a constant, where flipping a word's top bit flips the state's top bit whatever the seed. (No
// more a cryptographic guarantee than jhash's.) One multiply per word; a last round folds in
// the length and mixes the product's high half down into the bucket index bits.
// The odd constants xored into the halves keep an all-zero key with seed 0 off a zero product.
const K_LO: u64 = 0x9e3779b9;
const K_HI: u64 = 0x85ebca6b;
const K_LEN: u64 = 0xc2b2ae3d27d4eb4f;

@inline function mix(x: u64): u64 {
  return ((x & 0xffffffff) ^ K_LO) * ((x >> 32) ^ K_HI);
}

/**
 * The 8 bytes at `p` as four 2-byte loads. A program writes its key on the stack field by field
 * just before the helper call, and a load that spans several of those stores cannot take its
 * data from the store buffer (store-to-load forwarding needs the load inside one store): it
 * waits until they have all reached the cache, which costs more than the key's hash. A 2-byte
 * load lies inside the store of any field of 2 bytes or more.
 */
@inline function storedWord(p: usize): u64 {
  return <u64>load<u16>(p) | (<u64>load<u16>(p, 2) << 16) | (<u64>load<u16>(p, 4) << 32) | (<u64>load<u16>(p, 6) << 48);
}

@inline function keyWord(p: usize, stored: bool): u64 {
  return stored ? storedWord(p) : load<u64>(p);
}

/**
 * Seeded hash of the `n` bytes at `key` (n >= 1, of class `cls`). `stored`: the key was just
 * written (a program's call), read it so that the loads forward from the stores (storedWord);
 * the hash is the same either way.
 */
@inline export function hashBytes(key: usize, n: u32, seed: u64, stored: bool, cls: i32 = KEY_ANY): u32 {
  if (cls == KEY_ANY) cls = keyClass(n);
  let h = seed;
  if (cls == KEY_TINY) {
    h = mix(h ^ tinyWord(key, n));
  } else if (cls == KEY_SHORT) {
    h = mix(h ^ shortWord(key, n));
  } else {
    // Words at 0, 8, ... before the last, then the last one, ending at byte n.
    if (cls == KEY_WORDS) {
      if (n > 8) h = mix(h ^ keyWord(key, stored));
    } else {
      const last = n - 8;
      for (let i: u32 = 0; i < last; i += 8) h = mix(h ^ keyWord(key + i, stored));
    }
    h = mix(h ^ keyWord(key + n - 8, stored));
  }
  h = mix(h ^ (<u64>n * K_LEN));
  return <u32>h ^ <u32>(h >> 32);
}

/**
 * memory.copy for the small sizes of keys and values: engines call out of the generated code
 * for memory.copy, which costs more than moving a few words inline. As memory.copy, correct for
 * overlapping ranges too (a program may update a map with a value that points into the map).
 */
@inline export function copyBytes(dst: usize, src: usize, n: u32): void {
  if (n >= 8 && n <= 16) {
    // Both words are read before either is written.
    const a = load<u64>(src);
    const b = load<u64>(src + n - 8);
    store<u64>(dst, a);
    store<u64>(dst + n - 8, b);
  } else if (n > 16 && n <= 64 && (dst + n <= src || src + n <= dst)) {
    const last = n - 8;
    for (let i: u32 = 0; i < last; i += 8) store<u64>(dst + i, load<u64>(src + i));
    store<u64>(dst + last, load<u64>(src + last));
  } else if (n >= 4 && n < 8) {
    const a = load<u32>(src);
    const b = load<u32>(src + n - 4);
    store<u32>(dst, a);
    store<u32>(dst + n - 4, b);
  } else {
    memory.copy(dst, src, n);
  }
}
