// What the browser test runs, written once and run twice: in a Chromium page (page.js, with the
// API from dist/index.js as native ES modules and files fetched over HTTP) and in Node
// (browser.test.ts, with the same API and files read from disk). browser.test.ts compares the
// two results, so everything returned here is plain JSON (bigints and bytes as strings).
//
// Plain JavaScript, not TypeScript: the page imports this file as it is.

/**
 * @typedef {object} Io  How each side reaches its inputs.
 * @property {(path: string) => Promise<string>} text  a repository file as text
 * @property {(path: string) => Promise<Uint8Array>} bytes  a repository file's bytes
 * @property {(shared: boolean) => Promise<WebAssembly.Module>} mapsModule  the maps runtime build
 */

/**
 * @typedef {object} Config
 * @property {string[]} conformance  .data files under corpus/conformance/bpf_conformance/
 * @property {string} packets  a corpus/gen spec for the packet filters
 */

const ENGINES = ["interpreter", "jit"];

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** An error as comparable data: its class, message and where. */
const errorData = (err) => ({ name: err?.name ?? typeof err, message: String(err?.message ?? err), where: err?.where ?? null });

/** Every scenario; `api` is the ebpf-wasm module (dist/index.js). */
export async function runScenarios(api, io, config) {
  const engines = {};
  for (const name of ENGINES) engines[name] = await api.getEngine(name);
  return {
    conformance: await conformance(api, io, engines, config.conformance),
    programs: await programs(api, engines),
    filters: await filters(api, io, engines, config.packets),
    badInputs: await badInputs(api, io),
  };
}

/** bpf_conformance tests on each engine: status and r0. */
async function conformance(api, io, engines, files) {
  const out = [];
  for (const file of files) {
    const test = api.parseDataFile(await io.text(`corpus/conformance/bpf_conformance/${file}`), file);
    for (const [name, engine] of Object.entries(engines)) {
      const outcome = await api.runConformanceTest(test, engine);
      out.push({ test: file, engine: name, status: outcome.status, message: outcome.message, r0: outcome.r0?.toString(16) ?? null });
    }
  }
  return out;
}

// Sum of the bytes of the input memory, 32 bits at a time with a loop: exercises loads, a
// backward jump, 32-bit ALU and the stack. r1 = memory, r2 = its length (the conformance type).
const SUM_ASM = `
  mov %r0, 0
  mov %r3, 0
  stxdw [%r10-8], %r3
loop:
  jge %r3, %r2, done
  mov %r4, %r1
  add %r4, %r3
  ldxb %r5, [%r4]
  add32 %r0, %r5
  ldxdw %r6, [%r10-8]
  add %r6, 1
  stxdw [%r10-8], %r6
  add %r3, 1
  ja loop
done:
  ldxdw %r6, [%r10-8]
  lsh %r6, 32
  or %r0, %r6
  exit
`;

/** A program from assembly text and the same as raw bytecode: verified, then run on each engine. */
async function programs(api, engines) {
  const fromAsm = api.assemble(SUM_ASM);
  const bytecode = api.encode(fromAsm);
  const fromRaw = api.decode(bytecode);
  const mem = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
  const out = { bytecode: hex(bytecode), disassembly: api.disassemble(fromRaw), runs: [] };
  for (const [form, insns] of [["asm", fromAsm], ["raw", fromRaw]]) {
    const verdict = api.verify(insns, { type: "conformance", memSize: mem.length });
    const run = { form, accepted: verdict.accepted, message: verdict.message ?? null, processed: verdict.processedInsns, r0: {} };
    for (const [name, engine] of Object.entries(engines)) {
      const machine = api.conformanceMachine();
      const loaded = await engine.load({ insns, name: `sum-${form}` }, machine);
      run.r0[name] = loaded.run(api.conformanceInput(machine, mem)).toString(16);
      loaded.dispose();
    }
    out.runs.push(run);
  }
  // And one the verifier must refuse: r0 is never written before exit.
  const unsafe = api.verify(api.assemble("mov %r1, %r2\nexit"), { type: "conformance", memSize: 8 });
  out.unsafe = { accepted: unsafe.accepted, message: unsafe.message ?? null };
  return out;
}

/** { saddr, daddr, dport } of an untagged IPv4 TCP/UDP frame, as xdp_firewall's flow_key; or undefined. */
function flowKey(frame) {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < 34 || view.getUint16(12) !== 0x0800) return undefined;
  const ihl = (frame[14] & 0x0f) * 4;
  const proto = frame[23];
  if ((proto !== 6 && proto !== 17) || frame.length < 14 + ihl + 4) return undefined;
  const key = new Uint8Array(12);
  key.set(frame.subarray(26, 34), 0); // saddr, daddr (network order, as the program copies them)
  key.set(frame.subarray(14 + ihl + 2, 14 + ihl + 4), 8); // dport
  return key;
}

/** Every map of a machine as { name: { keyHex: valueHex | [perCpuHex] } }, zero values left out. */
export function dumpMaps(machine) {
  const maps = {};
  for (const map of machine.maps) {
    if (typeof map.entries !== "function") continue;
    const entries = {};
    for (const [key, value] of map.entries()) {
      const shown = Array.isArray(value) ? value.map(hex) : hex(value);
      if ([shown].flat().some((v) => /[^0]/.test(v))) entries[hex(key)] = shown;
    }
    maps[map.name] = entries;
  }
  return maps;
}

/** clang objects over generated packets, on each engine, on unshared and shared memory. */
async function filters(api, io, engines, spec) {
  const packets = api.generate(api.parseGenSpec(spec));
  const out = [];
  // tail_calls: its PROG_ARRAY slots are filled from the object, and the JIT compiles the
  // targets synchronously while the entry runs.
  for (const [object, entry] of [["xdp_firewall", "xdp_firewall"], ["proto_counter", "proto_counter"], ["tail_calls", "tail_entry"]]) {
    const bytes = await io.bytes(`corpus/programs/${object}.o`);
    for (const shared of [false, true]) {
      for (const [name, engine] of Object.entries(engines)) {
        const obj = api.loadObject(bytes);
        const loaded = api.instantiateObject(obj, entry, { cpus: 2, shared, mapsModule: await io.mapsModule(shared) });
        let allowed = 0;
        if (object === "xdp_firewall") {
          // Allow every third flow seen, so that both verdicts occur.
          const allow = loaded.machine.maps.keyed("allow");
          const one = new Uint8Array([1, 0, 0, 0]);
          packets.forEach((p, i) => {
            const key = flowKey(p.data);
            if (key && i % 3 === 0) allow.update(key, one);
          });
          allowed = allow.size;
        }
        const runner = new api.PacketRunner(loaded.machine, await engine.load(loaded.program, loaded.machine), { cpu: 1 });
        const batch = runner.runBatch(packets, { results: true });
        out.push({
          object,
          tailPrograms: [...loaded.tailPrograms.keys()].sort(),
          engine: name,
          shared,
          sharedBuffer: Object.prototype.toString.call(loaded.machine.memory.buffer),
          verified: loaded.verified,
          allowed,
          verdicts: batch.verdicts,
          retvals: batch.results.map((r) => r.retval.toString()).join(","),
          maps: dumpMaps(loaded.machine),
        });
        runner.dispose();
      }
    }
  }
  return out;
}

/** Bad inputs: each must end in a clear BpfError, the same here and there. */
async function badInputs(api, io) {
  const elf = await io.bytes("corpus/programs/xdp_firewall.o");
  const badShoff = elf.slice();
  new DataView(badShoff.buffer).setBigUint64(0x28, 0xfffff000n, true); // e_shoff past the end
  const x86 = elf.slice();
  new DataView(x86.buffer).setUint16(0x12, 62, true); // e_machine = EM_X86_64
  const cases = {
    "elf: 4 bytes of magic only": () => api.loadObject(new Uint8Array([0x7f, 0x45, 0x4c, 0x46])),
    "elf: not an ELF file": () => api.loadObject(new TextEncoder().encode("this is not an object file at all, just some text")),
    "elf: section table past the end": () => api.loadObject(badShoff),
    "elf: x86-64, not BPF": () => api.loadObject(x86),
    "elf: truncated to half": () => api.loadObject(elf.slice(0, elf.length >> 1)),
    "elf: unknown program name": () => api.findProgram(api.loadObject(elf), "no_such_program"),
    "asm: unknown mnemonic": () => api.assemble("mov %r0, 1\naddx %r0, 1\nexit"),
    "bytecode: 7 bytes": () => api.decode(new Uint8Array(7)),
  };
  const out = {};
  for (const [what, run] of Object.entries(cases)) {
    try {
      run();
      out[what] = { name: "no error" };
    } catch (err) {
      out[what] = errorData(err);
    }
  }
  return out;
}

/** Runs that only make sense in the page (the test checks them on their own, not against Node). */
export async function pageOnly(api, io) {
  const out = {
    crossOriginIsolated: globalThis.crossOriginIsolated ?? null,
    sharedArrayBufferGlobal: typeof SharedArrayBuffer,
  };
  try {
    await api.getEngine("kernel");
    out.kernel = { name: "no error" };
  } catch (err) {
    out.kernel = errorData(err);
  }
  try {
    await api.compileMapsModule(new Uint8Array([1, 2, 3]));
    out.badMapsModule = { name: "no error" };
  } catch (err) {
    out.badMapsModule = errorData(err);
  }
  try {
    await api.compileMapsModule("/build/no-such-file.wasm");
    out.missingMapsModule = { name: "no error" };
  } catch (err) {
    out.missingMapsModule = errorData(err);
  }
  return out;
}

/** The counter on a machine of each sharedness (for the page that is not cross-origin isolated). */
export async function countProtocols(api, io, spec) {
  const packets = api.generate(api.parseGenSpec(spec));
  const bytes = await io.bytes("corpus/programs/proto_counter.o");
  const out = {};
  for (const shared of [false, true]) {
    try {
      const loaded = api.instantiateObject(api.loadObject(bytes), "proto_counter", { shared, mapsModule: await io.mapsModule(shared) });
      const engine = await api.getEngine("jit");
      const runner = new api.PacketRunner(loaded.machine, await engine.load(loaded.program, loaded.machine));
      out[shared ? "shared" : "unshared"] = { verdicts: runner.runBatch(packets).verdicts, maps: dumpMaps(loaded.machine) };
    } catch (err) {
      out[shared ? "shared" : "unshared"] = errorData(err);
    }
  }
  return out;
}

/** A few conformance tests on the JIT at `opt` (opt ≥ 1 loads Binaryen). */
export async function optimised(api, io, files, opt) {
  const engine = await api.getEngine("jit", { opt });
  const out = [];
  for (const file of files) {
    const test = api.parseDataFile(await io.text(`corpus/conformance/bpf_conformance/${file}`), file);
    const outcome = await api.runConformanceTest(test, engine);
    out.push({ test: file, status: outcome.status, r0: outcome.r0?.toString(16) ?? null });
  }
  return out;
}
