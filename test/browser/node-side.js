// The Node side of the browser test, as its own plain Node process: the built package
// (dist/index.js, the same files the page loads), inputs read from disk, the maps runtime
// through ebpf-wasm/node's loadMapsModule. browser.test.ts runs it next to the Chromium page
// (so both compute at once, and dist/ is loaded by Node itself rather than through vitest's
// transform) and compares its output with the page's.
//
//   node test/browser/node-side.js '{"config": {...}, "plainPackets": "...", "optimised": {"files": [...], "opt": 1}}'
//
// Prints one JSON object: { scenarios, plain, optimised }.

import { readFileSync } from "node:fs";
import { countProtocols, optimised, runScenarios } from "./scenarios.js";

const root = new URL("../../", import.meta.url);
const api = await import(new URL("dist/index.js", root).href);
const node = await import(new URL("dist/node.js", root).href);

/** @type {import("./scenarios.js").Io} */
const io = {
  text: async (path) => readFileSync(new URL(path, root), "utf8"),
  bytes: async (path) => new Uint8Array(readFileSync(new URL(path, root))),
  mapsModule: async (shared) => node.loadMapsModule(shared),
};

const job = JSON.parse(process.argv[2] ?? "{}");
const out = {
  scenarios: await runScenarios(api, io, job.config),
  plain: await countProtocols(api, io, job.plainPackets),
  optimised: await optimised(api, io, job.optimised.files, job.optimised.opt),
};
process.stdout.write(JSON.stringify(out));
