// Maps whose value holds a struct bpf_spin_lock, from user space (vm/maps/value-lock.ts): which
// maps may have one (checkSpec, the kernel's map_check_btf), BPF_F_LOCK's flag rules, and the
// lock word, which no update overwrites — even one made while a program holds the lock — and
// every lookup reads as 0. test/kernel/spin-lock.test.ts compares the same with Linux.

import { describe, expect, it } from "vitest";
import * as abi from "../../vm/maps/abi.js";
import { MapError } from "../../vm/maps/errors.js";
import { lockView, spinLock, spinUnlock } from "../../vm/maps/spin-lock.js";
import { checkSpec } from "../../vm/maps/spec.js";
import { makeMaps, u32 } from "./fixture.js";

const value = (v: number, lockWord = 0): Uint8Array => {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, v, true);
  dv.setUint32(8, lockWord, true);
  dv.setUint32(12, v * 2, true);
  return b;
};
const word = (b: Uint8Array | undefined, off: number): number => new DataView(b!.buffer, b!.byteOffset).getUint32(off, true);

describe("map specs with a bpf_spin_lock", () => {
  const spec = { name: "m", keySize: 4, valueSize: 16, maxEntries: 4, spinLock: 8 };
  it("HASH and ARRAY take one; the others are refused with the kernel's errno", () => {
    expect(checkSpec({ ...spec, type: "hash" }).spinLock).toBe(8);
    expect(checkSpec({ ...spec, type: "array" }).spinLock).toBe(8);
    expect(() => checkSpec({ ...spec, type: "percpu_array" })).toThrow(/only HASH and ARRAY.*-EOPNOTSUPP/);
    expect(() => checkSpec({ ...spec, type: "lru_hash" })).toThrow(/-EOPNOTSUPP/);
    expect(() => checkSpec({ ...spec, type: "array", flags: abi.BPF_F_RDONLY_PROG })).toThrow(/-EACCES/);
    expect(() => checkSpec({ ...spec, type: "hash", spinLock: 6 })).toThrow(/not 4-byte aligned.*-EFAULT/);
    expect(() => checkSpec({ ...spec, type: "hash", spinLock: 14 })).toThrow(/within the 16-byte value.*-EINVAL/);
  });
});

describe("BPF_F_LOCK and the lock word from user space", () => {
  for (const type of ["array", "hash"] as const) {
    it(`${type}: an update never overwrites the lock, even while it is held; lookups read it as 0`, () => {
      const { maps, memory } = makeMaps();
      const map = maps.create({ name: "v", type, keySize: 4, valueSize: 16, maxEntries: 4, spinLock: 8 });
      const m = maps.keyed("v");
      m.update(u32(1), value(5, 0xdead));
      expect(word(m.lookup(u32(1)), 8)).toBe(0);
      expect(word(m.lookup(u32(1), abi.BPF_F_LOCK), 0)).toBe(5);
      // Take the lock as a program on another CPU would, and update without BPF_F_LOCK: the
      // array's element is changed in place, the lock left taken (the hash's is replaced by a
      // new element whose lock is free, as the kernel allocates one).
      const at = type === "array" ? map.descriptor.values + map.descriptor.valueStride : Number(maps.runtime.exports.sys_lookup(map.address, writeKey(memory, map.descriptor.staging, 1)));
      const i32 = lockView(memory);
      spinLock(i32, at + 8);
      m.update(u32(1), value(6, 0));
      expect(new DataView(memory.buffer).getUint32(at + 8, true)).toBe(1);
      expect(word(m.lookup(u32(1)), 0)).toBe(6);
      spinUnlock(i32, at + 8);
      m.update(u32(1), value(7, 0xffffffff), abi.BPF_F_LOCK);
      const v = m.lookup(u32(1), abi.BPF_F_LOCK)!;
      expect([word(v, 0), word(v, 8), word(v, 12)]).toEqual([7, 0, 14]);
    });
  }

  it("flags: BPF_F_LOCK needs a lock; a lookup takes no other flag; the update modes keep their errnos", () => {
    const { maps } = makeMaps();
    maps.create({ name: "plain", type: "hash", keySize: 4, valueSize: 16, maxEntries: 4 });
    maps.create({ name: "locked", type: "hash", keySize: 4, valueSize: 16, maxEntries: 4, spinLock: 8 });
    const errno = (f: () => unknown): number => {
      try {
        f();
        return 0;
      } catch (e) {
        if (e instanceof MapError) return e.errno;
        throw e;
      }
    };
    const plain = maps.keyed("plain");
    const locked = maps.keyed("locked");
    plain.update(u32(1), value(1));
    expect(errno(() => plain.lookup(u32(1), abi.BPF_F_LOCK))).toBe(-abi.EINVAL);
    expect(errno(() => plain.update(u32(1), value(1), abi.BPF_F_LOCK))).toBe(-abi.EINVAL);
    expect(errno(() => locked.lookup(u32(1), 8))).toBe(-abi.EINVAL);
    expect(errno(() => locked.update(u32(1), value(1), abi.BPF_F_LOCK | abi.BPF_EXIST))).toBe(-abi.ENOENT);
    expect(errno(() => locked.update(u32(1), value(1), abi.BPF_F_LOCK))).toBe(0);
    expect(errno(() => locked.update(u32(1), value(2), abi.BPF_F_LOCK | abi.BPF_NOEXIST))).toBe(-abi.EEXIST);
    expect(errno(() => locked.update(u32(1), value(2), abi.BPF_F_LOCK | 3))).toBe(-abi.EINVAL);
  });
});

/** Stage a u32 key in a map's staging area (for the runtime's sys_lookup), returning its address. */
function writeKey(memory: WebAssembly.Memory, at: number, key: number): number {
  new DataView(memory.buffer).setUint32(at, key, true);
  return at;
}
