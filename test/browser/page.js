// The page side of the browser test: the package as a browser user loads it (dist/index.js as
// native ES modules, the maps runtime fetched and compiled with compileMapsModule), inputs
// fetched over HTTP. browser.test.ts calls window.ebpfPage.* through Playwright.

import * as api from "/dist/index.js";
import { countProtocols, dumpMaps, optimised, pageOnly, runScenarios } from "./scenarios.js";

async function fetchOk(path) {
  const response = await fetch(`/${path}`);
  if (!response.ok) throw new Error(`GET /${path}: HTTP ${response.status}`);
  return response;
}

const modules = new Map();

/** @type {import("./scenarios.js").Io} */
const io = {
  text: async (path) => (await fetchOk(path)).text(),
  bytes: async (path) => new Uint8Array(await (await fetchOk(path)).arrayBuffer()),
  mapsModule: (shared) => {
    const file = shared ? "/build/maps.wasm" : "/build/maps.unshared.wasm";
    if (!modules.has(file)) modules.set(file, api.compileMapsModule(fetch(file)));
    return modules.get(file);
  },
};

/**
 * proto_counter on a shared 2-CPU machine made here, run by a Web Worker (worker.js) as CPU 1;
 * the counts are read back here. Needs cross-origin isolation to post the shared memory.
 */
async function inWorker(spec) {
  const bytes = await io.bytes("corpus/programs/proto_counter.o");
  const mapsModule = await io.mapsModule(true);
  const loaded = api.instantiateObject(api.loadObject(bytes), "proto_counter", { cpus: 2, shared: true, mapsModule });
  const packets = api.generate(api.parseGenSpec(spec)).map((p) => p.data);
  const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  try {
    const reply = await new Promise((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(`worker: ${e.message}`));
      worker.postMessage({ description: api.describeMachine(loaded.machine), memory: loaded.machine.memory, mapsModule, program: loaded.program, packets });
    });
    return { ...reply, maps: dumpMaps(loaded.machine) };
  } finally {
    worker.terminate();
  }
}

window.ebpfPage = {
  inWorker,
  run: (config) => runScenarios(api, io, config),
  pageOnly: () => pageOnly(api, io),
  countProtocols: (spec) => countProtocols(api, io, spec),
  optimised: (files, opt) => optimised(api, io, files, opt),
};
document.getElementById("status").textContent = "ready";
