import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { LogWriteError } from '../errors.ts';
import type { FloatArray } from '../kernels/types.ts';
import { pack } from '../log/msgpack.ts';
import type { LogRecord } from '../log/records.ts';
import { indexFieldsOf, type HandedOver, type LogWriter } from '../log/writer.ts';
import { stateHashOf } from './hash.ts';
import { CONTROL, JobRunner, type RecordJob, type StateArrays, type StateJob, type ThreadError } from './record-jobs.ts';

/** Where a recorder's records go: a writer on this thread (InlineOutput) or a recording thread (RecordThread). */
export interface RecordOutput {
  readonly path: string;
  /** the log's size so far (a recording thread's lags by the jobs still on their way; exact after close) */
  readonly bytesWritten: number;
  /** a record as it is (header, anomaly, end, what contributors add) */
  write(record: LogRecord, sync?: boolean): void;
  /** a keyframe or step to code and hash (its arrays the trainer's own, read before it moves on) */
  run(job: StateJob): void;
  /** waits until everything handed over is written (its failure thrown) */
  flush(): void;
  /** everything handed over written, then the index and trailer; the file closed */
  close(): void;
  /** everything handed over written, then the file closed without an index (a stopped run) */
  abandon(): void;
}

/** The recorder's jobs run as they come, on the training thread. */
export class InlineOutput implements RecordOutput {
  readonly runner: JobRunner;
  constructor(readonly writer: LogWriter, ends: readonly number[]) {
    this.runner = new JobRunner(writer, ends);
  }
  get path(): string {
    return this.writer.path;
  }
  get bytesWritten(): number {
    return this.writer.bytesWritten;
  }
  write(record: LogRecord, sync = false): void {
    this.writer.write(record, sync);
  }
  run(job: StateJob): void {
    this.runner.run(job);
  }
  flush(): void {}
  close(): void {
    this.writer.close();
  }
  abandon(): void {
    this.writer.abandon();
  }
}

/** Jobs handed over and not yet done, at most: the training thread waits beyond (each holds copies of the state). */
const IN_FLIGHT_MAX = 2;
/** How long the training thread waits for a recording thread between looks at whether it still runs. */
const LOOK_MS = 250;
/** How long a recording thread asked for at once (`wait`) may take to start before the log stays on the training thread. */
const START_MS = 30_000;

const buffersOf = (s: StateArrays): ArrayBuffer[] => [s.params.buffer, s.m.buffer, s.v.buffer] as ArrayBuffer[];
/** Arrays the thread handed back, kept for the next copies at most. */
const SPARE_MAX = 8;

/**
 * A log written by a thread of its own (record-worker.ts): the recorder's jobs — the arrays
 * coded, the state hashed, the records framed and appended — run there while the next step
 * trains, in the order handed over, with the same code as InlineOutput, so the log's bytes are
 * the same. Until the thread has started (its module loaded: ≈ 30–200 ms) the log is written
 * here, and the thread takes over between two records; one that never starts leaves it here. A
 * job takes copies of the trainer's arrays (≈ 1 ms for fabric-bench's 7 MB, where coding and
 * hashing them cost ≈ 35 ms), into arrays the thread hands back. A failed write surfaces as the
 * LogWriteError it was at the next hand-over (the log then ends at its last complete record, as
 * on this thread); the process's exit waits for what was handed over; a kill leaves the log
 * readable up to the last record written.
 */
export class RecordThread implements RecordOutput {
  readonly path: string;
  /** the log as written here until the thread takes over (null after) */
  private inline: InlineOutput | null;
  private worker: Worker | null;
  private readonly port: MessagePort;
  private readonly ctrl: Int32Array;
  private readonly size: Float64Array;
  /** what the log's close does last, on this thread (release its lock) */
  private onClose: () => void = () => {};
  /** jobs handed over (the thread counts those done in the control block) */
  private sent = 0;
  private ended = false;
  private failure: Error | null = null;
  /** where the thread hands back the copies it is done with, and those kept for reuse */
  private readonly spent: MessagePort;
  private readonly spare: FloatArray[] = [];
  /** whether the last hand-over had to wait for the thread */
  private behind = false;

  private constructor(inline: InlineOutput, worker: Worker, port: MessagePort, spent: MessagePort, control: SharedArrayBuffer) {
    this.path = inline.path;
    this.inline = inline;
    this.worker = worker;
    this.port = port;
    this.spent = spent;
    this.ctrl = new Int32Array(control, 0, CONTROL.INTS);
    this.size = new Float64Array(control, CONTROL.BYTES_AT, 1);
  }

  /**
   * Starts a recording thread for a file-backed writer's log, which is written here until the
   * thread runs: at once when `wait` (at most START_MS), else from the first record after it has
   * started. Null where no thread starts (a web page) or for a writer into memory. `module`: the
   * worker's module (tests).
   */
  static start(writer: LogWriter, ends: readonly number[], { wait = false, module = workerModule() } = {}): RecordThread | null {
    if (typeof SharedArrayBuffer === 'undefined' || !writer.onFile) return null;
    const control = new SharedArrayBuffer(CONTROL.SIZE);
    const { port1, port2 } = new MessageChannel();
    const spent = new MessageChannel();
    let worker: Worker;
    try {
      worker = new Worker(module, { workerData: { ends: [...ends], control, port: port2, spent: spent.port2 }, transferList: [port2, spent.port2] });
    } catch {
      return null;
    }
    // a thread that failed to load or stopped: heard of between steps (DEAD), never an error
    // event that would end this process
    worker.on('error', () => Atomics.store(new Int32Array(control, 0, CONTROL.INTS), CONTROL.DEAD, 1));
    // a run that ends without closing its log must not be kept alive by it (the exit waits for it instead)
    worker.unref();
    port1.unref();
    spent.port1.unref();
    const thread = new RecordThread(new InlineOutput(writer, ends), worker, port1, spent.port1, control);
    if (wait) {
      thread.waitFor(CONTROL.READY, 1, performance.now() + START_MS); // timing: a bound on waiting, never recorded or hashed
      thread.poll();
    }
    return thread;
  }

  /** Whether the thread writes the log now (false while it starts, or when it never did). */
  get onThread(): boolean {
    this.poll();
    return this.inline === null;
  }

  /** The thread takes the log over once it has started; one that stopped first is let go. */
  private poll(): void {
    const inline = this.inline;
    if (!inline || !this.worker || this.ended) return;
    if (Atomics.load(this.ctrl, CONTROL.DEAD) !== 0) return this.letGo();
    if (Atomics.load(this.ctrl, CONTROL.READY) === 0) return;
    const prev = inline.runner.takePrev();
    const handed = inline.writer.handOver();
    // a writer that failed keeps its error, and the log stays here
    if (!handed) return this.letGo();
    this.inline = null;
    this.size[0] = handed.at.offset;
    this.onClose = handed.onClose;
    live.add(this);
    this.send({ op: 'open', at: handed.at });
    if (prev) this.send({ op: 'prev', state: prev, owned: true }, buffersOf(prev));
  }

  /** A thread that will not take the log over: it stays on this thread. */
  private letGo(): void {
    void this.worker?.terminate();
    this.worker = null;
  }

  get bytesWritten(): number {
    return this.inline ? this.inline.bytesWritten : this.size[0];
  }

  /**
   * Blocks until the control block's `slot` (READY, DONE) reaches `n`: false when the thread
   * stopped first, or at `until` (timing: a bound on waiting, never recorded or hashed).
   */
  private waitFor(slot: number, n: number, until = Infinity): boolean {
    for (;;) {
      const at = Atomics.load(this.ctrl, slot);
      if (at >= n) return true;
      if (Atomics.load(this.ctrl, CONTROL.DEAD) !== 0 || performance.now() > until) return false; // timing: a bound on waiting, never recorded or hashed
      Atomics.wait(this.ctrl, slot, at, LOOK_MS);
    }
  }

  /** Blocks until the thread has done `n` jobs; an error when it stopped first. */
  private waitDone(n: number): void {
    if (!this.waitFor(CONTROL.DONE, n)) throw new Error(`${this.path}: the recording thread stopped with ${n - Atomics.load(this.ctrl, CONTROL.DONE)} records unwritten`);
  }

  /** The thread's failure, as the error it was there. */
  private check(): void {
    if (Atomics.load(this.ctrl, CONTROL.FAILED) === 0) return;
    const m = receiveMessageOnPort(this.port);
    this.failure ??= m ? errorOf(m.message as ThreadError) : new Error(`${this.path}: the recording thread failed`);
    throw this.failure;
  }

  private send(job: RecordJob | { op: 'open'; at: HandedOver } | { op: 'close' | 'abandon' }, transfer: ArrayBuffer[] = []): void {
    if (this.ended) throw new Error('log writer is closed');
    this.check();
    this.worker!.postMessage(job, transfer);
    this.sent++;
    this.behind = Atomics.load(this.ctrl, CONTROL.DONE) < this.sent - IN_FLIGHT_MAX;
    this.waitDone(this.sent - IN_FLIGHT_MAX);
    this.check();
  }

  write(record: LogRecord, sync = false): void {
    this.poll();
    if (this.inline) this.inline.write(record, sync);
    else this.send({ op: 'packed', body: pack(record), kind: record.kind, ...indexFieldsOf(record), sync });
  }

  /** A copy of `a` for the thread to own: into an array it handed back where one fits, else new. */
  private copy(a: FloatArray): FloatArray {
    for (let m = receiveMessageOnPort(this.spent); m; m = receiveMessageOnPort(this.spent)) {
      for (const x of m.message as FloatArray[]) if (this.spare.length < SPARE_MAX) this.spare.push(x);
    }
    const i = this.spare.findIndex((x) => x.length === a.length && x.constructor === a.constructor);
    if (i < 0) return a.slice();
    const out = this.spare.splice(i, 1)[0];
    out.set(a);
    return out;
  }

  private copyState(s: StateArrays): StateArrays {
    return { params: this.copy(s.params), m: this.copy(s.m), v: this.copy(s.v) };
  }

  run(job: StateJob): void {
    this.poll();
    if (this.inline) {
      this.inline.run(job);
      return;
    }
    const state = this.copyState(job.state);
    if (job.op === 'step') {
      const grads = job.grads ? this.copy(job.grads) : null;
      // a thread that is behind (the last hand-over waited for it) is spared the hash: this
      // thread would spend the time waiting anyway (full logs of large models)
      const stateHash = this.behind ? stateHashOf(job.step, job.optimT, state.params, state.m, state.v) : undefined;
      this.send({ ...job, state, grads, owned: true, stateHash }, [...buffersOf(state), ...(grads ? [grads.buffer as ArrayBuffer] : [])]);
    } else this.send({ ...job, state, owned: true }, buffersOf(state));
  }

  flush(): void {
    this.poll();
    if (this.inline) return;
    this.check();
    this.waitDone(this.sent);
    this.check();
  }

  /**
   * close: its failure (an earlier one, or the index's write) is thrown and the log stays open
   * for the abandon that follows. abandon never throws: a thread that stopped has written what
   * it wrote; the lock is released either way.
   */
  private end(op: 'close' | 'abandon'): void {
    if (this.ended) return;
    const inline = this.inline;
    if (inline) {
      // never taken over: the log is this thread's to close
      if (op === 'close') inline.close();
      else inline.abandon();
      this.ended = true;
      this.letGo();
      return;
    }
    if (op === 'close') this.check();
    try {
      this.worker!.postMessage({ op });
      this.sent++;
      this.waitDone(this.sent);
    } catch (e) {
      if (op === 'close') throw e;
    }
    if (op === 'close') this.check();
    this.ended = true;
    live.delete(this);
    this.letGo();
    this.onClose(); // the lock, released once the thread has closed the file
  }

  close(): void {
    this.end('close');
  }

  abandon(): void {
    this.end('abandon');
  }

  /** At the process's exit: what was handed over is written (at most EXIT_WAIT_MS), as a kill after it would leave it. */
  private drainAtExit(): void {
    this.waitFor(CONTROL.DONE, this.sent, performance.now() + EXIT_WAIT_MS); // timing: a bound on waiting, never recorded or hashed
  }

  static drainAllAtExit(): void {
    for (const t of live) t.drainAtExit();
  }
}

/** The recording threads writing a log now: the process's exit waits for each (one listener for all). */
const live = new Set<RecordThread>();
/** How long the exit waits for a recording thread to write what it was handed. */
const EXIT_WAIT_MS = 60_000;
if (typeof process !== 'undefined' && typeof process.on === 'function') process.on('exit', () => RecordThread.drainAllAtExit());

/**
 * The recording thread's module: dist/'s compiled record-worker.js in the package; from the
 * sources, record-worker.ts itself under Bun and Deno, and on Node through
 * record-worker-sources.mjs, which registers the TypeScript loader a worker does not inherit.
 */
function workerModule(): URL {
  const fromSources = import.meta.url.endsWith('.ts');
  const native = typeof process !== 'undefined' && Boolean(process.versions?.bun || (globalThis as { Deno?: unknown }).Deno);
  return new URL(!fromSources ? './record-worker.js' : native ? './record-worker.ts' : './record-worker-sources.mjs', import.meta.url);
}

function errorOf(e: ThreadError): Error {
  if (e.kind === 'write') return new LogWriteError(e.file, e.systemError, e.lastStep);
  return e.name === 'RangeError' ? new RangeError(e.message) : new Error(e.message);
}

/** Parameters below which a log is written on the training thread: a thread's start (≈ 30 ms) and copies would cost more than they save. */
export const THREAD_ELEMENTS_MIN = 100_000;

/** Where a recorder writes: on a recording thread for a file log of a model of THREAD_ELEMENTS_MIN parameters or more (or as `thread` says), else here. */
export function recordOutput(writer: LogWriter, ends: readonly number[], elements: number, thread: boolean | null = null): RecordOutput {
  if (thread ?? elements >= THREAD_ELEMENTS_MIN) {
    // asked for (tests, benchmarks): the thread from the first record; by size: once it has started
    const t = RecordThread.start(writer, ends, { wait: thread === true });
    if (t) return t;
  }
  return new InlineOutput(writer, ends);
}
