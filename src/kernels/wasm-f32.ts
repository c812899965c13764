import { readFileSync } from 'node:fs';
import { lengthChecks } from './lengths.ts';
import { canonicalNaN } from './reference.ts';
import { crossEntropyLossF32, dropoutScaleF32, referenceF32Kernels } from './reference-f32.ts';
import { splitRange, WasmArena } from './wasm-arena.ts';
import { IGNORED_TARGET, type AdamCoefficients, type Activation, type Dtype, type FloatArray, type Kernels } from './types.ts';

/** The compiled kernels (src/kernels/wasm/kernels-f32.wat → kernels-f32.wasm), compiled once per process. */
let compiled: WebAssembly.Module | null = null;
function kernelsModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(new URL('./wasm/kernels-f32.wasm', import.meta.url)));
  return compiled;
}

interface Exports {
  mm_fwd(out: number, x: number, w: number, bias: number, N: number, C: number, OC: number, o0: number, cnt: number, wp: number): void;
  mm_bwd_dinp(dinp: number, g: number, w: number, N: number, C: number, OC: number): void;
  mm_bwd_dw(dw: number, db: number, g: number, x: number, N: number, C: number, OC: number, o0: number, cnt: number): void;
  ln_fwd(out: number, mean: number, rstd: number, inp: number, w: number, b: number, N: number, C: number): void;
  ln_bwd_dinp(dinp: number, dout: number, inp: number, w: number, mean: number, rstd: number, N: number, C: number): void;
  ln_bwd_dw(dw: number, db: number, dout: number, inp: number, mean: number, rstd: number, N: number, C: number, c0: number, cnt: number): void;
  attn_fwd(out: number, att: number, qkv: number, B: number, T: number, C: number, NH: number, scratch: number): void;
  attn_bwd(dqkv: number, dout: number, qkv: number, att: number, B: number, T: number, C: number, NH: number, scratch: number): void;
  activation(kind: number, backward: number, out: number, inp: number, dout: number, n: number): void;
  dropout(out: number, inp: number, keep: number, n: number, sp: number): void;
  add(out: number, a: number, b: number, n: number): void;
  adam(p: number, g: number, m: number, v: number, n: number, k: number): void;
  find_nonfinite(a: number, n: number): number;
  ce_fwd(probs: number, logits: number, N: number, V: number, stats: number): void;
  peak_madd(iters: number): number;
}

/** Activations with a WebAssembly kernel (ReLU, a comparison, stays in JavaScript). */
const ACTIVATION_IDS: Partial<Record<Activation, number>> = { gelu: 0, tanh: 1 };
/** The exports a kernel thread may run (wasm-worker.mjs receives the list). */
const THREADED: (keyof Exports)[] = ['mm_fwd', 'mm_bwd_dinp', 'mm_bwd_dw', 'ln_fwd', 'ln_bwd_dinp', 'ln_bwd_dw', 'attn_fwd', 'attn_bwd', 'activation', 'dropout', 'add', 'adam'];
/** Below this many multiply-adds a call stays on one thread: handing over costs microseconds. */
const SPLIT_WORK_MIN = 1 << 16;
/**
 * Matmuls are split into this many tasks per thread: threads claim them, so one that is slow to
 * start (a busy core) leaves its share to the others instead of holding the call up.
 */
const MATMUL_TASKS_PER_THREAD = 2;
const ceil8 = (n: number) => (n + 7) & ~7;
const ceil4 = (n: number) => (n + 3) & ~3;

/** The WebAssembly kernels store float32; other storage takes the reference kernels. */
const allFloat32 = (...arrays: FloatArray[]) => arrays.every((a) => a instanceof Float32Array);

/**
 * The fast kernels of the f32acc numeric mode, with its reference's bits (reference-f32.ts):
 * WebAssembly SIMD128 (f32x4, kernels-f32.wat) for the matmuls, layer norm, attention, GELU and
 * tanh, dropout, the residual add, Adam and the loss's softmax, split over threads by output
 * ranges; the reference kernels for the rest (embeddings, ReLU, the loss's gradient). The set
 * owns one shared WebAssembly memory (wasm-arena.ts): `alloc` places the model's tensors in it,
 * so the kernels work on them in place; an array from elsewhere is copied in and out per call.
 */
export class WasmF32Kernels implements Kernels {
  readonly mode = referenceF32Kernels.mode;
  private readonly arena: WasmArena<Exports>;
  private readonly wasm: Exports;

  /**
   * `threads`: how many threads a kernel call may use (this one and threads − 1 workers);
   * `splitWorkMin`: the smallest call (in multiply-adds) that is split (tests split every one).
   */
  constructor(threads = 1, splitWorkMin = SPLIT_WORK_MIN) {
    this.arena = new WasmArena<Exports>(kernelsModule(), THREADED, threads, splitWorkMin);
    this.wasm = this.arena.exports;
  }

  get threadCount(): number {
    return this.arena.threadsMax;
  }

  /**
   * GFLOP/s of register-resident f32x4 multiply-adds on this thread (timing; benchmarks only):
   * 12 independent chains of a multiply and an add, as a matmul's accumulators are.
   */
  peakGflops(): number {
    const iters = 1 << 24;
    this.wasm.peak_madd(iters >> 4); // warm-up: tier-up of the loop is not measured
    const t0 = performance.now(); // timing
    this.wasm.peak_madd(iters);
    return (iters * 12 * 4 * 2) / ((performance.now() - t0) / 1000) / 1e9; // timing
  }

  close(): void {
    this.arena.close();
  }

  alloc(dtype: Dtype, n: number): FloatArray {
    lengthChecks.alloc(dtype, n);
    return this.arena.alloc(dtype, n);
  }

  allocBytes(n: number): Uint8Array {
    lengthChecks.allocBytes(n);
    return this.arena.allocBytes(n);
  }

  encoderForward = referenceF32Kernels.encoderForward;
  encoderBackward = referenceF32Kernels.encoderBackward;
  crossEntropyBackward = referenceF32Kernels.crossEntropyBackward;

  matmulForward(out: FloatArray, inp: FloatArray, weight: FloatArray, wOff: number, bias: FloatArray, bOff: number, N: number, C: number, OC: number): void {
    lengthChecks.matmulForward(out, inp, weight, wOff, bias, bOff, N, C, OC);
    if (!allFloat32(out, inp, weight, bias)) return referenceF32Kernels.matmulForward(out, inp, weight, wOff, bias, bOff, N, C, OC);
    const a = this.arena;
    a.scoped(() => {
      const x = a.input(inp, 0, N * C);
      const w = a.input(weight, wOff, OC * C);
      const b = a.input(bias, bOff, OC);
      const o = a.output(out, 0, N * OC);
      // by columns of the output: each task packs only its own columns of the weight
      const ranges = splitRange(OC, 8, a.partsFor(N * C * OC, MATMUL_TASKS_PER_THREAD));
      const packed = ranges.map(([, cnt]) => a.reserve(4 * ceil8(cnt) * C));
      a.parallel('mm_fwd', ranges, (o0, cnt, part) => [o, x, w, b, N, C, OC, o0, cnt, packed[part]]);
      a.settle(out, 0, N * OC, o);
    });
  }

  matmulBackward(dinp: FloatArray, dweight: FloatArray, wOff: number, dbias: FloatArray, bOff: number, dout: FloatArray, inp: FloatArray, weight: FloatArray, N: number, C: number, OC: number): void {
    lengthChecks.matmulBackward(dinp, dweight, wOff, dbias, bOff, dout, inp, weight, N, C, OC);
    if (!allFloat32(dinp, dweight, dbias, dout, inp, weight)) return referenceF32Kernels.matmulBackward(dinp, dweight, wOff, dbias, bOff, dout, inp, weight, N, C, OC);
    const a = this.arena;
    a.scoped(() => {
      const g = a.input(dout, 0, N * OC);
      const x = a.input(inp, 0, N * C);
      const w = a.input(weight, wOff, OC * C);
      const di = a.output(dinp, 0, N * C);
      const dw = a.output(dweight, wOff, OC * C);
      const db = a.output(dbias, bOff, OC);
      const parts = a.partsFor(N * C * OC, MATMUL_TASKS_PER_THREAD);
      // dinp by rows of g; dweight and dbias (sums over all rows) by their own rows
      a.parallel('mm_bwd_dinp', splitRange(N, 4, parts), (n0, n) => [di + 4 * n0 * C, g + 4 * n0 * OC, w, n, C, OC]);
      a.parallel('mm_bwd_dw', splitRange(OC, 4, parts), (o0, cnt) => [dw, db, g, x, N, C, OC, o0, cnt]);
      a.settle(dinp, 0, N * C, di);
      a.settle(dweight, wOff, OC * C, dw);
      a.settle(dbias, bOff, OC, db);
    });
  }

  layernormForward(out: FloatArray, mean: Float64Array, rstd: Float64Array, inp: FloatArray, weight: FloatArray, wOff: number, bias: FloatArray, bOff: number, N: number, C: number): void {
    lengthChecks.layernormForward(out, mean, rstd, inp, weight, wOff, bias, bOff, N, C);
    if (!allFloat32(out, inp, weight, bias)) return referenceF32Kernels.layernormForward(out, mean, rstd, inp, weight, wOff, bias, bOff, N, C);
    const a = this.arena;
    a.scoped(() => {
      const x = a.input(inp, 0, N * C);
      const w = a.input(weight, wOff, C);
      const b = a.input(bias, bOff, C);
      const o = a.output(out, 0, N * C);
      const m = a.output(mean, 0, N);
      const s = a.output(rstd, 0, N);
      a.parallel('ln_fwd', splitRange(N, 1, a.partsFor(4 * N * C)), (n0, n) => [o + 4 * n0 * C, m + 8 * n0, s + 8 * n0, x + 4 * n0 * C, w, b, n, C]);
      a.settle(out, 0, N * C, o);
      a.settle(mean, 0, N, m);
      a.settle(rstd, 0, N, s);
    });
  }

  layernormBackward(dinp: FloatArray, dweight: FloatArray, dbias: FloatArray, wOff: number, bOff: number, dout: FloatArray, inp: FloatArray, weight: FloatArray, mean: Float64Array, rstd: Float64Array, N: number, C: number): void {
    lengthChecks.layernormBackward(dinp, dweight, dbias, wOff, bOff, dout, inp, weight, mean, rstd, N, C);
    if (!allFloat32(dinp, dweight, dbias, dout, inp, weight)) return referenceF32Kernels.layernormBackward(dinp, dweight, dbias, wOff, bOff, dout, inp, weight, mean, rstd, N, C);
    const a = this.arena;
    a.scoped(() => {
      const g = a.input(dout, 0, N * C);
      const x = a.input(inp, 0, N * C);
      const w = a.input(weight, wOff, C);
      const m = a.input(mean, 0, N);
      const s = a.input(rstd, 0, N);
      const di = a.output(dinp, 0, N * C);
      const dw = a.output(dweight, wOff, C);
      const db = a.output(dbias, bOff, C);
      const parts = a.partsFor(4 * N * C);
      a.parallel('ln_bwd_dinp', splitRange(N, 1, parts), (n0, n) => [di + 4 * n0 * C, g + 4 * n0 * C, x + 4 * n0 * C, w, m + 8 * n0, s + 8 * n0, n, C]);
      // the weight and bias gradients sum over rows: split by columns instead
      a.parallel('ln_bwd_dw', splitRange(C, 4, parts), (c0, n) => [dw, db, g, x, m, s, N, C, c0, n]);
      a.settle(dinp, 0, N * C, di);
      a.settle(dweight, wOff, C, dw);
      a.settle(dbias, bOff, C, db);
    });
  }

  // RMSNorm (gpt-rms) runs in TypeScript: the reference's loops, so its bits are the reference's
  rmsnormForward = referenceF32Kernels.rmsnormForward;
  rmsnormBackward = referenceF32Kernels.rmsnormBackward;
  // one query at a time (decoding with a KV cache) is O(T·C) per layer, small beside the matmuls
  // of its row: the reference's loops, the full pass's code for that query (same bits)
  attentionForwardLast = referenceF32Kernels.attentionForwardLast;

  attentionForward(out: FloatArray, att: Float64Array, qkv: FloatArray, B: number, T: number, C: number, NH: number): void {
    lengthChecks.attentionForward(out, att, qkv, B, T, C, NH);
    if (!allFloat32(out, qkv)) return referenceF32Kernels.attentionForward(out, att, qkv, B, T, C, NH);
    const a = this.arena;
    a.scoped(() => {
      const q = a.input(qkv, 0, B * T * 3 * C);
      const o = a.output(out, 0, B * T * C);
      const p = a.output(att, 0, B * NH * T * T);
      const ranges = splitRange(B, 1, a.partsFor(B * T * T * C));
      const scratch = ranges.map(() => this.attentionScratch(T, C, NH, false));
      a.parallel('attn_fwd', ranges, (b0, n, part) => [o + 4 * b0 * T * C, p + 8 * b0 * NH * T * T, q + 4 * b0 * T * 3 * C, n, T, C, NH, scratch[part]]);
      a.settle(out, 0, B * T * C, o);
      a.settle(att, 0, B * NH * T * T, p);
    });
  }

  attentionBackward(dqkv: FloatArray, dout: FloatArray, qkv: FloatArray, att: Float64Array, B: number, T: number, C: number, NH: number): void {
    lengthChecks.attentionBackward(dqkv, dout, qkv, att, B, T, C, NH);
    if (!allFloat32(dqkv, dout, qkv)) return referenceF32Kernels.attentionBackward(dqkv, dout, qkv, att, B, T, C, NH);
    const a = this.arena;
    a.scoped(() => {
      const q = a.input(qkv, 0, B * T * 3 * C);
      const g = a.input(dout, 0, B * T * C);
      const p = a.input(att, 0, B * NH * T * T);
      const d = a.output(dqkv, 0, B * T * 3 * C);
      const ranges = splitRange(B, 1, a.partsFor(B * T * T * C));
      const scratch = ranges.map(() => this.attentionScratch(T, C, NH, true));
      a.parallel('attn_bwd', ranges, (b0, n, part) => [d + 4 * b0 * T * 3 * C, g + 4 * b0 * T * C, q + 4 * b0 * T * 3 * C, p + 8 * b0 * NH * T * T, n, T, C, NH, scratch[part]]);
      a.settle(dqkv, 0, B * T * 3 * C, d);
    });
  }

  /** Scratch floats of attn_fwd / attn_bwd (kernels-f32.wat states the layout). */
  private attentionScratch(T: number, C: number, NH: number, backward: boolean): number {
    const hd = C / NH;
    const hd4 = ceil4(hd);
    const T4 = ceil4(T);
    const floats = 3 * T * hd4 + 2 * hd * T4 + (backward ? 3 * T * hd4 + 3 * T4 + hd4 : T4);
    return this.arena.reserve(4 * floats);
  }

  activationForward(kind: Activation, out: FloatArray, inp: FloatArray, n: number): void {
    lengthChecks.activationForward(kind, out, inp, n);
    const id = ACTIVATION_IDS[kind];
    if (id === undefined || !allFloat32(out, inp)) return referenceF32Kernels.activationForward(kind, out, inp, n);
    const a = this.arena;
    a.scoped(() => {
      const x = a.input(inp, 0, n);
      const o = a.output(out, 0, n);
      a.parallel('activation', splitRange(n, 4, a.partsFor(16 * n)), (i0, k) => [id, 0, o + 4 * i0, x + 4 * i0, x + 4 * i0, k]);
      a.settle(out, 0, n, o);
    });
  }

  activationBackward(kind: Activation, dinp: FloatArray, inp: FloatArray, dout: FloatArray, n: number): void {
    lengthChecks.activationBackward(kind, dinp, inp, dout, n);
    const id = ACTIVATION_IDS[kind];
    if (id === undefined || !allFloat32(dinp, inp, dout)) return referenceF32Kernels.activationBackward(kind, dinp, inp, dout, n);
    const a = this.arena;
    a.scoped(() => {
      const x = a.input(inp, 0, n);
      const g = a.input(dout, 0, n);
      const o = a.output(dinp, 0, n);
      a.parallel('activation', splitRange(n, 4, a.partsFor(16 * n)), (i0, k) => [id, 1, o + 4 * i0, x + 4 * i0, g + 4 * i0, k]);
      a.settle(dinp, 0, n, o);
    });
  }

  dropoutForward(out: FloatArray, inp: FloatArray, keep: Uint8Array, p: number, n: number): void {
    lengthChecks.dropoutForward(out, inp, keep, p, n);
    if (!allFloat32(out, inp)) return referenceF32Kernels.dropoutForward(out, inp, keep, p, n);
    this.dropout(out, inp, keep, p, n);
  }

  dropoutBackward(dinp: FloatArray, dout: FloatArray, keep: Uint8Array, p: number, n: number): void {
    lengthChecks.dropoutBackward(dinp, dout, keep, p, n);
    if (!allFloat32(dinp, dout)) return referenceF32Kernels.dropoutBackward(dinp, dout, keep, p, n);
    this.dropout(dinp, dout, keep, p, n);
  }

  /** out = x · (keep ? 1/(1−p) : 0), forward and backward alike. */
  private dropout(out: FloatArray, x: FloatArray, keep: Uint8Array, p: number, n: number): void {
    const a = this.arena;
    a.scoped(() => {
      const i = a.input(x, 0, n);
      const k = a.input(keep, 0, n);
      const o = a.output(out, 0, n);
      const sp = a.reserve(4);
      new Float32Array(a.buffer, sp, 1)[0] = dropoutScaleF32(p);
      a.parallel('dropout', splitRange(n, 4, a.partsFor(n)), (i0, c) => [o + 4 * i0, i + 4 * i0, k + i0, c, sp]);
      a.settle(out, 0, n, o);
    });
  }

  add(out: FloatArray, x: FloatArray, y: FloatArray, n: number): void {
    lengthChecks.add(out, x, y, n);
    if (!allFloat32(out, x, y)) return referenceF32Kernels.add(out, x, y, n);
    const a = this.arena;
    a.scoped(() => {
      const px = a.input(x, 0, n);
      const py = a.input(y, 0, n);
      const o = a.output(out, 0, n);
      a.parallel('add', splitRange(n, 4, a.partsFor(n)), (i0, k) => [o + 4 * i0, px + 4 * i0, py + 4 * i0, k]);
      a.settle(out, 0, n, o);
    });
  }

  adamUpdate(params: FloatArray, grads: FloatArray, m: FloatArray, v: FloatArray, n: number, k: AdamCoefficients): void {
    lengthChecks.adamUpdate(params, grads, m, v, n, k);
    if (!allFloat32(params, grads, m, v)) return referenceF32Kernels.adamUpdate(params, grads, m, v, n, k);
    const a = this.arena;
    a.scoped(() => {
      const pp = a.input(params, 0, n);
      const g = a.input(grads, 0, n);
      const mm = a.input(m, 0, n);
      const vv = a.input(v, 0, n);
      const kp = a.reserve(40);
      new Float32Array(a.buffer, kp, 9).set([k.beta1, k.beta2, k.oneMinusBeta1, k.oneMinusBeta2, k.eps, k.stepSize, k.bc2Sqrt, k.l2, k.decay]);
      new Int32Array(a.buffer, kp + 36, 1)[0] = k.decoupled ? 1 : 0;
      a.parallel('adam', splitRange(n, 4, a.partsFor(4 * n)), (i0, c) => [pp + 4 * i0, g + 4 * i0, mm + 4 * i0, vv + 4 * i0, c, kp]);
      // in place: inputs that came from elsewhere are outputs too
      a.settle(params, 0, n, pp);
      a.settle(m, 0, n, mm);
      a.settle(v, 0, n, vv);
    });
  }

  findNonFinite(x: FloatArray, n: number): number {
    lengthChecks.findNonFinite(x, n);
    if (!allFloat32(x)) return referenceF32Kernels.findNonFinite(x, n);
    return this.arena.scoped(() => this.wasm.find_nonfinite(this.arena.input(x, 0, n), n));
  }

  crossEntropyForward(losses: Float64Array, probs: Float64Array, logits: FloatArray, targets: Int32Array, N: number, V: number): number {
    const counted = lengthChecks.crossEntropyForward(losses, probs, logits, targets, N, V);
    if (!allFloat32(logits)) return referenceF32Kernels.crossEntropyForward(losses, probs, logits, targets, N, V);
    const a = this.arena;
    return a.scoped(() => {
      const z = a.input(logits, 0, N * V);
      const p = a.output(probs, 0, N * V);
      const st = a.reserve(8 * N);
      this.wasm.ce_fwd(p, z, N, V, st);
      a.settle(probs, 0, N * V, p);
      // the logarithms and the mean as reference-f32.ts takes them (logF32, n ascending)
      const stats = new Float32Array(a.buffer, st, 2 * N);
      let total = 0;
      for (let n = 0; n < N; n++) {
        if (targets[n] === IGNORED_TARGET) {
          losses[n] = 0;
          continue;
        }
        const l = crossEntropyLossF32(stats[2 * n + 1], logits[n * V + targets[n]], stats[2 * n]);
        losses[n] = canonicalNaN(l);
        total = Math.fround(total + l);
      }
      return canonicalNaN(Math.fround(total / counted));
    });
  }
}
