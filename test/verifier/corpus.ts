// Reads corpus/verifier/*.asm: one program per file, in the assembler's syntax (vm/asm), with a
// header of `# key: value` lines:
//
//   # what the program does wrong (first line, free text)
//   # type: xdp | sched_cls | socket_filter | cgroup_skb | ...
//   # map: NAME TYPE key=K value=V entries=N [lock=OFF] [readonly] [writeonly]
//         (one line per map; lddw map_fd I = the I-th; readonly = BPF_F_RDONLY_PROG, writeonly =
//         BPF_F_WRONLY_PROG in the map's creation flags, for us and for the kernel; lock=OFF: a
//         struct bpf_spin_lock at OFF in the value, the map created with BTF saying so)
//   # expect: accept | <substring of the verifier's reason>
//   # kernel: reject | accept (why the kernel differs) | skip (why it cannot be asked)
//   # kernel-says: <substring of the kernel's message or log>   (optional; a rejected program's
//         kernel message must contain it, or the `expect` reason when this line is absent)
//   # strict: <substring of the reason>   (optional: the refusal with allowUninitStack: false,
//         the unprivileged rule, for programs root may load because they read unwritten stack)

import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { assemble } from "../../vm/asm/assembler.js";
import type { Insn } from "../../vm/isa/instruction.js";
import type { ProgramTypeName } from "../../vm/programs/types.js";
import type { VerifierMap } from "../../vm/verifier/index.js";

export const CORPUS_DIR = fileURLToPath(new URL("../../corpus/verifier/", import.meta.url));

const MAP_TYPES: Record<string, number> = {
  hash: 1, array: 2, prog_array: 3, perf_event_array: 4, percpu_hash: 5, percpu_array: 6, cgroup_array: 8, lru_hash: 9,
  devmap: 14, cpumap: 16, xskmap: 17, cgroup_storage: 19, percpu_cgroup_storage: 21, queue: 22, devmap_hash: 25, ringbuf: 27, bloom_filter: 30, sockmap: 15, sockhash: 18,
};

/** Flag words of a map line: map_flags bits (include/uapi/linux/bpf.h). */
const MAP_FLAGS: Record<string, number> = { readonly: 1 << 7, writeonly: 1 << 8 };

export interface CorpusMap extends VerifierMap {
  /** map_flags at creation (BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG). */
  readonly flags: number;
}

export interface CorpusEntry {
  readonly file: string;
  readonly name: string;
  readonly description: string;
  readonly type: ProgramTypeName;
  readonly maps: readonly CorpusMap[];
  /** undefined = must be accepted; else a substring of the rejection reason. */
  readonly expect: string | undefined;
  readonly kernel: { readonly mode: "reject" | "accept" | "skip"; readonly why: string };
  /** What the kernel's refusal must say; undefined = the `expect` reason (the kernel's words). */
  readonly kernelSays: string | undefined;
  readonly slow: boolean;
  /** The reason with allowUninitStack: false; undefined = that option changes nothing here. */
  readonly strict: string | undefined;
  readonly insns: readonly Insn[];
}

function parseMap(spec: string, file: string): CorpusMap {
  const [name, typeName, ...rest] = spec.trim().split(/\s+/);
  const type = MAP_TYPES[typeName ?? ""];
  if (!name || type === undefined) throw new Error(`${file}: bad map line '${spec}'`);
  const num = (key: string): number => {
    const m = rest.find((r) => r.startsWith(`${key}=`));
    if (!m) throw new Error(`${file}: map '${name}' has no ${key}=`);
    return Number(m.slice(key.length + 1));
  };
  let flags = 0;
  for (const word of rest.filter((r) => !r.includes("="))) {
    const bit = MAP_FLAGS[word];
    if (bit === undefined) throw new Error(`${file}: map '${name}': unknown flag '${word}'`);
    flags |= bit;
  }
  // lock=OFF: the value has a struct bpf_spin_lock at OFF (the map is created with BTF saying so).
  const lock = rest.find((r) => r.startsWith("lock="));
  return {
    name, type, keySize: num("key"), valueSize: num("value"), maxEntries: num("entries"), flags,
    ...(lock ? { spinLock: num("lock"), btf: true } : {}),
  };
}

export function parseEntry(file: string, text: string): CorpusEntry {
  const lines = text.split("\n");
  const headers = new Map<string, string[]>();
  const description = lines[0]!.replace(/^#\s*/, "");
  for (const line of lines) {
    const m = /^#\s*(type|map|expect|kernel-says|kernel|strict|slow)\s*:\s*(.*)$/.exec(line);
    if (m) headers.set(m[1]!, [...(headers.get(m[1]!) ?? []), m[2]!.trim()]);
  }
  const one = (key: string): string => {
    const v = headers.get(key);
    if (!v || v.length !== 1) throw new Error(`${file}: needs exactly one '# ${key}:' line`);
    return v[0]!;
  };
  const expect = one("expect");
  const kernel = one("kernel");
  const mode = kernel.split(/\s/)[0] as "reject" | "accept" | "skip";
  if (!["reject", "accept", "skip"].includes(mode)) throw new Error(`${file}: bad kernel line '${kernel}'`);
  return {
    file,
    name: file.replace(/\.asm$/, ""),
    description,
    type: one("type") as ProgramTypeName,
    maps: (headers.get("map") ?? []).map((m) => parseMap(m, file)),
    expect: expect === "accept" ? undefined : expect,
    kernel: { mode, why: kernel.slice(mode.length).trim() },
    kernelSays: headers.get("kernel-says")?.[0],
    slow: headers.has("slow"),
    strict: headers.get("strict")?.[0],
    insns: assemble(text),
  };
}

export function loadCorpus(): CorpusEntry[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith(".asm"))
    .sort()
    .map((f) => parseEntry(f, readFileSync(join(CORPUS_DIR, f), "utf8")));
}
