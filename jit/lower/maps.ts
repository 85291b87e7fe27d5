// Map helpers (vm/runtime/README.md §4) as direct calls of the maps runtime's exports: the
// runtime is another wasm instance on the same memory, and the JIT module imports its exported
// functions, so a lookup is a wasm-to-wasm call with no JavaScript in between (DESIGN.md "The
// JIT": hot paths never cross into JS). ARRAY and PERCPU_ARRAY lookups of a known map are
// inlined (vm/maps/descriptor.ts: values + cpu * cpuStride + i * valueStride, NULL past the end),
// and so are ARRAY_OF_MAPS lookups (the inner map pointer in the slot). An inner map's pointer
// is not known at compile time: its helper calls test it against the machine's maps (oneOf)
// before the runtime export, as for any map pointer the facts do not prove;
// lookups of a known hash map call that type's own export (hash_lookup, ...: map-exports.ts),
// which skips map_lookup's dispatch on the type.
//
// The interpreter's helpers (vm/helpers/maps.ts) check what the kernel verifier proves — the
// map pointer is a map of this machine of a type the helper takes, keys and values lie in memory
// past the null guard, a ring buffer record is live — and fault otherwise. The JIT keeps exactly
// that behaviour at no cost for the programs clang emits: what register facts (known.ts) prove
// at compile time is not tested; what they do not prove is tested in wasm, and a failing test
// calls the JS helper, which does the same work or raises the interpreter's fault.

import * as abi from "../../vm/maps/abi.js";
import type { MapDescriptor } from "../../vm/maps/descriptor.js";
import { MapType } from "../../vm/maps/types.js";
import { NULL_GUARD } from "../../vm/memory/layout.js";
import { helperRule, SPECIAL_MAPS } from "../../vm/verifier/helper-rules.js";
import type { Expr } from "../ir.js";
import type { Known } from "../known.js";
import { mapHelperExport, typedMapExport, type ArgRole, type ExportParam, type MapHelperExport } from "../map-exports.js";
import { CPU_GLOBAL, mapExportName, type FnLowering, type ModuleState } from "./context.js";

/** More candidate maps than this for an unknown map pointer: not worth a compare chain, use JS. */
const MAX_CANDIDATES = 32;
/** A stack pointer fp + off with off in [-STACK_REACH, 0] lies in the CPU regions (past the null guard). */
const STACK_REACH = 0x8000;
const BUSY = abi.BPF_RINGBUF_BUSY_BIT >>> 0;

/** The export a `call id` lowers to, when this module calls map helpers wasm-to-wasm. */
export function mapCallFor(mod: ModuleState, id: number): MapHelperExport | undefined {
  if (!mod.mapImports || mod.maps.size === 0) return undefined;
  const entry = mapHelperExport(id);
  // Only when the machine's helper is the runtime's own (a test may register its own helper 1).
  return entry && mod.helpers.get(id)?.name === entry.helper ? entry : undefined;
}

/** check_map_func_compatibility, as vm/helpers/maps.ts applies it. */
function mapAllowed(id: number, type: number): boolean {
  const allowed = helperRule(id)?.mapTypes;
  return allowed ? allowed.includes(type) : !SPECIAL_MAPS.has(type);
}

/** The map a known constant points at, if any. */
function knownMap(mod: ModuleState, fact: Known): MapDescriptor | undefined {
  return fact?.kind === "const" && fact.value <= 0xffffffffn ? mod.maps.get(Number(fact.value)) : undefined;
}

/** What the fast path needs: the checks still to test in wasm, and the map when it is known. */
interface Guarded {
  readonly checks: Expr[];
  readonly map?: MapDescriptor;
}

/** `call id` (a map helper) → r0. */
export function lowerMapCall(f: FnLowering, entry: MapHelperExport, i: number): Expr {
  const m = f.m;
  const g = guards(f, entry, f.factsAt(i));
  // Else, and when a check fails, the JS helper: its checks fault exactly as the interpreter's do.
  if (!g) return f.set(0, f.callHelper(entry.id));
  const inline = entry.id === 1 && g.map && f.mod.inlineArrays ? inlineOf(g.map) : undefined;
  const fast = inline ? inline(f, g.map!) : exportCall(f, g.map ? typedMapExport(entry, g.map.type) : entry);
  if (g.checks.length === 0) return f.set(0, fast);
  const ok = g.checks.reduce((a, b) => m.i32.and(a, b));
  return f.set(0, m.if(ok, fast, f.callHelper(entry.id)));
}

/** The inlined lookup of a known map of this type, if there is one. */
function inlineOf(map: MapDescriptor): ((f: FnLowering, map: MapDescriptor) => Expr) | undefined {
  if (map.type === MapType.Array || map.type === MapType.PerCpuArray) return inlineLookup;
  if (map.type === MapType.ArrayOfMaps) return inlineSlotLookup;
  return undefined;
}

/**
 * The checks of each argument, proven from the facts where possible. Undefined: the call can
 * only take the JS helper (a known map of the wrong type, no candidate map at all).
 */
function guards(f: FnLowering, entry: MapHelperExport, facts: readonly Known[] | undefined): Guarded | undefined {
  const mod = f.mod;
  const checks: Expr[] = [];
  let map: MapDescriptor | undefined;
  let keySize = 0;
  let valueSize = 0;
  for (let k = 0; k < entry.roles.length; k++) {
    const reg = k + 1;
    const fact = facts?.[reg];
    const role: ArgRole = entry.roles[k]!;
    switch (role) {
      case "map": {
        if (fact?.kind === "const") {
          map = knownMap(mod, fact);
          if (!map || !mapAllowed(entry.id, map.type)) return undefined;
          keySize = map.keySize;
          valueSize = map.valueSize;
          break;
        }
        const candidates = [...mod.maps.values()].filter((d) => mapAllowed(entry.id, d.type));
        if (candidates.length === 0 || candidates.length > MAX_CANDIDATES) return undefined;
        checks.push(oneOf(f, reg, candidates.map((d) => d.address)));
        keySize = Math.max(...candidates.map((d) => d.keySize));
        valueSize = Math.max(...candidates.map((d) => d.valueSize));
        break;
      }
      case "key":
      case "value": {
        const size = role === "key" ? keySize : valueSize;
        if (!onStack(fact, size)) checks.push(inMemory(f, reg, size));
        break;
      }
      case "data": {
        const size = facts?.[reg + 1];
        const known = size?.kind === "const" && size.value <= 0xffffn ? Number(size.value) : undefined;
        if (known !== 0 && !(known !== undefined && onStack(fact, known))) checks.push(dataInMemory(f, reg));
        break;
      }
      case "record": {
        const rings = [...mod.maps.values()].filter((d) => d.type === MapType.RingBuf);
        if (rings.length === 0) return undefined;
        checks.push(liveRecord(f, reg, rings));
        break;
      }
      case "scalar":
        break;
    }
  }
  return map ? { checks, map } : { checks };
}

/** fp + off with the whole [off, off + size) on the stack side of fp: always past the null guard. */
const onStack = (fact: Known, size: number): boolean =>
  fact?.kind === "fp" && fact.offset >= -STACK_REACH && fact.offset + size <= 0;

/** rN is one of `addresses`. */
function oneOf(f: FnLowering, reg: number, addresses: readonly number[]): Expr {
  const m = f.m;
  return addresses.map((a) => m.i64.eq(f.get(reg), m.i64.const(BigInt(a)))).reduce((x, y) => m.i32.or(x, y));
}

/** NULL_GUARD <= rN and rN + size <= memory, in u64 so nothing wraps. */
function inMemory(f: FnLowering, reg: number, size: number): Expr {
  const m = f.m;
  const limit = BigInt(f.mod.memoryBytes - NULL_GUARD - size);
  return m.i64.le_u(m.i64.sub(f.get(reg), m.i64.const(BigInt(NULL_GUARD))), m.i64.const(limit));
}

/** rN points at r(N+1) bytes of memory, or r(N+1) is 0 (ringbuf_output's data). */
function dataInMemory(f: FnLowering, reg: number): Expr {
  const m = f.m;
  const size = (): Expr => f.get(reg + 1);
  const room = BigInt(f.mod.memoryBytes - NULL_GUARD);
  const fits = m.i32.and(
    m.i64.le_u(size(), m.i64.const(room)),
    m.i64.le_u(m.i64.sub(f.get(reg), m.i64.const(BigInt(NULL_GUARD))), m.i64.sub(m.i64.const(room), size())),
  );
  return m.i32.or(m.i64.eqz(size()), fits);
}

/**
 * rN is a ring buffer record that is reserved and not yet committed: its 8-byte header lies in
 * one of the rings' data areas, 8-aligned, with the BUSY bit set (vm/helpers/maps.ts record()).
 * The header is only read once the address is known to be inside a ring.
 */
function liveRecord(f: FnLowering, reg: number, rings: readonly MapDescriptor[]): Expr {
  const m = f.m;
  const hdr = (): Expr => m.i64.sub(f.get(reg), m.i64.const(BigInt(abi.BPF_RINGBUF_HDR_SZ)));
  const inRing = rings
    .map((d) => m.i64.lt_u(m.i64.sub(hdr(), m.i64.const(BigInt(d.values))), m.i64.const(BigInt(d.maxEntries))))
    .reduce((x, y) => m.i32.or(x, y));
  const aligned = m.i64.eqz(m.i64.and(f.get(reg), m.i64.const(7n)));
  const busy = m.i32.ne(m.i32.and(m.i32.atomic.load(0, m.i32.wrap(hdr())), m.i32.const(BUSY)), m.i32.const(0));
  return m.if(m.i32.and(inRing, aligned), busy, m.i32.const(0));
}

/** The maps runtime export with the registers adapted: i64 registers ↔ i32 addresses. */
export function exportCall(f: FnLowering, entry: MapHelperExport): Expr {
  const { m, bn } = f;
  f.mod.usedMapExports.add(entry.export);
  const arg = (p: ExportParam): Expr => {
    if ("cpu" in p) return m.global.get(CPU_GLOBAL, bn.i32);
    if ("record" in p) return f.runRecord();
    if ("slotEnd" in p) return f.packetSlotEnd();
    return p.as === "i32" ? f.get32(p.reg) : f.get(p.reg);
  };
  const args = entry.params.map(arg);
  const name = mapExportName(entry.export);
  switch (entry.result) {
    case "u32":
      return m.i64.extend_u(m.call(name, args, bn.i32));
    case "i64":
    case "i64_or_slow":
      return m.call(name, args, bn.i64);
    case "void":
      return m.block(null, [m.call(name, args, bn.none), m.i64.const(0n)], bn.i64);
  }
}

/**
 * array_map_lookup_elem inlined (kernel array_map_gen_lookup does the same rewrite):
 * i = *(u32 *)key; i < max_entries ? values [+ cpu * cpuStride] + i * valueStride : NULL.
 */
function inlineLookup(f: FnLowering, map: MapDescriptor): Expr {
  const { m, bn } = f;
  const index = f.t32(0);
  const plane =
    map.type === MapType.PerCpuArray
      ? m.i32.add(m.i32.const(map.values), m.i32.mul(m.global.get(CPU_GLOBAL, bn.i32), m.i32.const(map.cpuStride)))
      : m.i32.const(map.values);
  const value = m.i32.add(plane, m.i32.mul(m.local.get(index, bn.i32), m.i32.const(map.valueStride)));
  const inRange = m.i32.lt_u(m.local.tee(index, m.i32.load(0, 1, f.get32(2)), bn.i32), m.i32.const(map.maxEntries));
  return m.if(inRange, m.i64.extend_u(value), m.i64.const(0n));
}

/**
 * array_of_map_lookup_elem inlined (the kernel's array_of_map_gen_lookup): i = *(u32 *)key;
 * i < max_entries ? the inner map pointer in slot i (0 when empty) : NULL. The slot is read
 * atomically, as user space may set it while programs run (vm/maps/as/mapofmaps.ts).
 */
function inlineSlotLookup(f: FnLowering, map: MapDescriptor): Expr {
  const { m, bn } = f;
  const index = f.t32(0);
  const slot = m.i32.add(m.i32.const(map.values), m.i32.mul(m.local.get(index, bn.i32), m.i32.const(map.valueStride)));
  const inRange = m.i32.lt_u(m.local.tee(index, m.i32.load(0, 1, f.get32(2)), bn.i32), m.i32.const(map.maxEntries));
  return m.if(inRange, m.i64.extend_u(m.i32.atomic.load(0, slot)), m.i64.const(0n));
}
