// QUEUE and STACK maps from user space: push (BPF_MAP_UPDATE_ELEM with no key), pop
// (BPF_MAP_LOOKUP_AND_DELETE_ELEM) and peek (BPF_MAP_LOOKUP_ELEM).

import * as abi from "./abi.js";
import { MemoryView, writeBytes, type MapBytes } from "./codec.js";
import type { MapDescriptor } from "./descriptor.js";
import { flagArg, MapHandle, READ, WRITE } from "./map.js";
import type { MapsExports } from "./runtime.js";

export class QueueMap extends MapHandle {
  private readonly valueAddr: number;

  constructor(descriptor: MapDescriptor, fd: number, rt: MapsExports, view: MemoryView) {
    super(descriptor, fd, rt, view);
    this.valueAddr = descriptor.staging;
  }

  /** 0 or -E2BIG (full without BPF_EXIST), -EINVAL (BPF_NOEXIST or unknown flags). */
  tryPush(value: MapBytes, flags: number = abi.BPF_ANY): number {
    // BPF_MAP_UPDATE_ELEM: needs write access (not BPF_F_RDONLY, not frozen).
    const denied = this.access(WRITE);
    if (denied) return denied;
    writeBytes(this.view, this.valueAddr, value, this.valueSize, `map '${this.name}': value`);
    return this.rt.sys_push(this.address, this.valueAddr, flagArg(flags, `map '${this.name}': push`));
  }

  /** Push; with BPF_EXIST a full map drops its oldest value to make room. */
  push(value: MapBytes, flags: number = abi.BPF_ANY): void {
    this.check("push", this.tryPush(value, flags));
  }

  /** The next value (oldest for a queue, newest for a stack), removed; undefined when empty. */
  pop(): Uint8Array | undefined {
    // BPF_MAP_LOOKUP_AND_DELETE_ELEM: needs read and write access.
    this.check("pop", this.access(READ | WRITE));
    return this.take(this.rt.sys_pop(this.address, this.valueAddr));
  }

  /** The next value, left in place; undefined when empty. */
  peek(): Uint8Array | undefined {
    // BPF_MAP_LOOKUP_ELEM: needs read access.
    this.check("peek", this.access(READ));
    return this.take(this.rt.sys_peek(this.address, this.valueAddr));
  }

  private take(ret: number): Uint8Array | undefined {
    if (ret === -abi.ENOENT) return undefined;
    this.check("pop", ret);
    return this.view.read(this.valueAddr, this.valueSize);
  }
}
