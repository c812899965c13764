import { describe, expect, it } from 'vitest';
import { cosPi, exp, expm1, log, powInt, tanh } from '../../src/math/elementary.ts';
import { keyedStream } from '../../src/rng/keyed.ts';

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);
const u64 = new BigUint64Array(f64.buffer);
/** Distance in units in the last place between two finite doubles of the same sign. */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  f64[0] = a;
  const x = i64[0];
  f64[0] = b;
  const y = i64[0];
  return Number(x > y ? x - y : y - x);
}

function maxUlps(ours: (x: number) => number, ref: (x: number) => number, lo: number, hi: number, n: number): number {
  const r = keyedStream(1, 'test/math', `${lo}..${hi}`);
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const x = lo + (hi - lo) * r.uniform();
    worst = Math.max(worst, ulps(ours(x), ref(x)));
  }
  return worst;
}

// Math.* is itself not correctly rounded (V8's fdlibm ports are within 1 ulp), so "≤ k ulps from
// Math.*" bounds our error by about k+1 ulps. Ranges are those the model uses (softmax and
// cross-entropy arguments ≤ 0, GELU and tanh inputs, log of probabilities and sums).
describe('own transcendentals vs Math.* (max error in ulps, 200k draws per range)', () => {
  it('exp: ≤ 1 ulp on [-80, 80]', () => expect(maxUlps(exp, Math.exp, -80, 80, 200_000)).toBeLessThanOrEqual(1));
  it('exp: ≤ 1 ulp on [-700, 700]', () => expect(maxUlps(exp, Math.exp, -700, 700, 200_000)).toBeLessThanOrEqual(1));
  it('log: ≤ 2 ulps on [1e-12, 1e6] (log-uniform; the 2 are near x = 1, where log x is small)', () => {
    expect(maxUlps((u) => log(10 ** u), (u) => Math.log(10 ** u), -12, 6, 200_000)).toBeLessThanOrEqual(2);
  });
  it('tanh: ≤ 3 ulps on [-20, 20]', () => expect(maxUlps(tanh, Math.tanh, -20, 20, 200_000)).toBeLessThanOrEqual(3));
  it('tanh: ≤ 3 ulps on [-0.01, 0.01]', () => expect(maxUlps(tanh, Math.tanh, -0.01, 0.01, 200_000)).toBeLessThanOrEqual(3));
  it('expm1: ≤ 2 ulps on [-2, 2]', () => expect(maxUlps(expm1, Math.expm1, -2, 2, 200_000)).toBeLessThanOrEqual(2));
  // Math.cos(Math.PI * p) rounds π·p first (≈1e-16 error in the argument), hence an absolute bound
  it('cosPi: absolute error ≤ 4e-16 on [0, 1]', () => {
    const r = keyedStream(1, 'test/cos');
    let worst = 0;
    for (let i = 0; i < 100_000; i++) {
      const p = r.uniform();
      worst = Math.max(worst, Math.abs(cosPi(p) - Math.cos(Math.PI * p)));
    }
    expect(worst).toBeLessThanOrEqual(4e-16);
  });

  it('special values', () => {
    expect(exp(0)).toBe(1);
    expect(exp(-Infinity)).toBe(0);
    expect(exp(Infinity)).toBe(Infinity);
    expect(exp(710)).toBe(Infinity);
    expect(exp(-746)).toBe(0);
    expect(exp(-740)).toBe(Math.exp(-740)); // subnormal result
    expect(exp(NaN)).toBeNaN();
    expect(log(1)).toBe(0);
    expect(log(0)).toBe(-Infinity);
    expect(log(-1)).toBeNaN();
    expect(log(Infinity)).toBe(Infinity);
    expect(ulps(log(5e-324), Math.log(5e-324))).toBeLessThanOrEqual(1); // subnormal input
    expect(Object.is(tanh(-0), -0)).toBe(true);
    expect(tanh(30)).toBe(1);
    expect(tanh(-30)).toBe(-1);
    expect(cosPi(0)).toBe(1);
    expect(cosPi(1)).toBe(-1);
    expect(() => cosPi(1.5)).toThrow(RangeError);
  });

  it('powInt is exact on powers of two and close elsewhere', () => {
    expect(powInt(2, 10)).toBe(1024);
    expect(powInt(0.5, 1074)).toBe(5e-324);
    expect(powInt(0.9, 0)).toBe(1);
    expect(Math.abs(powInt(0.999, 1000) / Math.pow(0.999, 1000) - 1)).toBeLessThan(1e-13);
  });
});

describe('the results are fixed bits (same on every runtime)', () => {
  // Reference bits computed once by this implementation; a change here is a numeric-mode change.
  it('pinned values', () => {
    const hex = (x: number) => { f64[0] = x; return u64[0].toString(16); };
    expect([exp(1), exp(-3.5), log(2), log(0.001), tanh(0.5), expm1(0.1), cosPi(0.3)].map(hex)).toMatchInlineSnapshot(`
      [
        "4005bf0a8b14576a",
        "3f9eec1018e4ff66",
        "3fe62e42fefa39ef",
        "c01ba18a998fffa0",
        "3fdd9353d7568af3",
        "3fbaec7b35a00d3a",
        "3fe2cf2304755a5e",
      ]
    `);
  });
});
