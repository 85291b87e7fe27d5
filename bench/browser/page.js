// The page side of the browser benchmark (bench/browser/index.ts): a corpus program on a shared
// 2-CPU machine made here from its clang object, the packets generated here (corpus/gen: the same
// bytes as in Node), and a WebCpuPool of Web Workers timed with the line-rate suite's own
// measurePool (bench/line-rate/measure.ts), so Chromium and Node are measured the same way.
// Returns plain JSON.

import * as api from "/dist/index.js";
import { corpusRegionSize, WebCpuPool } from "/dist/vm/pool/web/index.js";
import { objectBytes, sharedMapsModule } from "/bench/browser/fetch.js";
import { measurePool } from "/dist/bench/line-rate/measure.js";


/**
 * `object`'s program over the packets of `spec` on `cpus` CPUs: for each engine and worker
 * count, measurePool's figures. `timing` per engine, as the line-rate suite's.
 */
async function benchPool({ object, spec, cpus, engines, workers, timing }) {
  const packets = api.generate(api.parseGenSpec(spec));
  const loaded = api.instantiateObject(api.loadObject(await objectBytes(object)), object, {
    cpus,
    shared: true,
    mapsModule: await sharedMapsModule(),
    corpusSize: corpusRegionSize(packets, cpus),
  });
  const pool = await WebCpuPool.create(loaded.machine, { mapsModule: await sharedMapsModule(), workers: cpus });
  const rows = [];
  try {
    pool.loadCorpus(packets);
    for (const engine of engines) {
      const program = await pool.load(loaded.program, { engine });
      for (const w of workers) rows.push({ engine, workers: w, ...(await measurePool(pool, program, w, timing[engine])) });
    }
  } finally {
    await pool.close();
  }
  return { userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency, packets: packets.length, rows };
}

window.benchPool = async (request) => {
  try {
    return { ok: true, result: await benchPool(request) };
  } catch (err) {
    return { ok: false, error: String(err?.stack ?? err) };
  }
};
document.getElementById("status").textContent = "ready";
