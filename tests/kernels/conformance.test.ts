// Every kernel of every registered kernel set against the reference kernels, bit for bit: random
// shapes (sizes that fill no lane or block, and sizes that do), random values mixed with zeros,
// ±0, subnormals, the largest floats, infinities and NaN; operands both in the set's own memory
// (its `alloc`) and from elsewhere.
import { describe, expect, it } from 'vitest';
import { kernelsFor, KERNEL_IMPLEMENTATIONS, numericModes, referenceKernelsOf } from '../../src/kernels/registry.ts';
import { referenceKernels } from '../../src/kernels/reference.ts';
import { referenceF32Kernels } from '../../src/kernels/reference-f32.ts';
import { WasmKernels } from '../../src/kernels/wasm.ts';
import { WasmF32Kernels } from '../../src/kernels/wasm-f32.ts';
import { IGNORED_TARGET, type Activation, type Kernels } from '../../src/kernels/types.ts';
import { keyedStream, type KeyedStream } from '../../src/rng/keyed.ts';

const SPECIALS = [0, -0, 1, -1, Infinity, -Infinity, NaN, 1e-45, -1e-45, 1e-40, 3.4028234663852886e38, -3.4028234663852886e38];

/** Random floats, a share of them special values. */
function values(r: KeyedStream, n: number, specials: number): number[] {
  return Array.from({ length: n }, () => (r.uniform() < specials ? SPECIALS[r.int(SPECIALS.length)] : (r.uniform() - 0.5) * 6));
}

type Arrays = Record<string, Float32Array | Float64Array | Int32Array | Uint8Array>;
interface Case {
  name: string;
  /** inputs and zeroed outputs; `where` allocates the float32 ones */
  make(r: KeyedStream, f32: (v: number[]) => Float32Array, f64: (n: number) => Float64Array, u8: (v: number[]) => Uint8Array): { arrays: Arrays; run(k: Kernels): number | void; outputs: string[] };
}

function shape(r: KeyedStream, max: number): number {
  // 1, 2, 3, 4, 5 and 7 often (lane and block edges), else anything up to max
  const edge = [1, 2, 3, 4, 5, 7, 8, 9];
  return r.uniform() < 0.5 ? edge[r.int(edge.length)] : 1 + r.int(max);
}

const CASES: Case[] = [
  {
    name: 'matmulForward',
    make(r, f32) {
      const [N, C, OC] = [shape(r, 40), shape(r, 70), shape(r, 70)];
      const wOff = r.int(3);
      const bOff = r.int(3);
      const a = { out: f32(new Array(N * OC).fill(0)), inp: f32(values(r, N * C, 0.1)), weight: f32(values(r, OC * C + wOff, 0.1)), bias: f32(values(r, OC + bOff, 0.1)) };
      return { arrays: a, outputs: ['out'], run: (k) => k.matmulForward(a.out, a.inp, a.weight, wOff, a.bias, bOff, N, C, OC) };
    },
  },
  {
    name: 'matmulBackward',
    make(r, f32) {
      const [N, C, OC] = [shape(r, 40), shape(r, 70), shape(r, 70)];
      const wOff = r.int(3);
      const bOff = r.int(3);
      const a = {
        dinp: f32(new Array(N * C).fill(0)), dweight: f32(new Array(OC * C + wOff).fill(0)), dbias: f32(new Array(OC + bOff).fill(0)),
        dout: f32(values(r, N * OC, 0.1)), inp: f32(values(r, N * C, 0.1)), weight: f32(values(r, OC * C + wOff, 0.1)),
      };
      return { arrays: a, outputs: ['dinp', 'dweight', 'dbias'], run: (k) => k.matmulBackward(a.dinp, a.dweight, wOff, a.dbias, bOff, a.dout, a.inp, a.weight, N, C, OC) };
    },
  },
  {
    name: 'encoder forward and backward',
    make(r, f32) {
      const [B, T, C, V] = [shape(r, 4), shape(r, 9), shape(r, 20), shape(r, 12)];
      const idx = Int32Array.from({ length: B * T }, () => r.int(V));
      const a = { out: f32(new Array(B * T * C).fill(0)), wte: f32(values(r, V * C, 0.1)), wpe: f32(values(r, T * C, 0.1)), dwte: f32(new Array(V * C).fill(0)), dwpe: f32(new Array(T * C).fill(0)), dout: f32(values(r, B * T * C, 0.1)) };
      return { arrays: a, outputs: ['out', 'dwte', 'dwpe'], run: (k) => { k.encoderForward(a.out, idx, a.wte, a.wpe, B, T, C); k.encoderBackward(a.dwte, a.dwpe, a.dout, idx, B, T, C); } };
    },
  },
  {
    name: 'layernorm forward and backward',
    make(r, f32, f64) {
      const [N, C] = [shape(r, 20), shape(r, 40)];
      const a = {
        out: f32(new Array(N * C).fill(0)), mean: f64(N), rstd: f64(N), inp: f32(values(r, N * C, 0.05)), weight: f32(values(r, C, 0.05)), bias: f32(values(r, C, 0.05)),
        dinp: f32(new Array(N * C).fill(0)), dweight: f32(new Array(C).fill(0)), dbias: f32(new Array(C).fill(0)), dout: f32(values(r, N * C, 0.05)),
      };
      return {
        arrays: a, outputs: ['out', 'mean', 'rstd', 'dinp', 'dweight', 'dbias'],
        run: (k) => { k.layernormForward(a.out, a.mean, a.rstd, a.inp, a.weight, 0, a.bias, 0, N, C); k.layernormBackward(a.dinp, a.dweight, a.dbias, 0, 0, a.dout, a.inp, a.weight, a.mean, a.rstd, N, C); },
      };
    },
  },
  {
    name: 'rmsnorm forward and backward',
    make(r, f32, f64) {
      const [N, C] = [shape(r, 20), shape(r, 40)];
      const wOff = r.int(3);
      const a = {
        out: f32(new Array(N * C).fill(0)), rstd: f64(N), inp: f32(values(r, N * C, 0.05)), weight: f32(values(r, wOff + C, 0.05)),
        dinp: f32(new Array(N * C).fill(0)), dweight: f32(new Array(wOff + C).fill(0)), dout: f32(values(r, N * C, 0.05)),
      };
      return {
        arrays: a, outputs: ['out', 'rstd', 'dinp', 'dweight'],
        run: (k) => { k.rmsnormForward(a.out, a.rstd, a.inp, a.weight, wOff, N, C); k.rmsnormBackward(a.dinp, a.dweight, wOff, a.dout, a.inp, a.weight, a.rstd, N, C); },
      };
    },
  },
  {
    name: 'attention forward and backward',
    make(r, f32, f64) {
      const NH = 1 + r.int(4);
      const hd = shape(r, 9);
      const [B, T, C] = [shape(r, 3), shape(r, 9), NH * hd];
      const a = {
        out: f32(new Array(B * T * C).fill(0)), att: f64(B * NH * T * T), qkv: f32(values(r, B * T * 3 * C, 0.05)),
        dqkv: f32(new Array(B * T * 3 * C).fill(0)), dout: f32(values(r, B * T * C, 0.05)),
      };
      return { arrays: a, outputs: ['out', 'att', 'dqkv'], run: (k) => { k.attentionForward(a.out, a.att, a.qkv, B, T, C, NH); k.attentionBackward(a.dqkv, a.dout, a.qkv, a.att, B, T, C, NH); } };
    },
  },
  {
    name: 'attention forward of the last position (decoding)',
    make(r, f32, f64) {
      const NH = 1 + r.int(4);
      const hd = shape(r, 9);
      const [T, C] = [shape(r, 9), NH * hd];
      const a = { out: f32(new Array(C).fill(0)), att: f64(NH * T), qkv: f32(values(r, T * 3 * C, 0.05)) };
      return { arrays: a, outputs: ['out', 'att'], run: (k) => k.attentionForwardLast(a.out, a.att, a.qkv, T, C, NH) };
    },
  },
  ...(['gelu', 'relu', 'tanh'] as Activation[]).map((kind): Case => ({
    name: `activation ${kind}`,
    make(r, f32) {
      const n = shape(r, 300);
      const a = { out: f32(new Array(n).fill(0)), inp: f32(values(r, n, 0.2)), dinp: f32(new Array(n).fill(0)), dout: f32(values(r, n, 0.2)) };
      return { arrays: a, outputs: ['out', 'dinp'], run: (k) => { k.activationForward(kind, a.out, a.inp, n); k.activationBackward(kind, a.dinp, a.inp, a.dout, n); } };
    },
  })),
  {
    name: 'dropout and add',
    make(r, f32, f64, u8) {
      const n = shape(r, 300);
      const p = [0.1, 0.5, 0.37, 1e-9][r.int(4)];
      const keep = u8(Array.from({ length: n }, () => (r.uniform() < 0.9 ? 1 : 0)));
      const a = { out: f32(new Array(n).fill(0)), inp: f32(values(r, n, 0.2)), dinp: f32(new Array(n).fill(0)), dout: f32(values(r, n, 0.2)), sum: f32(new Array(n).fill(0)) };
      return { arrays: a, outputs: ['out', 'dinp', 'sum'], run: (k) => { k.dropoutForward(a.out, a.inp, keep, p, n); k.dropoutBackward(a.dinp, a.dout, keep, p, n); k.add(a.sum, a.inp, a.dout, n); } };
    },
  },
  {
    name: 'findNonFinite',
    make(r, f32) {
      const n = shape(r, 300);
      // finite values only, or a few infinities and NaNs among them
      const a = { x: f32(values(r, n, r.uniform() < 0.3 ? 0 : 0.02)), at: new Int32Array(1) };
      return { arrays: a, outputs: ['at'], run: (k) => { a.at[0] = k.findNonFinite(a.x, n); } };
    },
  },
  ...[false, true].map((decoupled): Case => ({
    name: `${decoupled ? 'adamw' : 'adam'} update`,
    make(r, f32) {
      const n = shape(r, 300);
      const t = 1 + r.int(5);
      const lr = 10 ** -(1 + r.int(3));
      const wd = r.uniform() < 0.5 ? 0 : 0.1;
      const k = {
        beta1: 0.9, beta2: 0.999, oneMinusBeta1: 1 - 0.9, oneMinusBeta2: 1 - 0.999, eps: 1e-8,
        stepSize: lr / (1 - 0.9 ** t), bc2Sqrt: Math.sqrt(1 - 0.999 ** t), l2: decoupled ? 0 : wd, decay: 1 - lr * wd, decoupled,
      };
      const a = { params: f32(values(r, n, 0.1)), grads: f32(values(r, n, 0.1)), m: f32(values(r, n, 0.05)), v: f32(values(r, n, 0.05).map(Math.abs)) };
      return { arrays: a, outputs: ['params', 'm', 'v'], run: (kk) => kk.adamUpdate(a.params, a.grads, a.m, a.v, n, k) };
    },
  })),
  {
    name: 'cross-entropy forward and backward',
    make(r, f32, f64) {
      const [N, V] = [shape(r, 20), shape(r, 70)];
      const targets = Int32Array.from({ length: N }, () => r.int(V));
      const a = { losses: f64(N), probs: f64(N * V), logits: f32(values(r, N * V, 0.05)), dlogits: f32(new Array(N * V).fill(0)), mean: f64(1) };
      return { arrays: a, outputs: ['losses', 'probs', 'dlogits', 'mean'], run: (k) => { a.mean[0] = k.crossEntropyForward(a.losses, a.probs, a.logits, targets, N, V) as number; k.crossEntropyBackward(a.dlogits, a.probs, targets, N, V); } };
    },
  },
  {
    // a loss mask: some targets ignored (PyTorch's ignore_index), one counted at least
    name: 'cross-entropy with ignored targets',
    make(r, f32, f64) {
      const [N, V] = [shape(r, 20), shape(r, 70)];
      const counted = r.int(N);
      const targets = Int32Array.from({ length: N }, (_, n) => (n === counted || r.uniform() < 0.4 ? r.int(V) : IGNORED_TARGET));
      const a = { losses: f64(N), probs: f64(N * V), logits: f32(values(r, N * V, 0.05)), dlogits: f32(new Array(N * V).fill(0.5)), mean: f64(1) };
      return { arrays: a, outputs: ['losses', 'probs', 'dlogits', 'mean'], run: (k) => { a.mean[0] = k.crossEntropyForward(a.losses, a.probs, a.logits, targets, N, V) as number; k.crossEntropyBackward(a.dlogits, a.probs, targets, N, V); } };
    },
  },
];

function bytes(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer as ArrayBuffer, a.byteOffset, a.byteLength);
}

/** Runs a case on a kernel set; `own`: operands in the set's memory (its alloc), else plain arrays. */
function runCase(c: Case, seed: number, k: Kernels, own: boolean): Record<string, Buffer> {
  const r = keyedStream(seed, 'test/conformance', c.name);
  const f32 = (v: number[]) => {
    const a = own ? (k.alloc('float32', v.length) as Float32Array) : new Float32Array(v.length);
    a.set(v);
    return a;
  };
  const f64 = (n: number) => (own ? (k.alloc('float64', n) as Float64Array) : new Float64Array(n));
  const u8 = (v: number[]) => {
    const a = own ? k.allocBytes(v.length) : new Uint8Array(v.length);
    a.set(v);
    return a;
  };
  const { arrays, run, outputs } = c.make(r, f32, f64, u8);
  run(k);
  return Object.fromEntries(outputs.map((o) => [o, Buffer.from(bytes(arrays[o]))]));
}

describe('kernel sets reproduce their numeric mode\'s reference kernels bit for bit', () => {
  const sets: { mode: string; impl: string; make: () => Kernels }[] = numericModes().flatMap((mode) =>
    KERNEL_IMPLEMENTATIONS.filter((i) => i !== 'reference').map((impl) => ({ mode, impl, make: () => kernelsFor(mode, impl, 1) })));
  // and split over threads, every call however small: each part computes its own outputs
  sets.push({ mode: referenceKernels.mode, impl: 'fast, 3 threads', make: () => new WasmKernels(3, 0) });
  sets.push({ mode: referenceF32Kernels.mode, impl: 'fast, 3 threads', make: () => new WasmF32Kernels(3, 0) });
  it('the registry has a fast set for each numeric mode, and each mode its own reference', () => {
    expect(numericModes()).toEqual([referenceKernels.mode, referenceF32Kernels.mode]);
    expect(sets.map((s) => s.make().mode)).toEqual([referenceKernels.mode, referenceF32Kernels.mode, referenceKernels.mode, referenceF32Kernels.mode]);
    expect(referenceKernelsOf(referenceF32Kernels.mode)).toBe(referenceF32Kernels);
  });
  for (const { mode, impl, make } of sets) {
    for (const c of CASES) {
      it(`${mode} ${impl}: ${c.name}`, () => {
        const k = make();
        const reference = referenceKernelsOf(mode);
        for (let seed = 1; seed <= 40; seed++) {
          const expected = runCase(c, seed, reference, false);
          for (const own of [true, false]) {
            const actual = runCase(c, seed, k, own);
            for (const name of Object.keys(expected)) {
              if (!actual[name].equals(expected[name])) {
                const e = new Float32Array(expected[name].buffer, expected[name].byteOffset, expected[name].byteLength / 4);
                const a = new Float32Array(actual[name].buffer, actual[name].byteOffset, actual[name].byteLength / 4);
                const i = e.findIndex((x, j) => !Object.is(x, a[j]) || new Uint32Array(e.buffer, e.byteOffset)[j] !== new Uint32Array(a.buffer, a.byteOffset)[j]);
                expect.fail(`${c.name} seed ${seed} (${own ? 'own memory' : 'plain arrays'}): ${name} differs first at element ${i}: reference ${e[i]}, ${impl} ${a[i]}`);
              }
            }
          }
        }
      });
    }
  }
  // decoding with a KV cache runs one query over the cached rows: it must be the full pass's row
  // for that position, every bit, at every position (a reduction order that depended on T or on
  // the cache's length would show here)
  for (const { mode, impl, make } of [...numericModes().map((mode) => ({ mode, impl: 'reference', make: () => referenceKernelsOf(mode) })), ...sets]) {
    it(`${mode} ${impl}: attentionForwardLast is attentionForward's row at every position`, () => {
      const k = make();
      for (let seed = 1; seed <= 20; seed++) {
        const r = keyedStream(seed, 'test/conformance', 'attention last');
        const NH = 1 + r.int(4);
        const hd = shape(r, 9);
        const [T, C] = [1 + shape(r, 12), NH * hd];
        const qkv = k.alloc('float32', T * 3 * C);
        qkv.set(values(r, T * 3 * C, seed % 2 ? 0.05 : 0));
        const out = k.alloc('float32', T * C);
        const att = k.alloc('float64', NH * T * T) as Float64Array;
        k.attentionForward(out, att, qkv, 1, T, C, NH);
        for (let t = 0; t < T; t++) {
          const rowOut = k.alloc('float32', C);
          const rowAtt = k.alloc('float64', NH * (t + 1)) as Float64Array;
          k.attentionForwardLast(rowOut, rowAtt, qkv.subarray(0, (t + 1) * 3 * C), t + 1, C, NH);
          const full = Buffer.from(bytes(out.subarray(t * C, (t + 1) * C)));
          expect(Buffer.from(bytes(rowOut)).equals(full), `seed ${seed}, position ${t}: out`).toBe(true);
          for (let h = 0; h < NH; h++) {
            const fullAtt = att.subarray((h * T + t) * T, (h * T + t) * T + t + 1);
            expect(Buffer.from(bytes(rowAtt.subarray(h * (t + 1), (h + 1) * (t + 1)))).equals(Buffer.from(bytes(fullAtt))), `seed ${seed}, position ${t}, head ${h}: att`).toBe(true);
          }
        }
      }
    });
  }
  it('an unknown numeric mode is a clear error', () => {
    expect(() => kernelsFor('float16-maybe')).toThrow(/numeric mode "float16-maybe" is not one this weft knows \(reference-f64acc-v1, reference-f32acc-v1\)/);
  });
});

// PyTorch's values at NaN, ±0 and ±Inf (torch 1.13, CPU, float32: torch.relu, torch.tanh,
// nn.GELU(approximate='tanh'), forward and the gradient for each dout), with every NaN the
// canonical quiet NaN. ReLU keeps NaN and −0 (as clamp_min(x, 0)), and its gradient passes dout
// where the input is > 0 or NaN (threshold_backward: 0 where relu(x) ≤ 0). Normal inputs of tanh
// and GELU round differently in PyTorch (float32 arithmetic) and are left to the tests above.
const TORCH_X = [NaN, 0, -0, Infinity, -Infinity, 2, -2];
const TORCH_DOUT = [3, NaN, -0, -Infinity];
const TORCH_ACTIVATIONS: Record<Activation, { n: number; forward: number[]; backward: number[][] }> = {
  relu: {
    n: 7,
    forward: [NaN, 0, -0, Infinity, 0, 2, 0],
    backward: [[3, 0, 0, 3, 0, 3, 0], [NaN, 0, 0, NaN, 0, NaN, 0], [-0, 0, 0, -0, 0, -0, 0], [-Infinity, 0, 0, -Infinity, 0, -Infinity, 0]],
  },
  tanh: {
    n: 5,
    forward: [NaN, 0, -0, 1, -1],
    backward: [[NaN, 3, 3, 0, 0], [NaN, NaN, NaN, NaN, NaN], [NaN, -0, -0, -0, -0], [NaN, -Infinity, -Infinity, NaN, NaN]],
  },
  gelu: {
    n: 5,
    forward: [NaN, 0, -0, Infinity, NaN],
    backward: [[NaN, 1.5, 1.5, NaN, NaN], [NaN, NaN, NaN, NaN, NaN], [NaN, -0, -0, NaN, NaN], [NaN, -Infinity, -Infinity, NaN, NaN]],
  },
};

/** The bits a kernel must store for v: the canonical quiet NaN for every NaN. */
function storedBits(v: number, dtype: 'float32' | 'float64'): string {
  if (Number.isNaN(v)) return dtype === 'float32' ? '7fc00000' : '7ff8000000000000';
  const a = dtype === 'float32' ? Float32Array.of(v) : Float64Array.of(v);
  return Buffer.from(a.buffer).reverse().toString('hex');
}
const bitsOf = (a: Float32Array | Float64Array) => Array.from(a, (_, i) => Buffer.from(a.buffer, a.byteOffset + i * a.BYTES_PER_ELEMENT, a.BYTES_PER_ELEMENT).reverse().toString('hex'));

describe('kernel sets give PyTorch\'s values at NaN, ±0 and ±Inf, bit for bit', () => {
  const sets: { name: string; make: () => Kernels }[] = [
    { name: 'reference', make: () => referenceKernels },
    { name: 'fast', make: () => new WasmKernels(1) },
    { name: 'fast, 3 threads', make: () => new WasmKernels(3, 0) },
  ];
  /** `reps` copies of v (lanes and the scalar tail both see every value), in k's memory or not. */
  const tiled = (k: Kernels, dtype: 'float32' | 'float64', v: number[], reps: number, own: boolean) => {
    const all = Array.from({ length: reps }, () => v).flat();
    const a = own ? k.alloc(dtype, all.length) : dtype === 'float32' ? new Float32Array(all.length) : new Float64Array(all.length);
    a.set(all);
    return a;
  };
  for (const { name, make } of sets) {
    for (const kind of ['relu', 'tanh', 'gelu'] as Activation[]) {
      it(`${name}: ${kind} forward and backward`, () => {
        const k = make();
        const t = TORCH_ACTIVATIONS[kind];
        const x = TORCH_X.slice(0, t.n);
        for (const dtype of ['float32', 'float64'] as const) {
          for (const own of [true, false]) {
            const reps = 3;
            const inp = tiled(k, dtype, x, reps, own);
            const out = tiled(k, dtype, new Array(t.n).fill(0.5), reps, own);
            k.activationForward(kind, out, inp, inp.length);
            const where = `${kind} ${dtype} ${own ? 'own memory' : 'plain arrays'}, x = ${x.join(', ')}`;
            expect(bitsOf(out), `forward, ${where}`).toEqual(Array.from({ length: reps }, () => t.forward).flat().map((v) => storedBits(v, dtype)));
            TORCH_DOUT.forEach((d, j) => {
              const dout = tiled(k, dtype, new Array(t.n).fill(d), reps, own);
              const dinp = tiled(k, dtype, new Array(t.n).fill(0.5), reps, own);
              k.activationBackward(kind, dinp, inp, dout, inp.length);
              expect(bitsOf(dinp), `backward with dout ${d}, ${where}`).toEqual(Array.from({ length: reps }, () => t.backward[j]).flat().map((v) => storedBits(v, dtype)));
            });
          }
        }
      });
    }
    // as torch's dropout, x · mask · 1/(1−p): a dropped NaN or ±Inf is NaN, a dropped −x is −0
    it(`${name}: dropout forward and backward`, () => {
      const k = make();
      const x = [NaN, Infinity, -Infinity, -1, 1, -0, 0];
      const dropped = [NaN, NaN, NaN, -0, 0, -0, 0];
      const kept = [NaN, Infinity, -Infinity, -2, 2, -0, 0];
      for (const dtype of ['float32', 'float64'] as const) {
        for (const own of [true, false]) {
          const inp = tiled(k, dtype, x, 3, own);
          const n = inp.length;
          for (const pattern of [[0], [1], [1, 0], [0, 0, 1]]) {
            const keep = own ? k.allocBytes(n) : new Uint8Array(n);
            keep.set(Array.from({ length: n }, (_, i) => pattern[i % pattern.length]));
            const expected = Array.from({ length: n }, (_, i) => storedBits((keep[i] ? kept : dropped)[i % 7], dtype));
            const where = `${dtype} ${own ? 'own memory' : 'plain arrays'}, keep ${pattern.join('')}…`;
            const out = tiled(k, dtype, [0.5], n, own);
            k.dropoutForward(out, inp, keep, 0.5, n);
            expect(bitsOf(out), `forward, ${where}`).toEqual(expected);
            k.dropoutBackward(out, inp, keep, 0.5, n);
            expect(bitsOf(out), `backward, ${where}`).toEqual(expected);
          }
        }
      }
    });
  }
});
