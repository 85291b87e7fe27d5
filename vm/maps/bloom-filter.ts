// BLOOM_FILTER maps from user space: add a value (BPF_MAP_UPDATE_ELEM with no key, which the
// kernel turns into a push) and ask for one (BPF_MAP_LOOKUP_ELEM, whose value buffer is the
// input: a peek). There is nothing to iterate, pop or delete (bloom_filter.c: -EOPNOTSUPP).

import * as abi from "./abi.js";
import { MemoryView, writeBytes, type MapBytes } from "./codec.js";
import type { MapDescriptor } from "./descriptor.js";
import { flagArg, MapHandle, READ, WRITE } from "./map.js";
import type { MapsExports } from "./runtime.js";

export class BloomFilterMap extends MapHandle {
  private readonly valueAddr: number;

  constructor(descriptor: MapDescriptor, fd: number, rt: MapsExports, view: MemoryView) {
    super(descriptor, fd, rt, view);
    this.valueAddr = descriptor.staging;
  }

  /** 0, or -EINVAL for flags other than BPF_ANY, -EPERM without write access. */
  tryAdd(value: MapBytes, flags: number = abi.BPF_ANY): number {
    const denied = this.access(WRITE);
    if (denied) return denied;
    this.stage(value);
    return this.rt.sys_push(this.address, this.valueAddr, flagArg(flags, `map '${this.name}': add`));
  }

  /** Add `value`: set its hash functions' bits. */
  add(value: MapBytes, flags: number = abi.BPF_ANY): void {
    this.check("add", this.tryAdd(value, flags));
  }

  /** False: `value` was never added. True: it may have been (false positives are possible). */
  mayContain(value: MapBytes): boolean {
    this.check("lookup", this.access(READ));
    this.stage(value);
    const ret = this.rt.sys_peek(this.address, this.valueAddr);
    if (ret === -abi.ENOENT) return false;
    this.check("lookup", ret);
    return true;
  }

  private stage(value: MapBytes): void {
    writeBytes(this.view, this.valueAddr, value, this.valueSize, `map '${this.name}': value`);
  }
}
