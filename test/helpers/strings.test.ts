// The string helpers of bpf_base_func_proto on both engines against BPF_PROG_TEST_RUN:
// snprintf (its output bytes and return value over many formats and arguments), strncmp and
// strtol / strtoul (return value and *res). Each case is one program: the constant string (the
// format, strncmp's s2) is the value of a read-only array map, frozen in the kernel as libbpf
// freezes .rodata; the program copies its stack buffer into the packet, whose bytes we compare.
// The kernel's %p / %pK print a per-boot hash of the pointer: those cases compare lengths only.

import { describe, expect, it } from "vitest";
import { kernelBridge, ProgType, type KernelProgram } from "../../vm/node/kernel/engine.js";
import { assemble } from "../../vm/asm/index.js";
import { ENGINES, kernel, load, low32, makeRig, rng, runPacket, type EngineName, type Rig } from "./harness.js";
import { latin1, storeBytes } from "./programs.js";

const RODATA_SIZE = 256;
const BPF_F_RDONLY_PROG = 1 << 7;
/** The stack buffer snprintf writes and the program copies to the packet. */
const OUT_AT = -232;
const OUT_LEN = 128;
/** 13 argument slots (one more than snprintf takes): fp-104 .. fp-8. */
const ARGS_AT = -104;
/** Strings the arguments point at (up to 3, 64 bytes each). */
const STR_AT = [-512, -448, -384];
const packet = new Uint8Array(OUT_LEN + 64);

type Arg = bigint | { readonly str: string };

const rodataOf = (text: string): Uint8Array => {
  const bytes = new Uint8Array(RODATA_SIZE);
  bytes.set(latin1(text));
  return bytes;
};

/** Copy OUT_LEN stack bytes at OUT_AT to the packet, then r0 = r9. */
const COPY_OUT = [
  "ldxw %r2, [%r6+0]",
  "ldxw %r3, [%r6+4]",
  "mov %r4, %r2",
  `add %r4, ${OUT_LEN}`,
  "jgt %r4, %r3, short",
  ...Array.from({ length: OUT_LEN / 8 }, (_, k) => [`ldxdw %r5, [%r10${OUT_AT + 8 * k}]`, `stxdw [%r2+${8 * k}], %r5`]).flat(),
  "mov %r0, %r9",
  "exit",
  "short:",
  "mov %r0, 0xdead",
  "exit",
];

/** Fill the output buffer with 0x5a so that every byte snprintf writes (and only those) shows. */
const FILL_OUT = Array.from({ length: OUT_LEN / 8 }, (_, k) => [`lddw %r1, 0x5a5a5a5a5a5a5a5a`, `stxdw [%r10${OUT_AT + 8 * k}], %r1`]).flat();

function snprintfProgram(args: readonly Arg[], size: number, dataLen = args.length * 8): string {
  const lines = ["mov %r6, %r1", ...FILL_OUT];
  let strings = 0;
  args.forEach((a, k) => {
    if (typeof a === "bigint") {
      lines.push(`lddw %r1, 0x${BigInt.asUintN(64, a).toString(16)}`);
    } else {
      const at = STR_AT[strings++]!;
      lines.push(...storeBytes(at, latin1(`${a.str}\0`)), "mov %r1, %r10", `add %r1, ${at}`);
    }
    lines.push(`stxdw [%r10${ARGS_AT + 8 * k}], %r1`);
  });
  lines.push("mov %r1, %r10", `add %r1, ${OUT_AT}`, `mov %r2, ${size}`, "lddw %r3, map_value 0, 0", "mov %r4, %r10", `add %r4, ${ARGS_AT}`, `mov %r5, ${dataLen}`, "call 165", "mov %r9, %r0");
  return [...lines, ...COPY_OUT].join("\n");
}

interface Result {
  readonly r0: number;
  readonly out: Uint8Array;
}

/** Load `source` with a frozen read-only map holding `rodata` as map 0 and test-run it once. */
function kernelRun(source: string, rodata: Uint8Array): Result {
  const bridge = kernelBridge();
  const map = bridge.createMap({ type: 2, keySize: 4, valueSize: rodata.length, maxEntries: 1, flags: BPF_F_RDONLY_PROG, name: "rodata" });
  let prog: KernelProgram | undefined;
  try {
    map.update(new Uint8Array(4), rodata);
    map.freeze();
    prog = bridge.load(assemble(source), { type: ProgType.XDP, name: "strings", sharedMaps: [map] });
    const [run] = prog.testRunMany([packet], {});
    expect(run!.retval, "the kernel ran the program to its end").not.toBe(0xdead);
    return { r0: run!.retval, out: run!.data.slice(0, OUT_LEN) };
  } finally {
    prog?.close();
    map.close();
  }
}

/** One machine per engine with map 0 a RDONLY_PROG array (not frozen here: the engines do not verify). */
interface Ours {
  readonly rig: Rig;
  readonly engine: EngineName;
}

function ours(engine: EngineName): Ours {
  const rig = makeRig("xdp", { maps: true });
  rig.maps!.create({ name: "rodata", type: "array", keySize: 4, valueSize: RODATA_SIZE, maxEntries: 1, flags: BPF_F_RDONLY_PROG });
  return { rig, engine };
}

async function ourRun(o: Ours, source: string, rodata: Uint8Array): Promise<Result> {
  o.rig.maps!.keyed("rodata").update(new Uint8Array(4), rodata);
  const prog = await load(o.rig, source, o.engine);
  try {
    const run = runPacket(o.rig, prog, packet);
    return { r0: low32(run.r0), out: run.data.slice(0, OUT_LEN) };
  } finally {
    prog.dispose();
  }
}

interface Case {
  readonly fmt: string;
  readonly args?: readonly Arg[];
  readonly size?: number;
  readonly dataLen?: number;
  /** Hashed pointers: the kernel's text differs, its length does not. */
  readonly lengthOnly?: boolean;
}

const n = (...v: (number | bigint)[]): bigint[] => v.map((x) => BigInt(x));
const ip6 = "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01";

const SNPRINTF: readonly Case[] = [
  { fmt: "hello" },
  { fmt: "" },
  { fmt: "%d %i %u", args: n(-1, -2, -3) },
  { fmt: "%d|%d", args: n(0x1_0000_0005n, 0x7fffffff) },
  { fmt: "%ld %lld %lu %llu", args: n(-2, -3, -4, -5) },
  { fmt: "%x %X %lx %llX", args: n(0xdeadbeef, 0xcafe, -1, 0x123456789abcdefn) },
  { fmt: "[%5d][%-5d][%05d][%5u]", args: n(42, 42, -42, 7) },
  { fmt: "[%+d][% d][%+05d][% 5d]", args: n(7, 7, -7, 3) },
  { fmt: "[%08x][%-8X][%+x][% u]", args: n(0xab, 0xab, 1, 2) },
  { fmt: "[%020llu][%-20lld]", args: n(-1, -(2n ** 63n)) },
  { fmt: "%c%c%c|%3c|%-3c|", args: n(0x41, 0x142, 0x43, 0x61, 0x62) },
  { fmt: "%s and %s", args: [{ str: "abc" }, { str: "" }] },
  { fmt: "[%10s][%-10s][%1s]", args: [{ str: "right" }, { str: "left" }, { str: "wide" }] },
  { fmt: "[%s]", args: n(0) },
  { fmt: "%pI4 %pi4", args: [{ str: "\x01\x02\x03\x04" }, { str: "\x0a\x00\x00\xff" }] },
  { fmt: "%pI6|%pi6", args: [{ str: ip6 }, { str: ip6 }] },
  { fmt: "%pI4abc.", args: [{ str: "\xc0\xa8\x01\x01" }] },
  { fmt: "%px %px", args: n(0x1234, -1) },
  { fmt: "[%pks][%pus]", args: [{ str: "kernel" }, { str: "user" }] },
  { fmt: "%pB", args: n(0x1000) },
  { fmt: "[%ps][%pS][%20ps]", args: n(0x1000, 0x2000, 0x3000) },
  { fmt: "[%20px][%-20px][%4px]", args: n(0xabc, 0xabc, 0x123456) },
  { fmt: "[%-18pI4][%20pI6]", args: [{ str: "\x01\x02\x03\x04" }, { str: ip6 }] },
  { fmt: "%p", args: n(0x1234), lengthOnly: true },
  { fmt: "%pK.", args: n(0), lengthOnly: true },
  { fmt: "%%d 100%% %%%d", args: n(5) },
  { fmt: "tab\tnewline\n", args: [] },
  { fmt: "%d %d %d %d %d %d %d %d %d %d %d %d", args: n(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12) },
  { fmt: "%llx", args: n(0x1122334455667788n), size: 5 },
  { fmt: "%d", args: n(12345), size: 1 },
  { fmt: "%s", args: [{ str: "x".repeat(60) }], size: 0 },
  { fmt: "%200d|", args: n(1) },
  { fmt: "%-120s|", args: [{ str: "pad" }] },
  { fmt: "%d %d", args: n(1, 2, 3), dataLen: 16 },
  // bpf_snprintf's own check at run time: more than 12 arguments is -EINVAL (the verifier
  // lets it through; a data_len that is no multiple of 8 it refuses: strings-verifier.test.ts).
  { fmt: "%d", args: n(...Array.from({ length: 13 }, (_, k) => k)) },
  // bpf_bprintf_prepare's: -ENOSPC when the strings fill the 512-byte argument buffer.
  { fmt: "%s%s%s", args: [{ str: "a".repeat(62) }, { str: "b".repeat(62) }, { str: "c".repeat(62) }] },
];

describe("bpf_snprintf", () => {
  it.skipIf(!kernel.ok)(`formats as the kernel's over ${SNPRINTF.length} formats, on ${ENGINES.join(" and ")}`, async () => {
    const mine = ENGINES.map(ours);
    let compared = 0;
    for (const c of SNPRINTF) {
      const source = snprintfProgram(c.args ?? [], c.size ?? OUT_LEN, c.dataLen);
      const rodata = rodataOf(c.fmt);
      const want = kernelRun(source, rodata);
      for (const o of mine) {
        const got = await ourRun(o, source, rodata);
        const what = `${o.engine}: ${JSON.stringify(c.fmt)}`;
        expect(got.r0, `${what}: r0`).toBe(want.r0);
        if (c.lengthOnly) expect(got.out.indexOf(0), `${what}: length`).toBe(want.out.indexOf(0));
        else expect(latin1Text(got.out), `${what}: text`).toBe(latin1Text(want.out));
        compared++;
      }
    }
    expect(compared).toBe(SNPRINTF.length * ENGINES.length);
  });

  it.skipIf(!kernel.ok)("formats 40 random formats (numbers, %s, %c; random flags, widths, lengths) as the kernel does", async () => {
    const mine = ENGINES.map(ours);
    const next = rng(0x5eed);
    const flags = ["", "-", "0", "+", " ", "-0", "+0", " -"];
    const lengths = ["", "l", "ll"];
    const text = (len: number): string => String.fromCharCode(...Array.from({ length: len }, () => 0x20 + (next() % 95)));
    for (let k = 0; k < 40; k++) {
      const args: Arg[] = [];
      let strings = 0;
      const specs = Array.from({ length: 5 }, () => {
        const head = `%${pick(next, flags)}${next() % 3 === 0 ? "" : String(next() % 24)}`;
        const kind = next() % 6;
        if (kind === 0 && strings < STR_AT.length) {
          strings++;
          args.push({ str: text(next() % 20) });
          return `${head}s`;
        }
        if (kind === 1) {
          args.push(BigInt(0x20 + (next() % 95)));
          return `${head}c`;
        }
        args.push((BigInt(next()) << 32n) | BigInt(next()));
        return `${head}${pick(next, lengths)}${pick(next, ["d", "i", "u", "x", "X"])}`;
      });
      // Literal text between conversions ('%' doubled), which must not run into a %s.
      const fmt = specs.map((spec) => `${spec}${pick(next, ["|", " ", ":", "%%", "-", ""])}`).join("").replace(/s$/, "s.");
      const source = snprintfProgram(args, OUT_LEN);
      const want = kernelRun(source, rodataOf(fmt));
      for (const o of mine) {
        const got = await ourRun(o, source, rodataOf(fmt));
        expect([got.r0, latin1Text(got.out)], `${o.engine}: ${fmt}`).toEqual([want.r0, latin1Text(want.out)]);
      }
    }
  });
});

/** The buffer as text up to the first byte snprintf did not write (0x5a fill after the NUL shows too). */
const latin1Text = (b: Uint8Array): string => String.fromCharCode(...b);


const pick = <T>(next: () => number, from: readonly T[]): T => from[next() % from.length]!;

// ---- strncmp ------------------------------------------------------------------------------------

const S1_AT = -64;

function strncmpProgram(s1: Uint8Array, size: number): string {
  return ["mov %r6, %r1", ...FILL_OUT, ...storeBytes(S1_AT, s1), "mov %r1, %r10", `add %r1, ${S1_AT}`, `mov %r2, ${size}`, "lddw %r3, map_value 0, 0", "call 182", "mov %r9, %r0", ...COPY_OUT].join("\n");
}

const STRNCMP: ReadonlyArray<[string, string, number]> = [
  ["abc", "abc", 8],
  ["abc", "abd", 8],
  ["abd", "abc", 8],
  ["abc", "abcd", 3],
  ["abc", "abcd", 4],
  ["abcd", "abc", 8],
  ["", "", 1],
  ["", "a", 1],
  ["a", "", 1],
  ["\xff", "\x01", 1],
  ["\x01", "\xff", 1],
  ["abcdefgh", "abcdefgh", 8],
  ["abcdefghij", "abcdefghij", 10],
  ["abc\0xyz", "abc", 8],
  ["xyz", "abc", 0x40],
];

describe("bpf_strncmp", () => {
  it.skipIf(!kernel.ok)(`compares as the kernel's in ${STRNCMP.length} cases, on ${ENGINES.join(" and ")}`, async () => {
    const mine = ENGINES.map(ours);
    for (const [s1, s2, size] of STRNCMP) {
      // s1 fills `size` bytes of the stack (zero-padded); s2 is the map's string.
      const bytes = new Uint8Array(Math.max(size, s1.length));
      bytes.set(latin1(s1));
      const source = strncmpProgram(bytes, size);
      const want = kernelRun(source, rodataOf(s2));
      for (const o of mine) {
        expect((await ourRun(o, source, rodataOf(s2))).r0, `${o.engine}: strncmp(${JSON.stringify(s1)}, ${JSON.stringify(s2)}, ${size})`).toBe(want.r0);
      }
    }
  });
});

// ---- strtol / strtoul -----------------------------------------------------------------------------

const BUF_AT = -320;
const RES_AT = -8;

/** strtol/strtoul(buf of `len` bytes, len, flags, fp-8): r0, and *res copied to the output buffer's start. */
function strtoxProgram(id: number, buf: Uint8Array, len: number, flags: bigint): string {
  return [
    "mov %r6, %r1",
    ...FILL_OUT,
    "lddw %r1, 0x7777777777777777",
    `stxdw [%r10${RES_AT}], %r1`,
    ...storeBytes(BUF_AT, buf),
    "mov %r1, %r10",
    `add %r1, ${BUF_AT}`,
    `mov %r2, ${len}`,
    `lddw %r3, 0x${flags.toString(16)}`,
    "mov %r4, %r10",
    `add %r4, ${RES_AT}`,
    `call ${id}`,
    "mov %r9, %r0",
    `ldxdw %r1, [%r10${RES_AT}]`,
    `stxdw [%r10${OUT_AT}], %r1`,
    ...COPY_OUT,
  ].join("\n");
}

const STRTOX: ReadonlyArray<[string, number?, bigint?]> = [
  ["123"], ["-123"], ["  42xyz"], ["\t\n\v\f\r 7"], ["\xa09"], ["+5"], ["- 5"], ["-"], [""], ["   "], ["abc"],
  ["0x1f"], ["0X1F"], ["0x"], ["0xg"], ["0777"], ["0779"], ["08"], ["0"], ["00"],
  ["ff", undefined, 16n], ["0xff", undefined, 16n], ["777", undefined, 8n], ["99", undefined, 8n], ["12", undefined, 10n],
  ["12", undefined, 2n], ["12", undefined, 0x20n], ["12", undefined, 0x1_0000_0000n],
  ["18446744073709551615"], ["18446744073709551616"], ["9223372036854775807"], ["9223372036854775808"], ["-9223372036854775808"], ["-9223372036854775809"],
  ["0xffffffffffffffff"], ["0x10000000000000000"], ["-0x10"], ["-0"],
  ["1234567890", 4], ["12\x0034"], ["  ", 1], [`${"0".repeat(70)}1`], [`${"1".repeat(62)}`, undefined, 2n], [`${" ".repeat(10)}${"9".repeat(60)}`],
];

describe("bpf_strtol / bpf_strtoul", () => {
  it.skipIf(!kernel.ok)(`parse as the kernel's: ${STRTOX.length} strings × 2 helpers, on ${ENGINES.join(" and ")}`, async () => {
    const mine = ENGINES.map(ours);
    let compared = 0;
    for (const id of [105, 106]) {
      for (const [text, len, flags] of STRTOX) {
        const bytes = latin1(`${text}\0`);
        const source = strtoxProgram(id, bytes, len ?? Math.max(1, text.length), flags ?? 0n);
        const want = kernelRun(source, rodataOf(""));
        for (const o of mine) {
          const got = await ourRun(o, source, rodataOf(""));
          expect([got.r0, [...got.out.subarray(0, 8)]], `${o.engine}: ${id === 105 ? "strtol" : "strtoul"}(${JSON.stringify(text)}, flags ${flags ?? 0n})`).toEqual([want.r0, [...want.out.subarray(0, 8)]]);
          compared++;
        }
      }
    }
    expect(compared).toBe(2 * STRTOX.length * ENGINES.length);
  });
});
