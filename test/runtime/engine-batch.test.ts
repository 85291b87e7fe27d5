// LoadedProgram.runBatch on the interpreter with maps: the batch path must let a program touch
// the map values helpers return, as the single-run path does (regression: it refused them as
// "outside stack and packet and ctx").

import { describe, expect, it } from "vitest";
import { MapType } from "../../vm/maps/types.js";
import { load, machine, readU64, u32 } from "./fixture.js";

const COUNT_PACKETS = `
  mov %r1, 0
  stxw [%r10-4], %r1
  mov %r2, %r10
  add %r2, -4
  lddw %r1, map_fd 0
  call 1
  jeq %r0, 0, +3
  mov %r1, 1
  lock add [%r0+0], %r1
  mov %r0, 2
  exit
`;

describe("interpreter runBatch with maps", () => {
  it("updates a map value once per packet of the batch", () => {
    const m = machine("xdp", [{ name: "count", type: MapType.Array, keySize: 4, valueSize: 8, maxEntries: 1 }]);
    const prog = load(m, COUNT_PACKETS);
    const cpu = m.layout.cpu(0);
    const view = new DataView(m.memory.buffer);
    const desc = cpu.scratch;
    const results = cpu.scratch + 64;
    for (let i = 0; i < 4; i++) {
      view.setUint32(desc + 8 * i, cpu.packetData, true);
      view.setUint32(desc + 8 * i + 4, 60, true);
    }
    prog.runBatch!({ descAddr: desc, count: 4, resultsAddr: results, ctx: { addr: cpu.ctx, dataOff: 0, dataEndOff: 4 } });
    for (let i = 0; i < 4; i++) expect(view.getBigUint64(results + 8 * i, true)).toBe(2n);
    const count = m.maps!.keyed("count").lookup(u32(0));
    expect(count && readU64(count)).toBe(4n);
  });
});
