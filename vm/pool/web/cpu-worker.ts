// The page's handle on one Web Worker of the pool, which is CPU `cpu` of the machine: it sends
// the init and the run tasks, pairs each answer with its request, and turns a worker that fails
// outside a task (its script does not load, an uncaught error, a message that cannot be read)
// into a rejection of everything that worker was asked, naming the CPU.

import { BpfError } from "../../errors.js";
import type { RunTask, RunTaskResult } from "../protocol.js";
import type { ErrorData, FromWorker, InitMessage } from "./protocol.js";

interface Pending {
  resolve(value: RunTaskResult | undefined): void;
  reject(err: Error): void;
}

/** An ErrorData as an Error of its class (BpfError stays a BpfError). */
const asError = (e: ErrorData): Error => (e.name === "BpfError" ? new BpfError(e.message) : Object.assign(new Error(e.message), { name: e.name }));

/** The id of the init request (run requests count from 1). */
const INIT = 0;

export class CpuWorker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Why this worker can no longer be used, once it cannot. */
  private broken: Error | undefined;

  constructor(
    readonly cpu: number,
    private readonly worker: Worker,
    /** What the worker was loaded from, for error messages. */
    private readonly url: string,
  ) {
    worker.onmessage = (event: MessageEvent<FromWorker>) => this.answer(event.data);
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      // A script that does not load gives a bare Event: no message, no file.
      const what = event.message ? `${event.message}${event.filename ? ` (${event.filename}:${event.lineno})` : ""}` : `its script ${this.url} did not load or threw while loading`;
      this.fail(new BpfError(`CPU ${cpu}: the pool's Web Worker failed: ${what}`));
    };
    worker.onmessageerror = () => this.fail(new BpfError(`CPU ${cpu}: a message from the pool's Web Worker could not be read`));
  }

  /** Make the worker CPU `cpu` of the machine; resolves when it has attached. */
  start(init: Omit<InitMessage, "kind" | "cpu">): Promise<void> {
    const done = this.request(INIT);
    this.worker.postMessage({ kind: "init", cpu: this.cpu, ...init } satisfies InitMessage);
    return done.then(() => undefined);
  }

  run(task: RunTask): Promise<RunTaskResult> {
    const id = this.nextId++;
    const done = this.request(id) as Promise<RunTaskResult>;
    if (!this.broken) this.worker.postMessage({ kind: "run", id, task });
    return done;
  }

  /** End the worker; whatever it was asked fails. */
  terminate(): void {
    this.worker.terminate();
    this.fail(new BpfError(`CPU ${this.cpu}: the pool is closed`));
  }

  private request(id: number): Promise<RunTaskResult | undefined> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  private answer(message: FromWorker): void {
    const id = message.kind === "ready" ? INIT : message.id;
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    if (message.kind === "failed") pending.reject(asError(message.error));
    else pending.resolve(message.kind === "done" ? message.result : undefined);
  }

  private fail(err: Error): void {
    this.broken ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
