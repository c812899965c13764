import { describe, expect, it } from 'vitest';
import { expF32, geluF32, geluGradF32, logF32, tanhF32 } from '../../src/math/elementary-f32.ts';
import { keyedStream } from '../../src/rng/keyed.ts';

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
const fr = Math.fround;

/** Distance in float32 units in the last place (across zero too). */
function ulps32(a: number, b: number): number {
  if (Object.is(a, b) || (a === 0 && b === 0)) return 0;
  const ord = (x: number) => {
    f32[0] = x;
    return i32[0] < 0 ? -(i32[0] & 0x7fffffff) : i32[0];
  };
  return Math.abs(ord(a) - ord(b));
}

/** The worst error, in float32 ulps, against the float64 function rounded to float32, over n float32 draws. */
function maxUlps(ours: (x: number) => number, ref: (x: number) => number, lo: number, hi: number, n: number, map: (u: number) => number = (u) => u): number {
  const r = keyedStream(1, 'test/math-f32', `${lo}..${hi}`);
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const x = fr(map(lo + (hi - lo) * r.uniform()));
    worst = Math.max(worst, ulps32(ours(x), fr(ref(x))));
  }
  return worst;
}

// Math.* in float64 and then rounded to float32 is within half a float32 ulp of the true value
// (plus V8's 1 float64 ulp), so these bound the error itself to within a float32 ulp more. The
// ranges are those the model uses: softmax and cross-entropy arguments ≤ 0, GELU and tanh inputs,
// the logarithm of a softmax sum (≥ 1) and far beyond, down to subnormals.
describe('float32 transcendentals vs Math.* rounded to float32 (max error in float32 ulps, 200k draws per range)', () => {
  it('expF32: ≤ 1 ulp on [-104, 88.7] (subnormal results included) and on [-1, 1]', () => {
    expect(maxUlps(expF32, Math.exp, -104, 88.7, 200_000)).toBeLessThanOrEqual(1);
    expect(maxUlps(expF32, Math.exp, -1, 1, 200_000)).toBeLessThanOrEqual(1);
  });
  it('tanhF32: ≤ 1 ulp on [-12, 12], [-1, 1] and [-0.01, 0.01]', () => {
    expect(maxUlps(tanhF32, Math.tanh, -12, 12, 200_000)).toBeLessThanOrEqual(1);
    expect(maxUlps(tanhF32, Math.tanh, -1, 1, 200_000)).toBeLessThanOrEqual(1);
    expect(maxUlps(tanhF32, Math.tanh, -0.01, 0.01, 200_000)).toBeLessThanOrEqual(1);
  });
  it('logF32: ≤ 1 ulp on [1, 70000] and on [1e-45, 3e38] (log-uniform, subnormals included)', () => {
    expect(maxUlps(logF32, Math.log, 1, 70_000, 200_000)).toBeLessThanOrEqual(1);
    expect(maxUlps(logF32, Math.log, -45, 38.5, 200_000, (u) => 10 ** u)).toBeLessThanOrEqual(1);
  });

  it('special values', () => {
    expect(expF32(0)).toBe(1);
    expect(expF32(-Infinity)).toBe(0);
    expect(expF32(Infinity)).toBe(Infinity);
    expect(expF32(88.75)).toBe(Infinity); // e^88.75 > the largest float32
    expect(expF32(fr(88.72))).toBe(fr(Math.exp(fr(88.72))));
    expect(expF32(-103.9)).toBe(fr(Math.exp(-103.9))); // the smallest subnormal
    expect(expF32(-105)).toBe(0);
    expect(expF32(NaN)).toBeNaN();
    expect(logF32(1)).toBe(0);
    expect(logF32(0)).toBe(-Infinity);
    expect(logF32(-1)).toBeNaN();
    expect(logF32(Infinity)).toBe(Infinity);
    expect(logF32(NaN)).toBeNaN();
    expect(logF32(fr(1e-45))).toBe(fr(Math.log(fr(1e-45))));
    expect(Object.is(tanhF32(-0), -0)).toBe(true);
    expect(tanhF32(11)).toBe(1);
    expect(tanhF32(-11)).toBe(-1);
    expect(tanhF32(NaN)).toBeNaN();
  });

  it('results are float32 values', () => {
    for (const x of [0.3, -2.5, 7.7, 0.001]) {
      const v = fr(x);
      expect(fr(expF32(v))).toBe(expF32(v));
      expect(fr(tanhF32(v))).toBe(tanhF32(v));
      if (v > 0) expect(fr(logF32(v))).toBe(logF32(v));
    }
  });
});

// The tanh-GELU as x·σ(2u), u = K·(x + C·x³), against the same formula in float64. Its error is
// that of u rounded to float32, magnified by 2|u| in the left tail where the GELU is tiny, so it
// is bounded absolutely: within 2 float32 ulps of max(1, |x|) for the GELU, 2^-22 for its
// derivative (whose zero near x = −0.75 makes a relative bound meaningless).
describe('geluF32 and geluGradF32 vs the float64 tanh-GELU (x·σ(2u), 200k draws on [-10, 10])', () => {
  const K = Math.sqrt(2 / Math.PI);
  const C = 0.044715;
  const u = (x: number) => K * (x + C * x * x * x);
  const sigma = (x: number) => 1 / (1 + Math.exp(-2 * u(x)));
  const gelu = (x: number) => x * sigma(x);
  const geluGrad = (x: number) => sigma(x) + x * 2 * sigma(x) * (1 - sigma(x)) * K * (1 + 3 * C * x * x);
  it('absolute errors within the stated bounds', () => {
    const r = keyedStream(1, 'test/math-f32', 'gelu');
    let worstGelu = 0;
    let worstGrad = 0;
    for (let i = 0; i < 200_000; i++) {
      const x = fr(-10 + 20 * r.uniform());
      const ulpOfX = 2 ** (Math.floor(Math.log2(Math.max(1, Math.abs(x)))) - 23);
      worstGelu = Math.max(worstGelu, Math.abs(geluF32(x) - gelu(x)) / ulpOfX);
      worstGrad = Math.max(worstGrad, Math.abs(geluGradF32(x) - geluGrad(x)));
    }
    expect(worstGelu).toBeLessThanOrEqual(2);
    expect(worstGrad).toBeLessThanOrEqual(2 ** -22);
  });
  it('special values, as PyTorch\'s: NaN at −Inf and for the derivative at ±Inf', () => {
    expect(geluF32(Infinity)).toBe(Infinity);
    expect(geluF32(-Infinity)).toBeNaN();
    expect(geluF32(NaN)).toBeNaN();
    expect(Object.is(geluF32(-0), -0)).toBe(true);
    expect(geluF32(-30)).toBe(-0);
    expect(geluGradF32(0)).toBe(0.5);
    expect(geluGradF32(Infinity)).toBeNaN();
    expect(geluGradF32(-Infinity)).toBeNaN();
    expect(geluGradF32(30)).toBe(1);
  });
});

describe('the results are fixed bits (same on every runtime)', () => {
  // Reference bits computed once by this implementation; a change here is a change of the f32acc numeric mode.
  it('pinned values', () => {
    const hex = (x: number) => {
      f32[0] = x;
      return (i32[0] >>> 0).toString(16);
    };
    expect([expF32(1), expF32(fr(-3.5)), expF32(fr(-100)), logF32(2), logF32(fr(0.001)), tanhF32(0.5), tanhF32(fr(0.7)), tanhF32(fr(-3)), geluF32(fr(0.7)), geluF32(fr(-2.5)), geluGradF32(fr(0.7)), geluGradF32(fr(-2.5))].map(hex)).toMatchInlineSnapshot(`
      [
        "402df854",
        "3cf76081",
        "1b",
        "3f317218",
        "c0dd0c55",
        "3eec9a9f",
        "3f1ab7d9",
        "bf7ebbe9",
        "3f07d372",
        "bc7723fd",
        "3f79f28c",
        "bd1b731c",
      ]
    `);
  });
});
