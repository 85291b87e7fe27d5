// The BTF parser on real BTF: every corpus object's .BTF (and, where present, the running
// kernel's /sys/kernel/btf/vmlinux, which has every kind) read type by type and compared with
// bpftool's own reading of the same bytes; map definitions of `.maps`; .BTF.ext line and
// function info against what clang wrote (llvm-objdump -l shows the same lines).

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { btfMapDefinitions, BtfKind, kindName, parseBtf, parseBtfExt, type Btf, type BtfType } from "../../vm/btf/index.js";
import { parseElf } from "../../vm/elf/index.js";

const ROOT = join(import.meta.dirname, "..", "..");
const CORPUS = join(ROOT, "corpus", "programs");
const FIXTURES = join(ROOT, "test", "loader", "fixtures");
const objects = [
  ...readdirSync(CORPUS).filter((f) => f.endsWith(".o")).map((f) => join(CORPUS, f)),
  ...readdirSync(FIXTURES).filter((f) => f.endsWith(".o")).map((f) => join(FIXTURES, f)),
].sort();

function btfOf(path: string): { btf: Btf; elf: ReturnType<typeof parseElf> } {
  const elf = parseElf(new Uint8Array(readFileSync(path)));
  const s = elf.sectionsByName.get(".BTF")!;
  return { btf: parseBtf(s.data, s.offset), elf };
}

function bpftool(args: string[]): unknown | undefined {
  try {
    return JSON.parse(execFileSync("bpftool", args, { encoding: "utf8", maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "ignore"] }));
  } catch {
    return undefined;
  }
}
const haveBpftool = bpftool(["-j", "btf", "dump", "file", objects[0]!]) !== undefined;
if (!haveBpftool) console.log("skipped: bpftool comparisons (bpftool not installed or not working)");

const LINKAGE = ["static", "global", "extern"];
const ENCODING = (e: number): string => (e & 4 ? "BOOL" : e & 2 ? "CHAR" : e & 1 ? "SIGNED" : "(none)");

/** Our type in bpftool's JSON shape (the fields bpftool prints for each kind). */
function asBpftool(_btf: Btf, t: BtfType): Record<string, unknown> {
  const base = { id: t.id, kind: kindName(t.kind), name: t.name || "(anon)" };
  switch (t.kind) {
    case BtfKind.INT:
      return { ...base, size: t.size, bits_offset: t.bitsOffset, nr_bits: t.bits, encoding: ENCODING(t.encoding) };
    case BtfKind.PTR: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT: case BtfKind.TYPE_TAG:
      return { ...base, type_id: t.type };
    case BtfKind.ARRAY:
      return { ...base, type_id: t.elemType, index_type_id: t.indexType, nr_elems: t.nelems };
    case BtfKind.STRUCT: case BtfKind.UNION:
      return { ...base, size: t.size, vlen: t.members.length, members: t.members.map((m) => ({ name: m.name || "(anon)", type_id: m.type, bits_offset: m.bitOffset, ...(m.bitfieldSize ? { bitfield_size: m.bitfieldSize } : {}) })) };
    case BtfKind.ENUM: case BtfKind.ENUM64:
      return { ...base, size: t.size, vlen: t.values.length, values: t.values.map((v) => ({ name: v.name, val: enumVal(Number(v.value)) })) };
    case BtfKind.FWD:
      return { ...base, fwd_kind: t.union ? "union" : "struct" };
    case BtfKind.FUNC:
      return { ...base, type_id: t.type, linkage: LINKAGE[t.linkage] };
    case BtfKind.FUNC_PROTO:
      return { ...base, ret_type_id: t.returnType, vlen: t.params.length, params: t.params.map((p) => ({ name: p.name || "(anon)", type_id: p.type })) };
    case BtfKind.VAR:
      return { ...base, type_id: t.type, linkage: LINKAGE[t.linkage] === "global" ? "global" : LINKAGE[t.linkage] };
    case BtfKind.DATASEC:
      return { ...base, size: t.size, vlen: t.vars.length, vars: t.vars.map((v) => ({ type_id: v.type, offset: v.offset, size: v.size })) };
    case BtfKind.FLOAT:
      return { ...base, size: t.size };
    case BtfKind.DECL_TAG:
      return { ...base, type_id: t.type, component_idx: t.componentIdx };
    default:
      return base;
  }
}

/**
 * bpftool prints a 32-bit enumerator of 2^31 or more sign-extended to 64 bits, and JSON numbers
 * lose precision past 2^53: such values compare as "big" on both sides.
 */
const enumVal = (v: unknown): unknown => (typeof v === "number" && (v >= 2 ** 31 || !Number.isSafeInteger(v)) ? "big" : v);

/** bpftool's JSON reduced to the fields asBpftool produces (it adds a few of its own). */
function pick(ours: Record<string, unknown>, theirs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(ours)) {
    const v = theirs[key];
    if (key === "val") out[key] = enumVal(v);
    else if (Array.isArray(v) && Array.isArray(ours[key])) {
      out[key] = v.map((item, i) => pick((ours[key] as Array<Record<string, unknown>>)[i] ?? {}, item as Record<string, unknown>));
    } else out[key] = v;
  }
  return out;
}

describe("BTF of real objects", () => {
  it("every corpus and fixture object has BTF that parses", () => {
    expect(objects.length).toBeGreaterThanOrEqual(15);
    for (const path of objects) expect(btfOf(path).btf.count, path).toBeGreaterThan(5);
  });

  it.skipIf(!haveBpftool)("every type equals bpftool's reading of it (kind, name, fields)", () => {
    let compared = 0;
    for (const path of objects) {
      const { btf } = btfOf(path);
      const theirs = (bpftool(["-j", "btf", "dump", "file", path]) as { types: Array<Record<string, unknown>> }).types;
      expect(theirs.length, path).toBe(btf.count);
      for (const t of btf.types.slice(1)) {
        const ours = asBpftool(btf, t);
        expect(ours, `${path} type ${t.id}`).toEqual(pick(ours, theirs[t.id - 1]!));
        compared++;
      }
    }
    console.log(`BTF: ${compared} types of ${objects.length} objects equal bpftool's`);
  });

  it("xdp_md and the map definitions of xdp_firewall.o", () => {
    const { btf } = btfOf(join(CORPUS, "xdp_firewall.o"));
    const md = btf.byName("xdp_md", BtfKind.STRUCT)[0]!;
    expect(md.kind === BtfKind.STRUCT && md.members.map((m) => [m.name, m.bitOffset / 8])).toEqual([
      ["data", 0], ["data_end", 4], ["data_meta", 8], ["ingress_ifindex", 12], ["rx_queue_index", 16], ["egress_ifindex", 20],
    ]);
    expect(btf.sizeOf(md.id)).toBe(24);
    const [allow, ...rest] = btfMapDefinitions(btf);
    expect(rest).toEqual([]);
    expect(allow).toMatchObject({ name: "allow", type: 1, keySize: 12, valueSize: 4, maxEntries: 65536, flags: 0 });
    expect(btf.typeName(allow!.keyType!)).toBe("struct flow_key");
    expect(btf.typeName(allow!.valueType!)).toBe("__u32");
  });

  it("tail_calls.o: a PROG_ARRAY with 'values', key_size given, value_size implied", () => {
    const { btf } = btfOf(join(CORPUS, "tail_calls.o"));
    expect(btfMapDefinitions(btf).map((d) => [d.name, d.type, d.keySize, d.valueSize, d.maxEntries, d.valuesOffset])).toEqual([
      ["jmp_table", 3, 4, 4, 4, 24],
      ["l4_proto", 6, 4, 4, 1, undefined],
      ["stage_hits", 2, 4, 8, 4, undefined],
    ]);
  });

  it("ringbuf_logger.o: a ring buffer has no key or value", () => {
    const { btf } = btfOf(join(CORPUS, "ringbuf_logger.o"));
    expect(btfMapDefinitions(btf).find((d) => d.name === "events")).toMatchObject({ type: 27, keySize: 0, valueSize: 0, maxEntries: 256 * 1024 });
  });

  it("typeName spells pointers, arrays, qualifiers and prototypes", () => {
    const { btf } = btfOf(join(CORPUS, "tail_calls.o"));
    const names = btf.types.map((_, id) => btf.typeName(id));
    expect(names).toContain("int (struct xdp_md *)");
    expect(names).toContain("int[4]");
    expect(names).toContain("char[13]");
  });
});

const vmlinux = "/sys/kernel/btf/vmlinux";
const vmlinuxSkip = existsSync(vmlinux) ? "" : ` (skipped: no ${vmlinux} on this machine)`;
if (vmlinuxSkip) console.log(`skipped: no ${vmlinux} on this machine`);
describe.skipIf(vmlinuxSkip !== "")(`the running kernel's BTF (every kind)${vmlinuxSkip}`, () => {
  it("parses, with the same type count and kinds as bpftool", () => {
    const bytes = new Uint8Array(readFileSync(vmlinux));
    const t0 = performance.now();
    const btf = parseBtf(bytes);
    const ms = performance.now() - t0;
    const kinds = new Map<string, number>();
    for (const t of btf.types.slice(1)) kinds.set(kindName(t.kind), (kinds.get(kindName(t.kind)) ?? 0) + 1);
    console.log(`vmlinux BTF: ${btf.count} types, ${bytes.length} bytes, parsed in ${ms.toFixed(0)} ms; kinds ${JSON.stringify(Object.fromEntries(kinds))}`);
    expect(btf.count).toBeGreaterThan(10_000);
    expect(btf.sizeOf(btf.byName("xdp_md", BtfKind.STRUCT)[0]!.id)).toBe(24);
    expect(btf.sizeOf(btf.byName("__sk_buff", BtfKind.STRUCT)[0]!.id)).toBe(192);
    if (!haveBpftool) return;
    const theirs = (bpftool(["-j", "btf", "dump", "file", vmlinux]) as { types: Array<Record<string, unknown>> }).types;
    expect(theirs.length).toBe(btf.count);
    let differ = 0;
    for (const t of btf.types.slice(1)) {
      const ours = asBpftool(btf, t);
      const want = pick(ours, theirs[t.id - 1]!);
      // Enumerator values beyond 2^53 lose precision in bpftool's JSON: compare the rest.
      if (JSON.stringify(ours) !== JSON.stringify(want) && differ++ < 5) expect(ours, `type ${t.id}`).toEqual(want);
    }
    expect(differ).toBe(0);
  });
});

describe(".BTF.ext of real objects", () => {
  const ext = (path: string) => {
    const { btf, elf } = btfOf(path);
    const s = elf.sectionsByName.get(".BTF.ext")!;
    return { btf, ext: parseBtfExt(s.data, btf, s.offset) };
  };

  it("calls_loop.o: func_info names the program and both .text subprograms", () => {
    const { btf, ext: e } = ext(join(CORPUS, "calls_loop.o"));
    const names = (sec: string) => e.funcInfo.get(sec)!.map((f) => [f.insnOff, btf.type(f.typeId).name]);
    expect(names("xdp")).toEqual([[0, "calls_loop"]]);
    expect(names(".text")).toEqual([[0, "count_verdict"], [120, "ipv4_csum"]]);
  });

  it("line_info: file, line, column and the source text of the line", () => {
    const { ext: e } = ext(join(CORPUS, "calls_loop.o"));
    const first = e.lineInfo.get("xdp")![0]!;
    expect(first.insnOff).toBe(0);
    expect(first.file.endsWith("calls_loop.c")).toBe(true);
    expect(first.line).toBe(41);
    expect(first.source).toBe("int calls_loop(struct xdp_md *ctx)");
    const lines = e.lineInfo.get("xdp")!;
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.insnOff).toBeGreaterThan(lines[i - 1]!.insnOff);
  });

  it("CO-RE relocations: kind, root type and access string", () => {
    const { btf, ext: e } = ext(join(FIXTURES, "externs.o"));
    const [relo, ...more] = e.coreRelos.get("xdp")!;
    expect(more).toEqual([]);
    expect(relo).toMatchObject({ kindName: "field_exists", access: "0:1" });
    expect(btf.typeName(relo!.typeId)).toBe("struct task_struct");
  });

  // xdp_core_headers.c is the one corpus program built on vmlinux.h (CO-RE on packet headers).
  const withCore = (p: string) => p.endsWith("xdp_core_headers.o");
  it("objects without CO-RE have none", () => {
    for (const path of objects.filter((p) => p.startsWith(CORPUS) && !withCore(p))) expect(ext(path).ext.coreRelos.size, path).toBe(0);
  });

  it("the vmlinux.h corpus object carries its CO-RE relocations", () => {
    const path = objects.find(withCore);
    expect(path, "corpus/programs/xdp_core_headers.o").toBeDefined();
    expect(ext(path!).ext.coreRelos.size).toBeGreaterThan(0);
  });
});
