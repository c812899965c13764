// The loss mask in the cross-entropy kernels, as PyTorch's ignore_index: an ignored target
// (IGNORED_TARGET, -100) is left out of the mean, the mean divides by the targets counted, and
// an ignored row's logits get no gradient; with every target counted nothing changes.
import { describe, expect, it } from 'vitest';
import { referenceKernels } from '../../src/kernels/reference.ts';
import { IGNORED_TARGET, type Kernels } from '../../src/kernels/types.ts';
import { WasmKernels } from '../../src/kernels/wasm.ts';

const SETS: [string, () => Kernels][] = [['reference', () => referenceKernels], ['fast', () => new WasmKernels(1)]];

// 3 rows of 4 logits; row 1's target is ignored
const V = 4;
const LOGITS = [0.5, -1, 2, 0.25, 3, 1, -2, 0, -0.5, 0.75, 0.1, 1.5];
const lossOf = (row: number, target: number) => {
  const z = LOGITS.slice(row * V, row * V + V);
  return Math.log(z.reduce((s, x) => s + Math.exp(x), 0)) - z[target];
};
const softmax = (row: number) => {
  const z = LOGITS.slice(row * V, row * V + V);
  const s = z.reduce((a, x) => a + Math.exp(x), 0);
  return z.map((x) => Math.exp(x) / s);
};

describe.each(SETS)('cross-entropy with ignored targets (%s kernels)', (_name, make) => {
  function run(targets: number[]) {
    const k = make();
    const N = targets.length;
    const logits = k.alloc('float32', N * V);
    logits.set(LOGITS.slice(0, N * V));
    const losses = k.alloc('float64', N) as Float64Array;
    const probs = k.alloc('float64', N * V) as Float64Array;
    const dlogits = k.alloc('float32', N * V);
    const mean = k.crossEntropyForward(losses, probs, logits, Int32Array.from(targets), N, V);
    k.crossEntropyBackward(dlogits, probs, Int32Array.from(targets), N, V);
    return { mean, losses: Array.from(losses), dlogits: Array.from(dlogits) };
  }

  it('the mean is over the counted targets only, an ignored row has loss 0 and gradient 0', () => {
    const r = run([2, IGNORED_TARGET, 3]);
    expect(r.mean).toBeCloseTo((lossOf(0, 2) + lossOf(2, 3)) / 2, 6);
    expect(r.losses[1]).toBe(0);
    expect(r.dlogits.slice(V, 2 * V)).toEqual([0, 0, 0, 0]);
    // a counted row's gradient is (softmax − onehot) / 2: divided by the 2 counted, not by the 3 rows
    const want = softmax(2).map((p, v) => (p - (v === 3 ? 1 : 0)) / 2);
    r.dlogits.slice(2 * V).forEach((g, v) => expect(g).toBeCloseTo(want[v], 6));
  });

  it('the counted rows give the bits of a batch of only those rows, halved by the same count', () => {
    // rows 0 and 2 counted among 3 = rows 0 and 2 alone (the divisor is 2 both times)
    const masked = run([2, IGNORED_TARGET, 3]);
    const k = make();
    const logits = k.alloc('float32', 2 * V);
    logits.set([...LOGITS.slice(0, V), ...LOGITS.slice(2 * V)]);
    const losses = k.alloc('float64', 2) as Float64Array;
    const probs = k.alloc('float64', 2 * V) as Float64Array;
    const dlogits = k.alloc('float32', 2 * V);
    const mean = k.crossEntropyForward(losses, probs, logits, Int32Array.from([2, 3]), 2, V);
    k.crossEntropyBackward(dlogits, probs, Int32Array.from([2, 3]), 2, V);
    expect(Object.is(masked.mean, mean)).toBe(true);
    expect([...masked.dlogits.slice(0, V), ...masked.dlogits.slice(2 * V)]).toEqual(Array.from(dlogits));
  });

  it('every target ignored is a RangeError, never 0/0', () => {
    expect(() => run([IGNORED_TARGET, IGNORED_TARGET])).toThrow('crossEntropyForward: every one of the 2 targets is ignored (-100): a mean over no target is undefined');
  });
});
