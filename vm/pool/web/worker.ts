// A Web Worker of the web pool: one CPU of the page's machine, loaded as a module from
// dist/vm/pool/web/worker.js (`new Worker(url, { type: "module" })`). The first message makes it
// CPU `cpu`: it attaches to the machine the page created (same shared memory, same maps, its own
// helper closures and maps runtime instance); every later message is a task of a run, which
// cpu.ts's PoolCpu — the same code the Node pool's workers run — carries out.

import { BpfError } from "../../errors.js";
import { attachMachine } from "../../runtime/machine.js";
import { PoolCpu } from "../cpu.js";
import { errorData, type FromWorker, type InitMessage, type ToWorker } from "./protocol.js";

/** The worker global as this script uses it (the project's TypeScript lib is DOM, not WebWorker). */
const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker): void;
};

let cpu: PoolCpu | undefined;
/** Messages are handled in order: a run waits for the init before it. */
let queue: Promise<void> = Promise.resolve();

function init(message: InitMessage): void {
  if (cpu) throw new BpfError(`pool worker: already CPU ${cpu.cpu.cpu}, asked to be CPU ${message.cpu}`);
  cpu = new PoolCpu(attachMachine(message.machine, message.memory, message.mapsModule), message.cpu);
  scope.postMessage({ kind: "ready", cpu: message.cpu });
}

async function handle(message: ToWorker): Promise<void> {
  if (message.kind === "init") {
    try {
      init(message);
    } catch (err) {
      const { name, message: why } = errorData(err);
      scope.postMessage({ kind: "failed", id: 0, error: { name, message: `CPU ${message.cpu}: ${why}` } });
    }
    return;
  }
  try {
    if (!cpu) throw new BpfError("pool worker: a task came before the worker was given its CPU");
    scope.postMessage({ kind: "done", id: message.id, result: await cpu.run(message.task) });
  } catch (err) {
    scope.postMessage({ kind: "failed", id: message.id, error: errorData(err) });
  }
}

scope.onmessage = (event) => {
  queue = queue.then(() => handle(event.data));
};
