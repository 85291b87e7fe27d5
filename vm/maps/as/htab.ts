// BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH (kernel/bpf/hashtab.c).
//
// Buckets are 8 bytes: [head | spin lock]. A chain ends in a "nulls" marker, (bucket << 1) | 1,
// as the kernel's hlist_nulls: lookups take no lock, and a reader that walked into an element
// that was freed and reused in another bucket ends on that bucket's marker and starts over.
// Writers hold the bucket lock. Elements come preallocated from a free list (as with the
// kernel's default, preallocated maps); a freed element keeps its chain pointer, so a reader
// still standing on it walks on to a valid marker.
//
// Replacing an existing key (non-per-CPU maps) links a new element at the head and then unlinks
// the old one, so a concurrent lookup always finds the key; the pool holds max_entries + ncpus
// + 1 elements so a replacement never fails (the kernel's per-CPU "extra_elems"). Per-CPU maps
// update values in place. As in the kernel, a program that still holds a pointer to a value
// that is replaced or deleted keeps writing to a recycled element; that is the kernel's
// documented behaviour for preallocated maps, not a bug to hide.

import {
  BPF_EXIST, BPF_NOEXIST, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_HASH,
  E2BIG, EEXIST, EINVAL, ENOENT, ENOMEM, H_BUCKETS, H_VALUE_STRIDE, H_VALUES, H_BUCKET_MASK, H_COUNT, H_MAX_ENTRIES,
  E_HASH, E_KEY, E_NEXT, E_PCPU, E_FLINK, E_STATE, ELEM_LINKED, ELEM_REF,
} from "../abi";
import { bytesEqual, hashBytes } from "./bytes";
import { freePop, freePush } from "./freelist";
import {
  cpuStride, elems, elemSize, isAllCpus, keySize, mapType, nElems, ncpus, readPerCpu, valueOff, valueSize,
  writePerCpu,
} from "./header";
import { spinLock, spinUnlock } from "./sync";
import { lruAlloc, lruRelease, lruTouch } from "./lru";

@inline function isPerCpu(m: usize): bool {
  const t = mapType(m);
  return t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

@inline function isLru(m: usize): bool {
  const t = mapType(m);
  return t == BPF_MAP_TYPE_LRU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

@inline export function bucketIndex(m: usize, hash: u32): u32 {
  return hash & load<u32>(m, H_BUCKET_MASK);
}

@inline export function bucketAt(m: usize, index: u32): usize {
  return <usize>load<u32>(m, H_BUCKETS) + (<usize>index << 3);
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

/** Lockless search of one bucket (htab_map_lookup_elem / lookup_nulls_elem_raw). */
function findRcu(m: usize, key: usize, hash: u32): usize {
  const ks = keySize(m);
  const index = bucketIndex(m, hash);
  const bucket = bucketAt(m, index);
  while (true) {
    let p = atomic.load<u32>(bucket);
    while (!(p & 1)) {
      if (load<u32>(p, E_HASH) == hash && bytesEqual(p + E_KEY, key, ks)) return p;
      p = atomic.load<u32>(p, E_NEXT);
    }
    if (p == nulls(index)) return 0;
    // Ended on another bucket's marker: an element moved under us. Start over.
  }
}

/** Search with the bucket lock held: the chain cannot change. */
function findLocked(m: usize, bucket: usize, key: usize, hash: u32): usize {
  const ks = keySize(m);
  let p = load<u32>(bucket);
  while (!(p & 1)) {
    if (load<u32>(p, E_HASH) == hash && bytesEqual(p + E_KEY, key, ks)) return p;
    p = load<u32>(p, E_NEXT);
  }
  return 0;
}

/** Unlink `e` from the chain at `bucket` (lock held). False when it is not there. */
export function unlinkLocked(bucket: usize, e: usize): bool {
  let slot = bucket;
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

export function htabLookup(m: usize, key: usize, cpu: u32, touch: bool): usize {
  if (isPerCpu(m) && !isAllCpus(cpu) && cpu >= ncpus(m)) return 0;
  const e = findRcu(m, key, hashBytes(key, keySize(m)));
  if (!e) return 0;
  if (touch && isLru(m)) lruTouch(e);
  return valueOf(m, e, cpu);
}

// check_flags() in hashtab.c
@inline function checkFlags(old: usize, flags: u64): i32 {
  if (old && flags == <u64>BPF_NOEXIST) return -EEXIST;
  if (!old && flags == <u64>BPF_EXIST) return -ENOENT;
  return 0;
}

@inline function writeValue(m: usize, e: usize, value: usize, cpu: u32, fresh: bool): void {
  if (isPerCpu(m)) writePerCpu(m, <usize>load<u32>(e, E_PCPU), value, cpu, fresh);
  else memory.copy(e + valueOff(m), value, valueSize(m));
}

/** Take a fresh element: from the free list, or (LRU) by evicting the least recently used. */
@inline function takeElem(m: usize): usize {
  return isLru(m) ? lruAlloc(m) : freePop(m, E_FLINK);
}

@inline function releaseElem(m: usize, e: usize): void {
  if (isLru(m)) lruRelease(m, e);
  else freePush(m, e, E_FLINK);
}

export function htabUpdate(m: usize, key: usize, value: usize, flags: u64, cpu: u32): i32 {
  if (flags > <u64>BPF_EXIST) return -EINVAL; // unknown flags; BPF_F_LOCK needs a bpf_spin_lock
  const percpu = isPerCpu(m);
  if (percpu && !isAllCpus(cpu) && cpu >= ncpus(m)) return -EINVAL;
  const lru = isLru(m);
  const ks = keySize(m);
  const hash = hashBytes(key, ks);
  const bucket = bucketAt(m, bucketIndex(m, hash));

  // LRU maps take their element before the bucket lock, since eviction locks other buckets
  // (htab_lru_map_update_elem: prealloc_lru_pop first). As in the kernel, this may evict an
  // entry even when the key turns out to exist.
  let fresh: usize = 0;
  if (lru && !(percpu && flags == <u64>BPF_EXIST)) {
    fresh = lruAlloc(m);
    if (!fresh) return -ENOMEM;
  }

  spinLock(bucket + 4);
  const old = findLocked(m, bucket, key, hash);
  const err = checkFlags(old, flags);
  if (err) {
    spinUnlock(bucket + 4);
    if (fresh) releaseElem(m, fresh);
    return err;
  }
  if (percpu && old) {
    // pcpu_copy_value: in place, on this CPU only (all CPUs from user space).
    writePerCpu(m, <usize>load<u32>(old, E_PCPU), value, cpu, false);
    if (lru) lruTouch(old);
    spinUnlock(bucket + 4);
    if (fresh) releaseElem(m, fresh);
    return 0;
  }
  if (!lru) {
    // A new key counts against max_entries; a replacement uses one of the extra elements.
    if (!old && atomic.add<u32>(m + H_COUNT, 1) >= load<u32>(m, H_MAX_ENTRIES)) {
      atomic.sub<u32>(m + H_COUNT, 1);
      spinUnlock(bucket + 4);
      return -E2BIG;
    }
    fresh = freePop(m, E_FLINK);
    if (!fresh) {
      if (!old) atomic.sub<u32>(m + H_COUNT, 1);
      spinUnlock(bucket + 4);
      return -E2BIG;
    }
  } else if (!old) {
    atomic.add<u32>(m + H_COUNT, 1);
  }

  // Fill the element with plain stores (locked instructions are what an update costs), then
  // publish it at the head with one atomic store: a concurrent lookup finds the new element
  // before the old one, and sees it complete.
  store<u32>(fresh, hash, E_HASH);
  memory.copy(fresh + E_KEY, key, ks);
  writeValue(m, fresh, value, cpu, true);
  store<u32>(fresh, ELEM_LINKED, E_STATE);
  store<u32>(fresh, load<u32>(bucket), E_NEXT);
  atomic.store<u32>(bucket, fresh);
  if (old) {
    unlinkLocked(bucket, old);
    store<u32>(old, 0, E_STATE);
  }
  spinUnlock(bucket + 4);
  if (old) releaseElem(m, old);
  return 0;
}

/** Delete `key`; when `out` is not 0, copy its value there first (lookup_and_delete). */
export function htabDelete(m: usize, key: usize, out: usize, cpu: u32): i32 {
  const hash = hashBytes(key, keySize(m));
  const bucket = bucketAt(m, bucketIndex(m, hash));
  spinLock(bucket + 4);
  const e = findLocked(m, bucket, key, hash);
  if (!e) {
    spinUnlock(bucket + 4);
    return -ENOENT;
  }
  if (out) {
    if (isPerCpu(m)) {
      if (isAllCpus(cpu)) readPerCpu(m, <usize>load<u32>(e, E_PCPU), out);
      else memory.copy(out, valueOf(m, e, cpu), valueSize(m));
    } else {
      memory.copy(out, e + valueOff(m), valueSize(m));
    }
  }
  unlinkLocked(bucket, e);
  store<u32>(e, 0, E_STATE);
  atomic.sub<u32>(m + H_COUNT, 1);
  spinUnlock(bucket + 4);
  releaseElem(m, e);
  return 0;
}

/** User-space lookup of a per-CPU element into a ncpus-value buffer. */
export function htabReadAll(m: usize, key: usize, out: usize): i32 {
  const hash = hashBytes(key, keySize(m));
  const bucket = bucketAt(m, bucketIndex(m, hash));
  spinLock(bucket + 4);
  const e = findLocked(m, bucket, key, hash);
  if (e) readPerCpu(m, <usize>load<u32>(e, E_PCPU), out);
  spinUnlock(bucket + 4);
  return e ? 0 : -ENOENT;
}

/** Copy the first element of bucket `index` (lock held) to `next`. */
function firstKeyOf(m: usize, index: u32, next: usize): bool {
  const bucket = bucketAt(m, index);
  spinLock(bucket + 4);
  const p = load<u32>(bucket);
  const found = !(p & 1);
  if (found) memory.copy(next, p + E_KEY, keySize(m));
  spinUnlock(bucket + 4);
  return found;
}

// htab_map_get_next_key: the element after `key` in its chain, else the first element of the
// following buckets; a missing (or NULL) key restarts from bucket 0.
export function htabGetNextKey(m: usize, key: usize, next: usize): i32 {
  const nb = load<u32>(m, H_BUCKET_MASK) + 1;
  let start: u32 = 0;
  if (key) {
    const ks = keySize(m);
    const hash = hashBytes(key, ks);
    const index = bucketIndex(m, hash);
    const bucket = bucketAt(m, index);
    spinLock(bucket + 4);
    const e = findLocked(m, bucket, key, hash);
    if (e) {
      const p = load<u32>(e, E_NEXT);
      if (!(p & 1)) {
        memory.copy(next, p + E_KEY, ks);
        spinUnlock(bucket + 4);
        return 0;
      }
      start = index + 1;
    }
    spinUnlock(bucket + 4);
  }
  for (let i = start; i < nb; i++) {
    if (firstKeyOf(m, i, next)) return 0;
  }
  return -ENOENT;
}
