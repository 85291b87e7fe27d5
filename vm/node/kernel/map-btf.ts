// BTF describing a map's key and value for BPF_MAP_CREATE (btf_fd, btf_key_type_id,
// btf_value_type_id). The kernel finds a value's `struct bpf_spin_lock` and `struct bpf_timer`
// only through the map's BTF (kernel/bpf/syscall.c map_check_btf → btf_parse_fields), so a map
// whose programs take a lock or use a timer must be created with it. Our maps know only where
// those fields are (offsets), so this builds the least BTF that says it: the value is a struct
// of value_size bytes whose members are a `struct bpf_spin_lock` (a struct of one u32) and / or
// a `struct bpf_timer` (a struct of two u64, 16 bytes), as include/uapi/linux/bpf.h defines
// them, at their offsets; the key is a u32 when it is 4 bytes (array_map_check_btf takes only a
// 32-bit INT key), else an array of bytes of its size. Layouts: include/uapi/linux/btf.h.

import { BtfKind } from "../../btf/kinds.js";
import { btfBlob, btfInfo, BtfStrings } from "../../btf/write.js";

export interface MapBtf {
  readonly btf: Uint8Array;
  readonly keyTypeId: number;
  readonly valueTypeId: number;
}

/** The special fields of a value: their byte offsets. */
export interface ValueFields {
  readonly spinLock?: number;
  readonly timer?: number;
}

/** Type ids in the order they are written below. */
const U32 = 1;
const SPIN_LOCK = 2;
const U8 = 3;
const KEY_BYTES = 4;
const U64 = 5;
const U64X2 = 6;
const TIMER = 7;
const VALUE = 8;

/** BTF for a map of `keySize`-byte keys and `valueSize`-byte values with `fields` in the value. */
export function valueMapBtf(keySize: number, valueSize: number, fields: ValueFields): MapBtf {
  const strings = new BtfStrings();
  const name = (s: string): number => strings.add(s);
  const { INT, ARRAY, STRUCT } = BtfKind;
  // struct btf_type { name_off, info (kind << 24 | vlen), size/type }, then kind-specific data.
  const types: number[] = [];
  types.push(name("unsigned int"), btfInfo(INT), 4, 32); // encoding 0, offset 0, 32 bits
  types.push(name("bpf_spin_lock"), btfInfo(STRUCT, 1), 4, name("val"), U32, 0);
  types.push(name("unsigned char"), btfInfo(INT), 1, 8);
  // struct btf_array { type, index_type, nelems }
  types.push(0, btfInfo(ARRAY), 0, U8, U32, keySize);
  types.push(name("unsigned long long"), btfInfo(INT), 8, 64);
  types.push(0, btfInfo(ARRAY), 0, U64, U32, 2);
  types.push(name("bpf_timer"), btfInfo(STRUCT, 1), 16, name("__opaque"), U64X2, 0);
  // struct btf_member { name_off, type, offset in bits }, in offset order.
  const members: Array<[string, number, number]> = [];
  if (fields.spinLock !== undefined) members.push(["lock", SPIN_LOCK, fields.spinLock]);
  if (fields.timer !== undefined) members.push(["timer", TIMER, fields.timer]);
  members.sort((a, b) => a[2] - b[2]);
  types.push(name("value"), btfInfo(STRUCT, members.length), valueSize);
  for (const [member, type, off] of members) types.push(name(member), type, off * 8);
  const btf = btfBlob(types, strings);
  return { btf, keyTypeId: keySize === 4 ? U32 : KEY_BYTES, valueTypeId: VALUE };
}

/** BTF for a map of `keySize`-byte keys and `valueSize`-byte values with a bpf_spin_lock at `lockOff`. */
export function spinLockMapBtf(keySize: number, valueSize: number, lockOff: number): MapBtf {
  return valueMapBtf(keySize, valueSize, { spinLock: lockOff });
}
