import { UsageError } from '../errors.ts';
import { KernelThreads, splitRange, type Task } from './threads.ts';
import type { Dtype, FloatArray } from './types.ts';

const PAGE_BYTES = 65536;
const PAGES_MAX = 16384; // 1 GiB, as the kernels' modules declare
/** Every allocation is followed by this much slack, so a vector load at a tensor's end stays inside. */
const SLACK_BYTES = 64;

const closeWhenCollected = new FinalizationRegistry<KernelThreads>((t) => t.close());

/**
 * A fast kernel set's WebAssembly memory, instance and threads (the f32acc set's; wasm.ts keeps
 * the same scheme for f64acc): one shared memory in which `alloc` places the model's tensors, so
 * the kernels work on them in place, while an array from elsewhere (a test's) is copied in and
 * out per call; a bump allocator with scoped scratch (kernels are synchronous); and the worker
 * threads a call is split over, started by the first split call. Shared memory grows without
 * detaching the views already handed out.
 */
export class WasmArena<E> {
  readonly memory: WebAssembly.Memory;
  readonly exports: E;
  /** The memory's buffer objects (a new one after each growth): arrays on them are ours. */
  private readonly buffers = new Set<ArrayBufferLike>();
  buffer: SharedArrayBuffer;
  private top = 16; // 0 stays unused: a null pointer is never a tensor
  private threads: KernelThreads | null = null;
  private readonly module: WebAssembly.Module;
  private readonly threaded: string[];
  readonly threadsMax: number;
  /** The smallest call (in multiply-adds) that is split (tests split every one). */
  readonly splitWorkMin: number;

  constructor(module: WebAssembly.Module, threaded: string[], threads: number, splitWorkMin: number) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a whole number ≥ 1, got ${threads}`);
    this.module = module;
    this.threaded = threaded;
    this.threadsMax = threads;
    this.splitWorkMin = splitWorkMin;
    this.memory = new WebAssembly.Memory({ initial: 16, maximum: PAGES_MAX, shared: true });
    this.exports = new WebAssembly.Instance(module, { env: { memory: this.memory } }).exports as unknown as E;
    this.buffer = this.memory.buffer as unknown as SharedArrayBuffer;
    this.buffers.add(this.buffer);
  }

  /** Ends the kernel threads (the process can exit without it: they are unref'd). */
  close(): void {
    this.threads?.close();
  }

  /** Bytes from the bump pointer, 16-aligned, with slack after them; grows the memory as needed. */
  reserve(bytes: number): number {
    const at = (this.top + 15) & ~15;
    const end = at + bytes + SLACK_BYTES;
    if (end > this.buffer.byteLength) {
      // at least doubling: few growths, and each one that meets running threads restarts them
      const have = this.buffer.byteLength / PAGE_BYTES;
      const need = Math.ceil((end - this.buffer.byteLength) / PAGE_BYTES);
      if (have + need > PAGES_MAX) throw new UsageError(`this model and batch need more than the fast kernels' ${PAGES_MAX * PAGE_BYTES / 2 ** 30} GiB of WebAssembly memory: make the model, batch or context smaller, or train with --kernels reference`);
      this.memory.grow(Math.min(Math.max(need, have), PAGES_MAX - have));
      this.buffer = this.memory.buffer as unknown as SharedArrayBuffer;
      this.buffers.add(this.buffer);
      // a worker's instance may keep bounds-checking against the old size (V8 updates it only at
      // an interrupt): the workers start anew on the grown memory with the next split call
      if (this.threads) {
        closeWhenCollected.unregister(this);
        this.threads.close();
        this.threads = null;
      }
    }
    this.top = end;
    return at;
  }

  alloc(dtype: Dtype, n: number): FloatArray {
    const p = this.reserve((dtype === 'float32' ? 4 : 8) * n); // first: it may grow the buffer
    // zeroed: the bump pointer hands out memory an earlier call's scratch may have used
    return (dtype === 'float32' ? new Float32Array(this.buffer, p, n) : new Float64Array(this.buffer, p, n)).fill(0);
  }

  allocBytes(n: number): Uint8Array {
    const p = this.reserve(n);
    return new Uint8Array(this.buffer, p, n).fill(0);
  }

  /** Whether an array lives in this memory. */
  owns(a: ArrayBufferView): boolean {
    return this.buffers.has(a.buffer);
  }

  /** Address of a[off…off+n) in the memory: in place when a lives there, else a copy. */
  input(a: FloatArray | Uint8Array, off: number, n: number): number {
    if (this.owns(a)) return a.byteOffset + a.BYTES_PER_ELEMENT * off;
    const p = this.reserve(a.BYTES_PER_ELEMENT * n);
    this.view(a, p, n).set(a.subarray(off, off + n));
    return p;
  }

  /** Where an output goes: in place, or a scratch area that `settle` copies back. */
  output(a: FloatArray, off: number, n: number): number {
    return this.owns(a) ? a.byteOffset + a.BYTES_PER_ELEMENT * off : this.reserve(a.BYTES_PER_ELEMENT * n);
  }

  settle(a: FloatArray, off: number, n: number, p: number): void {
    if (!this.owns(a)) a.set(this.view(a, p, n) as FloatArray, off);
  }

  /** n elements of a's type at byte p of the memory. */
  view(a: FloatArray | Uint8Array, p: number, n: number): FloatArray | Uint8Array {
    if (a instanceof Float32Array) return new Float32Array(this.buffer, p, n);
    if (a instanceof Float64Array) return new Float64Array(this.buffer, p, n);
    return new Uint8Array(this.buffer, p, n);
  }

  /** Runs f with scratch space that is freed afterwards (kernels are synchronous). */
  scoped<T>(f: () => T): T {
    const mark = this.top;
    try {
      return f();
    } finally {
      this.top = mark;
    }
  }

  /** How many tasks a call with `work` multiply-adds is split into: `perThread` per thread, or 1 below the threshold. */
  partsFor(work: number, perThread = 1): number {
    return work < this.splitWorkMin || this.threadsMax === 1 ? 1 : this.threadsMax * perThread;
  }

  /**
   * Runs one export over parts of its outputs: `ranges` (from splitRange) become one task each,
   * `args(start, count, part)` their arguments. Every output is computed by exactly one task.
   */
  parallel(fn: string, ranges: [number, number][], args: (start: number, count: number, part: number) => number[]): void {
    const tasks = ranges.map(([start, count], part) => ({ fn, args: args(start, count, part) }));
    const local = (t: Task) => (this.exports as Record<string, (...a: number[]) => void>)[t.fn](...t.args);
    if (tasks.length === 0) return; // a call of size 0
    if (tasks.length === 1) local(tasks[0]);
    else {
      if (!this.threads) {
        this.threads = new KernelThreads(this.module, this.memory, this.threadsMax - 1, this.threaded);
        // the workers hold the memory, not this object: when it is collected, they are ended
        closeWhenCollected.register(this, this.threads, this);
      }
      this.threads.run(tasks, local);
    }
  }
}

export { splitRange };
