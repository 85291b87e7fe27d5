// Shared plumbing of the runtime tests: a machine of a program type with maps, programs from
// assembly, and runners on the interpreter.

import { assemble } from "../../vm/asm/index.js";
import type { Program } from "../../vm/engine.js";
import { Interpreter, type InterpretedProgram } from "../../vm/interpreter/index.js";
import type { MapSpec } from "../../vm/maps/types.js";
import type { ProgramTypeName } from "../../vm/programs/types.js";
import type { RuntimeMachine } from "../../vm/runtime/machine.js";
import { createNodeMachine, type NodeMachineOptions } from "../../vm/runtime/machine.node.js";
import { PacketRunner, type RunnerOptions } from "../../vm/runtime/run.js";

export const interp = new Interpreter({ maxInsns: 10_000_000 });

export function machine(type: ProgramTypeName, maps: MapSpec[] = [], options: Partial<NodeMachineOptions> = {}): RuntimeMachine {
  return createNodeMachine({ type, maps, cpus: 2, packetMax: 2048, ...options });
}

export function program(source: string, name = "test"): Program {
  return { insns: assemble(source), name };
}

export function load(m: RuntimeMachine, source: string, name = "test"): InterpretedProgram {
  return interp.loadSync(program(source, name), m);
}

export function runner(m: RuntimeMachine, source: string, options: RunnerOptions = {}): PacketRunner {
  return new PacketRunner(m, load(m, source), options);
}

export const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n >>> 0]).buffer);
export const u64 = (n: bigint): Uint8Array => new Uint8Array(new BigUint64Array([BigInt.asUintN(64, n)]).buffer);
export const readU32 = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true);
export const readU64 = (b: Uint8Array): bigint => new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0, true);
/** -errno as the 64-bit r0 a helper returns. */
export const negErrno = (errno: number): bigint => BigInt.asUintN(64, BigInt(-errno));

/** A minimal Ethernet + IPv4 + UDP frame (60 bytes) with the given EtherType and destination MAC. */
export function frame(options: { ethertype?: number; dst?: number[]; length?: number; fill?: number } = {}): Uint8Array {
  const f = new Uint8Array(options.length ?? 60).fill(options.fill ?? 0);
  f.set(options.dst ?? [0x02, 0, 0, 0, 0, 1], 0);
  f.set([0x02, 0, 0, 0, 0, 2], 6);
  const type = options.ethertype ?? 0x0800;
  f[12] = type >> 8;
  f[13] = type & 0xff;
  return f;
}
