// Runs translated classic programs as socket filters on a real engine (vm/engines.ts): r1 = a
// __sk_buff at the CPU's ctx (len, data, data_end at their UAPI offsets), the packet bytes in the
// CPU's packet slot. Test-only plumbing until the program types' run plumbing exists.

import type { Insn } from "../../vm/isa/instruction.js";
import type { LoadedProgram, Machine } from "../../vm/engine.js";
import { getEngine } from "../../vm/engines.js";
import { baseHelpers } from "../../vm/helpers/index.js";
import { Layout } from "../../vm/memory/layout.js";
import { ctxField, SK_BUFF_SOCKET } from "../../vm/programs/index.js";

export interface SkbFields {
  /** __sk_buff.len (default: the packet length). */
  len?: number;
  /** Other __sk_buff fields by name, as u32. */
  [field: string]: number | undefined;
}

export class SocketFilterRunner {
  private constructor(
    readonly engineName: string,
    private readonly machine: Machine,
    private readonly loaded: LoadedProgram,
  ) {}

  static async load(engineName: string, insns: readonly Insn[]): Promise<SocketFilterRunner> {
    const layout = new Layout({ cpus: 1, packetMax: 262144, mapsSize: 4096 });
    const machine: Machine = { memory: layout.createMemory(), layout, helpers: baseHelpers() };
    const engine = await getEngine(engineName);
    return new SocketFilterRunner(engineName, machine, await engine.load({ insns, name: "cbpf" }, machine));
  }

  /** Run on one packet; returns r0 as a u32 (the socket filter's "bytes to keep"). */
  run(packet: Uint8Array, fields: SkbFields = {}): number {
    const cpu = this.machine.layout.cpu(0);
    const view = new DataView(this.machine.memory.buffer);
    const bytes = new Uint8Array(this.machine.memory.buffer);
    bytes.fill(0, cpu.ctx, cpu.ctx + SK_BUFF_SOCKET.size);
    bytes.set(packet, cpu.packetData);
    const set = (name: string, v: number): void => view.setUint32(cpu.ctx + ctxField(SK_BUFF_SOCKET, name).offset, v >>> 0, true);
    for (const [name, v] of Object.entries(fields)) if (v !== undefined) set(name, v);
    set("len", fields.len ?? packet.length);
    set("data", cpu.packetData);
    set("data_end", cpu.packetData + packet.length);
    const r0 = this.loaded.run({
      args: [BigInt(cpu.ctx)],
      regions: [
        { start: cpu.ctx, end: cpu.ctx + SK_BUFF_SOCKET.size, writable: false, name: "ctx" },
        { start: cpu.packetData, end: cpu.packetData + packet.length, writable: false, name: "packet" },
      ],
    });
    return Number(r0 & 0xffffffffn);
  }

  dispose(): void {
    this.loaded.dispose();
  }
}
