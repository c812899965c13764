import { describe, expect, it } from 'vitest';
import { cosPi, cosSinTurns, exp, expm1, log, powInt, tanh } from '../../src/math/elementary.ts';
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

  // Math.cos(2π·j/n) rounds its argument first (an error up to ≈ 7e-16 near 2π), so the tight
  // reference takes the same quarter turn q and the remainder r = π·(4j − qn)/(2n) to 10^-60 in
  // BigInt, then cos(r_hi + r_lo) ≈ Math.cos(r_hi) − Math.sin(r_hi)·r_lo (within 1 ulp); the
  // loose check against Math.cos/sin(2π·j/n) holds the quarter-turn mapping to an independent one
  const PI_DIGITS = 10n ** 80n;
  const PI_SCALED = 314159265358979323846264338327950288419716939937510582097494459230781640628620899n; // π · 10^80
  const SCALE = 2n ** 200n;
  function reference(j: number, n: number): [number, number] {
    const jm = j % n;
    const q = Math.floor((8 * jm + n) / (2 * n));
    const num = BigInt(4 * jm - q * n);
    const rBig = (PI_SCALED * num * SCALE) / (PI_DIGITS * BigInt(2 * n)); // r · 2^200, truncated
    const rHi = Number(rBig) / 2 ** 200;
    const rLo = Number(rBig - BigInt(rHi * 2 ** 200)) / 2 ** 200;
    const c = Math.cos(rHi) - Math.sin(rHi) * rLo;
    const s = Math.sin(rHi) + Math.cos(rHi) * rLo;
    return q === 1 ? [-s, c] : q === 2 ? [-c, -s] : q === 3 ? [s, -c] : [c, s];
  }
  const draws = (): [number, number][] => {
    const out: [number, number][] = [];
    for (let n = 1; n <= 300; n++) for (let j = 0; j < n; j++) out.push([j, n]);
    const r = keyedStream(1, 'test/turns');
    for (let i = 0; i < 20_000; i++) out.push([Math.floor(r.uniform() * 2 ** 40), 1 + Math.floor(r.uniform() * 2 ** 20)]);
    return out;
  };
  it('cosSinTurns: absolute error ≤ 4e-16 for every j of every n ≤ 300, and 20k large j, n', () => {
    let worst = 0;
    for (const [j, n] of draws()) {
      const [c, s] = cosSinTurns(j, n);
      const [rc, rs] = reference(j, n);
      worst = Math.max(worst, Math.abs(c - rc), Math.abs(s - rs));
    }
    expect(worst).toBeLessThanOrEqual(4e-16);
  });
  it('cosSinTurns: within 2e-15 of Math.cos/sin(2π·j/n) (its argument, rounded three times — π, ×j, ÷n — is off by up to 1.7e-15 near 2π)', () => {
    let worst = 0;
    for (const [j, n] of draws()) {
      const [c, s] = cosSinTurns(j, n);
      const x = (2 * Math.PI * (j % n)) / n;
      worst = Math.max(worst, Math.abs(c - Math.cos(x)), Math.abs(s - Math.sin(x)));
    }
    expect(worst).toBeLessThanOrEqual(2e-15);
  });

  it('cosSinTurns: exact at quarter turns, cos² + sin² within 3e-16 of 1, any j (negative, past n)', () => {
    for (const n of [4, 8, 12, 100, 113]) {
      if (n % 4 === 0) {
        expect(cosSinTurns(n / 4, n)).toEqual([0, 1]);
        expect(cosSinTurns(n / 2, n)).toEqual([-1, 0]);
        expect(cosSinTurns((3 * n) / 4, n)).toEqual([0, -1]);
      }
      expect(cosSinTurns(0, n)).toEqual([1, 0]);
      expect(cosSinTurns(n, n)).toEqual([1, 0]);
      for (let j = 0; j < n; j++) {
        const [c, s] = cosSinTurns(j, n);
        expect(Math.abs(c * c + s * s - 1)).toBeLessThanOrEqual(3e-16);
        expect(cosSinTurns(j - 5 * n, n)).toEqual([c, s]);
        expect(cosSinTurns(j + 7 * n, n)).toEqual([c, s]);
      }
    }
    expect(() => cosSinTurns(0.5, 3)).toThrow(RangeError);
    expect(() => cosSinTurns(1, 0)).toThrow(RangeError);
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
    expect([exp(1), exp(-3.5), log(2), log(0.001), tanh(0.5), expm1(0.1), cosPi(0.3), ...cosSinTurns(3, 31), ...cosSinTurns(100, 113)].map(hex)).toMatchInlineSnapshot(`
      [
        "4005bf0a8b14576a",
        "3f9eec1018e4ff66",
        "3fe62e42fefa39ef",
        "c01ba18a998fffa0",
        "3fdd9353d7568af3",
        "3fbaec7b35a00d3a",
        "3fe2cf2304755a5e",
        "3fea43b1b1379aff",
        "3fe247d447a27216",
        "3fe7ff674b91474c",
        "bfe52b2ccb8eef3b",
      ]
    `);
  });
});
