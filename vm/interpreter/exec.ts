// The dispatch loop. Registers are int32 halves in two typed arrays (lo, hi): BigInt registers
// measured 4.5× slower. Each handler is specialised at load (prepare.ts), so a case does only
// its arithmetic. Semantics are the kernel's (RFC 9669 plus kernel choices, see DESIGN.md):
// 32-bit results are zero-extended, shift counts are masked to the width, x / 0 = 0, x % 0 = x,
// LLONG_MIN / -1 = LLONG_MIN.
//
// Executed instructions are counted per straight-line segment: a segment starts where control
// lands and its length is added when control leaves it (taken jump, call, exit). That gives an
// exact count for one addition per taken jump instead of one per instruction, and the budget
// check rides on the same place: every loop has a taken jump.
//
// Handlers are numbered by `Op` (ops.ts), and the switch below uses those numbers as literal
// case labels, each followed by its name in a comment. Literal labels are what let V8 compile
// the switch to a jump table instead of a chain of comparisons (tsc does not inline `const enum`
// members under isolatedModules/verbatimModuleSyntax, and a property load is not a literal).
// test/interpreter/dispatch.test.ts checks every label against `Op`.

import { MAX_CALL_FRAMES, MAY_GOTO_LOOPS, STACK_FRAMES, STACK_SIZE } from "../isa/opcodes.js";
import { divS64, divU64, modS64, modU64, mul64, RES, bswap32 } from "./arith64.js";
import {
  atomic, budgetExceeded, callHelper, callIndirect, callTooDeep, checkAccess, internalError, loadPacket, tailCall, tailCallTooDeep, wideAddress,
} from "./slow.js";
import { SAVED_PER_FRAME, type Prepared, type RunState } from "./state.js";
import { nextCallback, startLoop } from "./loop.js";
import { startForEach } from "./for-each.js";

/**
 * Run from slot 0 until the main program exits. r0 is left in st.lo[0] / st.hi[0]. A tail call
 * switches `p` (and `code`) to the target program; frames remember which program they return to.
 */
export function execute(first: Prepared, st: RunState): void {
  let p = first;
  let code = p.code;
  const lo = st.lo;
  const hi = st.hi;
  const view = st.view;
  const stackTop = st.stackTop;
  const maxInsns = p.maxInsns;
  const frameRet = st.frameRet;
  const frameRegs = st.frameRegs;
  const frameProg = st.frameProg;
  const mayGoto = st.mayGoto;
  const frameBase = st.frameBase;
  let stackLo = stackTop - STACK_SIZE;
  let pc = 0;
  let seg = 0; // first slot of the current straight-line segment
  let count = 0;
  let depth = 0;
  let base = 0; // the depth the running program started at (a tail call's target: its caller's)
  mayGoto[0] = MAY_GOTO_LOOPS;

  for (;;) {
    const k = pc << 2;
    const w = code[k]!;
    const d = (w >> 8) & 15;
    const s = (w >> 12) & 15;
    switch (w & 255) {
      // ---- ALU64 with an immediate (sign-extended: code[k+3] is its high word) ----
      // mul/div/mod take an exact double-precision path inline when both operands fit in 32
      // bits (the common case: prime spends most of its time there) and call arith64.ts else.
      case 0 /* ADD64_K */: { const a = lo[d]!; const r = (a + code[k + 2]!) | 0; hi[d] = (hi[d]! + code[k + 3]! + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0; lo[d] = r; pc++; continue; }
      case 1 /* SUB64_K */: { const a = lo[d]!, b = code[k + 2]!; lo[d] = (a - b) | 0; hi[d] = (hi[d]! - code[k + 3]! - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0; pc++; continue; }
      case 2 /* MUL64_K */: {
        const a = lo[d]!, b = code[k + 2]!;
        if ((hi[d]! | code[k + 3]!) === 0) { const p = (a >>> 0) * b; if (p <= MAX_EXACT) { lo[d] = p | 0; hi[d] = (p * TWO_TO_MINUS_32) | 0; pc++; continue; } }
        mul64(a, hi[d]!, b, code[k + 3]!); lo[d] = RES[0]!; hi[d] = RES[1]!; pc++; continue;
      }
      case 3 /* DIV64_K */: {
        const b = code[k + 2]!;
        if ((hi[d]! | code[k + 3]!) === 0 && b !== 0) { lo[d] = ((lo[d]! >>> 0) / b) | 0; pc++; continue; }
        divU64(lo[d]!, hi[d]!, b, code[k + 3]!); lo[d] = RES[0]!; hi[d] = RES[1]!; pc++; continue;
      }
      case 4 /* SDIV64_K */: divS64(lo[d]!, hi[d]!, code[k + 2]!, code[k + 3]!); lo[d] = RES[0]!; hi[d] = RES[1]!; pc++; continue;
      case 9 /* MOD64_K */: {
        const b = code[k + 2]!;
        if ((hi[d]! | code[k + 3]!) === 0 && b !== 0) { lo[d] = (lo[d]! >>> 0) % b; pc++; continue; }
        modU64(lo[d]!, hi[d]!, b, code[k + 3]!); lo[d] = RES[0]!; hi[d] = RES[1]!; pc++; continue;
      }
      case 10 /* SMOD64_K */: modS64(lo[d]!, hi[d]!, code[k + 2]!, code[k + 3]!); lo[d] = RES[0]!; hi[d] = RES[1]!; pc++; continue;
      case 5 /* OR64_K */: lo[d] = lo[d]! | code[k + 2]!; hi[d] = hi[d]! | code[k + 3]!; pc++; continue;
      case 6 /* AND64_K */: lo[d] = lo[d]! & code[k + 2]!; hi[d] = hi[d]! & code[k + 3]!; pc++; continue;
      case 11 /* XOR64_K */: lo[d] = lo[d]! ^ code[k + 2]!; hi[d] = hi[d]! ^ code[k + 3]!; pc++; continue;
      case 12 /* MOV64_K */: lo[d] = code[k + 2]!; hi[d] = code[k + 3]!; pc++; continue;
      case 7 /* LSH64_K */: shl(lo, hi, d, code[k + 2]! & 63); pc++; continue;
      case 8 /* RSH64_K */: shr(lo, hi, d, code[k + 2]! & 63); pc++; continue;
      case 13 /* ARSH64_K */: sar(lo, hi, d, code[k + 2]! & 63); pc++; continue;

      // ---- ALU64 with a register ----
      case 14 /* ADD64_X */: { const a = lo[d]!; const r = (a + lo[s]!) | 0; hi[d] = (hi[d]! + hi[s]! + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0; lo[d] = r; pc++; continue; }
      case 15 /* SUB64_X */: { const a = lo[d]!, b = lo[s]!; lo[d] = (a - b) | 0; hi[d] = (hi[d]! - hi[s]! - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0; pc++; continue; }
      case 16 /* MUL64_X */: {
        const a = lo[d]!, b = lo[s]!;
        if ((hi[d]! | hi[s]!) === 0) { const p = (a >>> 0) * (b >>> 0); if (p <= MAX_EXACT) { lo[d] = p | 0; hi[d] = (p * TWO_TO_MINUS_32) | 0; pc++; continue; } }
        mul64(a, hi[d]!, b, hi[s]!); lo[d] = RES[0]!; hi[d] = RES[1]!; pc++; continue;
      }
      case 17 /* DIV64_X */: {
        const b = lo[s]!;
        if ((hi[d]! | hi[s]!) === 0 && b !== 0) { lo[d] = ((lo[d]! >>> 0) / (b >>> 0)) | 0; pc++; continue; }
        divU64(lo[d]!, hi[d]!, b, hi[s]!); lo[d] = RES[0]!; hi[d] = RES[1]!; pc++; continue;
      }
      case 18 /* SDIV64_X */: divS64(lo[d]!, hi[d]!, lo[s]!, hi[s]!); lo[d] = RES[0]!; hi[d] = RES[1]!; pc++; continue;
      case 23 /* MOD64_X */: {
        const b = lo[s]!;
        if ((hi[d]! | hi[s]!) === 0 && b !== 0) { lo[d] = (lo[d]! >>> 0) % (b >>> 0); pc++; continue; }
        modU64(lo[d]!, hi[d]!, b, hi[s]!); lo[d] = RES[0]!; hi[d] = RES[1]!; pc++; continue;
      }
      case 24 /* SMOD64_X */: modS64(lo[d]!, hi[d]!, lo[s]!, hi[s]!); lo[d] = RES[0]!; hi[d] = RES[1]!; pc++; continue;
      case 19 /* OR64_X */: lo[d] = lo[d]! | lo[s]!; hi[d] = hi[d]! | hi[s]!; pc++; continue;
      case 20 /* AND64_X */: lo[d] = lo[d]! & lo[s]!; hi[d] = hi[d]! & hi[s]!; pc++; continue;
      case 25 /* XOR64_X */: lo[d] = lo[d]! ^ lo[s]!; hi[d] = hi[d]! ^ hi[s]!; pc++; continue;
      case 26 /* MOV64_X */: lo[d] = lo[s]!; hi[d] = hi[s]!; pc++; continue;
      case 21 /* LSH64_X */: shl(lo, hi, d, lo[s]! & 63); pc++; continue;
      case 22 /* RSH64_X */: shr(lo, hi, d, lo[s]! & 63); pc++; continue;
      case 27 /* ARSH64_X */: sar(lo, hi, d, lo[s]! & 63); pc++; continue;

      // ---- ALU (32-bit): operate on the low words, zero the high word ----
      case 28 /* ADD32_K */: lo[d] = (lo[d]! + code[k + 2]!) | 0; hi[d] = 0; pc++; continue;
      case 29 /* SUB32_K */: lo[d] = (lo[d]! - code[k + 2]!) | 0; hi[d] = 0; pc++; continue;
      case 30 /* MUL32_K */: lo[d] = Math.imul(lo[d]!, code[k + 2]!); hi[d] = 0; pc++; continue;
      case 31 /* DIV32_K */: lo[d] = div32(lo[d]!, code[k + 2]!); hi[d] = 0; pc++; continue;
      case 32 /* SDIV32_K */: lo[d] = sdiv32(lo[d]!, code[k + 2]!); hi[d] = 0; pc++; continue;
      case 37 /* MOD32_K */: lo[d] = mod32(lo[d]!, code[k + 2]!); hi[d] = 0; pc++; continue;
      case 38 /* SMOD32_K */: lo[d] = smod32(lo[d]!, code[k + 2]!); hi[d] = 0; pc++; continue;
      case 33 /* OR32_K */: lo[d] = lo[d]! | code[k + 2]!; hi[d] = 0; pc++; continue;
      case 34 /* AND32_K */: lo[d] = lo[d]! & code[k + 2]!; hi[d] = 0; pc++; continue;
      case 39 /* XOR32_K */: lo[d] = lo[d]! ^ code[k + 2]!; hi[d] = 0; pc++; continue;
      case 40 /* MOV32_K */: lo[d] = code[k + 2]!; hi[d] = 0; pc++; continue;
      case 35 /* LSH32_K */: lo[d] = lo[d]! << (code[k + 2]! & 31); hi[d] = 0; pc++; continue;
      case 36 /* RSH32_K */: lo[d] = lo[d]! >>> (code[k + 2]! & 31); hi[d] = 0; pc++; continue;
      case 41 /* ARSH32_K */: lo[d] = lo[d]! >> (code[k + 2]! & 31); hi[d] = 0; pc++; continue;

      case 42 /* ADD32_X */: lo[d] = (lo[d]! + lo[s]!) | 0; hi[d] = 0; pc++; continue;
      case 43 /* SUB32_X */: lo[d] = (lo[d]! - lo[s]!) | 0; hi[d] = 0; pc++; continue;
      case 44 /* MUL32_X */: lo[d] = Math.imul(lo[d]!, lo[s]!); hi[d] = 0; pc++; continue;
      case 45 /* DIV32_X */: lo[d] = div32(lo[d]!, lo[s]!); hi[d] = 0; pc++; continue;
      case 46 /* SDIV32_X */: lo[d] = sdiv32(lo[d]!, lo[s]!); hi[d] = 0; pc++; continue;
      case 51 /* MOD32_X */: lo[d] = mod32(lo[d]!, lo[s]!); hi[d] = 0; pc++; continue;
      case 52 /* SMOD32_X */: lo[d] = smod32(lo[d]!, lo[s]!); hi[d] = 0; pc++; continue;
      case 47 /* OR32_X */: lo[d] = lo[d]! | lo[s]!; hi[d] = 0; pc++; continue;
      case 48 /* AND32_X */: lo[d] = lo[d]! & lo[s]!; hi[d] = 0; pc++; continue;
      case 53 /* XOR32_X */: lo[d] = lo[d]! ^ lo[s]!; hi[d] = 0; pc++; continue;
      case 54 /* MOV32_X */: lo[d] = lo[s]!; hi[d] = 0; pc++; continue;
      case 49 /* LSH32_X */: lo[d] = lo[d]! << (lo[s]! & 31); hi[d] = 0; pc++; continue;
      case 50 /* RSH32_X */: lo[d] = lo[d]! >>> (lo[s]! & 31); hi[d] = 0; pc++; continue;
      case 55 /* ARSH32_X */: lo[d] = lo[d]! >> (lo[s]! & 31); hi[d] = 0; pc++; continue;

      case 56 /* NEG64 */: { const a = lo[d]!; lo[d] = -a | 0; hi[d] = (~hi[d]! + (a === 0 ? 1 : 0)) | 0; pc++; continue; }
      case 57 /* NEG32 */: lo[d] = -lo[d]! | 0; hi[d] = 0; pc++; continue;
      // MOVSX (RFC 9669 §4.1): sign-extend the low 8/16/32 bits of src.
      case 58 /* MOVSX64_8 */: { const v = (lo[s]! << 24) >> 24; lo[d] = v; hi[d] = v >> 31; pc++; continue; }
      case 59 /* MOVSX64_16 */: { const v = (lo[s]! << 16) >> 16; lo[d] = v; hi[d] = v >> 31; pc++; continue; }
      case 60 /* MOVSX64_32 */: { const v = lo[s]!; lo[d] = v; hi[d] = v >> 31; pc++; continue; }
      case 61 /* MOVSX32_8 */: lo[d] = (lo[s]! << 24) >> 24; hi[d] = 0; pc++; continue;
      case 62 /* MOVSX32_16 */: lo[d] = (lo[s]! << 16) >> 16; hi[d] = 0; pc++; continue;
      // Byte order (RFC 9669 §4.2): results are zero-extended to the width.
      case 63 /* ZEXT16 */: lo[d] = lo[d]! & 0xffff; hi[d] = 0; pc++; continue;
      case 64 /* ZEXT32 */: hi[d] = 0; pc++; continue;
      case 65 /* NOP */: pc++; continue;
      case 66 /* SWAP16 */: { const v = lo[d]!; lo[d] = ((v & 0xff) << 8) | ((v >>> 8) & 0xff); hi[d] = 0; pc++; continue; }
      case 67 /* SWAP32 */: lo[d] = bswap32(lo[d]!); hi[d] = 0; pc++; continue;
      case 68 /* SWAP64 */: { const v = lo[d]!; lo[d] = bswap32(hi[d]!); hi[d] = bswap32(v); pc++; continue; }

      // ---- Jumps: a taken jump breaks out to the shared tail after the switch ----
      case 69 /* JEQ_K */: if (lo[d] === code[k + 2] && hi[d] === code[k + 3]) break; pc++; continue;
      case 73 /* JNE_K */: if (lo[d] !== code[k + 2] || hi[d] !== code[k + 3]) break; pc++; continue;
      case 72 /* JSET_K */: if ((lo[d]! & code[k + 2]!) !== 0 || (hi[d]! & code[k + 3]!) !== 0) break; pc++; continue;
      case 70 /* JGT_K */: if (ucmp(lo[d]!, hi[d]!, code[k + 2]!, code[k + 3]!) > 0) break; pc++; continue;
      case 71 /* JGE_K */: if (ucmp(lo[d]!, hi[d]!, code[k + 2]!, code[k + 3]!) >= 0) break; pc++; continue;
      case 76 /* JLT_K */: if (ucmp(lo[d]!, hi[d]!, code[k + 2]!, code[k + 3]!) < 0) break; pc++; continue;
      case 77 /* JLE_K */: if (ucmp(lo[d]!, hi[d]!, code[k + 2]!, code[k + 3]!) <= 0) break; pc++; continue;
      case 74 /* JSGT_K */: if (scmp(lo[d]!, hi[d]!, code[k + 2]!, code[k + 3]!) > 0) break; pc++; continue;
      case 75 /* JSGE_K */: if (scmp(lo[d]!, hi[d]!, code[k + 2]!, code[k + 3]!) >= 0) break; pc++; continue;
      case 78 /* JSLT_K */: if (scmp(lo[d]!, hi[d]!, code[k + 2]!, code[k + 3]!) < 0) break; pc++; continue;
      case 79 /* JSLE_K */: if (scmp(lo[d]!, hi[d]!, code[k + 2]!, code[k + 3]!) <= 0) break; pc++; continue;

      case 80 /* JEQ_X */: if (lo[d] === lo[s] && hi[d] === hi[s]) break; pc++; continue;
      case 84 /* JNE_X */: if (lo[d] !== lo[s] || hi[d] !== hi[s]) break; pc++; continue;
      case 83 /* JSET_X */: if ((lo[d]! & lo[s]!) !== 0 || (hi[d]! & hi[s]!) !== 0) break; pc++; continue;
      case 81 /* JGT_X */: if (ucmp(lo[d]!, hi[d]!, lo[s]!, hi[s]!) > 0) break; pc++; continue;
      case 82 /* JGE_X */: if (ucmp(lo[d]!, hi[d]!, lo[s]!, hi[s]!) >= 0) break; pc++; continue;
      case 87 /* JLT_X */: if (ucmp(lo[d]!, hi[d]!, lo[s]!, hi[s]!) < 0) break; pc++; continue;
      case 88 /* JLE_X */: if (ucmp(lo[d]!, hi[d]!, lo[s]!, hi[s]!) <= 0) break; pc++; continue;
      case 85 /* JSGT_X */: if (scmp(lo[d]!, hi[d]!, lo[s]!, hi[s]!) > 0) break; pc++; continue;
      case 86 /* JSGE_X */: if (scmp(lo[d]!, hi[d]!, lo[s]!, hi[s]!) >= 0) break; pc++; continue;
      case 89 /* JSLT_X */: if (scmp(lo[d]!, hi[d]!, lo[s]!, hi[s]!) < 0) break; pc++; continue;
      case 90 /* JSLE_X */: if (scmp(lo[d]!, hi[d]!, lo[s]!, hi[s]!) <= 0) break; pc++; continue;

      case 91 /* JEQ32_K */: if (lo[d] === code[k + 2]) break; pc++; continue;
      case 95 /* JNE32_K */: if (lo[d] !== code[k + 2]) break; pc++; continue;
      case 94 /* JSET32_K */: if ((lo[d]! & code[k + 2]!) !== 0) break; pc++; continue;
      case 92 /* JGT32_K */: if (lo[d]! >>> 0 > code[k + 2]! >>> 0) break; pc++; continue;
      case 93 /* JGE32_K */: if (lo[d]! >>> 0 >= code[k + 2]! >>> 0) break; pc++; continue;
      case 98 /* JLT32_K */: if (lo[d]! >>> 0 < code[k + 2]! >>> 0) break; pc++; continue;
      case 99 /* JLE32_K */: if (lo[d]! >>> 0 <= code[k + 2]! >>> 0) break; pc++; continue;
      case 96 /* JSGT32_K */: if (lo[d]! > code[k + 2]!) break; pc++; continue;
      case 97 /* JSGE32_K */: if (lo[d]! >= code[k + 2]!) break; pc++; continue;
      case 100 /* JSLT32_K */: if (lo[d]! < code[k + 2]!) break; pc++; continue;
      case 101 /* JSLE32_K */: if (lo[d]! <= code[k + 2]!) break; pc++; continue;

      case 102 /* JEQ32_X */: if (lo[d] === lo[s]) break; pc++; continue;
      case 106 /* JNE32_X */: if (lo[d] !== lo[s]) break; pc++; continue;
      case 105 /* JSET32_X */: if ((lo[d]! & lo[s]!) !== 0) break; pc++; continue;
      case 103 /* JGT32_X */: if (lo[d]! >>> 0 > lo[s]! >>> 0) break; pc++; continue;
      case 104 /* JGE32_X */: if (lo[d]! >>> 0 >= lo[s]! >>> 0) break; pc++; continue;
      case 109 /* JLT32_X */: if (lo[d]! >>> 0 < lo[s]! >>> 0) break; pc++; continue;
      case 110 /* JLE32_X */: if (lo[d]! >>> 0 <= lo[s]! >>> 0) break; pc++; continue;
      case 107 /* JSGT32_X */: if (lo[d]! > lo[s]!) break; pc++; continue;
      case 108 /* JSGE32_X */: if (lo[d]! >= lo[s]!) break; pc++; continue;
      case 111 /* JSLT32_X */: if (lo[d]! < lo[s]!) break; pc++; continue;
      case 112 /* JSLE32_X */: if (lo[d]! <= lo[s]!) break; pc++; continue;

      case 113 /* JA */: break;
      case 140 /* MAY_GOTO */: { const left = mayGoto[depth]!; if (left === 0) break; mayGoto[depth] = left - 1; pc++; continue; }

      // ---- Calls and exit ----
      case 114 /* CALL_HELPER */: callHelper(p, st, pc, p.helperAt[pc]!); pc++; continue;
      case 116 /* CALLX */: callIndirect(p, st, pc, d); pc++; continue;
      case 115 /* CALL_LOCAL */: {
        // bpf-to-bpf call: r1..r5 are the arguments, r6..r9 are callee-saved, and the callee gets
        // the next 512-byte frame below (kernel MAX_CALL_FRAMES frames a program at most).
        if (depth - base === MAX_CALL_FRAMES - 1) throw callTooDeep(p, pc, MAX_CALL_FRAMES);
        count += pc - seg + 1;
        const f = depth * SAVED_PER_FRAME;
        for (let r = 0; r < 5; r++) {
          frameRegs[f + r] = lo[6 + r]!;
          frameRegs[f + 5 + r] = hi[6 + r]!;
        }
        frameRet[depth] = pc + 1;
        frameProg[depth] = p;
        frameBase[depth] = base;
        depth++;
        mayGoto[depth] = MAY_GOTO_LOOPS;
        lo[10] = lo[10]! - STACK_SIZE;
        stackLo = (lo[10]! >>> 0) - STACK_SIZE;
        pc = code[k + 1]!;
        seg = pc;
        if (count > maxInsns) throw budgetExceeded(p, pc);
        continue;
      }
      case 117 /* EXIT */: {
        count += pc - seg + 1;
        if (depth === 0) {
          st.count = count;
          return;
        }
        depth--;
        const f = depth * SAVED_PER_FRAME;
        for (let r = 0; r < 5; r++) {
          lo[6 + r] = frameRegs[f + r]!;
          hi[6 + r] = frameRegs[f + 5 + r]!;
        }
        stackLo = (lo[10]! >>> 0) - STACK_SIZE;
        pc = frameRet[depth]!;
        seg = pc;
        base = frameBase[depth]!;
        const caller = frameProg[depth]!;
        if (caller !== p) {
          p = caller;
          code = caller.code;
        }
        continue;
      }
      case 136 /* TAIL_CALL */: {
        // bpf_tail_call: on success the target replaces the running program in this frame (r1 =
        // ctx and r10 stay as they are); otherwise execution falls through with r0 unchanged.
        const next = tailCall(p, st, pc);
        if (next === undefined) {
          pc++;
          continue;
        }
        // The target takes this frame and may call MAX_CALL_FRAMES deep from it (STACK_FRAMES).
        if (depth + MAX_CALL_FRAMES > STACK_FRAMES) throw tailCallTooDeep(p, pc, depth);
        base = depth;
        count += pc - seg + 1;
        p = next;
        code = next.code;
        pc = 0;
        seg = 0;
        mayGoto[depth] = MAY_GOTO_LOOPS; // the target's prologue runs
        if (count > maxInsns) throw budgetExceeded(p, pc);
        continue;
      }

      case 137 /* LOOP */:
      case 138 /* LOOP_NEXT */:
      case 139 /* FOR_EACH */: {
        // bpf_loop (loop.ts) and bpf_for_each_map_elem (for-each.ts): LOOP / FOR_EACH start it at
        // the `call 181` / `call 164` slot, LOOP_NEXT is the slot each callback returns to.
        // Either ends the loop (r0 set, on after the call) or enters the callback like a
        // bpf-to-bpf call that returns to LOOP_NEXT.
        const op = w & 255;
        const start = op !== 138;
        const target = op === 137 ? startLoop(p, st, pc, depth) : start ? startForEach(p, st, pc, depth) : nextCallback(st, depth);
        if (target < 0) {
          pc = start ? pc + 1 : st.loopRet[depth]!;
          if (!start) seg = pc;
          continue;
        }
        if (depth - base === MAX_CALL_FRAMES - 1) throw callTooDeep(p, pc, MAX_CALL_FRAMES);
        if (start) count += pc - seg + 1;
        const f = depth * SAVED_PER_FRAME;
        for (let r = 0; r < 5; r++) {
          frameRegs[f + r] = lo[6 + r]!;
          frameRegs[f + 5 + r] = hi[6 + r]!;
        }
        frameRet[depth] = p.loopSlot;
        frameProg[depth] = p;
        frameBase[depth] = base;
        depth++;
        mayGoto[depth] = MAY_GOTO_LOOPS;
        lo[10] = lo[10]! - STACK_SIZE;
        stackLo = (lo[10]! >>> 0) - STACK_SIZE;
        pc = target;
        seg = pc;
        if (count > maxInsns) throw budgetExceeded(p, pc);
        continue;
      }

      // ---- Loads of constants and packet bytes ----
      case 118 /* LDDW */: lo[d] = code[k + 2]!; hi[d] = code[k + 3]!; pc += 2; count--; continue; // two slots, one instruction
      case 119 /* LDPKT */:
        if (loadPacket(p, st, pc, stackLo)) {
          pc++;
          continue;
        }
        // Out of the packet: the kernel's expansion of LD_ABS (net/core/filter.c, bpf_gen_ld_abs)
        // sets r0 = 0 and exits the current function. Go to the exit slot after the program;
        // the packet load itself is this segment's last counted instruction.
        lo[0] = 0;
        hi[0] = 0;
        count += pc - seg;
        pc = p.exitSlot;
        seg = pc;
        continue;

      // ---- Memory: address = base + off, checked against the stack, then the regions ----
      case 120 /* LDXB */: { const a = address(lo, hi, s, code[k + 1]!); if (a < stackLo || a + 1 > stackTop) checkAccess(p, st, pc, a, 1, false, stackLo); lo[d] = view.getUint8(a); hi[d] = 0; pc++; continue; }
      case 121 /* LDXH */: { const a = address(lo, hi, s, code[k + 1]!); if (a < stackLo || a + 2 > stackTop) checkAccess(p, st, pc, a, 2, false, stackLo); lo[d] = view.getUint16(a, true); hi[d] = 0; pc++; continue; }
      case 122 /* LDXW */: { const a = address(lo, hi, s, code[k + 1]!); if (a < stackLo || a + 4 > stackTop) checkAccess(p, st, pc, a, 4, false, stackLo); lo[d] = view.getInt32(a, true); hi[d] = 0; pc++; continue; }
      case 123 /* LDXDW */: { const a = address(lo, hi, s, code[k + 1]!); if (a < stackLo || a + 8 > stackTop) checkAccess(p, st, pc, a, 8, false, stackLo); lo[d] = view.getInt32(a, true); hi[d] = view.getInt32(a + 4, true); pc++; continue; }
      case 124 /* LDXSB */: { const a = address(lo, hi, s, code[k + 1]!); if (a < stackLo || a + 1 > stackTop) checkAccess(p, st, pc, a, 1, false, stackLo); const v = view.getInt8(a); lo[d] = v; hi[d] = v >> 31; pc++; continue; }
      case 125 /* LDXSH */: { const a = address(lo, hi, s, code[k + 1]!); if (a < stackLo || a + 2 > stackTop) checkAccess(p, st, pc, a, 2, false, stackLo); const v = view.getInt16(a, true); lo[d] = v; hi[d] = v >> 31; pc++; continue; }
      case 126 /* LDXSW */: { const a = address(lo, hi, s, code[k + 1]!); if (a < stackLo || a + 4 > stackTop) checkAccess(p, st, pc, a, 4, false, stackLo); const v = view.getInt32(a, true); lo[d] = v; hi[d] = v >> 31; pc++; continue; }

      case 127 /* STB */: { const a = address(lo, hi, d, code[k + 1]!); if (a < stackLo || a + 1 > stackTop) checkAccess(p, st, pc, a, 1, true, stackLo); view.setUint8(a, code[k + 2]!); pc++; continue; }
      case 128 /* STH */: { const a = address(lo, hi, d, code[k + 1]!); if (a < stackLo || a + 2 > stackTop) checkAccess(p, st, pc, a, 2, true, stackLo); view.setUint16(a, code[k + 2]!, true); pc++; continue; }
      case 129 /* STW */: { const a = address(lo, hi, d, code[k + 1]!); if (a < stackLo || a + 4 > stackTop) checkAccess(p, st, pc, a, 4, true, stackLo); view.setInt32(a, code[k + 2]!, true); pc++; continue; }
      case 130 /* STDW */: { const a = address(lo, hi, d, code[k + 1]!); if (a < stackLo || a + 8 > stackTop) checkAccess(p, st, pc, a, 8, true, stackLo); view.setInt32(a, code[k + 2]!, true); view.setInt32(a + 4, code[k + 3]!, true); pc++; continue; }

      case 131 /* STXB */: { const a = address(lo, hi, d, code[k + 1]!); if (a < stackLo || a + 1 > stackTop) checkAccess(p, st, pc, a, 1, true, stackLo); view.setUint8(a, lo[s]!); pc++; continue; }
      case 132 /* STXH */: { const a = address(lo, hi, d, code[k + 1]!); if (a < stackLo || a + 2 > stackTop) checkAccess(p, st, pc, a, 2, true, stackLo); view.setUint16(a, lo[s]!, true); pc++; continue; }
      case 133 /* STXW */: { const a = address(lo, hi, d, code[k + 1]!); if (a < stackLo || a + 4 > stackTop) checkAccess(p, st, pc, a, 4, true, stackLo); view.setInt32(a, lo[s]!, true); pc++; continue; }
      case 134 /* STXDW */: { const a = address(lo, hi, d, code[k + 1]!); if (a < stackLo || a + 8 > stackTop) checkAccess(p, st, pc, a, 8, true, stackLo); view.setInt32(a, lo[s]!, true); view.setInt32(a + 4, hi[s]!, true); pc++; continue; }

      case 135 /* ATOMIC */: atomic(p, st, pc, stackLo); pc++; continue;

      default:
        throw internalError(p, pc, `no handler for code ${w & 255}`);
    }
    // Only taken jumps reach this point (a jump not taken continues at pc + 1 in its case).
    count += pc - seg + 1;
    pc = code[k + 1]!;
    seg = pc;
    if (count > maxInsns) throw budgetExceeded(p, pc);
  }
}

/** Products below 2^53 are exact in a double. */
const MAX_EXACT = Number.MAX_SAFE_INTEGER;
/** Multiplying by 2^-32 is exact (a power of two), unlike dividing by 2^32 it needs no divider. */
const TWO_TO_MINUS_32 = 2 ** -32;

/** base register + off as an address; -1 when it does not fit in 32 bits. */
function address(lo: Int32Array, hi: Int32Array, base: number, off: number): number {
  const h = hi[base]!;
  return h === 0 ? (lo[base]! >>> 0) + off : wideAddress(h, lo[base]!, off);
}

/** Compare 64-bit values as unsigned: negative, zero or positive. */
function ucmp(alo: number, ahi: number, blo: number, bhi: number): number {
  return ahi !== bhi ? (ahi >>> 0) - (bhi >>> 0) : (alo >>> 0) - (blo >>> 0);
}

/** Compare 64-bit values as signed. */
function scmp(alo: number, ahi: number, blo: number, bhi: number): number {
  return ahi !== bhi ? ahi - bhi : (alo >>> 0) - (blo >>> 0);
}

function shl(lo: Int32Array, hi: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  const a = lo[d]!;
  if (n < 32) {
    hi[d] = (hi[d]! << n) | (a >>> (32 - n));
    lo[d] = a << n;
  } else {
    hi[d] = a << (n - 32);
    lo[d] = 0;
  }
}

function shr(lo: Int32Array, hi: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  const h = hi[d]!;
  if (n < 32) {
    lo[d] = (lo[d]! >>> n) | (h << (32 - n));
    hi[d] = h >>> n;
  } else {
    lo[d] = h >>> (n - 32);
    hi[d] = 0;
  }
}

function sar(lo: Int32Array, hi: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  const h = hi[d]!;
  if (n < 32) {
    lo[d] = (lo[d]! >>> n) | (h << (32 - n));
    hi[d] = h >> n;
  } else {
    lo[d] = h >> (n - 32);
    hi[d] = h >> 31;
  }
}

// 32-bit division family on the low words (RFC 9669 §4.1): unsigned forms treat both as u32;
// x / 0 = 0 and x % 0 = x; INT_MIN / -1 wraps to INT_MIN and INT_MIN % -1 = 0.
function div32(a: number, b: number): number {
  return b === 0 ? 0 : ((a >>> 0) / (b >>> 0)) >>> 0;
}
function mod32(a: number, b: number): number {
  return b === 0 ? a : (a >>> 0) % (b >>> 0);
}
function sdiv32(a: number, b: number): number {
  return b === 0 ? 0 : Math.trunc(a / b) | 0;
}
function smod32(a: number, b: number): number {
  return b === 0 ? a : (a % b) | 0;
}
