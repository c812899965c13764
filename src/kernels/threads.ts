import { Worker } from 'node:worker_threads';

/** One task for a kernel thread: an export of the kernels module and its i32 arguments. */
export interface Task {
  fn: string;
  args: number[];
}

const ARGS_MAX = 11;
/** Polls for a worker's answer this many times before sleeping: parts end close together. */
const SPINS = 20000;
/** A worker that has not answered in this long has died (an answer takes microseconds). */
const WAIT_MS_MAX = 60_000;

/**
 * Worker threads for the fast kernels, sharing their WebAssembly memory. A kernel call is split
 * by output ranges into parts: this thread runs the first, each worker one other, and the call
 * returns when all are done — so no sum is ever split, and the bits do not depend on the number
 * of threads. Handing over is a control block per worker (Atomics.wait/notify): no messages,
 * no event-loop turn, no allocation.
 */
export class KernelThreads {
  private readonly workers: { worker: Worker; ctrl: Int32Array; seq: number }[] = [];
  private readonly names: string[];

  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, count: number, names: string[]) {
    this.names = names;
    for (let i = 0; i < count; i++) {
      const control = new SharedArrayBuffer(4 * (5 + ARGS_MAX));
      const worker = new Worker(new URL('./wasm-worker.mjs', import.meta.url), { workerData: { module, memory, control, names } });
      worker.unref(); // an idle kernel thread never keeps the process alive
      this.workers.push({ worker, ctrl: new Int32Array(control), seq: 0 });
    }
  }

  /** Threads a call can be split over: the workers and this one. */
  get size(): number {
    return this.workers.length + 1;
  }

  /** Runs tasks[0] here and tasks[1…] on the workers; returns when every one has finished. */
  run(tasks: Task[], local: (t: Task) => void): void {
    if (tasks.length > this.size) throw new RangeError(`${tasks.length} tasks for ${this.size} threads`);
    for (let i = 1; i < tasks.length; i++) {
      const w = this.workers[i - 1];
      const t = tasks[i];
      if (t.args.length > ARGS_MAX) throw new RangeError(`${t.fn}: more than ${ARGS_MAX} arguments`);
      w.ctrl[3] = this.names.indexOf(t.fn);
      w.ctrl[4] = t.args.length;
      t.args.forEach((a, k) => (w.ctrl[5 + k] = a));
      w.seq++;
      Atomics.store(w.ctrl, 0, w.seq);
      Atomics.notify(w.ctrl, 0);
    }
    let error: unknown = null;
    try {
      local(tasks[0]);
    } catch (e) {
      error = e;
    }
    for (let i = 1; i < tasks.length; i++) {
      const w = this.workers[i - 1];
      for (let i = 0; i < SPINS && Atomics.load(w.ctrl, 1) !== w.seq; i++);
      for (let waited = 0; ; waited += 1000) {
        const done = Atomics.load(w.ctrl, 1);
        if (done === w.seq) break;
        if (waited >= WAIT_MS_MAX) throw new Error(`kernel thread ${i} did not finish ${tasks[i].fn} in ${WAIT_MS_MAX / 1000} s`);
        Atomics.wait(w.ctrl, 1, done, 1000);
      }
      if (Atomics.load(w.ctrl, 2) !== 0) error ??= new Error(`kernel thread ${i} failed in ${tasks[i].fn}`);
    }
    if (error) throw error;
  }

  close(): void {
    for (const w of this.workers) void w.worker.terminate();
  }
}

/**
 * [start, count) ranges covering 0…total in at most `parts` pieces, each start a multiple of
 * `align` (a kernel's block), sized as evenly as blocks allow.
 */
export function splitRange(total: number, align: number, parts: number): [number, number][] {
  const blocks = Math.ceil(total / align);
  const n = Math.max(1, Math.min(parts, blocks));
  const out: [number, number][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = Math.min(total, Math.round(((i + 1) * blocks) / n) * align);
    if (end > start) out.push([start, end - start]);
    start = end;
  }
  return out;
}
