// Random classic programs for the translation tests (random.test.ts, kernel.test.ts): every
// opcode Linux accepts, random forward jumps, scratch memory, ancillary loads, division by X,
// shifts by X ≥ 32, out-of-bounds and (optionally) negative packet offsets.

import type { Rng } from "../../corpus/gen/index.js";
import { cbpfCodes, describeCbpf, sockFilter, type SockFilter } from "../../vm/cbpf/index.js";
import type { OracleSkb } from "./oracle.js";

/** Ancillary loads whose value is deterministic and translatable, with the __sk_buff field behind each. */
const ANCILLARY = [0, 4, 8, 20, 24, 32, 36, 40, 44, 48, 60];
const CODES = cbpfCodes();

function randomK(rng: Rng): number {
  return rng.pick([rng.int(64), rng.int(256), rng.u32(), 0, 1, 0xffffffff, 0x80000000, 31, 32, 33]);
}

function randomInsn(rng: Rng, pc: number, len: number, ancillary: readonly number[], negative: boolean): SockFilter {
  const code = rng.pick(CODES);
  const def = describeCbpf(code)!;
  const room = len - pc - 2; // instructions between this one and the final ret
  const jt = rng.int(Math.min(255, room) + 1);
  const jf = rng.int(Math.min(255, room) + 1);
  switch (def.kind) {
    case "alu": {
      let k = randomK(rng);
      if (!def.x && (def.alu === "div" || def.alu === "mod") && k === 0) k = 3;
      if (!def.x && (def.alu === "lsh" || def.alu === "rsh")) k &= 31;
      return sockFilter(code, 0, 0, k >>> 0);
    }
    case "ld_abs":
      if (ancillary.length && rng.chance(0.15)) return sockFilter(code, 0, 0, (0xfffff000 + rng.pick(ancillary)) >>> 0);
      return sockFilter(code, 0, 0, negative && rng.chance(0.05) ? rng.u32() & 0xfff00000 : rng.int(72));
    case "ld_ind":
    case "ldx_msh":
      return sockFilter(code, 0, 0, negative && rng.chance(0.1) ? rng.u32() : rng.chance(0.1) ? rng.int(0x7fffffff) : rng.int(72));
    case "ld_mem":
    case "ldx_mem":
    case "st":
    case "stx":
      return sockFilter(code, 0, 0, rng.int(16));
    case "ja":
      return sockFilter(code, 0, 0, rng.int(room + 1));
    case "jcond":
      return sockFilter(code, jt, jf, randomK(rng) >>> 0);
    default:
      return sockFilter(code, 0, 0, randomK(rng) >>> 0);
  }
}

export function randomProgram(rng: Rng, options: { ancillary?: readonly number[]; negativeOffsets?: boolean } = {}): SockFilter[] {
  const len = rng.range(3, 60);
  const prog: SockFilter[] = [];
  // Half the programs first write every scratch word, so loads of M[] pass the checker more often.
  if (rng.chance(0.5)) for (let m = 0; m < 16; m++) prog.push(sockFilter(0x02, 0, 0, m));
  const start = prog.length;
  for (let pc = start; pc < start + len - 1; pc++) prog.push(randomInsn(rng, pc, start + len, options.ancillary ?? ANCILLARY, options.negativeOffsets ?? true));
  prog.push(sockFilter(0x16)); // ret A
  return prog;
}

export function randomSkb(rng: Rng, data: Uint8Array): { fields: Record<string, number>; oracle: OracleSkb } {
  const proto = rng.pick([0x0800, 0x86dd, 0x0806, rng.int(65536)]);
  const vlanProto = rng.pick([0x8100, 0x88a8, 0]);
  const f = { mark: rng.u32(), ifindex: rng.int(100), pkt_type: rng.int(8), queue_mapping: rng.int(16), hash: rng.u32(), vlan_tci: rng.int(65536), vlan_present: rng.int(2) };
  const len = data.length + rng.pick([0, 0, rng.int(2000)]);
  const swap16 = (v: number): number => ((v & 0xff) << 8) | (v >> 8);
  return {
    fields: { ...f, len, protocol: swap16(proto), vlan_proto: swap16(vlanProto) },
    oracle: { len, protocol: proto, pktType: f.pkt_type, ifindex: f.ifindex, mark: f.mark, queue: f.queue_mapping, hash: f.hash, vlanTci: f.vlan_tci, vlanPresent: f.vlan_present, vlanProto, cpu: 0 },
  };
}

