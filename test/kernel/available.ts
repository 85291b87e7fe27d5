// Shared by the kernel tests: build bpf-runner if it is missing or stale (the build script never
// fails; it says why it skipped), then ask whether bpf() works here. Tests that need the kernel
// skip visibly with the reason.

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { CgroupModel } from "../../vm/helpers/packet/skb-cgroup.js";
import type { Insn } from "../../vm/isa/instruction.js";
import { hostCgroup } from "../../vm/node/host-cgroup.js";
import { KernelError, kernelBridge, type Availability, type LoadOptions } from "../../vm/node/kernel/engine.js";

let status: Availability | undefined;

export function kernelAvailability(): Availability {
  if (!status) {
    const script = fileURLToPath(new URL("../../vm/node/kernel/build.mjs", import.meta.url));
    try {
      execFileSync(process.execPath, [script], { stdio: "pipe" });
    } catch (err) {
      status = { ok: false, reason: `build:native failed: ${(err as Error).message}` };
      console.log(`skipped: no kernel bpf() (${status.reason})`);
      return status;
    }
    status = kernelBridge().available();
    if (!status.ok) console.log(`skipped: no kernel bpf() (${status.reason})`);
  }
  return status;
}

/** The kernel's answer to a map operation as our maps' try* methods give it: 0, or the negative errno of its refusal. */
export function kernelErrno(f: () => unknown): number {
  try {
    f();
    return 0;
  } catch (err) {
    if (err instanceof KernelError) return -err.errno;
    throw err;
  }
}

/**
 * The kernel verifier's refusal of a program as "message\nlog", or undefined when it loads (the
 * program is closed at once: only loaded, never attached).
 */
export function kernelRefusal(insns: readonly Insn[], options: LoadOptions): string | undefined {
  try {
    kernelBridge().load(insns, options).close();
    return undefined;
  } catch (e) {
    if (e instanceof KernelError) return `${e.message}\n${e.log}`;
    throw e;
  }
}

/**
 * This process's cgroup (vm/node/host-cgroup.ts), which the kernel's test runs report, when the
 * kernel comparison `available` says it can run; else undefined, with the reason printed
 * ("<label>: kernel comparison skipped: ...").
 */
export function hostCgroupFor(label: string, available: { readonly ok: boolean; readonly reason?: string }): CgroupModel | undefined {
  if (!available.ok) return void console.log(`${label}: kernel comparison skipped: ${available.reason}`);
  try {
    return hostCgroup();
  } catch (err) {
    return void console.log(`${label}: kernel comparison skipped: this process's cgroup: ${(err as Error).message}`);
  }
}
