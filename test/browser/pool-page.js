// The page side of the web pool test (pool.test.ts): WebCpuPool from dist/vm/pool/web/index.js
// with its workers loaded from dist/vm/pool/web/worker.js, on machines made here from clang
// objects fetched over HTTP and packets generated here. Everything returned is plain JSON; the
// test computes what to expect itself and runs Node's CpuPool on the same packets.

import * as api from "/dist/index.js";
import { corpusRegionSize, WebCpuPool } from "/dist/vm/pool/web/index.js";
import { objectBytes, sharedMapsModule } from "/bench/browser/fetch.js";

const NOT_IP = 256;
const SLOTS = 257;

const errorData = (err) => ({ name: err?.name ?? typeof err, message: String(err?.message ?? err) });


/** The packets of the gen specs, in order (corpus/gen: the same bytes as in Node). */
const packetsOf = (specs) => specs.flatMap((spec) => api.generate(api.parseGenSpec(spec)));

/** Count, bytes and an FNV-1a hash of the packets, so the test can tell Node has the same ones. */
function fingerprint(packets) {
  let hash = 0x811c9dc5;
  let bytes = 0;
  for (const p of packets) {
    bytes += p.data.length;
    for (const b of p.data) hash = Math.imul(hash ^ b, 0x01000193) >>> 0;
  }
  return { count: packets.length, bytes, hash };
}

/** A 2-CPU shared machine running `object`'s program, and a pool on it with the corpus loaded. */
async function poolFor(object, packets, options = {}) {
  const loaded = api.instantiateObject(api.loadObject(await objectBytes(object)), object, {
    cpus: 2,
    shared: true,
    mapsModule: await sharedMapsModule(),
    corpusSize: corpusRegionSize(packets, 2),
  });
  const pool = await WebCpuPool.create(loaded.machine, { mapsModule: await sharedMapsModule(), ...options });
  pool.loadCorpus(packets);
  return { loaded, pool };
}

const slotKey = (slot) => new Uint8Array(new Uint32Array([slot]).buffer);
const u64 = (b) => Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true));

/** proto_count's value per slot per CPU, then zeroed for the next run. */
function readAndReset(machine) {
  const map = machine.maps.perCpu("proto_count");
  const values = [];
  for (let slot = 0; slot < SLOTS; slot++) {
    values.push(map.lookup(slotKey(slot)).map(u64));
    map.update(slotKey(slot), new Uint8Array(8));
  }
  return values;
}

const cpuPackets = (run) => run.perCpu.map((c) => ({ cpu: c.cpu, packets: c.packets }));

/**
 * proto_counter (a PERCPU_ARRAY by IP protocol, slot 256 = not IP) run by the pool: for each
 * engine and each case { workers, first?, packets?, chunk? }, the verdicts, who ran what and
 * every slot's per-CPU values.
 */
async function counts(specs, engines, cases) {
  const packets = packetsOf(specs);
  const { loaded, pool } = await poolFor("proto_counter", packets);
  const runs = [];
  try {
    for (const engine of engines) {
      const program = await pool.load(loaded.program, { engine });
      for (const options of cases) {
        const run = await pool.run(program, options);
        runs.push({ engine, options, packets: run.packets, verdicts: run.verdicts, perCpu: cpuPackets(run), slots: readAndReset(loaded.machine) });
      }
    }
  } finally {
    await pool.close();
  }
  return { fingerprint: fingerprint(packets), notIp: NOT_IP, runs };
}

/** xdp_parser (PASS and DROP) on each engine and worker count: verdicts and every packet's r0. */
async function verdicts(specs, engines, workerCounts) {
  const packets = packetsOf(specs);
  const { loaded, pool } = await poolFor("xdp_parser", packets);
  const runs = [];
  try {
    for (const engine of engines) {
      const program = await pool.load(loaded.program, { engine });
      for (const workers of workerCounts) {
        const run = await pool.run(program, { workers, results: true });
        runs.push({ engine, workers, inPlace: program.ref.inPlace, verdicts: run.verdicts, perCpu: cpuPackets(run), results: Array.from(pool.readResults(), String).join(",") });
      }
    }
  } finally {
    await pool.close();
  }
  return { fingerprint: fingerprint(packets), runs };
}

/**
 * A program that faults on one packet fails its run with an error naming the CPU and the
 * program; then the same pool runs the program on the packets before that one, and another
 * program over all of them. `faulty` and `length` are assembly (errors.test.ts has the same).
 */
async function faults(engines, lengths, faulty, length) {
  const packets = lengths.map((n, i) => new Uint8Array(n).fill(i & 0xff));
  const machine = api.createMachine({ type: "xdp", shared: true, cpus: 2, mapsModule: await sharedMapsModule(), corpusSize: corpusRegionSize(packets, 2) });
  const pool = await WebCpuPool.create(machine, { mapsModule: await sharedMapsModule() });
  pool.loadCorpus(packets);
  const out = [];
  try {
    for (const engine of engines) {
      const bad = await pool.load({ insns: api.assemble(faulty), name: "faulty" }, { engine });
      const good = await pool.load({ insns: api.assemble(length), name: "length" }, { engine });
      let error = null;
      try {
        await pool.run(bad, { workers: 2, chunk: 64 });
      } catch (err) {
        error = errorData(err);
      }
      const badAt = lengths.indexOf(61);
      const before = await pool.run(bad, { workers: 2, packets: badAt, chunk: 64 });
      const all = await pool.run(good, { workers: 2 });
      out.push({ engine, error, before: before.verdicts, all: all.verdicts, allPackets: all.perCpu.reduce((n, c) => n + c.packets, 0) });
    }
  } finally {
    await pool.close();
  }
  return out;
}

/** WebCpuPool.create on a small shared machine with these options: "created" or the error. */
async function create(options) {
  try {
    const machine = api.createMachine({ type: "xdp", shared: true, cpus: 2, mapsModule: await sharedMapsModule() });
    const pool = await WebCpuPool.create(machine, { mapsModule: await sharedMapsModule(), ...options });
    await pool.close();
    return { name: "created", workers: pool.workers };
  } catch (err) {
    return errorData(err);
  }
}

window.ebpfPool = {
  crossOriginIsolated: () => globalThis.crossOriginIsolated ?? null,
  counts,
  verdicts,
  faults,
  create,
};
document.getElementById("status").textContent = "ready";
