// The current-task helpers of bpf_base_func_proto (offered to every program type when the
// loader has CAP_PERFMON, as root does): get_current_pid_tgid (14), get_current_uid_gid (15),
// get_current_comm (16).
//
// "Current" for a networking program is whatever task the CPU was running when the packet came:
// the receive softirq interrupts anyone. This runtime has no tasks; its model is the packet
// arriving on an idle CPU, whose current task is that CPU's idle task: swapper/N, pid and tgid
// 0, uid and gid 0 (root). BPF_PROG_TEST_RUN gives the task that ran the test instead (the
// kernel engine's runner: its own pid, root, "bpf-runner"), so tests compare the shape of the
// values (pid == tgid, root, a NUL-padded name), not the values.

import type { HelperDef } from "./registry.js";
import { memOf, u32 } from "./packet/memory.js";

/** TASK_COMM_LEN: a task's name is at most 15 bytes and a NUL. */
const TASK_COMM_LEN = 16;
const encoder = new TextEncoder();

/** The idle task's name on `cpu` (init/main.c names CPU 0's, smpboot the others', "swapper/%u"). */
export const idleTaskComm = (cpu: number): string => `swapper/${cpu}`;

/** BPF_FUNC_get_current_pid_tgid (14): tgid << 32 | pid; the idle task's are 0. */
export const getCurrentPidTgid: HelperDef = { id: 14, name: "get_current_pid_tgid", args: [], ret: "integer", impl: () => 0n };

/** BPF_FUNC_get_current_uid_gid (15): gid << 32 | uid in the initial user namespace; root's are 0. */
export const getCurrentUidGid: HelperDef = { id: 15, name: "get_current_uid_gid", args: [], ret: "integer", impl: () => 0n };

/**
 * BPF_FUNC_get_current_comm (16): strscpy_pad of the task's name into buf — at most size - 1
 * bytes, then zeros to the end of buf; 0.
 */
export const getCurrentComm: HelperDef = {
  id: 16,
  name: "get_current_comm",
  args: ["ptr_to_uninit_mem", "const_size"],
  ret: "integer",
  impl: (ctx, buf, sizeReg) => {
    const mem = memOf(ctx.memory);
    const size = u32(sizeReg);
    const at = mem.span("get_current_comm", "buf", buf, size);
    if (size === 0) return 0n; // strscpy_pad writes nothing into no room (the verifier refuses size 0 anyway)
    const name = encoder.encode(idleTaskComm(ctx.cpu)).subarray(0, Math.min(TASK_COMM_LEN - 1, size - 1));
    mem.bytes.fill(0, at, at + size);
    mem.bytes.set(name, at);
    return 0n;
  },
};

export const taskHelpers = (): HelperDef[] => [getCurrentPidTgid, getCurrentUidGid, getCurrentComm];
