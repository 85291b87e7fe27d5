// The eBPF address space: one WebAssembly.Memory shared by the interpreter, the JIT's modules,
// the AssemblyScript runtime and user space (../../docs/memory-model.md). An eBPF pointer is an
// offset into it. The layout is fixed when the memory is created and documented here:
//
//   0x00000 .. 0x01000   null guard: never handed out, so a NULL pointer is never valid
//   0x01000 .. 0x10000   AssemblyScript runtime static data (its --memoryBase)
//   cpuBase ..           one region per CPU, each on its own cache lines:
//                          stack   STACK_FRAMES × 512 bytes (frame 0 at the top)
//                          ctx     context struct (xdp_md / __sk_buff)
//                          scratch helper arguments and results
//                          packet  headroom | data (up to packetMax) | tailroom
//   mapsBase ..          the maps arena (map values, hash buckets)
//   corpusBase ..        the packet corpus: packets and their descriptors, loaded once and
//                        read in place by every CPU (tasks carry packet indices, not bytes)

import { BpfError } from "../errors.js";
import { STACK_FRAMES, STACK_SIZE } from "../isa/opcodes.js";

export const WASM_PAGE = 65536;
export const NULL_GUARD = 0x1000;
export const RUNTIME_DATA_BASE = NULL_GUARD;
export const CPU_BASE = 0x10000;
export const CACHE_LINE = 64;
/** XDP_PACKET_HEADROOM in the kernel: room for xdp_adjust_head to grow the packet. */
export const PACKET_HEADROOM = 256;
export const PACKET_TAILROOM = 256;
export const CTX_SIZE = 256;
export const SCRATCH_SIZE = 256;

export interface LayoutOptions {
  /** Number of CPUs (workers) with their own stack, ctx and packet slot. */
  cpus?: number;
  /** Largest packet (or conformance input) a CPU's slot holds, in bytes. */
  packetMax?: number;
  /** Bytes reserved for maps. */
  mapsSize?: number;
  /** Bytes reserved for a packet corpus shared by all CPUs (0: none). */
  corpusSize?: number;
}

/** One CPU's private region. All addresses are offsets in the shared memory. */
export interface CpuRegion {
  readonly cpu: number;
  readonly stackBase: number; // lowest stack byte
  readonly stackTop: number; // r10 of frame 0 (one past the highest byte)
  readonly ctx: number;
  readonly scratch: number;
  readonly packetSlot: number; // start of headroom
  readonly packetData: number; // where packet data starts by default (after the headroom)
  readonly packetEnd: number; // one past the end of the tailroom
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

export class Layout {
  readonly cpus: number;
  readonly packetMax: number;
  readonly cpuRegionSize: number;
  readonly mapsBase: number;
  readonly mapsSize: number;
  readonly corpusBase: number;
  readonly corpusSize: number;
  readonly pages: number;
  private readonly regions: CpuRegion[];

  constructor(options: LayoutOptions = {}) {
    this.cpus = options.cpus ?? 1;
    this.packetMax = options.packetMax ?? 65536;
    this.mapsSize = alignUp(options.mapsSize ?? 1 << 20, CACHE_LINE);
    this.corpusSize = alignUp(options.corpusSize ?? 0, CACHE_LINE);
    if (!Number.isInteger(this.cpus) || this.cpus < 1 || this.cpus > 256) {
      throw new RangeError(`cpus must be an integer from 1 to 256, got ${this.cpus}`);
    }
    const stackSize = STACK_FRAMES * STACK_SIZE;
    const packetSlotSize = PACKET_HEADROOM + this.packetMax + PACKET_TAILROOM;
    this.cpuRegionSize = alignUp(stackSize + CTX_SIZE + SCRATCH_SIZE + packetSlotSize, CACHE_LINE);
    this.regions = Array.from({ length: this.cpus }, (_, cpu) => {
      const base = CPU_BASE + cpu * this.cpuRegionSize;
      const ctx = base + stackSize;
      const scratch = ctx + CTX_SIZE;
      const packetSlot = scratch + SCRATCH_SIZE;
      return {
        cpu,
        stackBase: base,
        stackTop: base + stackSize,
        ctx,
        scratch,
        packetSlot,
        packetData: packetSlot + PACKET_HEADROOM,
        packetEnd: packetSlot + packetSlotSize,
      };
    });
    this.mapsBase = alignUp(CPU_BASE + this.cpus * this.cpuRegionSize, WASM_PAGE);
    this.corpusBase = alignUp(this.mapsBase + this.mapsSize, WASM_PAGE);
    this.pages = Math.ceil((this.corpusBase + this.corpusSize) / WASM_PAGE);
    if (this.pages > 65536) {
      throw new RangeError(`the layout needs ${this.pages} pages of 64 KiB: more than wasm32's 4 GiB`);
    }
  }

  cpu(id: number): CpuRegion {
    const region = this.regions[id];
    if (!region) throw new RangeError(`no CPU ${id}: the layout has ${this.cpus}`);
    return region;
  }

  /** Create the one memory for this layout. Shared when workers will run on it. */
  createMemory(shared = false): WebAssembly.Memory {
    try {
      return new WebAssembly.Memory({ initial: this.pages, maximum: this.pages, shared });
    } catch (err) {
      const size = `${this.pages} pages of 64 KiB`;
      if (!shared) throw new BpfError(`cannot create the machine's memory (${size}): ${(err as Error).message}`);
      // Browsers may refuse shared memories outside a cross-origin isolated page; say so
      // instead of passing on the engine's bare TypeError (docs/browser.md).
      throw new BpfError(
        `cannot create a shared memory (${size}): ${(err as Error).message}. In a browser page shared memories ` +
          "need cross-origin isolation (COOP/COEP headers, docs/browser.md); without it use an unshared machine (shared: false), which runs on one thread",
      );
    }
  }
}
