// The verifier: abstract interpretation of every path of a program (the kernel's do_check), with
// state pruning at checkpoints (is_state_visited) so that real programs verify quickly. A path
// ends at `exit` of the main program, or when its state is within one already proven safe.
//
//   verify(program, { type, maps, helpers, log }) → { accepted, insn, message, log, ... }

import { baseHelpers } from "../helpers/index.js";
import type { HelperTable } from "../helpers/registry.js";
import { imm64, type Insn } from "../isa/instruction.js";
import { Pseudo, R10 } from "../isa/opcodes.js";
import { jumpTarget, type OpDef } from "../isa/table.js";
import { programType, type ProgramType, type ProgramTypeName } from "../programs/types.js";
import type { Program } from "../engine.js";
import { localCallTarget } from "../program/subprograms.js";
import { FRAME_WRITE, writtenRegister } from "../program/validate.js";
import { checkAlu, readReg } from "./alu.js";
import { checkCondJmp } from "./branch.js";
import { buildCfg, checkCombinedStack, type Cfg } from "./cfg.js";
import { Env, type VerifierMap } from "./env.js";
import { checkHelperCall, checkNoReferenceHeld, checkUnmodified, clearPacketPointers, type CallbackHook } from "./helpers.js";
import { callbackCall, callbackExit, sameCallsites } from "./callbacks.js";
import { checkCgroupStorageMaps } from "./cgroup-storage.js";
import { checkCallHoldingLock, checkGlobalCallHoldingLock, checkLockMapForProgram, checkNoLockHeld } from "./spin-lock.js";
import { checkMemAccess, checkStrictAlignment } from "./memory.js";
import { ctxAccesses, ctxStoreValues, noteCtxStoreValue, saveAuxPtrType } from "./aux-ptr.js";
import { narrowCtxAccesses } from "../program/ctx-narrow.js";
import { Log, VerifierReject, disasm, reject, stateString } from "./messages.js";
import { Compare, clearSingularIds, stateDigest, statesWithin } from "./prune.js";
import { NOT_INIT, UNKNOWN_SCALAR, constReg, loadedScalar, pointer, scalarReg, typeName, type Reg } from "./regs.js";
import { checkReturnCode } from "./return-code.js";
import { asyncCallbacks, checkAsyncReturn, isAsyncCallback } from "./timer.js";
import { immScalar } from "./scalar-alu.js";
import { Frame, LINKED_ENTRY, PathStep, STACK_ENTRY, Step, VState, pathString, type Checkpoint } from "./state.js";
import { propagatePrecision } from "./precision.js";
import { visitOf } from "./loops.js";
import { constNumS, fitsBytes, scalarIsConst } from "./bounds.js";
import { MapType } from "./helper-rules.js";
import { TAIL_CALL_ID } from "../helpers/tailcall.js";
import type { FuncSig } from "../btf/func-sigs.js";
import { GlobalFuncs } from "./global-funcs.js";
import { checkKfuncCall, kfuncAllowedHoldingLock } from "./kfuncs.js";
import { iterAtR1 } from "./iter.js";
import { mayGotoFallthrough } from "./may-goto.js";
import { IterState } from "./iter-slot.js";
import { StackLiveness } from "./stack-liveness.js";

export interface VerifyOptions {
  /** The program type (or its name): its ctx layout, helpers and rules. */
  readonly type: ProgramType | ProgramTypeName;
  /** Maps the program references: `lddw rX, map_fd N` names maps[N]. */
  readonly maps?: readonly VerifierMap[];
  /** Helpers the program may call (default: baseHelpers()). */
  readonly helpers?: HelperTable;
  /** 0: no log; 1: every processed instruction and the state at each branch; 2: state after each instruction. */
  readonly log?: 0 | 1 | 2;
  /** Complexity limit in processed instructions (default and kernel: 1,000,000). */
  readonly maxInsns?: number;
  /** conformance type only: how many bytes r1 points at (r2 holds the same number). */
  readonly memSize?: number;
  /**
   * Stack bytes never written may be read, as unknown bytes (default true: the kernel's
   * allow_uninit_stack, which root has through CAP_PERFMON — clang leaves struct padding in
   * map keys unwritten). false: such a read is refused, as for unprivileged programs ("invalid
   * read from stack off -8+4 size 8"), where a caller needs runs that do not depend on what an
   * earlier run left on the stack.
   */
  readonly allowUninitStack?: boolean;
  /**
   * The load flag BPF_F_STRICT_ALIGNMENT: every load and store aligned to its size, packet
   * offsets counted from NET_IP_ALIGN (2) as where unaligned access is slow (check_ptr_alignment).
   * Without it only stack accesses and atomics must be aligned, as on x86-64.
   */
  readonly strictAlignment?: boolean;
  /**
   * The load flag BPF_F_TEST_STATE_FREQ: a checkpoint at every prune point the path reaches
   * (is_state_visited's force_new_state), not only after enough jumps and instructions. Only the
   * processed counts change, and which checkpoints a path is compared with.
   */
  readonly testStateFreq?: boolean;
  /**
   * The program's expected attach type (enum bpf_attach_type), where the type's rules depend on
   * it: an XDP program for a DEVMAP slot (BPF_XDP_DEVMAP, 33) may read xdp_md.egress_ifindex.
   */
  readonly expectedAttach?: number;
  /**
   * BTF func_info: each subprogram's FUNC signature, in subprogram order (vm/btf/func-sigs.ts),
   * as BPF_PROG_LOAD gets them with the program's BTF. Global functions are then verified as the
   * kernel does (global-funcs.ts): each once on its own from its prototype, calls checked against
   * it. Without them every subprogram is static, walked in its caller's context.
   */
  readonly funcs?: readonly FuncSig[] | undefined;
}

export interface VerifyResult {
  readonly accepted: boolean;
  /** Instruction the rejection is about. */
  readonly insn?: number;
  /** `insn N: <instruction>: <reason>` and, when a path led there, `(path: 0-4 -> 9-12)`. */
  readonly message?: string;
  /** The bare reason, in the kernel's words where it has a check. */
  readonly reason?: string;
  /** Instruction ranges the rejected path went through. */
  readonly path?: string;
  readonly log: string;
  /** Instructions simulated (the kernel's "processed N insns"). */
  readonly processedInsns: number;
  /** Checkpoints stored for pruning. */
  readonly states: number;
  /** Most checkpoints kept at once: those that keep missing are dropped (the kernel's peak_states). */
  readonly peakStates: number;
  /** Stack bytes each subprogram uses. */
  readonly stackDepth: readonly number[];
  /**
   * Accepted programs: the replacement of each access to a context field the kernel keeps
   * narrower than its slot, by instruction (vm/program/ctx-narrow.ts).
   */
  readonly ctxRewrites?: ReadonlyMap<number, Insn>;
  readonly ms: number;
}

export const COMPLEXITY_LIMIT = 1_000_000;
/** Earlier iterations a callback call's state is compared with (callbackConverged). */
const CALLBACK_CANDIDATES = 64;
const JMP_SEQ_LIMIT = 8192;

export function verify(program: Program | readonly Insn[], options: VerifyOptions): VerifyResult {
  const t0 = performance.now();
  const insns = "insns" in program ? program.insns : program;
  const type = typeof options.type === "string" ? programType(options.type) : options.type;
  const log = new Log(options.log ?? 0, insns);
  let env: Env | undefined;
  let at: VState | undefined;
  /** The global function being verified on its own, if any: where its paths start, its name. */
  let own: { start: number; what: string } | undefined;
  const finish = (extra: Partial<VerifyResult>): VerifyResult => ({
    accepted: false,
    log: log.toString(),
    processedInsns: env?.insnsProcessed ?? 0,
    states: env?.statesStored ?? 0,
    peakStates: env?.peakStates ?? 0,
    stackDepth: env?.stackDepth ?? [],
    ms: performance.now() - t0,
    ...extra,
  });
  try {
    const helpers = options.helpers ?? baseHelpers();
    const funcs = options.funcs;
    // Helper and kfunc ids do not overlap (vm/helpers/kfunc/ids.ts): one lookup gives a call's arguments.
    const cfg = buildCfg(insns, (id) => (helpers.get(id) ?? helpers.kfunc(id))?.args, funcs && ((sub) => sub > 0 && funcs[sub]?.linkage === 1),
      (id) => helpers.kfunc(id)?.proto.iter?.role === "next");
    env = new Env(insns, cfg.defs, cfg.subprogs, cfg.subprogOf, type, options.maps ?? [], helpers,
      log, options.maxInsns ?? COMPLEXITY_LIMIT, options.memSize ?? 0, options.allowUninitStack ?? true, options.strictAlignment ?? false, options.testStateFreq ?? false, options.expectedAttach ?? 0,
      new StackLiveness(cfg));
    checkCgroupStorageMaps(insns, cfg.defs, env.fdMaps);
    const globals = funcs ? new GlobalFuncs(env, cfg, funcs) : undefined;
    new Run(env, cfg, globals).explore((st) => (at = st));
    // do_check_subprogs: then each global function a path called, on its own.
    for (let sub = globals?.next(); sub !== undefined; sub = globals!.next()) {
      own = { start: cfg.subprogs[sub]!.start, what: `global function ${globals!.name(sub)}() func#${sub}` };
      new Run(env, cfg, globals).explore((st) => (at = st), globals!.entry(sub));
      if (log.on) log.line(`Func#${sub} ('${globals!.name(sub)}') is safe for any args that match its prototype`);
    }
    at = undefined; // the stack checks are about the whole call graph, not a path's instruction
    checkCombinedStack(cfg, env.stackDepth, asyncCallbacks(env));
    log.always(`processed ${env.insnsProcessed} insns (limit ${env.maxInsns}), stored states ${env.statesStored}, peak states ${env.peakStates}`);
    return finish({ accepted: true, ctxRewrites: narrowCtxAccesses(insns, ctxAccesses(env), ctxStoreValues(env), type.ctx) });
  } catch (e) {
    if (!(e instanceof VerifierReject)) throw e;
    const insn = e.insn ?? at?.pc;
    const path = at && e.insn === undefined ? pathString(at.path, at.pc, own?.start) : undefined;
    const where = insn !== undefined && insn < insns.length ? `insn ${insn}: ${disasm(insns, insn)}: ` : "";
    const message = `${where}${e.reason}${path ? ` (${own ? `in ${own.what}, ` : ""}path: ${path})` : ""}`;
    if (at && log.level > 0) log.always(stateString(at));
    log.always(e.reason);
    if (env) log.always(`processed ${env.insnsProcessed} insns (limit ${env.maxInsns}), stored states ${env.statesStored}, peak states ${env.peakStates}`);
    return finish({ insn, message, reason: e.reason, path });
  }
}

class Run {
  /**
   * Checkpoints by instruction: being explored (ancestors of some path; by digest, since a loop
   * may stack up thousands at one instruction), how many, and those proven safe.
   */
  private readonly active: Array<Map<number, Checkpoint[]> | undefined>;
  private readonly activeCount: Int32Array;
  private readonly done: Array<Checkpoint[] | undefined>;
  private readonly pending: VState[] = [];

  constructor(
    private readonly env: Env,
    private readonly cfg: Cfg,
    private readonly globals: GlobalFuncs | undefined,
  ) {
    this.active = new Array(env.insns.length);
    this.activeCount = new Int32Array(env.insns.length);
    this.done = new Array(env.insns.length);
  }

  private initial(): VState {
    const main = Frame.fresh(-1, 0, 0);
    if (this.env.type.ctx) main.regs[1] = pointer("ctx");
    else {
      main.regs[1] = pointer("mem", { range: this.env.memSize });
      main.regs[2] = constReg(BigInt(this.env.memSize));
    }
    return new VState([main], [], 0, undefined, undefined);
  }

  /** Explore every path; `track` is told the state being simulated (for error reports). */
  explore(track: (st: VState) => void, start: VState = this.initial()): void {
    let st: VState | undefined = start;
    const log = this.env.log;
    while (st) {
      track(st);
      const next: VState | undefined = this.step(st);
      if (next) {
        st = next;
        continue;
      }
      st = this.pending.pop();
      if (st && log.on) log.state(st, `from ${st.path?.from ?? 0} to ${st.pc}: `);
    }
  }

  /** Simulate one instruction; return the state to go on with, or undefined when the path ended. */
  private step(st: VState): VState | undefined {
    const env = this.env;
    const pc = st.pc;
    if (++env.insnsProcessed > env.maxInsns) reject(`BPF program is too large. Processed ${env.insnsProcessed} insn`);
    if (this.cfg.prunePoint[pc] && this.visited(st)) {
      if (env.log.on) env.log.line(`${pc}: safe`);
      this.pathDone(st);
      return undefined;
    }
    env.log.insn(pc);
    const def = this.cfg.defs[pc]!;
    const ins = env.insns[pc]!;
    env.liveness.begin(st);
    const next = this.exec(st, ins, def);
    // Only stores write whole stack slots (a call's writes come from its callee's marks).
    if (def.kind === "st" || def.kind === "stx" || def.kind === "atomic") env.liveness.commit();
    if (next && env.log.level === 2) env.log.state(next, "    ");
    return next;
  }

  private exec(st: VState, ins: Insn, def: OpDef): VState | undefined {
    const pc = st.pc;
    // check_reg_arg (DST_OP): r10 is written nowhere a path reaches. Unreached writes are left
    // to frame-writes.ts, as the kernel removes dead code after verifying.
    if (writtenRegister(ins, def) === R10) reject(FRAME_WRITE);
    switch (def.kind) {
      case "alu":
      case "neg":
      case "movsx":
      case "end":
        checkAlu(this.env, st, ins, def);
        return advance(st, 1);
      case "ldx": {
        const base = readReg(st, ins.src);
        st.regs[ins.dst] = checkMemAccess(this.env, st, { regno: ins.src, off: ins.off, size: def.bytes, access: "read", signed: def.signed });
        saveAuxPtrType(this.env, pc, base.type);
        noteStackAccess(st, pc, base, ins.off);
        return advance(st, 1);
      }
      case "st": {
        const base = readReg(st, ins.dst);
        checkMemAccess(this.env, st, { regno: ins.dst, off: ins.off, size: def.bytes, access: "write", value: scalarReg(immScalar(ins.imm)) });
        saveAuxPtrType(this.env, pc, base.type);
        noteStackAccess(st, pc, base, ins.off);
        return advance(st, 1);
      }
      case "stx": {
        const base = readReg(st, ins.dst);
        const value = this.spilledValue(st, ins, def.bytes, base);
        checkMemAccess(this.env, st, { regno: ins.dst, off: ins.off, size: def.bytes, access: "write", value });
        saveAuxPtrType(this.env, pc, base.type);
        if (base.type === "ctx") noteCtxStoreValue(this.env, pc, value);
        noteStackAccess(st, pc, base, ins.off);
        return advance(st, 1);
      }
      case "atomic": {
        const base = st.regs[ins.dst]!;
        this.atomic(st, ins, def);
        noteStackAccess(st, pc, base, ins.off);
        return advance(st, 1);
      }
      case "lddw":
        st.regs[ins.dst] = this.lddw(pc, ins, def.pseudo);
        return advance(st, 2);
      case "ldpkt":
        this.ldpkt(st, ins, def.bytes, def.ind);
        return st.frames.length > 1 ? this.ldAbsInSubprogram(st) : advance(st, 1);
      case "ja": {
        this.env.jmpsProcessed++;
        return jumpTo(st, jumpTarget(ins, def, pc)!);
      }
      case "jcond":
        return this.condJump(st, ins, def);
      case "maygoto":
        this.env.jmpsProcessed++;
        this.pushBranch(mayGotoFallthrough(st));
        return jumpTo(st, jumpTarget(ins, def, pc)!);
      case "call":
        this.env.jmpsProcessed++; // the kernel counts every BPF_JMP-class instruction
        // The numeric iterator's kfuncs may be called holding a lock (kfunc_spin_allowed).
        if (def.target !== "kfunc" || !kfuncAllowedHoldingLock(this.env, ins.imm)) checkCallHoldingLock(st, def.target === "local" ? "local" : ins.imm);
        if (def.target === "local") return this.callLocal(st);
        if (def.target === "kfunc") return this.callKfunc(st, ins.imm);
        checkHelperCall(this.env, st, pc, ins.imm, this.onCallback);
        if (ins.imm === TAIL_CALL_ID && st.frames.length > 1) return this.tailCallInSubprogram(st);
        return advance(st, 1);
      case "callx":
        return reject("callx (call through a register) is not supported by the kernel");
      case "exit":
        this.env.jmpsProcessed++;
        return this.exit(st);
    }
  }

  /**
   * The register a store writes (check_stack_write_fixed_off): a scalar spilled at a stack
   * slot's start stays linked to its register through an id both share
   * (assign_scalar_id_before_mov), so a bound learnt on a later fill bounds the register too —
   * when its value fits the store; a narrowing spill keeps no link.
   */
  private spilledValue(st: VState, ins: Insn, bytes: number, base: Reg): Reg {
    const value = readReg(st, ins.src);
    if (base.type !== "stack" || value.type !== "scalar" || !scalarIsConst(base.s) || scalarIsConst(value.s)) return value;
    if (((base.off + constNumS(base.s) + ins.off) & 7) !== 0) return value;
    if (!fitsBytes(value.s, bytes)) return value.id ? { ...value, id: 0 } : value;
    if (value.id) return value;
    const linked = { ...value, id: this.env.nextId() };
    st.regs[ins.src] = linked;
    return linked;
  }

  private atomic(st: VState, ins: Insn, def: Extract<OpDef, { kind: "atomic" }>): void {
    readReg(st, ins.src);
    const dst = readReg(st, ins.dst);
    if (def.aop === "cmpxchg") readReg(st, 0);
    const named = dst.type === "ctx" || dst.type === "xdp_sock" || dst.type === "sock" || dst.type === "sock_common" || dst.type === "tcp_sock";
    if (named || dst.type === "packet" || dst.type === "packet_meta" || dst.type === "packet_end") {
      reject(`BPF_ATOMIC stores into R${ins.dst} ${named ? dst.type : "pkt"} is not allowed`);
    }
    // check_atomic_rmw: the register a fetch loads into is written (check_reg_arg DST_OP)
    // before the accesses are checked, so it cannot also be the address.
    const load = def.fetch ? (def.aop === "cmpxchg" ? 0 : ins.src) : -1;
    if (load >= 0) st.regs[load] = UNKNOWN_SCALAR;
    checkStrictAlignment(st, ins.dst, ins.off, def.bytes);
    // The fetched value is what a load of the location gives ("simulate the register fill"): a
    // spilled register comes back whole, a constant stays known.
    const old = checkMemAccess(this.env, st, { regno: ins.dst, off: ins.off, size: def.bytes, access: "read" });
    checkMemAccess(this.env, st, { regno: ins.dst, off: ins.off, size: def.bytes, access: "write" });
    if (load >= 0) st.regs[load] = old;
  }

  private lddw(pc: number, ins: Insn, pseudo: number): Reg {
    const maps = this.env.fdMaps;
    switch (pseudo) {
      case Pseudo.NONE:
        return constReg(imm64(this.env.insns, pc));
      case Pseudo.MAP_FD:
      case Pseudo.MAP_IDX: {
        if (!maps[ins.imm]) reject(`fd ${ins.imm} is not pointing to valid bpf_map`);
        // resolve_pseudo_ldimm64: a map pointer carries no offset (only MAP_VALUE has one).
        if (this.env.insns[pc + 1]!.imm !== 0) reject("unrecognized bpf_ld_imm64 insn");
        checkLockMapForProgram(this.env, maps[ins.imm]!);
        return pointer("map_ptr", { map: ins.imm });
      }
      case Pseudo.FUNC: {
        // check_ld_imm: PTR_TO_FUNC naming the subprogram (validate() checked the target); with
        // func_info, only a static function may be called back (a global one is verified on its
        // own, for the arguments of its prototype, not for those a helper passes).
        const sub = this.cfg.subprogOf[localCallTarget(this.env.insns, pc)]!;
        if (this.globals && !this.globals.isStatic(sub)) reject("callback function not static");
        return pointer("func", { map: sub });
      }
      case Pseudo.MAP_VALUE:
      case Pseudo.MAP_IDX_VALUE: {
        const map = maps[ins.imm];
        if (!map) return reject(`fd ${ins.imm} is not pointing to valid bpf_map`);
        if (map.type !== MapType.ARRAY) reject(`no direct value access support for this map type`);
        const off = this.env.insns[pc + 1]!.imm >>> 0;
        if (off >= map.valueSize) reject(`invalid access to map value pointer, value_size=${map.valueSize} off=${off}`);
        checkLockMapForProgram(this.env, map);
        return pointer("map_value", { map: ins.imm, off });
      }
      default:
        return reject(`unsupported lddw pseudo source ${pseudo}`);
    }
  }

  /** check_ld_abs: legacy packet loads, skb programs only, ctx in r6; r1-r5 are clobbered. */
  private ldpkt(st: VState, ins: Insn, bytes: number, ind: boolean): void {
    if (!this.env.type.ldAbs) reject("BPF_LD_[ABS|IND] instructions not allowed for this program type");
    checkNoLockHeld(st, "BPF_LD_[ABS|IND]");
    checkNoReferenceHeld(st, "BPF_LD_[ABS|IND]");
    const r6 = readReg(st, 6);
    if (r6.type !== "ctx") reject("at the time of BPF_LD_ABS|IND R6 != pointer to skb");
    // check_ld_abs → check_ptr_off_reg: the load finds the skb's data and data_end through r6,
    // so a moved r6 would make it read them (and then the packet) from wherever r6 points.
    checkUnmodified(6, r6);
    if (ind) readReg(st, ins.src);
    for (let r = 1; r <= 5; r++) st.regs[r] = NOT_INIT;
    st.regs[0] = loadedScalar(bytes);
  }

  private condJump(st: VState, ins: Insn, def: Extract<OpDef, { kind: "jcond" }>): VState | undefined {
    this.env.jmpsProcessed++;
    const pc = st.pc;
    const target = pc + 1 + ins.off;
    noteLinkedScalars(st, pc, st.regs[ins.dst]!, def.reg ? st.regs[ins.src]! : undefined);
    const { fall, jump } = checkCondJmp(this.env, st, ins, def);
    if (fall && jump) {
      this.pushBranch(jumpTo(jump, target));
      if (this.env.log.level === 2) this.env.log.state(jump, `    (if taken) `);
      return advance(fall, 1);
    }
    if (jump) return jumpTo(jump, target);
    if (fall) return advance(fall, 1);
    this.pathDone(st);
    return undefined;
  }

  /** push_stack: a branch explored later; it shares the current checkpoint ancestry. */
  private pushBranch(st: VState): void {
    if (st.parent) st.parent.branches++;
    this.pending.push(st);
    // BPF_COMPLEXITY_LIMIT_JMP_SEQ: at most 8192 branches waiting to be explored.
    if (this.pending.length > JMP_SEQ_LIMIT) reject(`The sequence of ${this.pending.length} jumps is too complex.`);
  }

  private callLocal(st: VState): VState {
    const pc = st.pc;
    const target = localCallTarget(this.env.insns, pc);
    // A global function is not walked here: its call is checked against its prototype.
    const sub = this.cfg.subprogOf[target]!;
    if (this.globals?.isGlobal(sub)) {
      checkGlobalCallHoldingLock(st);
      this.globals.call(st, sub);
      return advance(st, 1);
    }
    if (st.frames.length >= 8) reject(`the call stack of ${st.frames.length + 1} frames is too deep !`);
    const frame = Frame.fresh(pc, this.cfg.subprogOf[target]!, st.frames.length);
    for (let r = 1; r <= 5; r++) frame.regs[r] = st.regs[r]!;
    st.frames.push(frame);
    return jumpTo(st, target);
  }

  /** check_kfunc_call; an iterator's next() forks a path (iter.ts), explored later. */
  private callKfunc(st: VState, id: number): VState {
    const queued = checkKfuncCall(this.env, st, id);
    if (queued) {
      if (queued.parent) queued.parent.branches++;
      this.pending.push(advance(queued, 1));
      if (this.pending.length > JMP_SEQ_LIMIT) reject(`The sequence of ${this.pending.length} jumps is too complex.`);
    }
    return advance(st, 1);
  }

  /** A helper calls a callback (callbacks.ts): the callback's entry is explored later. */
  private readonly onCallback: CallbackHook = (st, helper, subprog) => {
    callbackCall(this.env, st, helper, subprog, (entry) => {
      if (entry.parent) entry.parent.branches++;
      this.pending.push(entry);
      if (this.pending.length > JMP_SEQ_LIMIT) reject(`The sequence of ${this.pending.length} jumps is too complex.`);
    });
  };

  /**
   * bpf_tail_call in a subprogram (check_helper_call, kernel 6.13+): when it falls through the
   * subprogram goes on (queued), and when it is taken the target's r0 comes back to the
   * subprogram's caller as the subprogram's own (any scalar; packet pointers are stale).
   */
  private tailCallInSubprogram(st: VState): VState | undefined {
    const fall = advance(st.clone(), 1);
    if (fall.parent) fall.parent.branches++;
    this.pending.push(fall);
    clearPacketPointers(st);
    st.regs[0] = UNKNOWN_SCALAR;
    return this.exit(st, Step.EARLY_RETURN);
  }

  /**
   * LD_ABS / LD_IND in a subprogram or callback: a load outside the packet returns 0 from the
   * current function (bpf_gen_ld_abs), so its caller goes on with r0 = 0 there, which the kernel
   * explores first; the loaded path is queued.
   */
  private ldAbsInSubprogram(st: VState): VState | undefined {
    const loaded = advance(st.clone(), 1);
    if (loaded.parent) loaded.parent.branches++;
    this.pending.push(loaded);
    st.regs[0] = constReg(0n);
    return this.exit(st, Step.EARLY_RETURN);
  }

  private exit(st: VState, step = 0): VState | undefined {
    // A subprogram may return without setting r0 (clang's void functions): prepare_func_exit
    // hands the caller r0 as it is, and only a read of it there is an error. Programs and
    // callbacks return a value that is checked.
    const returns = st.frames.length > 1 && !st.frame.callback;
    const r0 = returns ? st.regs[0]! : readReg(st, 0);
    if (st.frames.length > 1) {
      // Its frame is gone after the return (prepare_func_exit is conservative about any frame).
      if (r0.type === "stack") reject("cannot return stack pointer to the caller");
      if (st.frame.callback) {
        callbackExit(this.env, st, r0);
        return st;
      }
      const callee = st.frames.pop()!;
      const caller = st.frame;
      caller.regs[0] = r0;
      for (let r = 1; r <= 5; r++) caller.regs[r] = NOT_INIT;
      return jumpTo(st, callee.callsite + 1, step);
    }
    // An async callback (timer.ts) is checked below; a global function verified on its own
    // (check_return_code for a subprogram) must return a scalar.
    const isAsync = isAsyncCallback(this.env, st);
    if (st.frame.subprog !== 0 && !isAsync && r0.type !== "scalar") reject(`At subprogram exit the register R0 is not a scalar value (${typeName(r0)})`);
    checkNoLockHeld(st, "BPF_EXIT instruction in main prog");
    checkNoReferenceHeld(st, "BPF_EXIT instruction in main prog");
    if (st.frame.subprog === 0) checkReturnCode(this.env, st, r0);
    if (isAsync) checkAsyncReturn(this.env, st, r0);
    this.pathDone(st);
    return undefined;
  }

  /** is_state_visited: prune against a safe checkpoint, or store this state as a new one. */
  private visited(st: VState): boolean {
    const env = this.env;
    const pc = st.pc;
    const digest = stateDigest(this.cfg, st);
    const callsCallback = this.cfg.callsCallback[pc] === 1;
    if (callsCallback && this.callbackConverged(st)) return true;
    // An iterator's next() is a loop point like a callback-calling helper (iter.ts).
    const iterNext = this.cfg.iterNext[pc] === 1;
    if (iterNext && this.iterConverged(st)) return true;
    const mayGoto = this.cfg.defs[pc]?.kind === "maygoto";
    if (mayGoto && this.mayGotoConverged(st)) return true;
    const loopPoint = callsCallback || iterNext || mayGoto;
    // Not every prune point becomes a checkpoint (is_state_visited's add_new_state): only after
    // at least 2 jumps and 8 instructions since the last one, and inside a loop after 20 jumps
    // or 100 instructions, where states rarely match. Fewer checkpoints only prune less. A call
    // of a callback always is one (mark_force_checkpoint): iterations converge there. "Inside a
    // loop" means a checkpoint still being explored here with the same call chain: the kernel
    // skips checkpoints of other callsites before any of these checks (same_callsites → next),
    // so a subprogram called from several places gets a checkpoint at its entry for each.
    // BPF_F_TEST_STATE_FREQ makes every prune point one.
    const jmps = env.jmpsProcessed - env.lastCheckpointJmps;
    const insns = env.insnsProcessed - env.lastCheckpointInsns;
    const addNew = loopPoint || env.testStateFreq || (jmps >= 2 && insns >= 8 && !(jmps < 20 && insns < 100 && this.activeWithCallsites(st)));
    // Checkpoints still being explored (ancestors of this path): only an identical state
    // means a loop that can never end; otherwise they prove nothing yet.
    // Not at a callback's or an iterator's loop point (their iterations may meet equal states);
    // at a may_goto, equal states of the same depth are an infinite loop (is_state_visited).
    const same = this.active[pc]?.get(digest);
    if (same && !callsCallback && !iterNext) {
      // Checkpoints are stored without singular ids (an id no other register shares links
      // nothing); compare like with like, or a loop that repeats one state is never seen as one
      // (regs_exact's check_ids: an id on one side only is a difference).
      const probe = st.clone();
      clearSingularIds(probe);
      for (let i = 0; i < same.length; i++) {
        const cp = same[i]!;
        // Two iterations of a callback, or of a may_goto loop, may meet the same state: not a
        // loop of the program.
        if (cp.state.callbackUnroll === st.callbackUnroll && cp.state.mayGotoDepth === st.mayGotoDepth && statesWithin(this.cfg, cp.state, probe, Compare.EXACT, this.env.allowUninitStack)) {
          reject(`infinite loop detected at insn ${pc}`);
        }
        // The kernel's miss_cnt eviction applies to these too: without it a long loop whose
        // iterations differ only off the digest (a counter on the stack) compares each new
        // state with every earlier one, quadratic in the iterations. Callback loops keep theirs
        // (loops.ts relies on them). Only checkpoints of this call chain are compared at all.
        if (addNew && cp.visit === undefined && sameCallsites(cp.state, st) && ++cp.misses > cp.hits * 3 + 3) {
          same.splice(i--, 1);
          cp.evicted = true;
          this.activeCount[pc]!--;
          env.statesKept--;
        }
      }
    }
    const done = this.done[pc];
    if (done) {
      for (let i = 0; i < done.length; i++) {
        const cp = done[i]!;
        // In a callback loop still being visited, marks are not final (loops.ts).
        const open = cp.visit?.open === true;
        if (statesWithin(this.cfg, cp.state, st, open ? Compare.RANGE : Compare.WITHIN, this.env.allowUninitStack, env.liveness)) {
          cp.hits++;
          // What cp's safety relied on must now hold on this path too.
          propagatePrecision(env, this.cfg, cp.state, st);
          if (open) cp.visit!.addBackedge(st, cp.state);
          return true;
        }
        // Forget checkpoints that keep missing (the kernel's miss_cnt heuristic, which counts
        // a miss only when a new checkpoint is about to be added, and only for checkpoints of
        // the same call chain: one of another callsite was never a candidate).
        if (addNew && sameCallsites(cp.state, st) && ++cp.misses > cp.hits * 3 + 3) {
          done[i--] = done[done.length - 1]!;
          done.pop();
          env.statesKept--;
        }
      }
    }
    if (!addNew) return false;
    const snapshot = st.clone();
    clearSingularIds(snapshot);
    const cp: Checkpoint = { state: snapshot, insn: pc, branches: 1, parent: st.parent, hits: 0, misses: 0, digest, visit: undefined, evicted: false };
    cp.visit = visitOf(this.cfg, st, { callsCallback, iterNext }, cp);
    st.parent = cp;
    const byDigest = (this.active[pc] ??= new Map());
    const list = byDigest.get(digest);
    if (list) list.push(cp);
    else byDigest.set(digest, [cp]);
    this.activeCount[pc]!++;
    env.statesStored++;
    if (++env.statesKept > env.peakStates) env.peakStates = env.statesKept;
    env.lastCheckpointJmps = env.jmpsProcessed;
    env.lastCheckpointInsns = env.insnsProcessed;
    return false;
  }

  /** A checkpoint at st's instruction still being explored, with st's call chain (same_callsites). */
  private activeWithCallsites(st: VState): boolean {
    if (!(this.activeCount[st.pc]! > 0)) return false;
    for (const list of this.active[st.pc]!.values()) {
      for (const cp of list) if (sameCallsites(cp.state, st)) return true;
    }
    return false;
  }

  /**
   * At a call of a callback: `st` came back from an iteration of the callback; if it is within
   * (range for range) the state of an earlier iteration on its path, which is still being
   * explored, that exploration covers it (is_state_visited: calls_callback, RANGE_WITHIN).
   * What the earlier state will turn out to rely on is not known yet: a back edge (loops.ts).
   */
  private callbackConverged(st: VState): boolean {
    // Only the latest CALLBACK_CANDIDATES iterations are compared: the kernel evicts a forced
    // checkpoint still being explored after 64 misses (is_state_visited's miss_cnt, n = 64), so
    // a callback that never converges (bpf_for_each_map_elem has no iteration bound) costs
    // O(iterations) until the complexity limit, not O(iterations²).
    let candidates = CALLBACK_CANDIDATES;
    for (let cp = st.parent; cp && candidates > 0; cp = cp.parent) {
      if (cp.insn !== st.pc) continue;
      candidates--;
      // statesWithin also refuses an earlier state with fewer iterations left than st's.
      if (!statesWithin(this.cfg, cp.state, st, Compare.RANGE, this.env.allowUninitStack)) continue;
      if (this.env.log.on) this.env.log.line(`${st.pc}: callback iterations converged`);
      propagatePrecision(this.env, this.cfg, cp.state, st);
      cp.visit!.addBackedge(st, cp.state);
      return true;
    }
    return false;
  }

  /**
   * At an iterator's next(): `st` came round the loop; if it is within (range for range) the
   * state of an earlier iteration on its path, still being explored, and its iterator is ACTIVE,
   * the loop has converged (is_state_visited's is_iter_next_insn case: RANGE_WITHIN, a back
   * edge for loops.ts). A DRAINED iterator does not loop.
   */
  private iterConverged(st: VState): boolean {
    return iterAtR1(st)?.range === IterState.ACTIVE && this.loopConverged(st, "iterator", () => true);
  }

  /**
   * At a may_goto: the same for a state within an earlier iteration's at another may_goto depth
   * (is_state_visited's is_may_goto_insn_at case; may-goto.ts).
   */
  private mayGotoConverged(st: VState): boolean {
    return this.loopConverged(st, "may_goto", (cp) => cp.state.mayGotoDepth !== st.mayGotoDepth);
  }

  /** An earlier visit of st's instruction on its path that `st` is within, range for range: a back edge. */
  private loopConverged(st: VState, what: string, candidate: (cp: Checkpoint) => boolean): boolean {
    let candidates = CALLBACK_CANDIDATES;
    for (let cp = st.parent; cp && candidates > 0; cp = cp.parent) {
      if (cp.insn !== st.pc) continue;
      candidates--;
      if (!candidate(cp) || !statesWithin(this.cfg, cp.state, st, Compare.RANGE, this.env.allowUninitStack)) continue;
      if (this.env.log.on) this.env.log.line(`${st.pc}: ${what} loop converged`);
      propagatePrecision(this.env, this.cfg, cp.state, st);
      cp.visit?.addBackedge(st, cp.state);
      return true;
    }
    return false;
  }

  /** A path ended safely: the checkpoints above it have one branch fewer to wait for. */
  private pathDone(st: VState): void {
    for (let cp = st.parent; cp; cp = cp.parent) {
      cp.branches--;
      if (cp.branches > 0) break;
      // Everything below cp is safe: it can now prune other paths.
      if (cp.visit?.entry === cp) cp.visit.close(this.env, this.cfg);
      // An evicted checkpoint is forgotten for good (the kernel's free list): it prunes nothing.
      if (cp.evicted) continue;
      const list = this.active[cp.insn]!.get(cp.digest)!;
      list.splice(list.lastIndexOf(cp), 1);
      this.activeCount[cp.insn]!--;
      (this.done[cp.insn] ??= []).push(cp);
    }
  }
}

/** History for precision tracking: the stack slot a fixed-offset stack access touched. */
function noteStackAccess(st: VState, pc: number, base: Reg, off: number): void {
  if (base.type !== "stack" || !scalarIsConst(base.s)) return;
  const o = base.off + off + constNumS(base.s);
  if (o < -512 || o >= 0) return;
  st.path = new PathStep(pc, STACK_ENTRY, st.path, base.frame * 64 + ((-o - 1) >> 3));
}

/**
 * History for precision tracking: the scalars sharing an id with a compared register (a
 * refinement of one is a refinement of all), recorded before the states of both sides part.
 */
function noteLinkedScalars(st: VState, pc: number, a: Reg, b: Reg | undefined): void {
  const idA = a.type === "scalar" ? a.id : 0;
  const idB = b?.type === "scalar" ? b.id : 0;
  if (idA === 0 && idB === 0) return;
  const linked: number[] = [];
  st.frames.forEach((f, k) => {
    f.regs.forEach((r, i) => {
      if (r.type === "scalar" && r.id !== 0 && (r.id === idA || r.id === idB)) linked.push(k * 16 + i);
    });
    f.spills.forEach((r, s) => {
      if (r && r.type === "scalar" && r.id !== 0 && (r.id === idA || r.id === idB)) linked.push(1024 + k * 64 + s);
    });
  });
  if (linked.length > 1) st.path = new PathStep(pc, LINKED_ENTRY, st.path, 0, linked);
}

function advance(st: VState, n: number): VState {
  st.pc += n;
  return st;
}

function jumpTo(st: VState, target: number, step = 0): VState {
  st.path = new PathStep(st.pc, target, st.path, step);
  st.pc = target;
  return st;
}

