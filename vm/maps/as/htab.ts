// BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH (kernel/bpf/hashtab.c).
//
// A bucket is a u32 head in one array and a u32 spin lock in another: lookups read only the
// heads, so the part of a table they touch is 4 bytes a bucket. A chain ends in a "nulls"
// marker, (bucket << 1) | 1, as the kernel's hlist_nulls: lookups take no lock, and a reader
// that walked into an element that was freed and reused in another bucket ends on that bucket's
// marker and starts over. Writers hold the bucket lock. Elements come preallocated from a free
// list (as with the kernel's default, preallocated maps); a freed element keeps its chain
// pointer, so a reader still standing on it walks on to a valid marker.
//
// Replacing an existing key (non-per-CPU maps) links a new element at the head and then unlinks
// the old one, so a concurrent lookup always finds the key; the pool holds max_entries + ncpus
// + 1 elements so a replacement never fails (the kernel's per-CPU "extra_elems"). Per-CPU maps
// update values in place. As in the kernel, a program that still holds a pointer to a value
// that is replaced or deleted keeps writing to a recycled element; that is the kernel's
// documented behaviour for preallocated maps, not a bug to hide.
//
// Lookups come in one function per map type (htabLookupHash, ...), each with the type's choices
// made at compile time, so that a caller that knows the type (JIT code, ./index.ts after one
// dispatch) runs no test for the others.

import {
  BPF_EXIST, BPF_F_LOCK, BPF_NOEXIST, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_HASH,
  E2BIG, EEXIST, EINVAL, ENOENT, ENOMEM, H_BUCKETS, H_LOCKS, H_SEED, H_VALUE_STRIDE, H_VALUES, H_BUCKET_MASK,
  H_COUNT, H_MAX_ENTRIES, E_HASH, E_KEY, E_NEXT, E_PCPU, E_FLINK, E_STATE, ELEM_LINKED,
} from "../abi";
import { bytesEqual, copyBytes, hashBytes, KEY_ANY, KEY_SHORT, KEY_TINY, KEY_WORDS } from "./bytes";
import { freePop, freePush } from "./freelist";
import {
  cpuStride, elems, elemSize, isAllCpus, keySize, mapType, nElems, ncpus, readPerCpu, valueOff, valueSize,
  writePerCpu,
} from "./header";
import { spinLock, spinUnlock } from "./sync";
import { copyValue, freeTimer, hasSpinLock } from "./value";
import { lruAlloc, lruRelease, lruTouch } from "./lru";

@inline function isPerCpu(m: usize): bool {
  const t = mapType(m);
  return t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

@inline function isLru(m: usize): bool {
  const t = mapType(m);
  return t == BPF_MAP_TYPE_LRU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/** The key's hash, with the map's seed (`stored`, `cls`: see hashBytes). */
@inline export function keyHash(m: usize, key: usize, stored: bool, cls: i32 = KEY_ANY): u32 {
  return hashBytes(key, keySize(m), load<u64>(m, H_SEED), stored, cls);
}

@inline export function bucketIndex(m: usize, hash: u32): u32 {
  return hash & load<u32>(m, H_BUCKET_MASK);
}

/** The head of bucket `index`. */
@inline export function bucketAt(m: usize, index: u32): usize {
  return <usize>load<u32>(m, H_BUCKETS) + (<usize>index << 2);
}

/** The spin lock of bucket `index`. */
@inline export function lockAt(m: usize, index: u32): usize {
  return <usize>load<u32>(m, H_LOCKS) + (<usize>index << 2);
}

@inline function nulls(index: u32): u32 {
  return (index << 1) | 1;
}

/** Lay out an empty table: every bucket ends in its marker, every element is free. */
export function htabInit(m: usize): void {
  const nb = load<u32>(m, H_BUCKET_MASK) + 1;
  for (let i: u32 = 0; i < nb; i++) store<u32>(bucketAt(m, i), nulls(i));
  const n = nElems(m);
  const base = elems(m);
  const size = elemSize(m);
  const percpu = isPerCpu(m);
  const stride = load<u32>(m, H_VALUE_STRIDE);
  const vals = <usize>load<u32>(m, H_VALUES);
  // Pushed in reverse, so elements are handed out in address order (predictable for tests).
  for (let i = <i32>n - 1; i >= 0; i--) {
    const e = base + <usize>i * size;
    store<u32>(e, nulls(0), E_NEXT);
    if (percpu) store<u32>(e, vals + <usize>i * stride, E_PCPU);
    freePush(m, e, E_FLINK);
  }
}

/**
 * Lockless search (htab_map_lookup_elem / lookup_nulls_elem_raw): the element holding `key`, or
 * 0. The stored hash is compared before the key, so other keys of the bucket cost one load.
 * One copy of the search per key class (./bytes.ts), each with only its own reading of the key:
 * fewer values live at once, which the engine would otherwise keep in memory. Keys of more
 * than 16 bytes are searched out of line.
 */
@inline function findRcu(m: usize, key: usize, prog: bool): usize {
  const n = keySize(m);
  if (n >= 8) return n <= 16 ? search(m, key, prog, KEY_WORDS) : findRcuLong(m, key, prog);
  return n >= 4 ? search(m, key, prog, KEY_SHORT) : search(m, key, prog, KEY_TINY);
}

function findRcuLong(m: usize, key: usize, prog: bool): usize {
  return search(m, key, prog, KEY_ANY);
}

@inline function search(m: usize, key: usize, prog: bool, cls: i32): usize {
  const ks = keySize(m);
  const hash = keyHash(m, key, prog, cls);
  const index = bucketIndex(m, hash);
  const head = bucketAt(m, index);
  while (true) {
    let p = atomic.load<u32>(head);
    while (!(p & 1)) {
      if (load<u32>(p, E_HASH) == hash && bytesEqual(p + E_KEY, key, ks, cls)) return p;
      p = atomic.load<u32>(p, E_NEXT);
    }
    if (p == nulls(index)) return 0;
    // Ended on another bucket's marker: an element moved under us. Start over.
  }
}

/**
 * Search with the bucket lock held (the chain cannot change): the address of the link that
 * points at the element holding `key` (the head or the previous element's E_NEXT), or 0.
 */
function findSlotLocked(m: usize, head: usize, key: usize, hash: u32): usize {
  const ks = keySize(m);
  let slot = head;
  let p = load<u32>(slot);
  while (!(p & 1)) {
    if (load<u32>(p, E_HASH) == hash && bytesEqual(p + E_KEY, key, ks)) return slot;
    slot = p + E_NEXT;
    p = load<u32>(slot);
  }
  return 0;
}

/** The element holding `key`, lock held; 0 when absent. */
@inline function findLocked(m: usize, head: usize, key: usize, hash: u32): usize {
  const slot = findSlotLocked(m, head, key, hash);
  return slot ? <usize>load<u32>(slot) : 0;
}

/** Unlink `e` from the chain at `head` (lock held). False when it is not there. */
export function unlinkLocked(head: usize, e: usize): bool {
  let slot = head;
  let p = load<u32>(slot);
  while (!(p & 1)) {
    if (<usize>p == e) {
      atomic.store<u32>(slot, load<u32>(e, E_NEXT));
      return true;
    }
    slot = p + E_NEXT;
    p = load<u32>(slot);
  }
  return false;
}

/** Address of the value of element `e` for `cpu` (CPU 0's copy when all CPUs are asked). */
@inline function valueOf(m: usize, e: usize, cpu: u32): usize {
  if (!isPerCpu(m)) return e + valueOff(m);
  const base = <usize>load<u32>(e, E_PCPU);
  return isAllCpus(cpu) ? base : base + cpu * cpuStride(m);
}

// ---- lookups, one per type (htab_map_lookup_elem, htab_lru_map_lookup_elem,
// htab_percpu_map_lookup_elem, htab_lru_percpu_map_lookup_elem). `prog`: a program's call, not
// user space's: LRU lookups mark the element used, and the key was just written (hashBytes).

/** BPF_MAP_TYPE_HASH */
@inline export function htabLookupHash(m: usize, key: usize, prog: bool): usize {
  const e = findRcu(m, key, prog);
  return e ? e + valueOff(m) : 0;
}

/** BPF_MAP_TYPE_LRU_HASH */
@inline export function htabLookupLru(m: usize, key: usize, prog: bool): usize {
  const e = findRcu(m, key, prog);
  if (!e) return 0;
  if (prog) lruTouch(e);
  return e + valueOff(m);
}

/** PERCPU_HASH and LRU_PERCPU_HASH: CPU `cpu`'s copy (CPU 0's for all CPUs); 0 past the CPUs. */
@inline export function htabLookupPerCpu(m: usize, key: usize, cpu: u32, prog: bool): usize {
  if (!isAllCpus(cpu) && cpu >= ncpus(m)) return 0;
  const e = findRcu(m, key, prog);
  if (!e) return 0;
  if (prog && isLru(m)) lruTouch(e);
  const base = <usize>load<u32>(e, E_PCPU);
  return isAllCpus(cpu) ? base : base + cpu * cpuStride(m);
}

// check_flags() in hashtab.c (`mode`: the flags without BPF_F_LOCK)
@inline function checkFlags(old: usize, mode: u64): i32 {
  if (old && mode == <u64>BPF_NOEXIST) return -EEXIST;
  if (!old && mode == <u64>BPF_EXIST) return -ENOENT;
  return 0;
}

/** A new element's value: the copy skips a bpf_spin_lock word, which starts free (value.ts). */
@inline function writeValue(m: usize, e: usize, value: usize, cpu: u32, fresh: bool): void {
  if (isPerCpu(m)) writePerCpu(m, <usize>load<u32>(e, E_PCPU), value, cpu, fresh);
  else copyValue(m, e + valueOff(m), value, false, fresh);
}

@inline function releaseElem(m: usize, e: usize): void {
  // A freed element's struct bpf_timer is cancelled (bpf_obj_free_fields on delete and replace).
  if (!isPerCpu(m)) freeTimer(m, e + valueOff(m));
  if (isLru(m)) lruRelease(m, e);
  else freePush(m, e, E_FLINK);
}

export function htabUpdate(m: usize, key: usize, value: usize, flags: u64, cpu: u32): i32 {
  const mode = flags & ~(<u64>BPF_F_LOCK);
  if (mode > <u64>BPF_EXIST) return -EINVAL; // unknown flags
  const locked = mode != flags;
  if (locked) {
    // htab_map_update_elem with BPF_F_LOCK: a value with a bpf_spin_lock only; an element that
    // exists is updated in place under its lock, found without the bucket lock first.
    if (!hasSpinLock(m)) return -EINVAL;
    const e = findRcu(m, key, true);
    const err = checkFlags(e, mode);
    if (err) return err;
    if (e) {
      copyValue(m, e + valueOff(m), value, true, false);
      return 0;
    }
  }
  const percpu = isPerCpu(m);
  if (percpu && !isAllCpus(cpu) && cpu >= ncpus(m)) return -EINVAL;
  const lru = isLru(m);
  const ks = keySize(m);
  const hash = keyHash(m, key, true);
  const index = bucketIndex(m, hash);
  const head = bucketAt(m, index);
  const lock = lockAt(m, index);

  // LRU maps take their element before the bucket lock, since eviction locks other buckets
  // (htab_lru_map_update_elem: prealloc_lru_pop first). As in the kernel, this may evict an
  // entry even when the key turns out to exist.
  let fresh: usize = 0;
  if (lru && !(percpu && mode == <u64>BPF_EXIST)) {
    fresh = lruAlloc(m);
    if (!fresh) return -ENOMEM;
  }

  spinLock(lock);
  const slot = findSlotLocked(m, head, key, hash);
  const old: usize = slot ? <usize>load<u32>(slot) : 0;
  const err = checkFlags(old, mode);
  if (err) {
    spinUnlock(lock);
    if (fresh) releaseElem(m, fresh);
    return err;
  }
  if (old && locked) {
    // Inserted since the lockless look above (hashtab.c: "highly unlikely, but has to be dealt
    // with"): in place, under the element's lock as well.
    copyValue(m, old + valueOff(m), value, true, false);
    spinUnlock(lock);
    return 0;
  }
  if (percpu && old) {
    // pcpu_copy_value: in place, on this CPU only (all CPUs from user space).
    writePerCpu(m, <usize>load<u32>(old, E_PCPU), value, cpu, false);
    if (lru) lruTouch(old);
    spinUnlock(lock);
    if (fresh) releaseElem(m, fresh);
    return 0;
  }
  if (!lru) {
    // A new key counts against max_entries; a replacement uses one of the extra elements.
    if (!old && atomic.add<u32>(m + H_COUNT, 1) >= load<u32>(m, H_MAX_ENTRIES)) {
      atomic.sub<u32>(m + H_COUNT, 1);
      spinUnlock(lock);
      return -E2BIG;
    }
    fresh = freePop(m, E_FLINK);
    if (!fresh) {
      if (!old) atomic.sub<u32>(m + H_COUNT, 1);
      spinUnlock(lock);
      return -E2BIG;
    }
  } else if (!old) {
    atomic.add<u32>(m + H_COUNT, 1);
  }

  // Fill the element with plain stores (locked instructions are what an update costs), then
  // publish it with one atomic store, which a concurrent lookup sees before or after, never
  // half: a new key goes in at the head; a replacement takes the old element's place in the
  // chain (the link to the old element now points at the new one, which points where the old
  // one did), so a lookup finds exactly one of the two. The kernel links the new element at the
  // head and then unlinks the old one, with the same guarantee and one more store. The old
  // element keeps its E_NEXT, so a reader standing on it walks on as before.
  store<u32>(fresh, hash, E_HASH);
  copyBytes(fresh + E_KEY, key, ks);
  writeValue(m, fresh, value, cpu, true);
  store<u32>(fresh, ELEM_LINKED, E_STATE);
  if (old) {
    store<u32>(fresh, load<u32>(old, E_NEXT), E_NEXT);
    atomic.store<u32>(slot, fresh);
    store<u32>(old, 0, E_STATE);
  } else {
    store<u32>(fresh, load<u32>(head), E_NEXT);
    atomic.store<u32>(head, fresh);
  }
  spinUnlock(lock);
  if (old) releaseElem(m, old);
  return 0;
}

/** Delete `key`; when `out` is not 0, copy its value there first (lookup_and_delete). */
export function htabDelete(m: usize, key: usize, out: usize, cpu: u32): i32 {
  const hash = keyHash(m, key, true);
  const index = bucketIndex(m, hash);
  const head = bucketAt(m, index);
  const lock = lockAt(m, index);
  spinLock(lock);
  const slot = findSlotLocked(m, head, key, hash);
  if (!slot) {
    spinUnlock(lock);
    return -ENOENT;
  }
  const e = <usize>load<u32>(slot);
  if (out) {
    if (isPerCpu(m)) {
      if (isAllCpus(cpu)) readPerCpu(m, <usize>load<u32>(e, E_PCPU), out);
      else copyBytes(out, valueOf(m, e, cpu), valueSize(m));
    } else {
      copyBytes(out, e + valueOff(m), valueSize(m));
    }
  }
  atomic.store<u32>(slot, load<u32>(e, E_NEXT));
  store<u32>(e, 0, E_STATE);
  atomic.sub<u32>(m + H_COUNT, 1);
  spinUnlock(lock);
  releaseElem(m, e);
  return 0;
}

/** User-space lookup of a per-CPU element into a ncpus-value buffer. */
export function htabReadAll(m: usize, key: usize, out: usize): i32 {
  const hash = keyHash(m, key, false);
  const index = bucketIndex(m, hash);
  const lock = lockAt(m, index);
  spinLock(lock);
  const e = findLocked(m, bucketAt(m, index), key, hash);
  if (e) readPerCpu(m, <usize>load<u32>(e, E_PCPU), out);
  spinUnlock(lock);
  return e ? 0 : -ENOENT;
}

/** Copy the first element of bucket `index` (lock held) to `next`. */
function firstKeyOf(m: usize, index: u32, next: usize): bool {
  const lock = lockAt(m, index);
  spinLock(lock);
  const p = load<u32>(bucketAt(m, index));
  const found = !(p & 1);
  if (found) copyBytes(next, p + E_KEY, keySize(m));
  spinUnlock(lock);
  return found;
}

// htab_map_get_next_key: the element after `key` in its chain, else the first element of the
// following buckets; a missing (or NULL) key restarts from bucket 0.
export function htabGetNextKey(m: usize, key: usize, next: usize): i32 {
  const nb = load<u32>(m, H_BUCKET_MASK) + 1;
  let start: u32 = 0;
  if (key) {
    const ks = keySize(m);
    const hash = keyHash(m, key, false);
    const index = bucketIndex(m, hash);
    const lock = lockAt(m, index);
    spinLock(lock);
    const e = findLocked(m, bucketAt(m, index), key, hash);
    if (e) {
      const p = load<u32>(e, E_NEXT);
      if (!(p & 1)) {
        copyBytes(next, p + E_KEY, ks);
        spinUnlock(lock);
        return 0;
      }
      start = index + 1;
    }
    spinUnlock(lock);
  }
  for (let i = start; i < nb; i++) {
    if (firstKeyOf(m, i, next)) return 0;
  }
  return -ENOENT;
}
