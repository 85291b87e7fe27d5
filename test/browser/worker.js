// A Web Worker as one more CPU of a machine the page created: it gets the machine's description,
// its shared memory and the maps runtime module by postMessage (which needs cross-origin
// isolation), attaches to the same memory and maps (attachMachine) and runs the program on
// CPU 1 with the JIT. The page then reads what it counted from its own side of the maps.

import * as api from "/dist/index.js";

onmessage = async ({ data }) => {
  try {
    const { description, memory, mapsModule, program, packets } = data;
    const machine = api.attachMachine(description, memory, mapsModule);
    const engine = await api.getEngine("jit");
    const runner = new api.PacketRunner(machine, await engine.load(program, machine), { cpu: 1 });
    postMessage({ verdicts: runner.runBatch(packets).verdicts });
  } catch (err) {
    postMessage({ error: { name: err?.name, message: String(err?.message ?? err) } });
  }
};
