// The user-space view of an ARRAY_OF_MAPS / HASH_OF_MAPS, as the bpf() syscall gives it: an
// update takes the inner map's fd (a 4-byte value, as libbpf's bpf_map_update_elem(outer, &key,
// &inner_fd, 0), or the map's handle), a lookup answers the inner map's id (4 bytes,
// bpf_map_fd_sys_lookup_elem); ids here are fd + 1 (MapHandle.id, MapSet.byId). The slot itself
// holds the inner map's header address: the map pointer a program's lookup returns.
//
// bpf_map_fd_get_ptr: an fd that names no map is -EBADF; a map unlike the inner template
// (innerMapMismatch: bpf_map_meta_equal / array_map_meta_equal) is -EINVAL. Both are decided
// here, where fds mean something, and passed to the runtime as INNER_BAD_FD /
// INNER_INCOMPATIBLE so that it answers them in the kernel's order among its own checks.

import * as abi from "./abi.js";
import { MemoryView, writeBytes, type MapBytes } from "./codec.js";
import type { MapDescriptor } from "./descriptor.js";
import { MapError } from "./errors.js";
import { BpfMap, MapHandle, type ValueCodec } from "./map.js";
import type { MapsExports } from "./runtime.js";
import { innerMapMismatch, type CheckedInner } from "./spec.js";

/** What an update names the inner map by: its fd (4 bytes or a number) or its handle. */
export type InnerMapRef = MapBytes | MapHandle;

/** The maps of the set, by fd and by header address. */
export interface MapResolver {
  byFd(fd: number): MapHandle | undefined;
  byAddress(address: number): MapHandle | undefined;
}

/** A slot's stored word (an address) read back as the inner map's id; the raw word goes in. */
function slotValues(maps: MapResolver): ValueCodec<Uint8Array, InnerMapRef> {
  return {
    bufferSize: 4,
    write: (view, addr, input, what) => writeBytes(view, addr, input as number, 4, what),
    lookup: (rt, map, keyAddr) => rt.sys_lookup(map, keyAddr),
    read: (view, addr) => {
      const inner = maps.byAddress(view.dv.getUint32(addr, true));
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, inner ? inner.id : 0, true);
      return out;
    },
  };
}

export class MapOfMaps extends BpfMap<Uint8Array, InnerMapRef> {
  /** The inner map template every slot's map must match. */
  readonly inner: CheckedInner;
  /** Why the last update's map cannot go in a slot, and the errno that gives (for the message). */
  private refusal: { readonly errno: number; readonly why: string } | undefined;

  constructor(descriptor: MapDescriptor, fd: number, rt: MapsExports, view: MemoryView, private readonly maps: MapResolver) {
    super(descriptor, fd, rt, view, slotValues(maps));
    this.inner = descriptor.inner!;
  }

  /** The word the runtime stores for `ref`: the inner map's address, or why it cannot be one. */
  private slotWord(ref: InnerMapRef): number {
    this.refusal = undefined;
    const fd = ref instanceof MapHandle ? ref.fd : fdOf(ref);
    const map = fd === undefined ? undefined : this.maps.byFd(fd);
    if (!map || (ref instanceof MapHandle && map !== ref)) {
      this.refusal = { errno: -abi.EBADF, why: fd === undefined ? "the value is not a map fd (4 bytes)" : `fd ${fd} names no map of this set` };
      return abi.INNER_BAD_FD;
    }
    const why = innerMapMismatch(this.inner, map.descriptor);
    if (why === undefined) return map.address;
    this.refusal = { errno: -abi.EINVAL, why: `map '${map.name}' cannot be an inner map of '${this.name}': ${why}` };
    return abi.INNER_INCOMPATIBLE;
  }

  /** BPF_MAP_UPDATE_ELEM with an inner map fd: 0 or -errno (-EBADF, -EINVAL, -E2BIG, -EEXIST...). */
  override tryUpdate(key: MapBytes, value: InnerMapRef, flags: number = abi.BPF_ANY): number {
    return super.tryUpdate(key, this.slotWord(value), flags);
  }

  override update(key: MapBytes, value: InnerMapRef, flags: number = abi.BPF_ANY): void {
    const ret = this.tryUpdate(key, value, flags);
    // The reason goes with the errno the inner map gives (-EBADF, -EINVAL); the runtime may have
    // failed first on the flags or the key (mapofmaps.ts: the kernel's order).
    const why = this.refusal?.errno === ret ? ` (${this.refusal.why})` : "";
    if (ret < 0) throw new MapError(this.name, `update${why}`, ret);
  }

  /** The inner map in the slot of `key`, or undefined (empty slot, missing key). */
  innerMap(key: MapBytes): MapHandle | undefined {
    const id = this.lookup(key);
    return id ? this.maps.byFd(new DataView(id.buffer, id.byteOffset).getUint32(0, true) - 1) : undefined;
  }
}

/** An fd given as a number, a bigint or 4 little-endian bytes (undefined if it cannot be one). */
function fdOf(ref: MapBytes): number | undefined {
  if (typeof ref === "number") return Number.isSafeInteger(ref) && ref >= 0 ? ref : undefined;
  if (typeof ref === "bigint") return ref >= 0n && ref <= 0xffffffffn ? Number(ref) : undefined;
  if (ref instanceof Uint8Array && ref.length === 4) return new DataView(ref.buffer, ref.byteOffset, 4).getUint32(0, true);
  return undefined;
}
