// The maps of one machine: created once (on the thread that owns the memory), found by name or
// by fd (creation index), described as plain data for the JIT and for workers, which attach to
// the same maps in the shared memory without allocating anything.

import { BpfError } from "../errors.js";
import type { Layout } from "../memory/layout.js";
import { ArenaAllocator } from "./allocator.js";
import { MemoryView } from "./codec.js";
import type { MapDescriptor } from "./descriptor.js";
import { BpfMap, sharedValues } from "./map.js";
import { MapOfMaps } from "./map-of-maps.js";
import { perCpuValues, type PerCpuMap } from "./percpu.js";
import { PerfEventArray } from "./perf-event-array.js";
import { XskMap } from "./xsk-map.js";
import { CgroupArray } from "./cgroup-array.js";
import { planMap } from "./plan.js";
import { QueueMap } from "./queue.js";
import { BloomFilterMap } from "./bloom-filter.js";
import { RingBuf } from "./ringbuf.js";
import type { MapsRuntime } from "./runtime.js";
import { checkSpec } from "./spec.js";
import { hasPerCpuValues, isMapOfMaps, isQueueLike, MapType, mapTypeName, type MapSpec } from "./types.js";

export type AnyMap = BpfMap | PerCpuMap | QueueMap | BloomFilterMap | RingBuf | MapOfMaps;

export class MapSet implements Iterable<AnyMap> {
  private readonly maps: AnyMap[] = [];
  private readonly byName = new Map<string, AnyMap>();
  private readonly view: MemoryView;

  /**
   * `allocator` is absent for a set attached to maps another thread created (a worker): such a
   * set can use every map but create none.
   */
  private constructor(
    readonly runtime: MapsRuntime,
    private readonly ncpus: number,
    private readonly allocator: ArenaAllocator | undefined,
  ) {
    this.view = new MemoryView(runtime.memory);
  }

  /** An empty set whose maps live in `layout`'s maps arena of the runtime's memory. */
  static create(runtime: MapsRuntime, layout: Layout): MapSet {
    if (runtime.memory.buffer.byteLength < layout.mapsBase + layout.mapsSize) {
      throw new BpfError(`the memory (${runtime.memory.buffer.byteLength} bytes) is smaller than the layout's maps arena end`);
    }
    return new MapSet(runtime, layout.cpus, new ArenaAllocator(layout.mapsBase, layout.mapsSize));
  }

  /** The same maps, in a worker: from `describe()` of the set that created them. */
  static attach(runtime: MapsRuntime, descriptors: readonly MapDescriptor[]): MapSet {
    const set = new MapSet(runtime, descriptors[0]?.ncpus ?? 1, undefined);
    for (const d of descriptors) set.add(d);
    return set;
  }

  /**
   * Maps the creating thread made after this set attached (a worker learns of them with its next
   * task): `descriptors` are those of fds first, first + 1, ...; the ones this set has are skipped.
   * A map of maps' slot may name any map user space created, whenever it did (bpf_map_fd_get_ptr),
   * so a worker must know every map a program can reach through one.
   */
  adopt(first: number, descriptors: readonly MapDescriptor[]): void {
    if (this.allocator) throw new BpfError("adopt() is for a MapSet attached to another thread's maps");
    if (first > this.maps.length) throw new BpfError(`maps from fd ${first} cannot be adopted: this set has fds 0..${this.maps.length - 1} only`);
    descriptors.slice(this.maps.length - first).forEach((d) => this.add(d));
  }

  /**
   * Reserve `bytes` of the maps arena for other data that lives as long as the memory (the
   * network model's sockets, vm/runtime/sockets.ts). Only the creating thread can.
   */
  reserve(bytes: number, align: number, what: string): number {
    if (!this.allocator) throw new BpfError(`${what}: this MapSet is attached to another thread's maps and cannot reserve memory`);
    return this.allocator.alloc(bytes, align, what);
  }

  /** Create a map (BPF_MAP_CREATE). Its fd is its index in this set. */
  create(spec: MapSpec): AnyMap {
    if (!this.allocator) throw new BpfError(`map '${spec.name}': this MapSet is attached to another thread's maps and cannot create any`);
    if (this.byName.has(spec.name)) throw new BpfError(`map '${spec.name}' already exists`);
    const checked = checkSpec(spec);
    const plan = planMap(checked, this.ncpus);
    const what = `map '${checked.name}' (${mapTypeName(checked.type)}, max_entries ${checked.maxEntries})`;
    const base = this.allocator.alloc(plan.size, plan.align, what);
    this.view.u8.fill(0, base, base + plan.size);
    for (const [offset, value] of plan.headerWords(base)) this.view.dv.setUint32(base + offset, value, true);
    this.runtime.exports.map_init(base);
    return this.add({
      ...checked,
      address: base,
      values: base + plan.values,
      valueStride: plan.valueStride,
      cpuStride: plan.cpuStride,
      ncpus: this.ncpus,
      staging: base + plan.staging,
      stagingSize: plan.stagingSize,
      regionSize: plan.size,
    });
  }

  private add(d: MapDescriptor): AnyMap {
    const fd = this.maps.length;
    const rt = this.runtime.exports;
    let map: AnyMap;
    if (d.type === MapType.RingBuf) map = new RingBuf(d, fd, rt, this.view);
    else if (isQueueLike(d.type)) map = new QueueMap(d, fd, rt, this.view);
    else if (d.type === MapType.BloomFilter) map = new BloomFilterMap(d, fd, rt, this.view);
    else if (isMapOfMaps(d.type)) map = new MapOfMaps(d, fd, rt, this.view, this);
    else if (d.type === MapType.PerfEventArray) map = new PerfEventArray(d, fd, rt, this.view, sharedValues(d.valueSize));
    else if (d.type === MapType.XskMap) map = new XskMap(d, fd, rt, this.view, sharedValues(d.valueSize));
    else if (d.type === MapType.CgroupArray) map = new CgroupArray(d, fd, rt, this.view, sharedValues(d.valueSize));
    else if (hasPerCpuValues(d.type)) map = new BpfMap(d, fd, rt, this.view, perCpuValues(d.valueSize, d.ncpus));
    else map = new BpfMap(d, fd, rt, this.view, sharedValues(d.valueSize));
    this.maps.push(map);
    this.byName.set(d.name, map);
    return map;
  }

  get(name: string): AnyMap | undefined {
    return this.byName.get(name);
  }

  byFd(fd: number): AnyMap | undefined {
    return this.maps[fd];
  }

  /** The map with this id (MapHandle.id: what a map of maps' lookup answers), if any. */
  byId(id: number): AnyMap | undefined {
    return this.maps[id - 1];
  }

  /** The map at a program's map pointer (header address), if any. */
  byAddress(address: number): AnyMap | undefined {
    return this.maps.find((m) => m.address === address);
  }

  private need(name: string): AnyMap {
    const map = this.byName.get(name);
    if (!map) throw new BpfError(`no map named '${name}'`);
    return map;
  }

  private wrongKind(map: AnyMap, want: string): never {
    throw new BpfError(`map '${map.name}' is a ${map.typeName} map, not ${want}`);
  }

  /** A map with keys and one value per key (array, hash, LRU hash, LPM trie, prog array). */
  keyed(name: string): BpfMap {
    const map = this.need(name);
    if (map instanceof BpfMap && !hasPerCpuValues(map.type) && !(map instanceof MapOfMaps)) return map as BpfMap;
    return this.wrongKind(map, map instanceof MapOfMaps ? "a map with one value per key (a map of maps takes inner maps: mapOfMaps())" : "a map with one value per key");
  }

  /** An ARRAY_OF_MAPS / HASH_OF_MAPS: slots take inner maps (by fd or handle), lookups give ids. */
  mapOfMaps(name: string): MapOfMaps {
    const map = this.need(name);
    return map instanceof MapOfMaps ? map : this.wrongKind(map, "a map of maps");
  }

  /** A per-CPU map: lookups give one value per CPU. */
  perCpu(name: string): PerCpuMap {
    const map = this.need(name);
    if (map instanceof BpfMap && hasPerCpuValues(map.type)) return map as unknown as PerCpuMap;
    return this.wrongKind(map, "a per-CPU map");
  }

  queue(name: string): QueueMap {
    const map = this.need(name);
    return map instanceof QueueMap ? map : this.wrongKind(map, "a queue or stack");
  }

  /** A BLOOM_FILTER: add values, ask whether one may have been added. */
  bloomFilter(name: string): BloomFilterMap {
    const map = this.need(name);
    return map instanceof BloomFilterMap ? map : this.wrongKind(map, "a bloom filter");
  }

  /** A PERF_EVENT_ARRAY: open its slots to receive bpf_perf_event_output's records. */
  perfEventArray(name: string): PerfEventArray {
    const map = this.need(name);
    return map instanceof PerfEventArray ? map : this.wrongKind(map, "a perf event array");
  }

  /** A CGROUP_ARRAY: slots take cgroup ids (./cgroup-array.ts), which user space cannot look up. */
  cgroupArray(name: string): CgroupArray {
    const map = this.need(name);
    return map instanceof CgroupArray ? map : this.wrongKind(map, "a cgroup array");
  }

  /** An XSKMAP: slots take AF_XDP socket ids (./xsk-map.ts), which user space cannot look up. */
  xskMap(name: string): XskMap {
    const map = this.need(name);
    return map instanceof XskMap ? map : this.wrongKind(map, "an XSKMAP");
  }

  ringbuf(name: string): RingBuf {
    const map = this.need(name);
    return map instanceof RingBuf ? map : this.wrongKind(map, "a ring buffer");
  }

  get size(): number {
    return this.maps.length;
  }

  [Symbol.iterator](): Iterator<AnyMap> {
    return this.maps[Symbol.iterator]();
  }

  /** Plain descriptors (fd order): for the JIT, and for MapSet.attach in workers. */
  describe(): MapDescriptor[] {
    return this.maps.map((m) => m.descriptor);
  }

  /** Bytes of the maps arena used and left (undefined in an attached set). */
  get arena(): { used: number; free: number } | undefined {
    return this.allocator && { used: this.allocator.used, free: this.allocator.free };
  }
}
