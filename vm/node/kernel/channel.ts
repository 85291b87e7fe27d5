// A synchronous request/response channel to one long-lived bpf-runner process.
//
// Why synchronous: `LoadedProgram.run()` returns r0 synchronously (vm/engine.ts), and the
// fuzzer runs engines in lock step. Node cannot read a child's stdout pipe synchronously, but it
// can block in fs.readSync() on a FIFO. So the runner's stdin and stdout are two FIFOs that this
// process opened first; the FIFO files are unlinked right after the spawn, leaving plain pipes.
//
// Opening FIFOs without ever blocking forever (fifo(7): an open for reading blocks until there
// is a writer, and vice versa): a temporary O_RDWR "hold" descriptor stands in for the missing
// side while the real ends are opened, and is closed once the child has inherited its ends.
// Afterwards the child is the only writer of the response pipe and the only reader of the
// request pipe, so its death shows up as EOF / EPIPE here instead of a hang.

import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BpfError } from "../../errors.js";
import { FrameReader } from "./protocol.js";

export interface Response {
  /** 0, or the positive errno bpf(2) (or the runner) failed with. */
  readonly err: number;
  readonly payload: FrameReader;
}

export class RunnerChannel {
  private child: ChildProcess | undefined;
  private reqFd = -1;
  private respFd = -1;
  private dead: string | undefined;
  private readonly header = new Uint8Array(8);

  /**
   * `pin`: ask the runner to pin itself to one CPU (see bpf_runner.c: fast round trips).
   * `wrapper`: a command that starts the runner, given the runner and its arguments after its
   * own (e.g. `unshare --net sh -c '<set up a network>; exec "$0" "$@"'`, see
   * test/kernel/netns.ts); the runner's pipes pass through it.
   */
  constructor(readonly binary: string, pin = true, readonly wrapper: readonly string[] = []) {
    const dir = mkdtempSync(join(tmpdir(), "ebpf-wasm-kernel-"));
    const req = join(dir, "req");
    const resp = join(dir, "resp");
    const opened: number[] = [];
    const open = (path: string, flags: number): number => {
      const fd = openSync(path, flags);
      opened.push(fd);
      return fd;
    };
    try {
      execFileSync(binary, ["--mkfifo", req, resp], { stdio: ["ignore", "ignore", "pipe"] });
      const respHold = open(resp, constants.O_RDWR);
      this.respFd = open(resp, constants.O_RDONLY);
      const childOut = open(resp, constants.O_WRONLY);
      const reqHold = open(req, constants.O_RDWR);
      const childIn = open(req, constants.O_RDONLY);
      this.reqFd = open(req, constants.O_WRONLY);
      closeSync(reqHold);
      const args = pin ? ["--serve", "--pin"] : ["--serve"];
      const [command, ...before] = wrapper.length > 0 ? [...wrapper, binary] : [binary];
      this.child = spawn(command!, [...before, ...args], { stdio: [childIn, childOut, "inherit"] });
      this.child.on("error", (err) => { this.dead = `bpf-runner failed to start: ${err.message}`; });
      this.child.on("exit", (code, signal) => { this.dead = `bpf-runner exited (${signal ?? `code ${code}`})`; });
      this.child.unref();
      for (const fd of [childIn, childOut, respHold]) closeSync(fd);
    } catch (err) {
      for (const fd of opened) {
        try { closeSync(fd); } catch { /* already closed */ }
      }
      this.reqFd = this.respFd = -1;
      throw err;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Send one request frame and wait for its answer. */
  /** The runner's process id (for diagnostics and tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** False once the runner is gone or the channel was closed. */
  get alive(): boolean {
    return this.reqFd >= 0;
  }

  call(frame: Uint8Array): Response {
    if (this.reqFd < 0) throw new BpfError(this.dead ?? "bpf-runner channel is closed");
    try {
      this.writeAll(frame);
      this.readAll(this.header);
      const view = new DataView(this.header.buffer);
      const len = view.getUint32(0, true);
      const err = view.getInt32(4, true);
      const payload = new Uint8Array(len - 4);
      this.readAll(payload);
      return { err, payload: new FrameReader(payload) };
    } catch (err) {
      this.close();
      // The exit handler may already have said why (it runs when the event loop gets a turn).
      this.dead = `bpf-runner connection lost (${this.dead ?? (err as Error).message}); its fds are closed with it`;
      throw new BpfError(this.dead);
    }
  }

  private writeAll(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) at += writeSync(this.reqFd, bytes, at, bytes.length - at);
  }

  private readAll(into: Uint8Array): void {
    let at = 0;
    while (at < into.length) {
      const got = readSync(this.respFd, into, at, into.length - at, null);
      if (got === 0) throw new Error(this.dead ?? "bpf-runner closed its output (it exited)");
      at += got;
    }
  }

  /** Close the pipes; the runner sees EOF, closes every fd it created and exits. */
  close(): void {
    for (const fd of [this.reqFd, this.respFd]) {
      if (fd >= 0) {
        try { closeSync(fd); } catch { /* already closed */ }
      }
    }
    this.reqFd = this.respFd = -1;
  }
}
