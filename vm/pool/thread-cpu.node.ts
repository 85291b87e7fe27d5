// The calling thread's own CPU time (Node only), so the pool can tell a worker that ran from one
// that was runnable but waiting for a core (the machine busy with other work). Node 20 has no
// per-thread CPU clock (process.threadCpuUsage arrived in Node 23.9); on Linux each thread reads
// its own /proc/thread-self/schedstat, whose first field is the time it has spent on a CPU, in ns
// (Documentation/scheduler/sched-stats.rst). It is the scheduler's se.sum_exec_runtime, which
// moves only when the scheduler accounts the running thread (a tick, a switch): it lags by up to
// a tick (1/HZ), so it suits runs of tens of ms, not single ms. Elsewhere the clock is absent
// and the pool reports wall-clock busy time only.

import { closeSync, openSync, readSync } from "node:fs";

export interface ThreadCpuClock {
  /** ns this thread has run on a CPU since it started. */
  now(): number;
  close(): void;
}

/** The clock of the calling thread (resolved at open: keep it in that thread), or undefined. */
export function openThreadCpuClock(): ThreadCpuClock | undefined {
  let fd: number;
  try {
    fd = openSync("/proc/thread-self/schedstat", "r");
  } catch {
    return undefined;
  }
  const buf = new Uint8Array(64);
  const now = (): number => {
    const n = readSync(fd, buf, 0, buf.length, 0);
    let ns = 0;
    for (let i = 0; i < n && buf[i]! >= 0x30 && buf[i]! <= 0x39; i++) ns = ns * 10 + (buf[i]! - 0x30);
    return ns;
  };
  try {
    now();
  } catch {
    closeSync(fd);
    return undefined;
  }
  return { now, close: () => closeSync(fd) };
}
