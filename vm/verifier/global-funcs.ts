// Global functions (non-static, BTF_FUNC_GLOBAL in the program's func_info), verified as the
// kernel verifies them (kernel/bpf/verifier.c check_func_call, do_check_subprogs,
// do_check_common; kernel/bpf/btf.c btf_prepare_func_args, btf_check_func_arg_match):
//
//  - a global function is verified once, on its own, after the main program, with each argument
//    register set from its BTF prototype — an int or enum is an unknown scalar, a pointer to the
//    program's context struct (or any pointer tagged __arg_ctx) is the context, any other pointer
//    to a sized type is memory of that size that may be NULL (not NULL with __arg_nonnull);
//  - at a call the caller's registers are checked against the prototype, the body is not walked:
//    r0 becomes an unknown scalar, r1-r5 are unreadable, and if the function (or one it calls)
//    may change packet data the caller's packet pointers are invalidated;
//  - only functions some explored path calls are verified (dead calls are never checked), in
//    passes over the subprograms until no new one was called.
//
// Without func_info (no signatures) every subprogram is static: walked at each call in the
// caller's context (verifier.ts callLocal).

import type { FuncParam, FuncPointee, FuncSig } from "../btf/func-sigs.js";
import { FUNC_GLOBAL, FUNC_STATIC } from "../btf/func-sigs.js";
import type { ProgramTypeName } from "../programs/types.js";
import type { Cfg } from "./cfg.js";
import type { Env } from "./env.js";
import { helperRule } from "./helper-rules.js";
import { checkUnmodified, clearPacketPointers } from "./helpers.js";
import { notNullReg } from "./map-rules.js";
import { checkHelperMem } from "./memory.js";
import { VerifierReject, reject } from "./messages.js";
import { NOT_INIT, UNKNOWN_SCALAR, isNullScalar, isOrNull, pointer, typeName, type Reg } from "./regs.js";
import { Frame, VState } from "./state.js";
import { TAIL_CALL_ID } from "../helpers/tailcall.js";

/** What the verifier makes of one argument (the kernel's bpf_subprog_arg_info.arg_type). */
export type GlobalArg =
  | { readonly kind: "scalar" }
  | { readonly kind: "ctx" }
  | { readonly kind: "mem"; readonly size: number; readonly nullable: boolean };

/** MAX_BPF_FUNC_REG_ARGS. */
const MAX_ARGS = 5;

/**
 * The context struct each program type's global functions may take by type (btf_is_prog_ctx_type:
 * the uapi name or the kernel struct it projects, btf_is_projection_of).
 */
const CTX_STRUCTS: Partial<Record<ProgramTypeName, readonly string[]>> = {
  xdp: ["xdp_md", "xdp_buff"],
  socket_filter: ["__sk_buff", "sk_buff"],
  sched_cls: ["__sk_buff", "sk_buff"],
  cgroup_skb: ["__sk_buff", "sk_buff"],
  lwt_in: ["__sk_buff", "sk_buff"],
  lwt_out: ["__sk_buff", "sk_buff"],
  lwt_xmit: ["__sk_buff", "sk_buff"],
  lwt_seg6local: ["__sk_buff", "sk_buff"],
};

/** Tags btf_prepare_func_args knows; those here without a meaning need BTF-typed kernel pointers. */
const KNOWN_TAGS: ReadonlySet<string> = new Set(["ctx", "nonnull", "nullable", "trusted", "untrusted", "arena"]);

/**
 * btf_prepare_func_args for a global function: its arguments, or the kernel's reason for
 * refusing its prototype (a message the caller reports at the call).
 */
export function prepareArgs(sig: FuncSig, type: ProgramTypeName): readonly GlobalArg[] | string {
  if (sig.params.length > MAX_ARGS) return `Global function ${sig.name}() with ${sig.params.length} > ${MAX_ARGS} args. Buggy compiler.`;
  if (sig.returns !== "int" && sig.returns !== "enum") return `Global function ${sig.name}() doesn't return scalar. Only those are supported.`;
  const args: GlobalArg[] = [];
  for (let i = 0; i < sig.params.length; i++) {
    const arg = prepareArg(sig, sig.params[i]!, i, type);
    if (typeof arg === "string") return arg;
    args.push(arg);
  }
  return args;
}

function prepareArg(sig: FuncSig, p: FuncParam, i: number, type: ProgramTypeName): GlobalArg | string {
  const tags = new Set(p.tags);
  for (const t of tags) if (!KNOWN_TAGS.has(t)) return `arg#${i} has unsupported set of tags`;
  if (p.type !== "ptr") {
    if (tags.size) return `arg#${i} has pointer tag, but is not a pointer type`;
    if (p.type === "int" || p.type === "enum") return { kind: "scalar" };
    return `Arg#${i} type ${p.kindStr} in ${sig.name}() is not supported yet.`;
  }
  const to = p.pointee!;
  const ctxByType = to.kind === "struct" && (CTX_STRUCTS[type] ?? []).includes(to.name);
  if (tags.has("ctx") || ctxByType) {
    if (tags.size > (tags.has("ctx") ? 1 : 0)) return `arg#${i} has invalid combination of tags`;
    if (tags.has("ctx")) {
      const bad = validateCtxArg(to, i, type);
      if (bad) return bad;
    }
    return { kind: "ctx" };
  }
  // BTF-typed kernel pointers (PTR_TO_BTF_ID) and arenas are not modelled by this verifier.
  for (const t of ["trusted", "untrusted", "arena"]) {
    if (tags.has(t)) return `arg#${i} tagged __arg_${t} is not supported by this verifier (no BTF-typed kernel pointers)`;
  }
  if (tags.has("nullable")) return `arg#${i} has invalid combination of tags`;
  if (to.size === undefined) return `arg#${i} reference type('${to.kindStr} ${to.name}') size cannot be determined: -22`;
  return { kind: "mem", size: to.size, nullable: !tags.has("nonnull") };
}

/**
 * btf_validate_prog_ctx_type: an argument tagged __arg_ctx is `void *` or a pointer to the
 * program type's uapi context struct (its first CTX_STRUCTS name: `struct xdp_md *`, not the
 * kernel's xdp_buff, which only an untagged argument may name). The kernel's reason, or undefined.
 */
function validateCtxArg(to: FuncPointee, i: number, type: ProgramTypeName): string | undefined {
  if (to.kind === "void") return undefined;
  if (to.name === "") return `arg#${i} type doesn't have a name`;
  const canonical = CTX_STRUCTS[type]?.[0];
  if (canonical === undefined) return `arg#${i} should be void pointer`;
  if (to.kind !== "struct" || to.name !== canonical) return `arg#${i} should be \`struct ${canonical} *\``;
  return undefined;
}

/** The global functions of one verification: which exist, which were called, which are verified. */
export class GlobalFuncs {
  private readonly called: Uint8Array;
  private readonly verified: Uint8Array;
  /** Subprograms that may change packet data, themselves or through a call (changes_pkt_data). */
  private readonly changesPkt: Uint8Array;
  private readonly prepared = new Map<number, readonly GlobalArg[] | string>();
  private cursor = 1;
  private foundInPass = false;

  constructor(
    private readonly env: Env,
    private readonly cfg: Cfg,
    private readonly sigs: readonly FuncSig[],
  ) {
    // check_btf_func: exactly one func_info record per subprogram.
    if (sigs.length !== cfg.subprogs.length) reject(`number of funcs in func_info doesn't match number of subprogs`);
    checkScalarReturns(env, cfg, sigs);
    this.called = new Uint8Array(sigs.length);
    this.verified = new Uint8Array(sigs.length);
    this.changesPkt = changesPacketData(env, cfg);
  }

  /** Subprogram `sub` is global (the main program, subprogram 0, never counts as one). */
  isGlobal(sub: number): boolean {
    return sub > 0 && this.sigs[sub]!.linkage === FUNC_GLOBAL;
  }

  /** Subprogram `sub`'s FUNC is static (BTF_FUNC_STATIC): the only linkage a callback may have. */
  isStatic(sub: number): boolean {
    return this.sigs[sub]!.linkage === FUNC_STATIC;
  }

  name(sub: number): string {
    return this.sigs[sub]!.name;
  }

  private args(sub: number): readonly GlobalArg[] | string {
    let a = this.prepared.get(sub);
    if (a === undefined) this.prepared.set(sub, (a = prepareArgs(this.sigs[sub]!, this.env.type.name)));
    return a;
  }

  /**
   * check_func_call for a global function: the caller's r1..rN must match the prototype
   * (btf_check_func_arg_match); then the call is assumed valid — r0 an unknown scalar, r1-r5
   * unreadable, packet pointers gone if the function may change packet data.
   */
  call(st: VState, sub: number): void {
    const args = this.args(sub);
    try {
      if (typeof args === "string") reject(args);
      else (args as readonly GlobalArg[]).forEach((a, i) => this.checkArg(st, i, a));
    } catch (e) {
      if (!(e instanceof VerifierReject)) throw e;
      reject(`Caller passes invalid args into func#${sub} ('${this.name(sub)}'): ${e.reason}`);
    }
    const env = this.env;
    if (env.log.on) env.log.line(`Func#${sub} ('${this.name(sub)}') is global and assumed valid.`);
    this.called[sub] = 1;
    if (this.changesPkt[sub]) clearPacketPointers(st);
    for (let r = 1; r <= 5; r++) st.regs[r] = NOT_INIT;
    st.regs[0] = UNKNOWN_SCALAR;
  }

  private checkArg(st: VState, i: number, arg: GlobalArg): void {
    const regno = i + 1;
    const reg = st.regs[regno]!;
    switch (arg.kind) {
      case "scalar":
        if (reg.type !== "scalar") reject(`R${regno} is not a scalar`);
        return;
      case "ctx":
        checkArgRegOff(regno, reg);
        if (reg.type !== "ctx") reject(`arg#${i} expects pointer to ctx`);
        return;
      case "mem":
        checkArgRegOff(regno, reg);
        this.checkMemReg(st, regno, reg, arg.size);
        if (!arg.nullable && isOrNull(reg)) reject(`arg#${i} is expected to be non-NULL`);
        return;
    }
  }

  /**
   * check_mem_reg: a NULL passes; anything else, assumed not NULL for the check, must be memory
   * the function may read and write `size` bytes of (check_helper_mem_access, both ways).
   */
  private checkMemReg(st: VState, regno: number, reg: Reg, size: number): void {
    if (isNullScalar(reg)) return;
    const asNotNull = isOrNull(reg) ? notNullReg(this.env, reg) : reg;
    if (!HELPER_MEM.has(asNotNull.type)) reject(`R${regno} type=${typeName(asNotNull)} expected=fp`);
    st.regs[regno] = asNotNull;
    try {
      checkHelperMem(this.env, st, regno, size, "read");
      checkHelperMem(this.env, st, regno, size, "write");
    } finally {
      st.regs[regno] = reg;
    }
  }

  /** The state a global function's own verification starts from (do_check_common). */
  entry(sub: number): VState {
    const env = this.env;
    const frame = Frame.fresh(-1, sub, 0);
    const args = this.args(sub) as readonly GlobalArg[];
    args.forEach((a, i) => {
      frame.regs[i + 1] = a.kind === "scalar" ? UNKNOWN_SCALAR
        : a.kind === "ctx" ? pointer("ctx")
        : a.nullable ? pointer("mem_or_null", { range: a.size, id: env.nextId() })
        : pointer("mem", { range: a.size });
    });
    if (env.log.on) env.log.line(`Validating ${this.name(sub)}() func#${sub}...`);
    return new VState([frame], [], this.cfg.subprogs[sub]!.start, undefined, undefined);
  }

  /**
   * do_check_subprogs: the next global function called and not yet verified, in passes over the
   * subprograms in order, another pass as long as the previous one verified something.
   */
  next(): number | undefined {
    for (;;) {
      for (; this.cursor < this.sigs.length; this.cursor++) {
        const sub = this.cursor;
        if (!this.isGlobal(sub) || !this.called[sub] || this.verified[sub]) continue;
        this.verified[sub] = 1;
        this.foundInPass = true;
        this.cursor++;
        return sub;
      }
      if (!this.foundInPass) return undefined;
      this.foundInPass = false;
      this.cursor = 1;
    }
  }
}

/** Pointer types check_helper_mem_access takes (the rest: "R1 type=ctx expected=fp"). */
const HELPER_MEM: ReadonlySet<string> = new Set(["stack", "packet", "packet_meta", "map_value", "map_key", "mem"]);

/**
 * check_func_arg_reg_off with ARG_DONTCARE: pointers into memory (and scalars) may carry any
 * offset; any other pointer must be exactly as it was made (__check_ptr_off_reg).
 */
function checkArgRegOff(regno: number, reg: Reg): void {
  if (reg.type === "scalar" || HELPER_MEM.has(reg.type)) return;
  checkUnmodified(regno, reg);
}

/**
 * changes_pkt_data per subprogram: it calls a helper that changes packet data, or a tail call
 * (whose target may: kernel 6.13+), or calls a subprogram that does (merge_callee_effects).
 */
function changesPacketData(env: Env, cfg: Cfg): Uint8Array {
  const n = cfg.subprogs.length;
  const own = new Uint8Array(n);
  env.insns.forEach((ins, i) => {
    const d = cfg.defs[i];
    if (d?.kind === "call" && d.target === "helper" && (helperRule(ins.imm)?.pktChanging || ins.imm === TAIL_CALL_ID)) own[cfg.subprogOf[i]!] = 1;
  });
  for (let changed = true; changed;) {
    changed = false;
    for (let s = 0; s < n; s++) {
      if (own[s]) continue;
      if (cfg.callees[s]!.some((c) => own[c.sub])) {
        own[s] = 1;
        changed = true;
      }
    }
  }
  return own;
}

/**
 * check_btf_func: a subprogram whose LD_ABS / LD_IND or tail call may return from it early (with
 * 0, or the tail call's r0) must return a scalar in its prototype (an int or an enum).
 */
function checkScalarReturns(env: Env, cfg: Cfg, sigs: readonly FuncSig[]): void {
  env.insns.forEach((ins, i) => {
    const sub = cfg.subprogOf[i]!;
    const returns = sigs[sub]!.returns;
    if (sub === 0 || returns === "int" || returns === "enum") return;
    const d = cfg.defs[i];
    if (d?.kind === "ldpkt") reject("LD_ABS is only allowed in functions that return 'int'.");
    if (d?.kind === "call" && d.target === "helper" && ins.imm === TAIL_CALL_ID) reject("tail_call is only allowed in functions that return 'int'.");
  });
}
