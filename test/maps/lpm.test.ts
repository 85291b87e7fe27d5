// LPM_TRIE against kernel/bpf/lpm_trie.c: longest-prefix matches, the flags and errnos
// (-ENOSPC when full), deletes through intermediate nodes, get_next_key in postorder, and a
// randomized comparison with a brute-force longest match.

import { describe, expect, test } from "vitest";
import * as abi from "../../vm/maps/abi.js";
import { makeMaps, readU32 } from "./fixture.js";

/** struct bpf_lpm_trie_key_u8 for IPv4: u32 prefixlen (host order), 4 data bytes (network order). */
const v4 = (cidr: string): Uint8Array => {
  const [addr, len] = cidr.split("/");
  const key = new Uint8Array(8);
  new DataView(key.buffer).setUint32(0, Number(len ?? 32), true);
  key.set(addr!.split(".").map(Number), 4);
  return key;
};
const show = (key: Uint8Array | undefined): string | undefined =>
  key && `${[...key.subarray(4)].join(".")}/${new DataView(key.buffer, key.byteOffset).getUint32(0, true)}`;

const trie = (maxEntries = 16, keySize = 8, valueSize = 4) => {
  const f = makeMaps();
  f.maps.create({ name: "lpm", type: "lpm_trie", keySize, valueSize, maxEntries, flags: abi.BPF_F_NO_PREALLOC });
  return { ...f, t: f.maps.keyed("lpm") };
};

describe("BPF_MAP_TYPE_LPM_TRIE", () => {
  test("the longest matching prefix wins", () => {
    const { t } = trie();
    t.update(v4("192.168.0.0/16"), 1);
    t.update(v4("192.168.1.0/24"), 2);
    t.update(v4("10.0.0.0/8"), 3);
    t.update(v4("192.168.1.77/32"), 4);
    expect(readU32(t.lookup(v4("192.168.1.5")))).toBe(2);
    expect(readU32(t.lookup(v4("192.168.2.5")))).toBe(1);
    expect(readU32(t.lookup(v4("192.168.1.77")))).toBe(4);
    expect(readU32(t.lookup(v4("10.200.1.1")))).toBe(3);
    expect(t.lookup(v4("11.0.0.1"))).toBeUndefined();
    // The lookup key's own prefix length bounds the match.
    expect(readU32(t.lookup(v4("192.168.1.5/20")))).toBe(1);
    expect(t.lookup(v4("192.168.1.5/8"))).toBeUndefined();
  });

  test("a /0 prefix matches everything", () => {
    const { t } = trie();
    t.update(v4("0.0.0.0/0"), 9);
    t.update(v4("128.0.0.0/1"), 8);
    expect(readU32(t.lookup(v4("1.2.3.4")))).toBe(9);
    expect(readU32(t.lookup(v4("200.2.3.4")))).toBe(8);
  });

  test("flags: -EEXIST, -ENOENT, -EINVAL; a full trie is -ENOSPC but replaces in place", () => {
    const { t } = trie(2);
    expect(t.tryUpdate(v4("10.0.0.0/8"), 1, abi.BPF_EXIST)).toBe(-abi.ENOENT);
    expect(t.tryUpdate(v4("10.0.0.0/8"), 1, abi.BPF_NOEXIST)).toBe(0);
    expect(t.tryUpdate(v4("10.0.0.0/8"), 2, abi.BPF_NOEXIST)).toBe(-abi.EEXIST);
    expect(t.tryUpdate(v4("10.0.0.0/8"), 3, abi.BPF_EXIST)).toBe(0);
    expect(readU32(t.lookup(v4("10.1.1.1")))).toBe(3);
    expect(t.tryUpdate(v4("10.0.0.0/33"), 1)).toBe(-abi.EINVAL);
    expect(t.tryUpdate(v4("10.0.0.0/8"), 1, 5)).toBe(-abi.EINVAL);
    expect(t.tryUpdate(v4("11.0.0.0/8"), 1)).toBe(0);
    expect(t.tryUpdate(v4("12.0.0.0/8"), 1)).toBe(-abi.ENOSPC);
    expect(t.tryUpdate(v4("11.0.0.0/8"), 7)).toBe(0);
    expect(readU32(t.lookup(v4("11.0.0.1")))).toBe(7);
    expect(t.size).toBe(2);
  });

  test("deletes: exact prefixes only; nodes with two children become intermediate", () => {
    const { t } = trie();
    t.update(v4("192.168.0.0/16"), 1);
    t.update(v4("192.168.0.0/24"), 2);
    t.update(v4("192.168.128.0/24"), 3);
    expect(t.tryDelete(v4("192.168.0.0/15"))).toBe(-abi.ENOENT);
    expect(t.tryDelete(v4("192.168.0.0/33"))).toBe(-abi.EINVAL);
    expect(t.delete(v4("192.168.0.0/16"))).toBe(true); // has two children
    expect(t.lookup(v4("192.168.5.5"))).toBeUndefined();
    expect(readU32(t.lookup(v4("192.168.0.5")))).toBe(2);
    expect(t.delete(v4("192.168.0.0/16"))).toBe(false);
    expect(t.delete(v4("192.168.0.0/24"))).toBe(true); // its intermediate parent goes too
    expect(readU32(t.lookup(v4("192.168.128.5")))).toBe(3);
    expect(t.delete(v4("192.168.128.0/24"))).toBe(true);
    expect(t.size).toBe(0);
    expect(t.nextKey()).toBeUndefined();
  });

  test("get_next_key walks in postorder: more specific prefixes first (the kernel's example)", () => {
    const { t } = trie();
    for (const p of ["192.168.0.0/16", "192.168.0.0/24", "192.168.1.0/24", "192.168.128.0/24"]) t.update(v4(p), 1);
    expect([...t.keys()].map(show)).toEqual(["192.168.0.0/24", "192.168.1.0/24", "192.168.128.0/24", "192.168.0.0/16"]);
    expect(show(t.nextKey(v4("1.2.3.4/32")))).toBe("192.168.0.0/24"); // unknown key: the first
  });

  test("lookup_and_delete is not supported, as in the kernel", () => {
    const { t } = trie();
    t.update(v4("10.0.0.0/8"), 1);
    expect(() => t.lookupAndDelete(v4("10.0.0.0/8"))).toThrow(/-ENOTSUPP/);
  });

  test("randomized inserts and deletes agree with a brute-force longest match", () => {
    const max = 64;
    const { t } = trie(max, 6, 4); // 16-bit data
    const model = new Map<string, { len: number; bits: number; value: number }>();
    let seed = 99;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    const key = (len: number, bits: number) => {
      const k = new Uint8Array(6);
      new DataView(k.buffer).setUint32(0, len, true);
      k[4] = bits >> 8;
      k[5] = bits & 0xff;
      return k;
    };
    const masked = (len: number, bits: number) => (len === 0 ? 0 : (bits & (0xffff << (16 - len))) & 0xffff);
    const best = (bits: number, len: number): number | undefined => {
      let found: { len: number; value: number } | undefined;
      for (const e of model.values()) {
        if (e.len <= len && masked(e.len, bits) === e.bits && (!found || e.len > found.len)) found = e;
      }
      return found?.value;
    };
    for (let i = 0; i < 4000; i++) {
      const len = rand(17);
      const bits = masked(len, rand(1 << 16));
      const id = `${len}:${bits}`;
      if (rand(3) === 0) {
        expect(t.tryDelete(key(len, bits))).toBe(model.delete(id) ? 0 : -abi.ENOENT);
      } else {
        const want = !model.has(id) && model.size >= max ? -abi.ENOSPC : 0;
        expect(t.tryUpdate(key(len, bits), i)).toBe(want);
        if (want === 0) model.set(id, { len, bits, value: i });
      }
      const probe = rand(1 << 16);
      const plen = rand(3) === 0 ? rand(17) : 16;
      expect(readU32(t.lookup(key(plen, probe)))).toBe(best(probe, plen));
    }
    const keys = [...t.keys()].map((k) => `${new DataView(k.buffer).getUint32(0, true)}:${(k[4]! << 8) | k[5]!}`);
    expect(new Set(keys)).toEqual(new Set(model.keys()));
    expect(keys.length).toBe(model.size);
    expect(t.size).toBe(model.size);
  });

  test("program side: map_lookup on an LPM trie", () => {
    const { t, maps, memory, layout } = trie();
    t.update(v4("10.0.0.0/8"), 0xabcd);
    const key = layout.cpu(0).scratch;
    new Uint8Array(memory.buffer).set(v4("10.9.8.7"), key);
    const addr = maps.runtime.exports.map_lookup(t.address, key, 0);
    expect(addr % 8).toBe(0);
    expect(new DataView(memory.buffer).getUint32(addr, true)).toBe(0xabcd);
  });

  test("a key whose prefixlen exceeds max_prefixlen matches nothing (trie_lookup_elem), from user space and programs", () => {
    // Linux 6.18 answers NULL (checked with BPF_MAP_LOOKUP_ELEM on a key_size 8 trie: /33 after
    // inserting 10.0.0.0/8 and 0.0.0.0/0 finds nothing); we matched it on its first 32 bits.
    const { t, maps, memory, layout } = trie();
    t.update(v4("10.0.0.0/8"), 1);
    t.update(v4("0.0.0.0/0"), 2);
    expect(readU32(t.lookup(v4("10.5.5.5/32")))).toBe(1);
    expect(t.lookup(v4("10.5.5.5/33"))).toBeUndefined();
    expect(t.lookup(v4("10.5.5.5/4294967295"))).toBeUndefined();
    const key = layout.cpu(0).scratch;
    new Uint8Array(memory.buffer).set(v4("10.5.5.5/33"), key);
    expect(maps.runtime.exports.map_lookup(t.address, key, 0)).toBe(0);
  });
});
