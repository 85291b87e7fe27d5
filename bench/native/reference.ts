// Native references for the JIT benchmark: bench/native/loops.c (the ALU loop and prime in C)
// compiled with the machine's C compiler at -O2 and run in this process's run of the
// benchmarks, so "how far is the JIT from native code" is a ratio measured on the same machine
// at the same time. Skipped, with the reason, when there is no C compiler.

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../root.js";

export interface NativeLoops {
  /** Best wall ns of one call: the ALU loop over `aluIterations`, prime of `prime`. */
  readonly aluNs: number;
  readonly primeNs: number;
  readonly aluR0: bigint;
  readonly primeR0: bigint;
  readonly compiler: string;
}

const COMPILERS = ["cc", "gcc", "clang", "clang-19"];

/** Compile and run loops.c; a string says why it could not. */
export function nativeLoops(aluIterations: number, prime: number, calls: number): NativeLoops | string {
  const dir = mkdtempSync(join(tmpdir(), "ebpf-wasm-native-"));
  try {
    const source = join(packageRoot(), "bench", "native", "loops.c");
    const binary = join(dir, "loops");
    const compiler = COMPILERS.find((cc) => {
      try {
        execFileSync(cc, ["-O2", "-o", binary, source], { stdio: "ignore", timeout: 60_000 });
        return true;
      } catch {
        return false;
      }
    });
    if (!compiler) return `no C compiler (${COMPILERS.join(", ")}) could build bench/native/loops.c`;
    const out = execFileSync(binary, [String(aluIterations), String(prime), String(calls)], { encoding: "utf8", timeout: 120_000 });
    const j = JSON.parse(out) as { alu_ns: number; alu_r0: string; prime_ns: number; prime_r0: string };
    return { aluNs: j.alu_ns, primeNs: j.prime_ns, aluR0: BigInt(j.alu_r0), primeR0: BigInt(j.prime_r0), compiler: `${compiler} -O2` };
  } catch (err) {
    return `bench/native/loops.c failed: ${(err as Error).message.split("\n")[0]}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
