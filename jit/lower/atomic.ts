// Atomic read-modify-write (RFC 9669 §5.3) as wasm atomics on the one memory, so programs in
// different workers (CPUs) updating a shared map see each other's updates.
//   add/or/and/xor        memory op= src; with FETCH, src = the old value
//   xchg                  src <-> memory
//   cmpxchg               if memory == r0 then memory = src; r0 = the old value either way
// 32-bit forms operate on the low 32 bits and zero-extend the old value (kernel: `(u32) old`).
// Wasm atomics trap on a misaligned address; the kernel's verifier refuses misaligned atomics
// (check_ptr_alignment with strict = true), so a misaligned atomic is a runtime fault here
// (BpfRuntimeError "misaligned atomic access"), as in the interpreter.

import type { OpDef } from "../../vm/isa/table.js";
import type { Expr } from "../ir.js";
import type { FnLowering } from "./context.js";

type AtomicDef = Extract<OpDef, { kind: "atomic" }>;

export function lowerAtomic(f: FnLowering, def: AtomicDef, i: number): Expr {
  const { m } = f;
  const ins = f.insns[i]!;
  const rmw = def.bytes === 8 ? m.i64.atomic.rmw : m.i64.atomic.rmw32_u;
  // Atomics have an offset immediate too; a negative off folds into the address.
  const base = f.get32(ins.dst);
  const ptr = ins.off >= 0 ? base : m.i32.add(base, m.i32.const(ins.off));
  const offset = ins.off >= 0 ? ins.off : 0;
  const value = f.get(ins.src);
  switch (def.aop) {
    case "cmpxchg":
      return f.set(0, rmw.cmpxchg(offset, ptr, f.get(0), value));
    case "xchg":
      return f.set(ins.src, rmw.xchg(offset, ptr, value));
    default: {
      const old = rmw[def.aop](offset, ptr, value);
      return def.fetch ? f.set(ins.src, old) : m.drop(old);
    }
  }
}
