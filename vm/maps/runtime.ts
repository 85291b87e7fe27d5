// The maps runtime: the AssemblyScript module (vm/maps/as/, built to build/maps.wasm) that does
// every map operation — and, as a second entry, the packet helpers JIT code calls wasm-to-wasm
// (vm/helpers/packet/as/) — instantiated against the machine's one memory. Programs reach it through
// wasm-to-wasm imports; user space (./map.ts) calls the same exports, so both agree byte for
// byte.
//
// Memory import: the module is built with --importMemory, initial 1 page, maximum 65536 pages
// (4 GiB, the most wasm32 allows), --memoryBase 0x1000 (RUNTIME_DATA_BASE) and no data
// segments at all. Wasm matches an imported memory by subtyping: it is accepted when its
// current size is at least the declared initial size and its maximum at most the declared
// maximum. So one build accepts the memory of every Layout (Layout.createMemory makes initial =
// maximum = layout.pages ≤ 65536), and the module never grows memory. Sharedness must match
// exactly, which is why there are two builds: build/maps.wasm (shared, for workers) and
// build/maps.unshared.wasm (same code; atomics work on unshared memory too).

export interface MapsExports {
  map_init(map: number): void;
  // program side (i64 results as BigInt from JS; the JIT calls these wasm-to-wasm)
  map_lookup(map: number, key: number, cpu: number): number;
  /** map_lookup of a map known to be a HASH / LRU_HASH / PERCPU_HASH or LRU_PERCPU_HASH (no type dispatch). */
  hash_lookup(map: number, key: number): number;
  lru_hash_lookup(map: number, key: number): number;
  percpu_hash_lookup(map: number, key: number, cpu: number): number;
  /** bpf_map_lookup_percpu_elem: CPU `cpu`'s copy, 0 past the map's CPUs. */
  map_lookup_percpu_elem(map: number, key: number, cpu: number): number;
  map_update(map: number, key: number, value: number, flags: bigint, cpu: number): bigint;
  map_delete(map: number, key: number): bigint;
  map_push(map: number, value: number, flags: bigint): bigint;
  map_pop(map: number, value: number): bigint;
  map_peek(map: number, value: number): bigint;
  ringbuf_reserve(map: number, size: bigint, flags: bigint): number;
  ringbuf_submit(sample: number, flags: bigint): void;
  ringbuf_discard(sample: number, flags: bigint): void;
  ringbuf_output(map: number, data: number, size: bigint, flags: bigint): bigint;
  ringbuf_query(map: number, flags: bigint): bigint;
  prog_array_get(map: number, index: number): number;
  /** PERF_EVENT_ARRAY slot `index`: its event's CPU, or -E2BIG / -ENOENT / -EINVAL (not that type). */
  perf_event_slot(map: number, index: number): bigint;
  // packet helpers (vm/helpers/packet/as/index.ts, built into this module): every register as a
  // u64, r0 as the helper returns it, or PACKET_SLOW (jit/map-exports.ts) for "call the JS helper"
  skb_load_bytes(skb: bigint, offset: bigint, to: bigint, len: bigint): bigint;
  skb_store_bytes(skb: bigint, offset: bigint, from: bigint, len: bigint, flags: bigint): bigint;
  l3_csum_replace(skb: bigint, offset: bigint, from: bigint, to: bigint, flags: bigint): bigint;
  l4_csum_replace(skb: bigint, offset: bigint, from: bigint, to: bigint, flags: bigint): bigint;
  csum_diff(from: bigint, fromSize: bigint, to: bigint, toSize: bigint, seed: bigint): bigint;
  skb_pull_data(skb: bigint, len: bigint): bigint;
  csum_update(skb: bigint, csum: bigint): bigint;
  skb_load_bytes_relative(skb: bigint, offset: bigint, to: bigint, len: bigint, start: bigint, record: number): bigint;
  // redirect / redirect_map (vm/helpers/packet/as/redirect.ts): `record` the CPU's run record
  xdp_redirect(ifindex: bigint, flags: bigint, record: number): bigint;
  tc_redirect(ifindex: bigint, flags: bigint, record: number): bigint;
  xdp_redirect_map(map: number, key: bigint, flags: bigint, record: number, cpu: number): bigint;
  // the XDP adjust helpers (vm/helpers/packet/as/xdp-adjust.ts): `slotEnd` the CPU's packet slot's end
  xdp_adjust_head(ctx: bigint, offset: bigint, record: number, slotEnd: number): bigint;
  xdp_adjust_meta(ctx: bigint, offset: bigint, record: number, slotEnd: number): bigint;
  xdp_adjust_tail(ctx: bigint, offset: bigint, record: number, slotEnd: number): bigint;
  // xdp_get_buff_len, xdp_load / store_bytes (vm/helpers/packet/as/xdp-bytes.ts)
  xdp_get_buff_len(ctx: bigint, record: number): bigint;
  xdp_load_bytes(ctx: bigint, offset: bigint, buf: bigint, len: bigint, record: number): bigint;
  xdp_store_bytes(ctx: bigint, offset: bigint, buf: bigint, len: bigint, record: number): bigint;
  // user space (i32 results)
  sys_lookup(map: number, key: number): number;
  sys_lookup_percpu(map: number, key: number, out: number): number;
  sys_update(map: number, key: number, value: number, flags: bigint): number;
  sys_delete(map: number, key: number): number;
  sys_lookup_and_delete(map: number, key: number, out: number): number;
  sys_get_next_key(map: number, key: number, next: number): number;
  sys_push(map: number, value: number, flags: bigint): number;
  sys_pop(map: number, out: number): number;
  sys_peek(map: number, out: number): number;
  sys_count(map: number): number;
}

/** Names of every export, for checks and for building a JIT module's import object. */
export const MAPS_EXPORTS: readonly (keyof MapsExports)[] = [
  "map_init", "map_lookup", "hash_lookup", "lru_hash_lookup", "percpu_hash_lookup", "map_lookup_percpu_elem", "map_update", "map_delete", "map_push", "map_pop", "map_peek",
  "ringbuf_reserve", "ringbuf_submit", "ringbuf_discard", "ringbuf_output", "ringbuf_query", "prog_array_get",
  "perf_event_slot",
  "skb_load_bytes", "skb_store_bytes", "l3_csum_replace", "l4_csum_replace", "csum_diff", "skb_pull_data",
  "csum_update", "skb_load_bytes_relative", "xdp_redirect", "tc_redirect", "xdp_redirect_map",
  "xdp_adjust_head", "xdp_adjust_meta", "xdp_adjust_tail", "xdp_get_buff_len", "xdp_load_bytes",
  "xdp_store_bytes",
  "sys_lookup", "sys_lookup_percpu", "sys_update", "sys_delete", "sys_lookup_and_delete", "sys_get_next_key",
  "sys_push", "sys_pop", "sys_peek", "sys_count",
];

/**
 * Which build a memory needs: the shared one for a SharedArrayBuffer-backed memory. Checked by
 * the buffer's tag, not `instanceof SharedArrayBuffer`: a browser page that is not
 * cross-origin isolated hides the SharedArrayBuffer global, yet Chromium still creates shared
 * memories there (docs/browser.md).
 */
export function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return Object.prototype.toString.call(memory.buffer) === "[object SharedArrayBuffer]";
}

/** One instance of the maps runtime on one memory (one per thread: main or worker). */
export class MapsRuntime {
  readonly exports: MapsExports;

  private constructor(readonly memory: WebAssembly.Memory, instance: WebAssembly.Instance) {
    this.exports = instance.exports as unknown as MapsExports;
  }

  /**
   * Instantiate a compiled maps module (from loadMapsModule, or posted to a worker) on `memory`.
   * The module must be the build matching the memory's sharedness.
   */
  static instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): MapsRuntime {
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    return new MapsRuntime(memory, instance);
  }
}
