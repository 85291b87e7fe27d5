// `ebpf-wasm maps PROG.o`: the maps an object defines, in fd order — type, key and value sizes
// (and C types when BTF gives them), max_entries, flags, where they are defined, initial
// contents of global data and static PROG_ARRAY slots.

import { anyMapTypeName, innerSlotError, mapCreationError, mapFlagsText, type BpfObject, type ObjectMap } from "../../../vm/elf/load/index.js";
import { UsageError, type CommandSpec } from "../args.js";
import type { Command } from "../command.js";
import { readObject } from "../object-file.js";

const spec: CommandSpec = {
  name: "maps",
  summary: "List the maps of a BPF object (.o): type, key/value size, max_entries, flags",
  usage: "maps PROG.o [--json]",
  details: `Maps are listed in fd order, the order they are created in: the legacy 'maps' section,
BTF-defined '.maps', then global data (.data, .rodata, .bss...) as single-entry arrays.
A map that BPF_MAP_CREATE would refuse (the kernel's rules for its type, sizes and flags) is
listed with the reason ('refused: ...'; --json: "error"); loading the object fails on it.`,
  options: {
    json: { type: "boolean", description: "one JSON array of maps" },
  },
  maxPositionals: 1,
};

export const maps: Command = {
  spec,
  async run(args, io) {
    const path = args.positionals[0];
    if (path === undefined) throw new UsageError("give the object file");
    const obj = readObject(path);
    io.stdout(args.options.json === true ? `${JSON.stringify(obj.maps.map((m, fd) => jsonOf(m, fd, obj)))}\n` : table(obj));
    return 0;
  },
};

function jsonOf(m: ObjectMap, fd: number, obj: BpfObject): Record<string, unknown> {
  return {
    fd,
    name: m.name,
    type: anyMapTypeName(m.spec.type),
    type_id: m.spec.type,
    key_size: m.spec.keySize,
    value_size: m.spec.valueSize,
    max_entries: m.spec.maxEntries,
    flags: m.spec.flags,
    origin: m.origin,
    section: m.section,
    readonly: m.readonly,
    ...(m.keyType ? { key_type: m.keyType } : {}),
    ...(m.valueType ? { value_type: m.valueType } : {}),
    ...(m.pinning !== undefined ? { pinning: m.pinning } : {}),
    ...(m.slots ? { slots: m.slots } : {}),
    ...(m.spec.inner ? { inner: { type: anyMapTypeName(m.spec.inner.type), type_id: m.spec.inner.type, key_size: m.spec.inner.keySize, value_size: m.spec.inner.valueSize, max_entries: m.spec.inner.maxEntries, flags: m.spec.inner.flags } } : {}),
    ...(m.innerSlots ? { inner_slots: m.innerSlots } : {}),
    ...(m.initial ? { initial: hex(m.initial) } : {}),
    ...refusal(m, obj),
  };
}

/** `error`: why BPF_MAP_CREATE would refuse the map (loading the object then fails). */
function refusal(m: ObjectMap, obj: BpfObject): { error?: string } {
  const err = mapCreationError(m) ?? innerSlotError(obj, m);
  return err ? { error: err.message } : {};
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

function table(obj: BpfObject): string {
  if (obj.maps.length === 0) return "no maps\n";
  const rows = obj.maps.map((m, fd) => [
    String(fd),
    m.name,
    anyMapTypeName(m.spec.type),
    m.keyType ? `${m.spec.keySize} (${m.keyType})` : String(m.spec.keySize),
    m.valueType ? `${m.spec.valueSize} (${m.valueType})` : String(m.spec.valueSize),
    String(m.spec.maxEntries),
    mapFlagsText(m.spec.flags) + (m.readonly ? " rdonly_prog" : ""),
    `${m.origin} '${m.section}'`,
  ]);
  const head = ["fd", "name", "type", "key", "value", "max_entries", "flags", "defined in"];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const fmt = (r: readonly string[]) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join("  ").trimEnd();
  const lines = [fmt(head), ...rows.map(fmt)];
  for (const m of obj.maps) {
    if (m.slots?.length) lines.push(`${m.name}: ${m.slots.map((s) => `[${s.index}] = ${s.program}`).join(", ")}`);
  }
  for (const m of obj.maps) {
    const t = m.spec.inner;
    if (!t) continue;
    const slots = m.innerSlots?.length ? `; ${m.innerSlots.map((s) => `[${s.index}] = ${s.map}`).join(", ")}` : "";
    lines.push(`${m.name}: inner map ${anyMapTypeName(t.type)} key ${t.keySize} value ${t.valueSize} max_entries ${t.maxEntries} flags ${mapFlagsText(t.flags)}${slots}`);
  }
  for (const m of obj.maps) {
    const err = mapCreationError(m) ?? innerSlotError(obj, m);
    if (err) lines.push(`refused: ${err.message}`);
  }
  return lines.join("\n") + "\n";
}
