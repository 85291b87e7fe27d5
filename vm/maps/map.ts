// The user-space view of one map, libbpf-like: lookup / update / delete / get_next_key
// iteration / lookup_and_delete / batches. Every call goes through the maps runtime's sys_*
// exports on the same memory programs use, so user space and programs agree byte for byte.
//
// Keys and values are staged in the map's own staging area in the arena (MapDescriptor.staging),
// so one BpfMap object is for one thread at a time; programs on other CPUs may run meanwhile.

import { BpfError } from "../errors.js";
import * as abi from "./abi.js";
import { MemoryView, writeBytes, type MapBytes } from "./codec.js";
import type { MapDescriptor } from "./descriptor.js";
import { MapError } from "./errors.js";
import type { MapsExports } from "./runtime.js";
import { isHash, mapTypeName, MapType } from "./types.js";
import { lookupFlagsError, readLocked } from "./value-lock.js";

/** update flags as the i64 the runtime takes, without a BigInt per call for the usual ones. */
/** sizeof(struct bpf_timer) (include/uapi/linux/bpf.h). */
const TIMER_SIZE = 16;
const FLAG_ARGS = [0n, 1n, 2n, 3n, 4n];
export function flagArg(flags: number, what: string): bigint {
  // typeof first: FLAG_ARGS[x] would coerce a one-element array (or typed array) to index 0.
  const arg = typeof flags === "number" ? FLAG_ARGS[flags] : undefined;
  if (arg !== undefined) return arg;
  if (!Number.isSafeInteger(flags) || flags < 0) throw new BpfError(`${what}: flags must be a non-negative integer, got ${typeof flags === "number" ? flags : typeof flags}`);
  return BigInt(flags);
}

/** Fields and plumbing every user-space map object shares. */
export abstract class MapHandle {
  readonly name: string;
  readonly type: MapType;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  /** The map pointer programs hold (lddw BPF_PSEUDO_MAP_FD): the header's address. */
  readonly address: number;
  /** The map's id (what a map of maps' lookup answers for it): fd + 1, as ids start at 1. */
  readonly id: number;
  /** Offset of the value's struct bpf_spin_lock, when it has one (BPF_F_LOCK: value-lock.ts). */
  readonly spinLock: number | undefined;
  /** Offset of the value's struct bpf_timer, when it has one: it reads as zeros (copy_map_value skips it). */
  readonly timer: number | undefined;

  constructor(
    readonly descriptor: MapDescriptor,
    /** Index in its MapSet: the "fd" a program's lddw BPF_PSEUDO_MAP_FD names. */
    readonly fd: number,
    protected readonly rt: MapsExports,
    protected readonly view: MemoryView,
  ) {
    this.name = descriptor.name;
    this.type = descriptor.type;
    this.keySize = descriptor.keySize;
    this.valueSize = descriptor.valueSize;
    this.maxEntries = descriptor.maxEntries;
    this.flags = descriptor.flags;
    this.address = descriptor.address;
    this.id = fd + 1;
    this.spinLock = descriptor.spinLock;
    this.timer = descriptor.timer;
  }

  private isFrozen = false;

  /**
   * BPF_MAP_FREEZE: from now on user space cannot change the map (updates and deletes fail with
   * -EPERM, as map_get_sys_perms drops FMODE_CAN_WRITE for a frozen map); programs still can,
   * unless the map is BPF_F_RDONLY_PROG. Freezing needs write access, so a map created
   * BPF_F_RDONLY, or one already frozen, cannot be frozen (-EPERM, as map_freeze answers).
   * Enforced by this handle (the user-space API), not by the maps runtime: a handle made for
   * the same map elsewhere (another worker) does not see it.
   */
  freeze(): void {
    this.check("freeze", this.access(WRITE));
    this.isFrozen = true;
  }

  get frozen(): boolean {
    return this.isFrozen;
  }

  get typeName(): string {
    return mapTypeName(this.type);
  }

  /**
   * map_get_sys_perms: user space reads and writes through the map's fd, whose mode comes from
   * BPF_F_RDONLY / BPF_F_WRONLY at creation (bpf_get_file_flag), minus writing once frozen.
   * 0 when every access in `need` (READ | WRITE) is allowed, else -EPERM.
   */
  protected access(need: number): number {
    let mode = READ | WRITE;
    if (this.flags & abi.BPF_F_RDONLY || this.isFrozen) mode &= ~WRITE;
    if (this.flags & abi.BPF_F_WRONLY) mode &= ~READ;
    return (need & ~mode) === 0 ? 0 : -abi.EPERM;
  }

  /** Throw MapError for a negative errno. */
  protected check(op: string, ret: number): void {
    if (ret < 0) throw new MapError(this.name, ret === -abi.EPERM ? `${op}${this.deniedBecause()}` : op, ret);
  }

  /** Why user space may not do something: " of a frozen map", " of a BPF_F_RDONLY map", ... */
  private deniedBecause(): string {
    if (this.isFrozen) return " of a frozen map";
    if (this.flags & abi.BPF_F_RDONLY) return " of a BPF_F_RDONLY map (user space may only read it)";
    if (this.flags & abi.BPF_F_WRONLY) return " of a BPF_F_WRONLY map (user space may only write it)";
    return "";
  }
}

/** Access bits of map_get_sys_perms (FMODE_CAN_READ / FMODE_CAN_WRITE). */
export const READ = 1;
export const WRITE = 2;

/** How a map's values are written, looked up and read (shared or per-CPU). */
export interface ValueCodec<V, In> {
  /** Bytes of the staging value buffer. */
  readonly bufferSize: number;
  write(view: MemoryView, addr: number, input: In, what: string): void;
  /** Address of the value to read (for `key` at keyAddr), or 0 when absent. */
  lookup(rt: MapsExports, map: number, keyAddr: number, bufAddr: number): number;
  read(view: MemoryView, addr: number): V;
}

/** A map's plain value: `valueSize` bytes. */
export function sharedValues(valueSize: number): ValueCodec<Uint8Array, MapBytes> {
  return {
    bufferSize: valueSize,
    write: (view, addr, input, what) => writeBytes(view, addr, input, valueSize, what),
    lookup: (rt, map, keyAddr) => rt.sys_lookup(map, keyAddr),
    read: (view, addr) => view.read(addr, valueSize),
  };
}

/** One page of a batch: the entries, and the cursor to pass for the next page (none at the end). */
export interface Batch<V> {
  readonly entries: Array<[key: Uint8Array, value: V]>;
  readonly cursor: Uint8Array | undefined;
}

/** A map with keys: array, hash (all kinds), LPM trie, prog array. */
export class BpfMap<V = Uint8Array, In = MapBytes> extends MapHandle {
  private readonly keyAddr: number;
  private readonly nextKeyAddr: number;
  private readonly valueAddr: number;

  constructor(
    descriptor: MapDescriptor,
    fd: number,
    rt: MapsExports,
    view: MemoryView,
    private readonly values: ValueCodec<V, In>,
  ) {
    super(descriptor, fd, rt, view);
    const keyArea = Math.ceil(Math.max(descriptor.keySize, 8) / 8) * 8;
    this.keyAddr = descriptor.staging;
    this.nextKeyAddr = descriptor.staging + keyArea;
    this.valueAddr = descriptor.staging + 2 * keyArea;
  }

  private putKey(key: MapBytes, addr = this.keyAddr): void {
    writeBytes(this.view, addr, key, this.keySize, `map '${this.name}': key`);
  }

  private putValue(value: In): void {
    this.values.write(this.view, this.valueAddr, value, `map '${this.name}': value`);
  }

  /**
   * The value for `key`, or undefined (BPF_MAP_LOOKUP_ELEM). A copy: later changes do not show.
   * `flags`: BPF_F_LOCK copies the value under its struct bpf_spin_lock (value-lock.ts); the
   * lock itself always reads as 0.
   */
  lookup(key: MapBytes, flags = 0): V | undefined {
    // map_lookup_elem checks the flags before the fd's permissions.
    this.check("lookup", lookupFlagsError(this, flags));
    this.check("lookup", this.access(READ));
    this.putKey(key);
    const addr = this.values.lookup(this.rt, this.address, this.keyAddr, this.valueAddr);
    if (!addr) return undefined;
    if (this.spinLock === undefined && this.timer === undefined) return this.values.read(this.view, addr);
    const read = (): Uint8Array => this.values.read(this.view, addr) as unknown as Uint8Array;
    const copy = this.spinLock === undefined ? read() : readLocked(this.view, addr, this.spinLock, (flags & abi.BPF_F_LOCK) !== 0, read);
    // A struct bpf_timer is the kernel's, never copied out (bpf_map_copy_value zeroes it).
    if (this.timer !== undefined) copy.fill(0, this.timer, this.timer + TIMER_SIZE);
    return copy as unknown as V;
  }

  has(key: MapBytes): boolean {
    this.check("lookup", this.access(READ));
    this.putKey(key);
    return this.values.lookup(this.rt, this.address, this.keyAddr, this.valueAddr) !== 0;
  }

  /** BPF_MAP_UPDATE_ELEM: 0 or the negative errno (-EEXIST, -ENOENT, -E2BIG, -EINVAL, ...). */
  tryUpdate(key: MapBytes, value: In, flags: number = abi.BPF_ANY): number {
    const denied = this.access(WRITE);
    if (denied) return denied;
    this.putKey(key);
    this.putValue(value);
    // A value's bpf_spin_lock (BPF_F_LOCK, the lock word never copied): the runtime's update
    // handles it, as a program's (vm/maps/as/value.ts).
    return this.rt.sys_update(this.address, this.keyAddr, this.valueAddr, flagArg(flags, `map '${this.name}': update`));
  }

  /** BPF_MAP_UPDATE_ELEM; throws MapError with the errno when the kernel would fail it. */
  update(key: MapBytes, value: In, flags: number = abi.BPF_ANY): void {
    this.check("update", this.tryUpdate(key, value, flags));
  }

  /** BPF_MAP_DELETE_ELEM: 0 or the negative errno. */
  tryDelete(key: MapBytes): number {
    const denied = this.access(WRITE);
    if (denied) return denied;
    this.putKey(key);
    return this.rt.sys_delete(this.address, this.keyAddr);
  }

  /** Delete `key`: true when it was there, false when absent; throws for other errors (arrays: -EINVAL). */
  delete(key: MapBytes): boolean {
    const ret = this.tryDelete(key);
    if (ret === -abi.ENOENT) return false;
    this.check("delete", ret);
    return true;
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM (hash maps): the value, or undefined when absent. */
  lookupAndDelete(key: MapBytes): V | undefined {
    this.check("lookup_and_delete", this.access(READ | WRITE));
    this.putKey(key);
    const ret = this.rt.sys_lookup_and_delete(this.address, this.keyAddr, this.valueAddr);
    if (ret === -abi.ENOENT) return undefined;
    this.check("lookup_and_delete", ret);
    if (this.spinLock !== undefined) this.view.u8.fill(0, this.valueAddr + this.spinLock, this.valueAddr + this.spinLock + 4);
    if (this.timer !== undefined) this.view.u8.fill(0, this.valueAddr + this.timer, this.valueAddr + this.timer + TIMER_SIZE);
    return this.values.read(this.view, this.valueAddr);
  }

  /**
   * BPF_MAP_GET_NEXT_KEY: the key after `key`, the first key without one, undefined at the end.
   * As in the kernel, a key that is not in the map restarts from the first key.
   */
  nextKey(key?: MapBytes): Uint8Array | undefined {
    this.check("get_next_key", this.access(READ));
    if (key !== undefined) this.putKey(key);
    const ret = this.rt.sys_get_next_key(this.address, key === undefined ? 0 : this.keyAddr, this.nextKeyAddr);
    if (ret === -abi.ENOENT) return undefined;
    this.check("get_next_key", ret);
    return this.view.read(this.nextKeyAddr, this.keySize);
  }

  /** Every key, in get_next_key order. Deleting the current key while iterating restarts it. */
  *keys(): Generator<Uint8Array> {
    for (let key = this.nextKey(); key; key = this.nextKey(key)) yield key;
  }

  *entries(): Generator<[Uint8Array, V]> {
    for (const key of this.keys()) {
      const value = this.lookup(key);
      if (value !== undefined) yield [key, value];
    }
  }

  /** Entries in a hash map (of maps too) or LPM trie; max_entries for arrays (all their elements exist). */
  get size(): number {
    return isHash(this.type) || this.type === MapType.LpmTrie || this.type === MapType.DevMapHash || this.type === MapType.HashOfMaps ? this.rt.sys_count(this.address) : this.maxEntries;
  }

  /** BPF_MAP_LOOKUP_BATCH: up to `count` entries after `cursor` (from the start without one). */
  lookupBatch(count: number, cursor?: Uint8Array): Batch<V> {
    // A count that is not a positive integer (NaN, 0, "10") would end the loop at once and
    // return no entries and no cursor: "the map is empty", a silent wrong answer.
    if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 1) {
      throw new BpfError(`map '${this.name}': lookup_batch count must be a positive integer, got ${typeof count === "number" ? count : typeof count}`);
    }
    const entries: Array<[Uint8Array, V]> = [];
    let key = this.nextKey(cursor);
    while (key && entries.length < count) {
      const value = this.lookup(key);
      if (value !== undefined) entries.push([key, value]);
      cursor = key;
      key = this.nextKey(key);
    }
    return { entries, cursor: key ? cursor : undefined };
  }

  /** BPF_MAP_UPDATE_BATCH: stops at the first failure with MapError (earlier updates stay). */
  updateBatch(entries: Iterable<readonly [MapBytes, In]>, flags: number = abi.BPF_ANY): number {
    let n = 0;
    for (const [key, value] of entries) {
      this.update(key, value, flags);
      n++;
    }
    return n;
  }

  /** BPF_MAP_DELETE_BATCH: the number of keys that were there and are now gone. */
  deleteBatch(keys: Iterable<MapBytes>): number {
    let n = 0;
    for (const key of keys) if (this.delete(key)) n++;
    return n;
  }
}
