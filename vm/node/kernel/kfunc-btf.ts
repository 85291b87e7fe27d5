// Kfunc ids for the kernel engine. Programs here carry this runtime's kfunc ids
// (vm/helpers/kfunc/ids.ts); the kernel wants the BTF id of the function of the same name in its
// own vmlinux BTF (/sys/kernel/btf/vmlinux), which libbpf would have put there when loading the
// object. forKernel() rewrites every `call kfunc` whose id is one of ours; other ids are left as
// they are (a program may already carry the kernel's). Read once per process.

import { readFileSync } from "node:fs";
import { BpfError } from "../../errors.js";
import { funcIds } from "../../btf/func-ids.js";
import { KFUNC_IDS, kfuncName } from "../../helpers/kfunc/ids.js";
import type { Insn } from "../../isa/instruction.js";
import { CallSrc, Cls, JmpOp } from "../../isa/opcodes.js";

const VMLINUX_BTF = "/sys/kernel/btf/vmlinux";
const CALL = Cls.JMP | JmpOp.CALL;

let cache: Map<string, number> | undefined;

/** Our kfunc names → their ids in the running kernel's vmlinux BTF (those it has). */
export function vmlinuxKfuncIds(): ReadonlyMap<string, number> {
  cache ??= funcIds(new Uint8Array(readFileSync(VMLINUX_BTF)), new Set(Object.keys(KFUNC_IDS)));
  return cache;
}

/** `insns` with this runtime's kfunc ids replaced by the kernel's (the same array when there are none). */
export function forKernel(insns: readonly Insn[]): readonly Insn[] {
  if (!insns.some(isOurKfuncCall)) return insns;
  const ids = vmlinuxKfuncIds();
  return insns.map((ins, i) => {
    if (!isOurKfuncCall(ins)) return ins;
    const name = kfuncName(ins.imm)!;
    const id = ids.get(name);
    if (id === undefined) throw new BpfError(`insn ${i}: kfunc ${name} is not in this kernel's BTF (${VMLINUX_BTF})`, { insn: i });
    return { ...ins, imm: id };
  });
}

const isOurKfuncCall = (ins: Insn): boolean => ins.opcode === CALL && ins.src === CallSrc.KFUNC && kfuncName(ins.imm) !== undefined;
