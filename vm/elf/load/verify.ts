// Verifying an object's programs with the object's maps, as BPF_PROG_LOAD would: the program's
// type (from its section), its maps in fd order with their creation flags (.rodata gets
// BPF_F_RDONLY_PROG, as libbpf creates it; what each map type and flag allows is the verifier's
// rule, vm/verifier/map-rules.ts), the helpers its type may call, and the kernel's license rule for GPL-only helpers (check_helper_call:
// "cannot call GPL-restricted function from non-GPL compatible program") and for kfuncs
// (add_kfunc_call: "cannot call kernel function from non-GPL compatible program").

import { formatInsn } from "../../asm/index.js";
import type { HelperTable } from "../../helpers/registry.js";
import { CallSrc, Cls, JmpOp } from "../../isa/opcodes.js";
import type { ProgramTypeName } from "../../programs/types.js";
import { verify, type VerifyResult } from "../../verifier/verifier.js";
import type { VerifierMap } from "../../verifier/env.js";
import type { BpfError } from "../../errors.js";
import { innerSlotError, mapCreationError } from "./maps.js";
import { programFuncSigs } from "../../btf/func-sigs.js";
import type { BpfObject, ObjectProgram } from "./object.js";

/** BPF_F_RDONLY_PROG: libbpf creates the .rodata maps with it. */
const BPF_F_RDONLY_PROG = 1 << 7;

/** The object's maps as BPF_MAP_CREATE would get them, in fd order. */
export function verifierMaps(obj: BpfObject): VerifierMap[] {
  return obj.maps.map((m) => ({
    name: m.name,
    type: m.spec.type,
    keySize: m.spec.keySize,
    valueSize: m.spec.valueSize,
    maxEntries: m.spec.maxEntries,
    flags: m.spec.flags | (m.readonly ? BPF_F_RDONLY_PROG : 0),
    // A map of maps: its inner template (the kernel's map->inner_map_meta).
    ...(m.spec.inner ? { inner: { name: `${m.name}.inner`, ...m.spec.inner } } : {}),
    // libbpf writes .rodata and then BPF_MAP_FREEZEs it; so does instantiateObject
    // (machine.ts): the verifier may read its bytes as constants.
    ...(m.readonly ? { frozen: m.initial ?? new Uint8Array(m.spec.valueSize) } : {}),
    // A value's struct bpf_spin_lock, found in the BTF (vm/btf/spin-lock.ts); libbpf creates
    // BTF-defined and global data maps with BTF, legacy ones without.
    ...(m.spec.spinLock !== undefined ? { spinLock: m.spec.spinLock } : {}),
    // A value's struct bpf_timer, found the same way (vm/btf/timer.ts).
    ...(m.spec.timer !== undefined ? { timer: m.spec.timer } : {}),
    ...(m.origin !== "legacy" ? { btf: true } : {}),
  }));
}

/**
 * The first map of the object that BPF_MAP_CREATE would refuse, or the first static map-of-maps
 * slot that BPF_MAP_UPDATE_ELEM would refuse (innerSlotError), as the error saying why.
 */
export function objectMapError(obj: BpfObject): BpfError | undefined {
  for (const m of obj.maps) {
    const err = mapCreationError(m);
    if (err) return err;
  }
  for (const m of obj.maps) {
    const err = innerSlotError(obj, m);
    if (err) return err;
  }
  return undefined;
}

/** Helpers whose kernel bpf_func_proto has gpl_only = true (of those the runtime implements). */
const GPL_ONLY: ReadonlyMap<number, string> = new Map([
  [6, "bpf_trace_printk"],
  [25, "bpf_perf_event_output"],
  [177, "bpf_trace_vprintk"],
  // kernel/bpf/helpers.c: every bpf_timer_* proto is gpl_only.
  [169, "bpf_timer_init"],
  [170, "bpf_timer_set_callback"],
  [171, "bpf_timer_start"],
  [172, "bpf_timer_cancel"],
  // net/core/filter.c: the raw syncookie protos ("__cookie_v4_init_sequence() is GPL").
  [204, "bpf_tcp_raw_gen_syncookie_ipv4"],
  [205, "bpf_tcp_raw_gen_syncookie_ipv6"],
  [206, "bpf_tcp_raw_check_syncookie_ipv4"],
  [207, "bpf_tcp_raw_check_syncookie_ipv6"],
]);

const CALL = Cls.JMP | JmpOp.CALL;

export type VerifyStatus = "accepted" | "rejected" | "unsupported" | "error";

export interface ProgramVerification {
  readonly program: ObjectProgram;
  readonly status: VerifyStatus;
  /** The verifier's result (accepted / rejected). */
  readonly result?: VerifyResult;
  /** Why: the rejection (insn N: ...: reason), the unsupported type, or the link error. */
  readonly message?: string;
  readonly insn?: number;
}

export interface VerifyObjectOptions {
  /** The helper table a program of `type` gets (a machine's helpers, or signatures only). */
  readonly helpers: (type: ProgramTypeName) => HelperTable;
  readonly log?: 0 | 1 | 2;
  readonly maxInsns?: number;
}

/** Verify one program of `obj`: unsupported types and link errors are reported, not verified. */
export function verifyObjectProgram(obj: BpfObject, program: ObjectProgram, options: VerifyObjectOptions): ProgramVerification {
  if (program.error) return { program, status: "error", message: program.error.message };
  // libbpf creates every map of the object before it loads a program (bpf_object__load): a map
  // the kernel refuses fails the load, whatever the program.
  const mapError = objectMapError(obj);
  if (mapError) return { program, status: "error", message: mapError.message };
  if (!program.type) return { program, status: "unsupported", message: program.unsupported ?? "unsupported program type" };
  const licence = obj.gplCompatible ? undefined : gplViolation(program, obj.license);
  if (licence) {
    return { program, status: "rejected", message: licence.message, insn: licence.insn };
  }
  const result = verify(program.insns, {
    type: program.type,
    maps: verifierMaps(obj),
    helpers: options.helpers(program.type),
    log: options.log ?? 0,
    ...(options.maxInsns !== undefined ? { maxInsns: options.maxInsns } : {}),
    ...(program.sectionType?.expectedAttach !== undefined ? { expectedAttach: program.sectionType.expectedAttach } : {}),
    // The object's BTF func_info, as libbpf sends it: global functions are verified on their own.
    ...(obj.btf && obj.ext ? { funcs: programFuncSigs(obj.btf, obj.ext, program.functions) } : {}),
  });
  return {
    program,
    status: result.accepted ? "accepted" : "rejected",
    result,
    ...(result.message !== undefined ? { message: result.message } : {}),
    ...(result.insn !== undefined ? { insn: result.insn } : {}),
  };
}

/** The first call of a GPL-only helper, when the license does not allow it. */
function gplViolation(program: ObjectProgram, license: string): { insn: number; message: string } | undefined {
  const insns = program.insns;
  for (let i = 0; i < insns.length; i++) {
    const ins = insns[i]!;
    if (ins.opcode === CALL && ins.src === CallSrc.HELPER && GPL_ONLY.has(ins.imm)) {
      return {
        insn: i,
        message: `insn ${i}: call ${GPL_ONLY.get(ins.imm)}#${ins.imm}: cannot call GPL-restricted function from non-GPL compatible program (license "${license}")`,
      };
    }
    // Any kfunc call (add_kfunc_call): kernel functions are for GPL-compatible programs only.
    if (ins.opcode === CALL && ins.src === CallSrc.KFUNC) {
      return { insn: i, message: `insn ${i}: ${formatInsn(insns, i)}: cannot call kernel function from non-GPL compatible program (license "${license}")` };
    }
  }
  return undefined;
}

/** Every program of the object, in order. */
export function verifyObject(obj: BpfObject, options: VerifyObjectOptions): ProgramVerification[] {
  return obj.programs.map((p) => verifyObjectProgram(obj, p, options));
}
