// The Linux kernel's test_verifier tests (tools/testing/selftests/bpf/test_verifier.c and
// verifier/*.c: ~1,360 hand-written programs with the maps, program type and packet of each) as
// programs for our verifier and engines and for the kernel. They are not kept in this repository
// (they are the kernel's, GPL-2.0): test_verifier/build.sh extracts them from a Linux source
// tree or Debian's linux-source-* package (LINUX_SOURCE, else /usr/src/linux-source-6.1.tar.xz)
// with gcc and libbpf-dev, once, into node_modules/.cache. Each `fixup_*` list gets the map
// test_verifier.c's do_test_fixup creates for it.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { decode, type Insn } from "../../vm/isa/instruction.js";
import type { KernelMapSpec } from "../../vm/node/kernel/bridge.js";
import { PROGRAM_TYPES, type ProgramTypeName } from "../../vm/programs/types.js";

const BUILD = fileURLToPath(new URL("./test_verifier/build.sh", import.meta.url));
const CACHE = fileURLToPath(new URL("../../node_modules/.cache/ebpf-wasm/", import.meta.url));

export interface RawTest {
  readonly i: number;
  readonly descr: string;
  readonly prog_type: number;
  readonly result: number;
  readonly flags: number;
  readonly attach: number;
  readonly errstr: string | null;
  readonly btf: number;
  readonly func_info: number;
  readonly kfunc: number;
  readonly runs: ReadonlyArray<{ readonly retval: number; readonly data: string }>;
  readonly insns: string;
  readonly [fixup: `fixup_${string}`]: readonly number[] | undefined;
}

/**
 * A map of test_verifier.c's: whether update_map writes its element 0 (struct test_val), and for
 * a prog array the programs create_prog_array puts in it.
 */
type FixupMap = Omit<KernelMapSpec, "inner"> & {
  readonly inner?: Omit<KernelMapSpec, "inner"> & { readonly name: string };
  readonly testVal?: true;
  readonly targets?: readonly TailTarget[];
};

/** [slot, what the program does, its r0]: "ret" returns, "loop" tail-calls its own slot first. */
type TailTarget = readonly [slot: number, kind: "ret" | "loop", r0: number];

/** create_prog_array(type, max_elem, p1key, 1, 2): p1key → r0 = 42, 1 → tail call itself, then r0 = 41, 2 → r0 = 24. */
const progArray = (maxEntries: number, p1key: number): FixupMap => ({
  type: 3, keySize: 4, valueSize: 4, maxEntries, targets: [[p1key, "ret", 42], [1, "loop", 41], [2, "ret", 24]],
});

const NO_PREALLOC = 1; // __create_map: BPF_F_NO_PREALLOC on every hash map
const RDONLY_PROG = 1 << 7;
const WRONLY_PROG = 1 << 8;

/** do_test_fixup's maps, in its order; `lddw map_fd` at each listed instruction takes the map. */
const FIXUP_MAPS: Readonly<Record<string, FixupMap>> = {
  fixup_map_hash_8b: { type: 1, keySize: 8, valueSize: 8, maxEntries: 1, flags: NO_PREALLOC },
  fixup_map_hash_48b: { type: 1, keySize: 8, valueSize: 48, maxEntries: 1, flags: NO_PREALLOC },
  fixup_map_hash_16b: { type: 1, keySize: 8, valueSize: 16, maxEntries: 1, flags: NO_PREALLOC },
  fixup_map_array_48b: { type: 2, keySize: 4, valueSize: 48, maxEntries: 1, testVal: true },
  fixup_prog1: progArray(4, 0),
  fixup_prog2: progArray(8, 7),
  fixup_map_in_map: { type: 12, keySize: 4, valueSize: 4, maxEntries: 1, inner: { type: 2, keySize: 4, valueSize: 4, maxEntries: 1, name: "inner" } },
  fixup_map_xskmap: { type: 17, keySize: 4, valueSize: 4, maxEntries: 1 },
  fixup_map_spin_lock: { type: 2, keySize: 4, valueSize: 8, maxEntries: 1, spinLock: 4 }, // struct { int cnt; struct bpf_spin_lock l; }
  fixup_map_array_ro: { type: 2, keySize: 4, valueSize: 48, maxEntries: 1, flags: RDONLY_PROG, testVal: true },
  fixup_map_array_wo: { type: 2, keySize: 4, valueSize: 48, maxEntries: 1, flags: WRONLY_PROG, testVal: true },
  fixup_map_array_small: { type: 2, keySize: 4, valueSize: 1, maxEntries: 1, testVal: true },
  fixup_map_event_output: { type: 4, keySize: 4, valueSize: 4, maxEntries: 1 },
  fixup_map_ringbuf: { type: 27, keySize: 0, valueSize: 0, maxEntries: 4096 },
  fixup_map_timer: { type: 2, keySize: 4, valueSize: 16, maxEntries: 1, timer: 0 }, // struct { struct bpf_timer t; }
};

/** Why a test is not run here, or undefined. */
export function outOfScope(t: RawTest): string | undefined {
  const type = typeOf(t);
  if (!type) return `program type ${t.prog_type || 1} (not one of ours)`;
  if (t.btf || t.func_info) return "BTF types or func_info";
  if (t.kfunc) return "kfuncs by BTF id";
  const fixup = Object.keys(t).find((k) => k.startsWith("fixup_") && !FIXUP_MAPS[k]);
  if (fixup) return `${fixup} (its map type is not built here)`;
  return undefined;
}

const F_NEEDS_EFFICIENT_UNALIGNED_ACCESS = 1;
const F_LOAD_WITH_STRICT_ALIGNMENT = 2;
const BPF_F_STRICT_ALIGNMENT = 1;
const BPF_F_ANY_ALIGNMENT = 2;
const BPF_F_TEST_STATE_FREQ = 8;

export function typeOf(t: RawTest): ProgramTypeName | undefined {
  const kernelType = t.prog_type || 1; // test_verifier: BPF_PROG_TYPE_SOCKET_FILTER when unset
  return Object.values(PROGRAM_TYPES).find((p) => p.kernelType === kernelType)?.name;
}

export interface Prepared {
  readonly type: ProgramTypeName;
  readonly kernelType: number;
  readonly insns: Insn[];
  readonly maps: ReadonlyArray<FixupMap & { readonly name: string }>;
  /** prog_flags as do_test_single sets them. */
  readonly progFlags: number;
  readonly strictAlignment: boolean;
  readonly testStateFreq: boolean;
}

/** The program with its maps (`lddw map_fd` patched to their index), as do_test_fixup makes it. */
export function prepare(t: RawTest): Prepared {
  const type = typeOf(t)!;
  const insns = decode(Buffer.from(t.insns, "hex")).map((i) => ({ ...i }));
  const maps: Array<FixupMap & { name: string }> = [];
  for (const [fixup, spec] of Object.entries(FIXUP_MAPS)) {
    const at = t[fixup as `fixup_${string}`];
    if (!at) continue;
    for (const slot of at) insns[slot]!.imm = maps.length;
    maps.push({ ...spec, name: fixup.slice("fixup_".length) });
  }
  let progFlags = t.flags & ~(F_NEEDS_EFFICIENT_UNALIGNED_ACCESS | F_LOAD_WITH_STRICT_ALIGNMENT);
  if (t.flags & F_LOAD_WITH_STRICT_ALIGNMENT) progFlags |= BPF_F_STRICT_ALIGNMENT;
  if (t.flags & F_NEEDS_EFFICIENT_UNALIGNED_ACCESS) progFlags |= BPF_F_ANY_ALIGNMENT;
  return { type, kernelType: PROGRAM_TYPES[type].kernelType!, insns, maps, progFlags,
    strictAlignment: (progFlags & BPF_F_STRICT_ALIGNMENT) !== 0, testStateFreq: (progFlags & BPF_F_TEST_STATE_FREQ) !== 0 };
}

/** update_map's element 0: struct test_val { index = 7 * sizeof(int), foo[6] = 0xabcdef12 }, cut to the value size. */
export function testVal(valueSize: number): Uint8Array {
  const v = new Uint8Array(48);
  const view = new DataView(v.buffer);
  view.setUint32(0, 28, true);
  view.setUint32(4 + 6 * 4, 0xabcdef12, true);
  return v.subarray(0, valueSize);
}

/**
 * A prog array's program (create_prog_dummy_simple / _loop); `self` is the prog array's index
 * in the maps the program is loaded with.
 */
export function tailTarget([slot, kind, r0]: TailTarget, self: number): Insn[] {
  const insn = (opcode: number, dst: number, src: number, off: number, imm: number): Insn => ({ opcode, dst, src, off, imm });
  const ret = [insn(0xb7, 0, 0, 0, r0), insn(0x95, 0, 0, 0, 0)];
  if (kind === "ret") return ret;
  // r3 = slot; r2 = the prog array; bpf_tail_call(r1 = ctx, r2, r3)
  return [insn(0xb7, 3, 0, 0, slot), insn(0x18, 2, 1, 0, self), insn(0, 0, 0, 0, 0), insn(0x85, 0, 0, 0, 12), ...ret];
}

/**
 * POINTER_VALUE: a test that returns a pointer expects this retval (test_verifier.c skips the
 * comparison): no address of ours equals the kernel's.
 */
export const POINTER_VALUE = 0xcafe4a;

/** The tests, or why there are none here. */
export function loadTests(): { tests: RawTest[]; source: string } | { skip: string } {
  const source = process.env["LINUX_SOURCE"] ?? sourcePackage();
  if (!source) return { skip: "no Linux source (apt-get install linux-source-6.1, or set LINUX_SOURCE to a source tree)" };
  if (!existsSync(source)) return { skip: `LINUX_SOURCE=${source} does not exist` };
  const cached = join(CACHE, `test_verifier-${basename(source)}-${Math.floor(statSync(source).mtimeMs)}.jsonl`);
  if (!existsSync(cached)) {
    mkdirSync(CACHE, { recursive: true });
    try {
      execFileSync("bash", [BUILD, source, cached], { stdio: ["ignore", "ignore", "pipe"], timeout: 180_000 });
    } catch (e) {
      const stderr = String((e as { stderr?: Buffer }).stderr ?? "").trim().split("\n").slice(-3).join(" / ");
      return { skip: `building the tests from ${source} failed (gcc and libbpf-dev are needed): ${stderr || (e as Error).message}` };
    }
  }
  const tests = readFileSync(cached, "utf8").trim().split("\n").map((line) => JSON.parse(line) as RawTest);
  return { tests, source };
}

/**
 * Debian's linux-source-6.1, else the newest linux-source package. 6.1 is preferred: later
 * kernels moved most of test_verifier's tests into test_progs (progs/verifier_*.c; 6.12 keeps 35
 * of 6.1's 92 files), and their test_verifier.c needs more of the selftests' build to compile.
 */
function sourcePackage(): string | undefined {
  const dir = "/usr/src";
  if (!existsSync(dir)) return undefined;
  const found = readdirSync(dir).filter((f) => /^linux-source-[\d.]+\.tar\.xz$/.test(f)).sort();
  const preferred = found.find((f) => f === "linux-source-6.1.tar.xz") ?? found[found.length - 1];
  return preferred ? join(dir, preferred) : undefined;
}
