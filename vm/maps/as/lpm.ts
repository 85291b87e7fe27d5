// BPF_MAP_TYPE_LPM_TRIE (kernel/bpf/lpm_trie.c): a binary trie of prefixes, keys
// struct bpf_lpm_trie_key_u8 { u32 prefixlen; u8 data[data_size]; } with data in network
// (big-endian, most significant bit first) order. The algorithms follow the kernel's:
// intermediate nodes (flag IM, no value) join two subtrees; every intermediate node has exactly
// two children; replacing a prefix installs a new node in the old one's place.
//
// Concurrency: updates, deletes and get_next_key hold the trie lock (the kernel's trie->lock).
// Lookups take no lock (the kernel's are RCU readers): they run under a sequence counter and
// retry when a writer changed the trie meanwhile. Every child pointer is always 0 or a node of
// the pool (free nodes link through child0), so a reader racing a writer stays in bounds, and
// its walk is bounded by the trie depth (max_prefixlen + 1).

import {
  BPF_EXIST, BPF_NOEXIST, E2BIG, EEXIST, EINVAL, ENOENT, ENOMEM, ENOSPC, H_COUNT, H_KEY_STRIDE, H_LOCK,
  H_MAX_ENTRIES, H_ROOT, H_SCRATCH, H_SEQ, N_CHILD0, N_CHILD1, N_DATA, N_FLAGS, N_PREFIXLEN, NODE_INTERMEDIATE,
} from "../abi";
import { freePop, freePush } from "./freelist";
import { elems, elemSize, nElems, valueOff, valueSize } from "./header";
import { seqBegin, seqRetry, seqWriteBegin, seqWriteEnd, spinLock, spinUnlock } from "./sync";
import { copyBytes } from "./bytes";

@inline function dataSize(m: usize): u32 { return load<u32>(m, H_KEY_STRIDE); }
@inline function maxPrefixlen(m: usize): u32 { return dataSize(m) << 3; }
@inline function child(node: usize, bit: u32): usize { return atomic.load<u32>(node + (bit << 2)); }
@inline function childSlot(node: usize, bit: u32): usize { return node + (bit << 2); }
@inline function prefixlen(node: usize): u32 { return load<u32>(node, N_PREFIXLEN); }
@inline function isIntermediate(node: usize): bool { return (load<u32>(node, N_FLAGS) & NODE_INTERMEDIATE) != 0; }

/** Bit `index` of `data`, most significant bit of byte 0 first (extract_bit). */
@inline function extractBit(data: usize, index: u32): u32 {
  return (<u32>load<u8>(data + (index >> 3)) >> (7 - (index & 7))) & 1;
}

/** Leading bits `node` and `key` share, at most min(node, key prefixlen) (longest_prefix_match). */
function matchLen(m: usize, node: usize, key: usize): u32 {
  const limit = min(prefixlen(node), load<u32>(key));
  const n = dataSize(m);
  const a = node + N_DATA;
  const b = key + 4;
  let bits: u32 = 0;
  let i: u32 = 0;
  while (i + 8 <= n && bits < limit) {
    const x = load<u64>(a + i) ^ load<u64>(b + i);
    if (x) return min(bits + <u32>clz<u64>(bswap<u64>(x)), limit);
    bits += 64;
    i += 8;
  }
  while (i < n && bits < limit) {
    const x = <u32>(load<u8>(a + i) ^ load<u8>(b + i));
    if (x) return min(bits + clz<u32>(x) - 24, limit);
    bits += 8;
    i++;
  }
  return min(bits, limit);
}

export function lpmInit(m: usize): void {
  const n = nElems(m);
  const base = elems(m);
  const size = elemSize(m);
  for (let i = <i32>n - 1; i >= 0; i--) freePush(m, base + <usize>i * size, N_CHILD0);
}

/** The longest-prefix match's node, or 0 (trie_lookup_elem). Caller checks the sequence. */
function walk(m: usize, key: usize): usize {
  const max = maxPrefixlen(m);
  let found: usize = 0;
  let node = <usize>atomic.load<u32>(m, H_ROOT);
  for (let depth: u32 = 0; node && depth <= max; depth++) {
    const len = matchLen(m, node, key);
    if (len == max) {
      if (!isIntermediate(node)) found = node;
      break;
    }
    if (len < prefixlen(node)) break;
    if (!isIntermediate(node)) found = node;
    // len == prefixlen(node) < max here, so the bit index stays inside the data.
    node = child(node, extractBit(key + 4, prefixlen(node)));
  }
  return found;
}

export function lpmLookup(m: usize, key: usize): usize {
  // trie_lookup_elem: a key whose prefixlen exceeds the trie's max_prefixlen matches nothing
  // (Linux 6.18 returns NULL; checked against it in test/maps/lpm.test.ts).
  if (load<u32>(key) > maxPrefixlen(m)) return 0;
  while (true) {
    const seq = seqBegin(m + H_SEQ);
    const node = walk(m, key);
    if (!seqRetry(m + H_SEQ, seq)) return node ? node + valueOff(m) : 0;
  }
}

/** Find the slot (a child pointer or the root) where `key` belongs and the node in it. */
@inline function descend(m: usize, key: usize, slotOut: usize, parentOut: usize, parentSlotOut: usize): usize {
  let slot: usize = m + H_ROOT;
  let parentSlot: usize = slot;
  let parent: usize = 0;
  let node = <usize>load<u32>(slot);
  const keyLen = load<u32>(key);
  while (node) {
    const len = matchLen(m, node, key);
    if (prefixlen(node) != len || prefixlen(node) == keyLen) break;
    parent = node;
    parentSlot = slot;
    slot = childSlot(node, extractBit(key + 4, prefixlen(node)));
    node = <usize>load<u32>(slot);
  }
  store<u32>(slotOut, <u32>slot);
  store<u32>(parentOut, <u32>parent);
  store<u32>(parentSlotOut, <u32>parentSlot);
  return node;
}

// trie_check_add_elem
@inline function checkAdd(m: usize, flags: u64): i32 {
  if (flags == <u64>BPF_EXIST) return -ENOENT;
  if (load<u32>(m, H_COUNT) >= load<u32>(m, H_MAX_ENTRIES)) return -ENOSPC;
  store<u32>(m + H_COUNT, load<u32>(m, H_COUNT) + 1);
  return 0;
}

function newNode(m: usize, key: usize, value: usize): usize {
  const node = freePop(m, N_CHILD0);
  if (!node) return 0;
  store<u32>(node, 0, N_CHILD0);
  store<u32>(node, 0, N_CHILD1);
  store<u32>(node, load<u32>(key), N_PREFIXLEN);
  store<u32>(node, 0, N_FLAGS);
  copyBytes(node + N_DATA, key + 4, dataSize(m));
  if (value) copyBytes(node + valueOff(m), value, valueSize(m));
  return node;
}

// Scratch words for descend()'s extra results, in the header's reserved mutable area; only
// touched with the trie lock held.
const SLOT: usize = H_SCRATCH;
const PARENT: usize = H_SCRATCH + 4;
const PARENT_SLOT: usize = H_SCRATCH + 8;

function update(m: usize, key: usize, value: usize, flags: u64): i32 {
  const fresh = newNode(m, key, value);
  if (!fresh) return -ENOMEM;
  let node = descend(m, key, m + SLOT, m + PARENT, m + PARENT_SLOT);
  const slot = <usize>load<u32>(m + SLOT);
  if (!node) {
    const err = checkAdd(m, flags);
    if (err) { freePush(m, fresh, N_CHILD0); return err; }
    atomic.store<u32>(slot, <u32>fresh);
    return 0;
  }
  const len = matchLen(m, node, key);
  if (prefixlen(node) == len) {
    // The same prefix: replace the node (an intermediate one gains a value).
    if (!isIntermediate(node)) {
      if (flags == <u64>BPF_NOEXIST) { freePush(m, fresh, N_CHILD0); return -EEXIST; }
    } else {
      const err = checkAdd(m, flags);
      if (err) { freePush(m, fresh, N_CHILD0); return err; }
    }
    store<u32>(fresh, load<u32>(node, N_CHILD0), N_CHILD0);
    store<u32>(fresh, load<u32>(node, N_CHILD1), N_CHILD1);
    atomic.store<u32>(slot, <u32>fresh);
    freePush(m, node, N_CHILD0);
    return 0;
  }
  const err = checkAdd(m, flags);
  if (err) { freePush(m, fresh, N_CHILD0); return err; }
  if (len == load<u32>(key)) {
    // The new prefix covers the node: insert it as the node's parent.
    atomic.store<u32>(childSlot(fresh, extractBit(node + N_DATA, len)), <u32>node);
    atomic.store<u32>(slot, <u32>fresh);
    return 0;
  }
  // They diverge at bit `len`: join them under a new intermediate node.
  const im = freePop(m, N_CHILD0);
  if (!im) {
    store<u32>(m + H_COUNT, load<u32>(m, H_COUNT) - 1);
    freePush(m, fresh, N_CHILD0);
    return -ENOMEM;
  }
  store<u32>(im, len, N_PREFIXLEN);
  store<u32>(im, NODE_INTERMEDIATE, N_FLAGS);
  copyBytes(im + N_DATA, node + N_DATA, dataSize(m));
  if (extractBit(key + 4, len)) {
    store<u32>(im, <u32>node, N_CHILD0);
    store<u32>(im, <u32>fresh, N_CHILD1);
  } else {
    store<u32>(im, <u32>fresh, N_CHILD0);
    store<u32>(im, <u32>node, N_CHILD1);
  }
  atomic.store<u32>(slot, <u32>im);
  return 0;
}

export function lpmUpdate(m: usize, key: usize, value: usize, flags: u64): i32 {
  if (flags > <u64>BPF_EXIST) return -EINVAL;
  if (load<u32>(key) > maxPrefixlen(m)) return -EINVAL;
  spinLock(m + H_LOCK);
  seqWriteBegin(m + H_SEQ);
  const ret = update(m, key, value, flags);
  seqWriteEnd(m + H_SEQ);
  spinUnlock(m + H_LOCK);
  return ret;
}

function remove(m: usize, key: usize, out: usize): i32 {
  const node = descend(m, key, m + SLOT, m + PARENT, m + PARENT_SLOT);
  const slot = <usize>load<u32>(m + SLOT);
  const parent = <usize>load<u32>(m + PARENT);
  const parentSlot = <usize>load<u32>(m + PARENT_SLOT);
  if (!node || prefixlen(node) != load<u32>(key) || matchLen(m, node, key) != prefixlen(node) || isIntermediate(node)) {
    return -ENOENT;
  }
  if (out) copyBytes(out, node + valueOff(m), valueSize(m));
  store<u32>(m + H_COUNT, load<u32>(m, H_COUNT) - 1);
  const c0 = <usize>load<u32>(node, N_CHILD0);
  const c1 = <usize>load<u32>(node, N_CHILD1);
  if (c0 && c1) {
    // Two children: the node stays as an intermediate one.
    store<u32>(node + N_FLAGS, load<u32>(node, N_FLAGS) | NODE_INTERMEDIATE);
    return 0;
  }
  if (parent && (load<u32>(parent, N_FLAGS) & NODE_INTERMEDIATE) && !c0 && !c1) {
    // A leaf under an intermediate parent: the parent goes too and its other child moves up.
    const other = load<u32>(parent, N_CHILD0) == <u32>node ? load<u32>(parent, N_CHILD1) : load<u32>(parent, N_CHILD0);
    atomic.store<u32>(parentSlot, other);
    freePush(m, node, N_CHILD0);
    freePush(m, parent, N_CHILD0);
    return 0;
  }
  atomic.store<u32>(slot, <u32>(c0 ? c0 : c1));
  freePush(m, node, N_CHILD0);
  return 0;
}

export function lpmDelete(m: usize, key: usize, out: usize): i32 {
  if (load<u32>(key) > maxPrefixlen(m)) return -EINVAL;
  spinLock(m + H_LOCK);
  seqWriteBegin(m + H_SEQ);
  const ret = remove(m, key, out);
  seqWriteEnd(m + H_SEQ);
  spinUnlock(m + H_LOCK);
  return ret;
}

/** The leftmost non-intermediate node of the subtree at `root`: first in postorder. */
function leftmost(root: usize): usize {
  let found: usize = 0;
  let node = root;
  while (node) {
    if (isIntermediate(node)) {
      node = <usize>load<u32>(node, N_CHILD0);
    } else {
      found = node;
      const c0 = <usize>load<u32>(node, N_CHILD0);
      node = c0 ? c0 : <usize>load<u32>(node, N_CHILD1);
    }
  }
  return found;
}

/** The parent of `node`, found by walking down its own data from the root. */
function parentOf(m: usize, node: usize): usize {
  let p = <usize>load<u32>(m, H_ROOT);
  let parent: usize = 0;
  while (p && p != node) {
    parent = p;
    p = <usize>load<u32>(p + (extractBit(node + N_DATA, prefixlen(p)) << 2));
  }
  return p ? parent : 0;
}

// trie_get_next_key: postorder, so more specific prefixes come before the ones covering them.
// The kernel keeps the search path on a stack; here each parent is found again from the root.
function nextKey(m: usize, key: usize, next: usize): i32 {
  const root = <usize>load<u32>(m, H_ROOT);
  if (!root) return -ENOENT;
  let result: usize = 0;
  let node: usize = 0;
  if (key && load<u32>(key) <= maxPrefixlen(m)) {
    node = descend(m, key, m + SLOT, m + PARENT, m + PARENT_SLOT);
    if (node && (prefixlen(node) != load<u32>(key) || matchLen(m, node, key) != prefixlen(node) || isIntermediate(node))) node = 0;
  }
  if (!node) {
    result = leftmost(root);
  } else {
    while (true) {
      const parent = parentOf(m, node);
      if (!parent) return -ENOENT;
      if (<usize>load<u32>(parent, N_CHILD0) == node) {
        const right = <usize>load<u32>(parent, N_CHILD1);
        if (right) { result = leftmost(right); break; }
      }
      if (!isIntermediate(parent)) { result = parent; break; }
      node = parent;
    }
  }
  store<u32>(next, prefixlen(result));
  copyBytes(next + 4, result + N_DATA, dataSize(m));
  return 0;
}

export function lpmGetNextKey(m: usize, key: usize, next: usize): i32 {
  spinLock(m + H_LOCK);
  const ret = nextKey(m, key, next);
  spinUnlock(m + H_LOCK);
  return ret;
}
