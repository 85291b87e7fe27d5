// The BTF and func_info that go with one of an object's programs into BPF_PROG_LOAD, as libbpf
// sends them (bpf_object__load_progs: prog_btf_fd = the object's BTF, func_info from .BTF.ext).
//
// Why the kernel needs them: without func_info it refuses a tail call or LD_ABS in a subprogram
// ("tail_call is not allowed in subprogs without BTF", kernel/bpf/verifier.c check_subprogs) and
// the address of a callback; with it, a global (non-static) subprogram is verified on its own
// from its BTF prototype, as under libbpf. A program with no .BTF / .BTF.ext gets the minimal
// BTF of vm/program/func-info.ts instead (the kernel bridge builds it).
//
// The object's .BTF as clang writes it is not loadable as is: each DATASEC has size 0 and its
// VARs offset 0, left for the loader (libbpf btf_fixup_datasec), and the kernel refuses a
// DATASEC of size 0 or with VARs out of order (btf.c btf_datasec_check_meta). So, like libbpf:
// size = the ELF section's size, each VAR's offset = its symbol's st_value, VARs sorted by offset.
// Externs (__kconfig, __ksym) are laid out in their sections as libbpf lays them out, their VARs
// made allocated (the kernel refuses extern VARs); a program that uses one does not link here
// anyway, but its neighbours in the object must still load.
//
// func_info: one record per function of the linked program (kernel: exactly one per subprogram,
// in order, the first at instruction 0), {the function's first slot in the program, its FUNC
// type id}, from the .BTF.ext record at the function's offset in its own section (libbpf
// adjust_prog_btf_ext_info). Line info is not sent: it only annotates the verifier's log.

import { BpfError } from "../../errors.js";
import { BtfKind } from "../../btf/kinds.js";
import type { BtfDatasec, BtfType } from "../../btf/types.js";
import { INSN_SIZE } from "../../isa/instruction.js";
import type { FuncInfo } from "../../program/func-info.js";
import type { BpfObject, ObjectProgram } from "./object.js";

const STT_OBJECT = 1;
/** struct btf_type: name_off, info, size; a DATASEC's btf_var_secinfo entries follow. */
const BTF_TYPE_SIZE = 12;
const VAR_SECINFO_SIZE = 12;

const loadable = new WeakMap<BpfObject, Uint8Array>();

/**
 * The object's BTF (fixed up for the kernel) and the program's func_info records; undefined when
 * the object has no .BTF or .BTF.ext (the program then loads with the minimal BTF). Throws a
 * BpfError when the object's BTF does not describe the program (as libbpf refuses to load it).
 */
export function programFuncInfo(obj: BpfObject, program: ObjectProgram): FuncInfo | undefined {
  if (!obj.btf || !obj.ext) return undefined;
  const records = new Uint32Array(program.functions.length * 2);
  [...program.functions].sort((a, b) => a.at - b.at).forEach((f, k) => {
    const rec = obj.ext!.funcInfo.get(f.section)?.find((r) => r.insnOff === f.start * INSN_SIZE);
    if (!rec) {
      throw new BpfError(`program '${program.name}': .BTF.ext has no func_info for function '${f.name}' (section '${f.section}', insn ${f.start}); the kernel needs one per subprogram`);
    }
    records[2 * k] = f.at;
    records[2 * k + 1] = rec.typeId;
  });
  let btf = loadable.get(obj);
  if (!btf) {
    btf = kernelLoadableBtf(obj);
    loadable.set(obj, btf);
  }
  return { btf, records };
}

/**
 * A copy of .BTF the kernel takes: every DATASEC's size and VAR offsets filled in (libbpf
 * btf_fixup_datasec), extern-backing sections laid out as libbpf lays them out.
 */
export function kernelLoadableBtf(obj: BpfObject): Uint8Array {
  const btf = obj.btf;
  const section = obj.elf.sectionsByName.get(".BTF");
  if (!btf || !section) throw new BpfError("the object has no .BTF section");
  const { hdrLen, typeOff, typeLen, strOff, strLen } = btf.header;
  const typesAt = hdrLen + typeOff;
  const types = section.data.slice(typesAt, typesAt + typeLen);
  const view = new DataView(types.buffer);
  /** Byte position of type `t` inside `types`. */
  const pos = (t: BtfType): number => t.at - btf.base - typesAt;
  const appended: number[] = [];
  const fix: Fixer = { obj, view, pos, appended, nextId: btf.types.length };
  for (const t of btf.types) {
    // The kernel takes only static and allocated global VARs (btf_var_check_meta); libbpf
    // turns every extern it resolved into an allocated one.
    if (t.kind === BtfKind.VAR && t.linkage === BTF_VAR_GLOBAL_EXTERN) view.setUint32(pos(t) + BTF_TYPE_SIZE, BTF_VAR_GLOBAL_ALLOCATED, true);
    // Nor extern FUNCs ("Invalid func linkage"): libbpf makes a kfunc's FUNC global, and names
    // its prototype's unnamed parameters (the kernel wants names: btf_func_check "Invalid arg").
    if (t.kind === BtfKind.FUNC && t.linkage === BTF_FUNC_EXTERN) {
      view.setUint32(pos(t) + 4, (BtfKind.FUNC << 24) | BTF_FUNC_GLOBAL, true);
      const proto = btf.type(t.type);
      if (proto.kind !== BtfKind.FUNC_PROTO) continue;
      const nameOff = view.getUint32(pos(t), true);
      proto.params.forEach((param, i) => {
        const at = pos(proto) + BTF_TYPE_SIZE + i * 8;
        if (param.type !== 0 && view.getUint32(at, true) === 0) view.setUint32(at, nameOff, true);
      });
    }
  }
  for (const t of btf.types) {
    if (t.kind !== BtfKind.DATASEC) continue;
    writeDatasec(fix, t, EXTERN_SECTIONS.has(t.name) && t.size === 0 ? externLayout(fix, t) : fixDatasec(obj, t));
  }
  // header | types (+ appended) | strings, as the kernel reads them (offsets from the header's end).
  const extra = appended.length * 4;
  const out = new Uint8Array(hdrLen + typeLen + extra + strLen);
  out.set(section.data.subarray(0, hdrLen));
  const head = new DataView(out.buffer);
  head.setUint32(8, 0, true);
  head.setUint32(12, typeLen + extra, true);
  head.setUint32(16, typeLen + extra, true);
  out.set(types, hdrLen);
  appended.forEach((w, i) => head.setUint32(hdrLen + typeLen + 4 * i, w >>> 0, true));
  out.set(section.data.subarray(hdrLen + strOff, hdrLen + strOff + strLen), hdrLen + typeLen + extra);
  return out;
}

const BTF_FUNC_GLOBAL = 1;
const BTF_FUNC_EXTERN = 2;
const BTF_VAR_GLOBAL_ALLOCATED = 1;
const BTF_VAR_GLOBAL_EXTERN = 2;
/** libbpf's sections of externs: __kconfig values (a map it fills) and __ksym addresses. */
const EXTERN_SECTIONS: ReadonlySet<string> = new Set([".kconfig", ".ksyms"]);

interface Fixer {
  readonly obj: BpfObject;
  readonly view: DataView;
  readonly pos: (t: BtfType) => number;
  /** u32 words of types appended after the object's own (ids from nextId on). */
  readonly appended: number[];
  nextId: number;
}

type Layout = Pick<BtfDatasec, "size" | "vars">;

function writeDatasec(fix: Fixer, t: BtfDatasec, layout: Layout): void {
  const at = fix.pos(t);
  fix.view.setUint32(at + 8, layout.size, true);
  layout.vars.forEach((v, i) => {
    const e = at + BTF_TYPE_SIZE + i * VAR_SECINFO_SIZE;
    fix.view.setUint32(e, v.type, true);
    fix.view.setUint32(e + 4, v.offset, true);
    fix.view.setUint32(e + 8, v.size, true);
  });
}

/**
 * .kconfig / .ksyms, which no ELF section backs (bpf_object__collect_externs): .kconfig values
 * one after the other at their alignment; each .ksyms entry 4 bytes of `int` — a kfunc's FUNC
 * is not a VAR, so it is replaced by a VAR appended for the purpose (libbpf's dummy ksym var).
 */
function externLayout(fix: Fixer, sec: BtfDatasec): Layout {
  const btf = fix.obj.btf!;
  let off = 0;
  if (sec.name === ".kconfig") {
    const vars = sec.vars.map((v) => {
      const entry = btf.type(v.type);
      const type = entry.kind === BtfKind.VAR ? btf.resolve(entry.type) : entry;
      const align = Math.min(8, type.kind === BtfKind.ARRAY ? btf.sizeOf(type.elemType) : v.size) || 1;
      off = Math.ceil(off / align) * align;
      const placed = { ...v, offset: off };
      off += v.size;
      return placed;
    });
    return { size: off, vars };
  }
  const int = btf.types.find((t) => t.kind === BtfKind.INT && t.size === 4);
  if (!int) throw new BpfError(`BTF DATASEC '${sec.name}': the object's BTF has no 4-byte int to lay its externs out with`, { offset: sec.at });
  let dummy: number | undefined;
  const vars = sec.vars.map((v) => {
    const entry = btf.type(v.type);
    if (entry.kind === BtfKind.VAR) fix.view.setUint32(fix.pos(entry) + 8, int.id, true);
    else {
      // VAR, int, allocated: named after the first kfunc (a VAR needs a name).
      if (dummy === undefined) {
        dummy = fix.nextId++;
        fix.appended.push(fix.view.getUint32(fix.pos(entry), true), BtfKind.VAR << 24, int.id, BTF_VAR_GLOBAL_ALLOCATED);
      }
    }
    const placed = { type: entry.kind === BtfKind.VAR ? v.type : dummy!, offset: off, size: 4 };
    off += 4;
    return placed;
  });
  return { size: off, vars };
}

function fixDatasec(obj: BpfObject, sec: BtfDatasec): Layout {
  // A size already set (a loader that did this before) is kept.
  if (sec.size !== 0) return { size: sec.size, vars: [...sec.vars].sort((a, b) => a.offset - b.offset) };
  const elf = obj.elf.sectionsByName.get(sec.name);
  if (!elf || elf.size === 0) {
    throw new BpfError(`BTF DATASEC '${sec.name}': no ELF section of that name with a size, so its size cannot be set for the kernel`, { offset: sec.at });
  }
  const vars = sec.vars.map((v) => {
    const name = obj.btf!.type(v.type).name;
    const sym = obj.elf.symbols.find((s) => s.name === name && s.type === STT_OBJECT && s.shndx === elf.index);
    if (!sym) throw new BpfError(`BTF DATASEC '${sec.name}': variable '${name}' has no symbol in that section, so its offset is unknown`, { offset: sec.at });
    return { ...v, offset: sym.value };
  });
  return { size: elf.size, vars: vars.sort((a, b) => a.offset - b.offset) };
}
