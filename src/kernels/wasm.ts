import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { log } from '../math/elementary.ts';
import { canonicalNaN, referenceKernels } from './reference.ts';
import { lengthChecks } from './lengths.ts';
import { KernelThreads, splitRange, type Task } from './threads.ts';
import { IGNORED_TARGET, type AdamCoefficients, type Activation, type Dtype, type FloatArray, type Kernels } from './types.ts';

/** The compiled kernels (src/kernels/wasm/kernels.wat → kernels.wasm), compiled once per process. */
let compiled: WebAssembly.Module | null = null;
function kernelsModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(new URL('./wasm/kernels.wasm', import.meta.url)));
  return compiled;
}

interface Exports {
  matmul_fwd_task(out: number, x: number, w: number, bias: number, N: number, C: number, OC: number, scratch: number): void;
  matmul_bwd_dinp_task(dinp: number, g: number, w: number, N: number, C: number, OC: number, scratch: number): void;
  matmul_bwd_dw_task(dw: number, db: number, g: number, x: number, N: number, C: number, OC: number, o0: number, cnt: number, scratch: number): void;
  activation(kind: number, backward: number, out: number, inp: number, dout: number, n: number): void;
  attn_fwd(out: number, att: number, qkv: number, B: number, T: number, C: number, NH: number, scratch: number): void;
  attn_bwd(dqkv: number, dout: number, qkv: number, att: number, B: number, T: number, C: number, NH: number, scratch: number): void;
  add(out: number, a: number, b: number, n: number): void;
  peak_madd(iters: number): number;
  ln_fwd(out: number, mean: number, rstd: number, inp: number, w: number, b: number, N: number, C: number): void;
  ln_bwd_dinp(dinp: number, dout: number, inp: number, w: number, mean: number, rstd: number, N: number, C: number): void;
  ln_bwd_dw(dw: number, db: number, dout: number, inp: number, mean: number, rstd: number, N: number, C: number, c0: number, cnt: number): void;
  adam(p: number, g: number, m: number, v: number, n: number, k: number): void;
  dropout(out: number, inp: number, keep: number, n: number, sp: number): void;
  find_nonfinite(a: number, n: number): number;
  ce_fwd(probs: number, logits: number, N: number, V: number, stats: number): void;
}

/** Activations with a WebAssembly kernel (ReLU, a comparison, stays in JavaScript). */
const ACTIVATION_IDS: Partial<Record<Activation, number>> = { gelu: 0, tanh: 1 };

const closeWhenCollected = new FinalizationRegistry<KernelThreads>((t) => t.close());

/** The exports a kernel thread may run (wasm-worker.mjs receives the list). */
const THREADED: (keyof Exports)[] = ['matmul_fwd_task', 'matmul_bwd_dinp_task', 'matmul_bwd_dw_task', 'activation', 'attn_fwd', 'attn_bwd', 'add', 'ln_fwd', 'ln_bwd_dinp', 'ln_bwd_dw', 'adam', 'dropout'];
/** Below this many multiply-adds a call stays on one thread: handing over costs microseconds. */
const SPLIT_WORK_MIN = 1 << 16;

const PAGE_BYTES = 65536;
const PAGES_MAX = 16384; // 1 GiB, as kernels.wat declares
/** Every allocation is followed by this much slack, so a vector load at a tensor's end stays inside. */
const SLACK_BYTES = 32;
const ceil4 = (n: number) => (n + 3) & ~3;

/** The WebAssembly kernels store float32; float64 storage (gradient checks) takes the reference kernels. */
const allFloat32 = (...arrays: FloatArray[]) => arrays.every((a) => a instanceof Float32Array);

/**
 * The fast kernels, with the reference's bits (numeric mode reference-f64acc-v1): WebAssembly
 * SIMD128 for the matmuls, attention, GELU and tanh, layer norm, dropout, the residual add,
 * Adam and the loss's softmax, split over threads by output ranges; the reference kernels for
 * the rest (embeddings, ReLU, RMSNorm, the loss's gradient) and for float64 storage. The set owns one shared WebAssembly memory: `alloc` places the
 * model's tensors in it, so the kernels work on them in place; an array from elsewhere (a
 * test's) is copied in and out per call. Shared memory grows without detaching the views
 * already handed out.
 */
export class WasmKernels implements Kernels {
  readonly mode = referenceKernels.mode;
  private readonly memory: WebAssembly.Memory;
  private readonly wasm: Exports;
  /** The memory's buffer objects (a new one after each growth): arrays on them are ours. */
  private readonly buffers = new Set<ArrayBufferLike>();
  private buffer: SharedArrayBuffer;
  private top = 16; // 0 stays unused: a null pointer is never a tensor

  /** The worker threads, started by the first call that is split (after the model's allocations). */
  private threads: KernelThreads | null = null;
  private readonly threadsMax: number;
  private readonly splitWorkMin: number;

  /**
   * `threads`: how many threads a kernel call may use (this one and threads − 1 workers);
   * `splitWorkMin`: the smallest call (in multiply-adds) that is split (tests split every one).
   */
  constructor(threads = 1, splitWorkMin = SPLIT_WORK_MIN) {
    this.splitWorkMin = splitWorkMin;
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a whole number ≥ 1, got ${threads}`);
    this.memory = new WebAssembly.Memory({ initial: 16, maximum: PAGES_MAX, shared: true });
    this.wasm = new WebAssembly.Instance(kernelsModule(), { env: { memory: this.memory } }).exports as unknown as Exports;
    this.buffer = this.memory.buffer as unknown as SharedArrayBuffer;
    this.buffers.add(this.buffer);
    this.threadsMax = threads;
  }

  private startThreads(workers: number): KernelThreads {
    const t = new KernelThreads(kernelsModule(), this.memory, workers, THREADED);
    // the workers hold the memory, not this object: when it is collected, they are ended
    closeWhenCollected.register(this, t, this);
    return t;
  }

  /** Threads a call is split over. */
  get threadCount(): number {
    return this.threadsMax;
  }

  /**
   * Runs one export over parts of its outputs: `ranges` (from splitRange) become one task each,
   * `args(start, count, part)` their arguments. Every output is computed by exactly one task.
   */
  private parallel(fn: (typeof THREADED)[number], ranges: [number, number][], args: (start: number, count: number, part: number) => number[]): void {
    const tasks = ranges.map(([start, count], part) => ({ fn, args: args(start, count, part) }));
    const local = (t: Task) => (this.wasm[t.fn as keyof Exports] as (...a: number[]) => void)(...t.args);
    if (tasks.length === 0) return; // a call of size 0
    if (tasks.length === 1) tasks.forEach(local);
    else {
      this.threads ??= this.startThreads(this.threadsMax - 1);
      this.threads.run(tasks, local);
    }
  }

  /** How many parts a call with `work` multiply-adds is split into. */
  private partsFor(work: number): number {
    return work < this.splitWorkMin ? 1 : this.threadCount;
  }

  /**
   * GFLOP/s of register-resident f64x2 multiply-adds on this thread (timing; benchmarks only).
   * Each accumulator's multiply-add is one dependency chain, so this is a floor for the peak.
   */
  peakGflops(): number {
    const iters = 1 << 24;
    this.wasm.peak_madd(iters >> 4); // warm-up: tier-up of the loop is not measured
    const t0 = performance.now(); // timing
    this.wasm.peak_madd(iters);
    return (iters * 8 * 4) / ((performance.now() - t0) / 1000) / 1e9; // timing
  }

  /** Ends the kernel threads (the process can exit without it: they are unref'd). */
  close(): void {
    this.threads?.close();
  }

  /** Bytes from the bump pointer, 16-aligned, with slack after them; grows the memory as needed. */
  private reserve(bytes: number): number {
    const at = (this.top + 15) & ~15;
    const end = at + bytes + SLACK_BYTES;
    if (end > this.buffer.byteLength) {
      // at least doubling: few growths, and each one that meets running threads restarts them
      const have = this.buffer.byteLength / PAGE_BYTES;
      const need = Math.ceil((end - this.buffer.byteLength) / PAGE_BYTES);
      if (have + need > PAGES_MAX) throw new UsageError(`this model and batch need more than the fast kernels' ${PAGES_MAX * PAGE_BYTES / 2 ** 30} GiB of WebAssembly memory: make the model, batch or context smaller, or train with --kernels reference`);
      const pages = Math.min(Math.max(need, have), PAGES_MAX - have);
      this.memory.grow(pages);
      this.buffer = this.memory.buffer as unknown as SharedArrayBuffer;
      this.buffers.add(this.buffer);
      // a worker's instance may keep bounds-checking against the old size (V8 updates it only
      // at an interrupt): start the workers anew, on the grown memory (growth is rare: it
      // happens while a model is built and on the first calls of each shape)
      if (this.threads) {
        closeWhenCollected.unregister(this);
        this.threads.close();
        this.threads = null; // started again by the next call that is split
      }
    }
    this.top = end;
    return at;
  }

  allocBytes(n: number): Uint8Array {
    lengthChecks.allocBytes(n);
    const p = this.reserve(n); // first: it may grow the buffer
    // zeroed: the bump pointer hands out memory an earlier call's scratch may have used
    return new Uint8Array(this.buffer, p, n).fill(0);
  }

  alloc(dtype: Dtype, n: number): FloatArray {
    lengthChecks.alloc(dtype, n);
    const p = this.reserve((dtype === 'float32' ? 4 : 8) * n); // first: it may grow the buffer
    // zeroed: the bump pointer hands out memory an earlier call's scratch may have used
    return (dtype === 'float32' ? new Float32Array(this.buffer, p, n) : new Float64Array(this.buffer, p, n)).fill(0);
  }

  /** Address of a[off…off+n) in the memory: in place when a lives there, else a copy. */
  private input(a: FloatArray, off: number, n: number): number {
    if (this.buffers.has(a.buffer)) return a.byteOffset + a.BYTES_PER_ELEMENT * off;
    const p = this.reserve(a.BYTES_PER_ELEMENT * n);
    this.view(a, p, n).set(a.subarray(off, off + n));
    return p;
  }

  /** Address of bytes a[0…n) in the memory: in place when a lives there, else a copy. */
  private inputBytes(a: Uint8Array, n: number): number {
    if (this.buffers.has(a.buffer)) return a.byteOffset;
    const p = this.reserve(n);
    new Uint8Array(this.buffer, p, n).set(a.subarray(0, n));
    return p;
  }

  /** Where an output goes: in place, or a scratch area that `settle` copies back. */
  private output(a: FloatArray, off: number, n: number): number {
    return this.buffers.has(a.buffer) ? a.byteOffset + a.BYTES_PER_ELEMENT * off : this.reserve(a.BYTES_PER_ELEMENT * n);
  }

  private settle(a: FloatArray, off: number, n: number, p: number): void {
    if (!this.buffers.has(a.buffer)) a.set(this.view(a, p, n), off);
  }

  /** n elements of a's type at byte p of the memory. */
  private view(a: FloatArray, p: number, n: number): FloatArray {
    return a instanceof Float32Array ? new Float32Array(this.buffer, p, n) : new Float64Array(this.buffer, p, n);
  }

  /** Runs f with scratch space that is freed afterwards (kernels are synchronous). */
  private scoped<T>(f: () => T): T {
    const mark = this.top;
    try {
      return f();
    } finally {
      this.top = mark;
    }
  }

  adamUpdate(params: FloatArray, grads: FloatArray, m: FloatArray, v: FloatArray, n: number, k: AdamCoefficients): void {
    lengthChecks.adamUpdate(params, grads, m, v, n, k);
    if (!allFloat32(params, grads, m, v)) {
      referenceKernels.adamUpdate(params, grads, m, v, n, k);
      return;
    }
    this.scoped(() => {
      const pp = this.input(params, 0, n);
      const g = this.input(grads, 0, n);
      const mm = this.input(m, 0, n);
      const vv = this.input(v, 0, n);
      const kp = this.reserve(80);
      new Float64Array(this.buffer, kp, 10).set([k.beta1, k.beta2, k.oneMinusBeta1, k.oneMinusBeta2, k.eps, k.stepSize, k.bc2Sqrt, k.l2, k.decay, k.decoupled ? 1 : 0]);
      this.parallel('adam', splitRange(n, 2, this.partsFor(4 * n)), (i0, c) => [pp + 4 * i0, g + 4 * i0, mm + 4 * i0, vv + 4 * i0, c, kp]);
      // in place: inputs that came from elsewhere are outputs too
      this.settle(params, 0, n, pp);
      this.settle(m, 0, n, mm);
      this.settle(v, 0, n, vv);
    });
  }

  encoderForward = referenceKernels.encoderForward;
  encoderBackward = referenceKernels.encoderBackward;

  matmulForward(out: FloatArray, inp: FloatArray, weight: FloatArray, wOff: number, bias: FloatArray, bOff: number, N: number, C: number, OC: number): void {
    lengthChecks.matmulForward(out, inp, weight, wOff, bias, bOff, N, C, OC);
    if (!allFloat32(out, inp, weight, bias)) {
      referenceKernels.matmulForward(out, inp, weight, wOff, bias, bOff, N, C, OC);
      return;
    }
    this.scoped(() => {
      const x = this.input(inp, 0, N * C);
      const wt = this.input(weight, wOff, OC * C);
      const b = this.input(bias, bOff, OC);
      const o = this.output(out, 0, N * OC);
      const ranges = splitRange(N, 4, this.partsFor(N * C * OC));
      const scratch = ranges.map(([, n]) => this.reserve(8 * (ceil4(n) + ceil4(OC)) * C));
      this.parallel('matmul_fwd_task', ranges, (n0, n, part) => [o + 4 * n0 * OC, x + 4 * n0 * C, wt, b, n, C, OC, scratch[part]]);
      this.settle(out, 0, N * OC, o);
    });
  }

  matmulBackward(dinp: FloatArray, dweight: FloatArray, wOff: number, dbias: FloatArray, bOff: number, dout: FloatArray, inp: FloatArray, weight: FloatArray, N: number, C: number, OC: number): void {
    lengthChecks.matmulBackward(dinp, dweight, wOff, dbias, bOff, dout, inp, weight, N, C, OC);
    if (!allFloat32(dinp, dweight, dbias, dout, inp, weight)) {
      referenceKernels.matmulBackward(dinp, dweight, wOff, dbias, bOff, dout, inp, weight, N, C, OC);
      return;
    }
    this.scoped(() => {
      const g = this.input(dout, 0, N * OC);
      const x = this.input(inp, 0, N * C);
      const wt = this.input(weight, wOff, OC * C);
      const di = this.output(dinp, 0, N * C);
      const dw = this.output(dweight, wOff, OC * C);
      const db = this.output(dbias, bOff, OC);
      const parts = this.partsFor(N * C * OC);
      // dinp by rows of g; dweight and dbias (sums over all rows) by their own rows
      const rows = splitRange(N, 4, parts);
      const rowScratch = rows.map(([, n]) => this.reserve(8 * ((ceil4(n) + 1) * OC + OC * ceil4(C))));
      this.parallel('matmul_bwd_dinp_task', rows, (n0, n, part) => [di + 4 * n0 * C, g + 4 * n0 * OC, wt, n, C, OC, rowScratch[part]]);
      const outs = splitRange(OC, 4, parts);
      const outScratch = outs.map(() => this.reserve(8 * (ceil4(N) + 1) * (OC + C)));
      this.parallel('matmul_bwd_dw_task', outs, (o0, n, part) => [dw, db, g, x, N, C, OC, o0, n, outScratch[part]]);
      this.settle(dinp, 0, N * C, di);
      this.settle(dweight, wOff, OC * C, dw);
      this.settle(dbias, bOff, OC, db);
    });
  }

  layernormForward(out: FloatArray, mean: Float64Array, rstd: Float64Array, inp: FloatArray, weight: FloatArray, wOff: number, bias: FloatArray, bOff: number, N: number, C: number): void {
    lengthChecks.layernormForward(out, mean, rstd, inp, weight, wOff, bias, bOff, N, C);
    if (!allFloat32(out, inp, weight, bias)) {
      referenceKernels.layernormForward(out, mean, rstd, inp, weight, wOff, bias, bOff, N, C);
      return;
    }
    this.scoped(() => {
      const x = this.input(inp, 0, N * C);
      const w = this.input(weight, wOff, C);
      const b = this.input(bias, bOff, C);
      const o = this.output(out, 0, N * C);
      const m = this.output(mean, 0, N);
      const s = this.output(rstd, 0, N);
      this.parallel('ln_fwd', splitRange(N, 1, this.partsFor(4 * N * C)), (n0, n) => [o + 4 * n0 * C, m + 8 * n0, s + 8 * n0, x + 4 * n0 * C, w, b, n, C]);
      this.settle(out, 0, N * C, o);
      this.settle(mean, 0, N, m);
      this.settle(rstd, 0, N, s);
    });
  }

  layernormBackward(dinp: FloatArray, dweight: FloatArray, dbias: FloatArray, wOff: number, bOff: number, dout: FloatArray, inp: FloatArray, weight: FloatArray, mean: Float64Array, rstd: Float64Array, N: number, C: number): void {
    lengthChecks.layernormBackward(dinp, dweight, dbias, wOff, bOff, dout, inp, weight, mean, rstd, N, C);
    if (!allFloat32(dinp, dweight, dbias, dout, inp, weight)) {
      referenceKernels.layernormBackward(dinp, dweight, dbias, wOff, bOff, dout, inp, weight, mean, rstd, N, C);
      return;
    }
    this.scoped(() => {
      const g = this.input(dout, 0, N * C);
      const x = this.input(inp, 0, N * C);
      const w = this.input(weight, wOff, C);
      const m = this.input(mean, 0, N);
      const s = this.input(rstd, 0, N);
      const di = this.output(dinp, 0, N * C);
      const dw = this.output(dweight, wOff, C);
      const db = this.output(dbias, bOff, C);
      const parts = this.partsFor(4 * N * C);
      this.parallel('ln_bwd_dinp', splitRange(N, 1, parts), (n0, n) => [di + 4 * n0 * C, g + 4 * n0 * C, x + 4 * n0 * C, w, m + 8 * n0, s + 8 * n0, n, C]);
      // the weight and bias gradients sum over rows: split by columns instead
      this.parallel('ln_bwd_dw', splitRange(C, 1, parts), (c0, n) => [dw, db, g, x, m, s, N, C, c0, n]);
      this.settle(dinp, 0, N * C, di);
      this.settle(dweight, wOff, C, dw);
      this.settle(dbias, bOff, C, db);
    });
  }

  // RMSNorm (the gpt-rms architecture's) is O(N·C), small beside the matmuls around it: the reference's loops
  rmsnormForward = referenceKernels.rmsnormForward;
  rmsnormBackward = referenceKernels.rmsnormBackward;
  // one query at a time (decoding with a KV cache) is O(T·C) per layer, small beside the matmuls
  // of its row: the reference's loops, the full pass's code for that query (same bits)
  attentionForwardLast = referenceKernels.attentionForwardLast;

  attentionForward(out: FloatArray, att: Float64Array, qkv: FloatArray, B: number, T: number, C: number, NH: number): void {
    lengthChecks.attentionForward(out, att, qkv, B, T, C, NH);
    if (!allFloat32(out, qkv)) {
      referenceKernels.attentionForward(out, att, qkv, B, T, C, NH);
      return;
    }
    this.scoped(() => {
      const q = this.input(qkv, 0, B * T * 3 * C);
      const o = this.output(out, 0, B * T * C);
      const a = this.output(att, 0, B * NH * T * T);
      const ranges = splitRange(B, 1, this.partsFor(B * T * T * C));
      const scratch = ranges.map(() => this.attentionScratch(T, C, NH, false));
      this.parallel('attn_fwd', ranges, (b0, n, part) => [o + 4 * b0 * T * C, a + 8 * b0 * NH * T * T, q + 4 * b0 * T * 3 * C, n, T, C, NH, scratch[part]]);
      this.settle(out, 0, B * T * C, o);
      this.settle(att, 0, B * NH * T * T, a);
    });
  }

  attentionBackward(dqkv: FloatArray, dout: FloatArray, qkv: FloatArray, att: Float64Array, B: number, T: number, C: number, NH: number): void {
    lengthChecks.attentionBackward(dqkv, dout, qkv, att, B, T, C, NH);
    if (!allFloat32(dqkv, dout, qkv)) {
      referenceKernels.attentionBackward(dqkv, dout, qkv, att, B, T, C, NH);
      return;
    }
    this.scoped(() => {
      const q = this.input(qkv, 0, B * T * 3 * C);
      const g = this.input(dout, 0, B * T * C);
      const a = this.input(att, 0, B * NH * T * T);
      const d = this.output(dqkv, 0, B * T * 3 * C);
      const ranges = splitRange(B, 1, this.partsFor(B * T * T * C));
      const scratch = ranges.map(() => this.attentionScratch(T, C, NH, true));
      this.parallel('attn_bwd', ranges, (b0, n, part) => [d + 4 * b0 * T * 3 * C, g + 4 * b0 * T * C, q + 4 * b0 * T * 3 * C, a + 8 * b0 * NH * T * T, n, T, C, NH, scratch[part]]);
      this.settle(dqkv, 0, B * T * 3 * C, d);
    });
  }

  /** Scratch doubles of attn_fwd / attn_bwd (kernels.wat states the layout). */
  private attentionScratch(T: number, C: number, NH: number, backward: boolean): number {
    const hd = C / NH;
    const hdp = (hd + 1) & ~1;
    const Tp = (T + 1) & ~1;
    const doubles = 3 * T * hdp + 2 * hd * Tp + (backward ? 3 * T * hdp + 2 * Tp : Tp);
    return this.reserve(8 * doubles);
  }

  activationForward(kind: Activation, out: FloatArray, inp: FloatArray, n: number): void {
    lengthChecks.activationForward(kind, out, inp, n);
    const id = ACTIVATION_IDS[kind];
    if (id === undefined || !allFloat32(out, inp)) {
      referenceKernels.activationForward(kind, out, inp, n);
      return;
    }
    this.scoped(() => {
      const x = this.input(inp, 0, n);
      const o = this.output(out, 0, n);
      this.parallel('activation', splitRange(n, 2, this.partsFor(16 * n)), (i0, k) => [id, 0, o + 4 * i0, x + 4 * i0, x + 4 * i0, k]);
      this.settle(out, 0, n, o);
    });
  }

  activationBackward(kind: Activation, dinp: FloatArray, inp: FloatArray, dout: FloatArray, n: number): void {
    lengthChecks.activationBackward(kind, dinp, inp, dout, n);
    const id = ACTIVATION_IDS[kind];
    if (id === undefined || !allFloat32(dinp, inp, dout)) {
      referenceKernels.activationBackward(kind, dinp, inp, dout, n);
      return;
    }
    this.scoped(() => {
      const x = this.input(inp, 0, n);
      const g = this.input(dout, 0, n);
      const o = this.output(dinp, 0, n);
      this.parallel('activation', splitRange(n, 2, this.partsFor(16 * n)), (i0, k) => [id, 1, o + 4 * i0, x + 4 * i0, g + 4 * i0, k]);
      this.settle(dinp, 0, n, o);
    });
  }

  dropoutForward(out: FloatArray, inp: FloatArray, keep: Uint8Array, p: number, n: number): void {
    lengthChecks.dropoutForward(out, inp, keep, p, n);
    this.dropout(out, inp, keep, p, n, referenceKernels.dropoutForward);
  }

  dropoutBackward(dinp: FloatArray, dout: FloatArray, keep: Uint8Array, p: number, n: number): void {
    lengthChecks.dropoutBackward(dinp, dout, keep, p, n);
    this.dropout(dinp, dout, keep, p, n, referenceKernels.dropoutBackward);
  }

  /** out = x · (keep ? 1/(1−p) : 0), forward and backward alike. */
  private dropout(out: FloatArray, x: FloatArray, keep: Uint8Array, p: number, n: number, reference: Kernels['dropoutForward']): void {
    if (!allFloat32(out, x)) {
      reference(out, x, keep, p, n);
      return;
    }
    this.scoped(() => {
      const i = this.input(x, 0, n);
      const k = this.inputBytes(keep, n);
      const o = this.output(out, 0, n);
      const sp = this.reserve(8);
      new Float64Array(this.buffer, sp, 1)[0] = 1 / (1 - p);
      this.parallel('dropout', splitRange(n, 4, this.partsFor(n)), (i0, c) => [o + 4 * i0, i + 4 * i0, k + i0, c, sp]);
      this.settle(out, 0, n, o);
    });
  }

  findNonFinite(a: FloatArray, n: number): number {
    lengthChecks.findNonFinite(a, n);
    if (!allFloat32(a)) return referenceKernels.findNonFinite(a, n);
    return this.scoped(() => this.wasm.find_nonfinite(this.input(a, 0, n), n));
  }

  add(out: FloatArray, a: FloatArray, b: FloatArray, n: number): void {
    lengthChecks.add(out, a, b, n);
    if (!allFloat32(out, a, b)) {
      referenceKernels.add(out, a, b, n);
      return;
    }
    this.scoped(() => {
      const x = this.input(a, 0, n);
      const y = this.input(b, 0, n);
      const o = this.output(out, 0, n);
      this.parallel('add', splitRange(n, 4, this.partsFor(n)), (i0, k) => [o + 4 * i0, x + 4 * i0, y + 4 * i0, k]);
      this.settle(out, 0, n, o);
    });
  }

  crossEntropyForward(losses: Float64Array, probs: Float64Array, logits: FloatArray, targets: Int32Array, N: number, V: number): number {
    const counted = lengthChecks.crossEntropyForward(losses, probs, logits, targets, N, V);
    if (!allFloat32(logits)) return referenceKernels.crossEntropyForward(losses, probs, logits, targets, N, V);
    return this.scoped(() => {
      const z = this.input(logits, 0, N * V);
      const p = this.output(probs, 0, N * V);
      const st = this.reserve(16 * N);
      this.wasm.ce_fwd(p, z, N, V, st);
      this.settle(probs, 0, N * V, p);
      // the logarithms and the mean as reference.ts takes them (elementary.ts log, n ascending)
      const stats = new Float64Array(this.buffer, st, 2 * N);
      let total = 0;
      for (let n = 0; n < N; n++) {
        if (targets[n] === IGNORED_TARGET) {
          losses[n] = 0;
          continue;
        }
        const l = log(stats[2 * n + 1]) - (logits[n * V + targets[n]] - stats[2 * n]);
        losses[n] = canonicalNaN(l);
        total += l;
      }
      return canonicalNaN(total / counted);
    });
  }
  crossEntropyBackward = referenceKernels.crossEntropyBackward;
}
