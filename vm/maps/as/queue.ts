// BPF_MAP_TYPE_QUEUE and STACK (kernel/bpf/queue_stack_maps.c): a ring of max_entries + 1
// value slots with head and tail indices under one spin lock. Push with BPF_EXIST on a full map
// overwrites the oldest value (the tail moves on), as the kernel does for both types.

import {
  BPF_EXIST, BPF_NOEXIST, BPF_MAP_TYPE_STACK, E2BIG, EINVAL, ENOENT, H_HEAD, H_LOCK, H_TAIL,
} from "../abi";
import { mapType, maxEntries, values, valueSize, valueStride } from "./header";
import { spinLock, spinUnlock } from "./sync";
import { copyBytes } from "./bytes";

@inline function slots(m: usize): u32 { return maxEntries(m) + 1; }
@inline function slotAt(m: usize, index: u32): usize { return values(m) + index * valueStride(m); }

// queue_stack_map_push_elem
export function queuePush(m: usize, value: usize, flags: u64): i32 {
  if ((flags & <u64>BPF_NOEXIST) || flags > <u64>BPF_EXIST) return -EINVAL;
  const size = slots(m);
  spinLock(m + H_LOCK);
  let head = load<u32>(m, H_HEAD);
  let tail = load<u32>(m, H_TAIL);
  let next = head + 1 >= size ? 0 : head + 1;
  if (next == tail) {
    if (!(flags & <u64>BPF_EXIST)) {
      spinUnlock(m + H_LOCK);
      return -E2BIG;
    }
    tail = tail + 1 >= size ? 0 : tail + 1;
    store<u32>(m + H_TAIL, tail);
  }
  copyBytes(slotAt(m, head), value, valueSize(m));
  store<u32>(m + H_HEAD, next);
  spinUnlock(m + H_LOCK);
  return 0;
}

/** Pop (remove) or peek the next value into `out`: the oldest for a queue, newest for a stack. */
export function queueTake(m: usize, out: usize, remove: bool): i32 {
  const size = slots(m);
  spinLock(m + H_LOCK);
  const head = load<u32>(m, H_HEAD);
  const tail = load<u32>(m, H_TAIL);
  if (head == tail) {
    spinUnlock(m + H_LOCK);
    return -ENOENT;
  }
  if (mapType(m) == BPF_MAP_TYPE_STACK) {
    const index = head == 0 ? size - 1 : head - 1;
    copyBytes(out, slotAt(m, index), valueSize(m));
    if (remove) store<u32>(m + H_HEAD, index);
  } else {
    copyBytes(out, slotAt(m, tail), valueSize(m));
    if (remove) store<u32>(m + H_TAIL, tail + 1 >= size ? 0 : tail + 1);
  }
  spinUnlock(m + H_LOCK);
  return 0;
}
