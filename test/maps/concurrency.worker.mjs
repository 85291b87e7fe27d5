// One CPU of the concurrency test (test/maps/concurrency.test.ts): instantiates the maps runtime
// on the shared memory and does what programs on that CPU would do, through the same exports
// the JIT imports. Plain JavaScript: worker_threads cannot load TypeScript.

import { parentPort, workerData } from "node:worker_threads";

const { module, memory, cpu, cpus, iterations, distinctKeys, shared, hash, percpu, queue, lpm, scratch } = workerData;
const rt = new WebAssembly.Instance(module, { env: { memory } }).exports;
const dv = new DataView(memory.buffer);
const i64 = new BigInt64Array(memory.buffer);

const key = scratch;
const value = scratch + 16;
const prefix = scratch + 32; // struct bpf_lpm_trie_key_u8 { u32 prefixlen; u8 data[4]; }
const u8 = new Uint8Array(memory.buffer);
let failures = 0;

for (let i = 0; i < iterations; i++) {
  // 1. The shared counter: look the value up and add to it atomically, as a program's
  //    __sync_fetch_and_add(&value, 1) does.
  dv.setBigUint64(key, 0n, true);
  const addr = rt.map_lookup(shared, key, cpu);
  if (addr === 0) failures++;
  else Atomics.add(i64, addr / 8, 1n);

  // 2. This CPU's own keys, updated over and over (BPF_ANY replaces the element each time),
  //    sharing buckets, locks and the free list with the other CPU.
  dv.setBigUint64(key, (BigInt(cpu + 1) << 32n) | BigInt(i % distinctKeys), true);
  dv.setBigUint64(value, BigInt(i), true);
  if (rt.map_update(hash, key, value, 0n, cpu) !== 0n) failures++;
  //    ... while the other CPU replaces its own: a lockless lookup of one of them (through the
  //    HASH-typed export JIT code calls) must find it whatever the replacement is doing.
  dv.setBigUint64(key, (BigInt(((cpu + 1) % cpus) + 1) << 32n) | BigInt((i * 7) % distinctKeys), true);
  if (rt.hash_lookup(hash, key) === 0) failures++;

  // 3. A per-CPU counter: this CPU's copy only, no atomics needed.
  dv.setUint32(key, 0, true);
  const slot = rt.map_lookup(percpu, key, cpu);
  dv.setBigUint64(slot, dv.getBigUint64(slot, true) + 1n, true);

  // 4. Every 16th round, a queue push of (cpu, sequence number).
  if ((i & 15) === 0) {
    dv.setBigUint64(value, (BigInt(cpu) << 32n) | BigInt(i >>> 4), true);
    if (rt.map_push(queue, value, 0n) !== 0n) failures++;
  }

  // 5. Every 4th round, the LPM trie: CPU 0 adds and removes 10.a.b.0/24 prefixes (value 24)
  //    under the fixed 10.0.0.0/8 (value 8); CPU 1 looks addresses up, and every lookup must
  //    find one of the two, never nothing and never a torn node.
  if ((i & 3) === 0) {
    const a = (i >>> 2) & 0xff;
    const b = (i >>> 10) & 0xff;
    u8.set([10, a, b, cpu === 0 ? 0 : i & 0xff], prefix + 4);
    if (cpu === 0) {
      dv.setUint32(prefix, 24, true);
      dv.setUint32(value, 24, true);
      if (rt.map_update(lpm, prefix, value, 0n, cpu) !== 0n) failures++;
      if ((i & 4) === 0 && rt.map_delete(lpm, prefix) !== 0n) failures++;
    } else {
      dv.setUint32(prefix, 32, true);
      const found = rt.map_lookup(lpm, prefix, cpu);
      const v = found === 0 ? 0 : dv.getUint32(found, true);
      if (v !== 8 && v !== 24) failures++;
    }
  }
}

parentPort.postMessage({ failures });
