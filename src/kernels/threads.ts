import { Worker } from 'node:worker_threads';

/** One task for a kernel thread: an export of the kernels module and its i32 arguments. */
export interface Task {
  fn: string;
  args: number[];
}

const ARGS_MAX = 11;
/** Tasks one call may have (the claim word holds the count in 16 bits; calls use a few). */
export const TASKS_MAX = 64;
/**
 * Polls for work (a worker) or for the last task's end (the calling thread) this many times
 * before sleeping in Atomics.wait: ≈ 2–8 ns a poll here, so 10–40 µs, about what waking a
 * sleeping thread costs. A thread that spins longer takes the core from the thread doing the
 * work when the machine is busy.
 */
export const SPINS = 5000;
/** A claimed task that has not finished in this long means its worker died (a task takes microseconds). */
const WAIT_MS_MAX = 60_000;

/**
 * The control block all threads share (Int32Array indices; wasm-worker.mjs receives them).
 * SEQ: bumped when a call's tasks are ready (workers wait on it). CLAIM: (next << 16) | count,
 * taken by compare-and-swap, so a task is claimed once and a claim always names a task of the
 * call whose count it read. DONE: tasks finished (the caller waits on it). STATUS: 1 when a task
 * threw. FN: the export's index. ARGC, then TASKS_MAX × ARGS_MAX arguments.
 */
export const CONTROL = { SEQ: 0, CLAIM: 1, DONE: 2, STATUS: 3, FN: 4, ARGC: 5, ARGS: 6 } as const;
const CONTROL_INTS = CONTROL.ARGS + TASKS_MAX * ARGS_MAX;

/** The next unclaimed task of the current call, or −1 when all are claimed. */
export function claimTask(ctrl: Int32Array): number {
  for (;;) {
    const w = Atomics.load(ctrl, CONTROL.CLAIM);
    const next = w >>> 16;
    if (next >= (w & 0xffff)) return -1;
    if (Atomics.compareExchange(ctrl, CONTROL.CLAIM, w, w + 0x10000) === w) return next;
  }
}

/**
 * Worker threads for the fast kernels (and for the rANS module's decoding, log/decode-threads.ts),
 * sharing their WebAssembly memory. A kernel call is split by output ranges into tasks; every
 * thread, this one included, claims tasks until none is left, and the call returns when all
 * have finished — so no sum is ever split, each output is computed
 * by exactly one task, and the bits depend neither on the number of threads nor on which thread
 * ran what. A worker that is slow to wake (a busy machine) delays nothing: this thread runs the
 * tasks nobody has claimed, and waits only for tasks already running. Handing over is one shared
 * control block (Atomics wait/notify after a short spin): no messages, no event-loop turn, no
 * allocation.
 */
export class KernelThreads {
  private readonly workers: Worker[] = [];
  private readonly names: string[];
  private readonly ctrl: Int32Array;

  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, count: number, names: string[]) {
    this.names = names;
    const control = new SharedArrayBuffer(4 * CONTROL_INTS);
    this.ctrl = new Int32Array(control);
    for (let i = 0; i < count; i++) {
      const worker = new Worker(new URL('./wasm-worker.mjs', import.meta.url), { workerData: { module, memory, control, names, spins: SPINS, layout: CONTROL, argsMax: ARGS_MAX } });
      worker.unref(); // an idle kernel thread never keeps the process alive
      this.workers.push(worker);
    }
  }

  /** Threads a call can be split over: the workers and this one. */
  get size(): number {
    return this.workers.length + 1;
  }

  /** Runs the tasks (one export) on this thread and the workers; returns when every one has finished. */
  run(tasks: Task[], local: (t: Task) => void): void {
    this.post(tasks);
    this.join(tasks, local);
  }

  /**
   * Hands the tasks (one export) to the workers, who start on them at once; join() runs what
   * they have not claimed and returns when all have finished. Between the two, this thread may
   * do other work, but post no other call here.
   */
  post(tasks: Task[]): void {
    const n = tasks.length;
    if (n > TASKS_MAX) throw new RangeError(`${n} tasks: at most ${TASKS_MAX}`);
    if (n === 0) return;
    const c = this.ctrl;
    const fn = tasks[0].fn;
    const argc = tasks[0].args.length;
    if (argc > ARGS_MAX) throw new RangeError(`${fn}: more than ${ARGS_MAX} arguments`);
    tasks.forEach((t, i) => {
      if (t.fn !== fn || t.args.length !== argc) throw new RangeError(`the tasks of one call run one export with one argument count (${fn}, ${argc})`);
      for (let k = 0; k < argc; k++) c[CONTROL.ARGS + i * ARGS_MAX + k] = t.args[k];
    });
    c[CONTROL.FN] = this.names.indexOf(fn);
    c[CONTROL.ARGC] = argc;
    Atomics.store(c, CONTROL.DONE, 0);
    Atomics.store(c, CONTROL.STATUS, 0);
    Atomics.store(c, CONTROL.CLAIM, n); // published last: a claim reads everything above
    Atomics.add(c, CONTROL.SEQ, 1);
    Atomics.notify(c, CONTROL.SEQ, Math.min(n, this.workers.length));
  }

  /** Runs the posted tasks nobody has claimed on this thread, then waits for the rest (post). */
  join(tasks: Task[], local: (t: Task) => void): void {
    const n = tasks.length;
    if (n === 0) return;
    const c = this.ctrl;
    let error: unknown = null;
    for (let i = claimTask(c); i >= 0; i = claimTask(c)) {
      try {
        local(tasks[i]);
      } catch (e) {
        error ??= e;
      }
      Atomics.add(c, CONTROL.DONE, 1);
    }
    this.waitAllDone(n, tasks[0].fn);
    if (Atomics.load(c, CONTROL.STATUS) !== 0) error ??= new Error(`a kernel thread failed in ${tasks[0].fn}`);
    if (error) throw error;
  }

  /** Returns when `n` tasks have finished: a short spin, then sleeps until the last one's notify. */
  private waitAllDone(n: number, fn: string): void {
    const c = this.ctrl;
    for (let i = 0; i < SPINS && Atomics.load(c, CONTROL.DONE) !== n; i++);
    for (let waited = 0; ; waited += 1000) {
      const done = Atomics.load(c, CONTROL.DONE);
      if (done === n) return;
      if (waited >= WAIT_MS_MAX) throw new Error(`a kernel thread did not finish ${fn} in ${WAIT_MS_MAX / 1000} s`);
      Atomics.wait(c, CONTROL.DONE, done, 1000);
    }
  }

  close(): void {
    for (const w of this.workers) void w.terminate();
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
