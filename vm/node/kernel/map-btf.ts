// BTF describing a map's key and value for BPF_MAP_CREATE (btf_fd, btf_key_type_id,
// btf_value_type_id). The kernel finds a value's `struct bpf_spin_lock` only through the map's
// BTF (kernel/bpf/syscall.c map_check_btf → btf_parse_fields), so a map whose programs take a
// lock must be created with it. Our maps know only where the lock is (an offset), so this builds
// the least BTF that says it: the value is a struct of value_size bytes whose one member is a
// `struct bpf_spin_lock` (a struct of one u32, as include/uapi/linux/bpf.h defines it) at that
// offset; the key is a u32 when it is 4 bytes (array_map_check_btf takes only a 32-bit INT key),
// else an array of bytes of its size. Layouts: include/uapi/linux/btf.h.

import { BtfKind } from "../../btf/kinds.js";
import { btfBlob, btfInfo, BtfStrings } from "../../btf/write.js";

export interface MapBtf {
  readonly btf: Uint8Array;
  readonly keyTypeId: number;
  readonly valueTypeId: number;
}

/** Type ids in the order they are written below. */
const U32 = 1;
const SPIN_LOCK = 2;
const U8 = 3;
const KEY_BYTES = 4;
const VALUE = 5;

/** BTF for a map of `keySize`-byte keys and `valueSize`-byte values with a bpf_spin_lock at `lockOff`. */
export function spinLockMapBtf(keySize: number, valueSize: number, lockOff: number): MapBtf {
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
  // struct btf_member { name_off, type, offset in bits }
  types.push(name("value"), btfInfo(STRUCT, 1), valueSize, name("lock"), SPIN_LOCK, lockOff * 8);
  const btf = btfBlob(types, strings);
  return { btf, keyTypeId: keySize === 4 ? U32 : KEY_BYTES, valueTypeId: VALUE };
}
