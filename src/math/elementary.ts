/**
 * Transcendental functions built from + − × ÷ and sqrt only (DESIGN rule 3).
 *
 * `Math.exp`, `Math.log`, `Math.tanh`… are not specified to the bit and differ between JS
 * engines; IEEE 754 basic operations and sqrt are. Every function here is a fixed sequence of
 * such operations, so its result is identical on every runtime. Accuracy (measured in
 * tests/kernels/math.test.ts against Math.*): a couple of ulps, far below float32 resolution.
 */

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Bit access below assumes a little-endian host (all supported platforms are).
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('weft requires a little-endian host');

const LN2_HI = 6.93147180369123816490e-1; // upper bits of ln 2: k * LN2_HI is exact for |k| < 2^11
const LN2_LO = 1.90821492927058770002e-10; // ln 2 − LN2_HI
const LOG2E = 1.4426950408889634;
const SQRT2 = 1.4142135623730951;
const EXP_OVERFLOW = 709.782712893384;
const EXP_UNDERFLOW = -745.1332191019412;

/** 2^k for integer k in [-1022, 1023], built from its bits. */
function pow2(k: number): number {
  u32[0] = 0;
  u32[1] = (k + 1023) << 20;
  return f64[0];
}

/**
 * e^r's Taylor series to degree 14 (truncation < 2^-56 for |r| ≤ ln2/2), in Horner order down to
 * the 1/2! term: e^r = 1 + r·(1 + r·p) and e^r − 1 = r + r·r·p for the p returned.
 */
function seriesToHalf(r: number): number {
  let p = 1 / 87178291200; // 1/14!
  p = p * r + 1 / 6227020800;
  p = p * r + 1 / 479001600;
  p = p * r + 1 / 39916800;
  p = p * r + 1 / 3628800;
  p = p * r + 1 / 362880;
  p = p * r + 1 / 40320;
  p = p * r + 1 / 5040;
  p = p * r + 1 / 720;
  p = p * r + 1 / 120;
  p = p * r + 1 / 24;
  p = p * r + 1 / 6;
  return p * r + 0.5;
}

/** e^r for |r| ≤ ln2/2. */
function expReduced(r: number): number {
  const p = seriesToHalf(r) * r + 1;
  return p * r + 1;
}

/** e^r − 1 for |r| ≤ ln2/2, without the cancellation of expReduced(r) − 1. */
function expm1Reduced(r: number): number {
  return (seriesToHalf(r) * r) * r + r;
}

export function exp(x: number): number {
  if (x !== x) return NaN;
  if (x > EXP_OVERFLOW) return Infinity;
  if (x < EXP_UNDERFLOW) return 0;
  const k = Math.floor(x * LOG2E + 0.5);
  const r = x - k * LN2_HI - k * LN2_LO;
  const e = expReduced(r);
  if (k > 1023) return e * pow2(1023) * pow2(k - 1023);
  if (k < -1022) return e * pow2(k + 600) * pow2(-600);
  return e * pow2(k);
}

export function expm1(x: number): number {
  if (x !== x) return NaN;
  if (x === 0) return x; // keeps −0
  if (x > -0.34657359027997264 && x < 0.34657359027997264) return expm1Reduced(x);
  if (x < -40) return -1;
  if (x > EXP_OVERFLOW) return Infinity;
  // e^x − 1 = 2^k·(e^r − 1) + (2^k − 1): both terms exact or nearly so, no cancellation of e^x − 1
  const k = Math.floor(x * LOG2E + 0.5);
  const r = x - k * LN2_HI - k * LN2_LO;
  if (k > 1023) return exp(x);
  const twoK = pow2(k);
  return twoK * expm1Reduced(r) + (twoK - 1);
}

export function log(x: number): number {
  if (x !== x || x < 0) return NaN;
  if (x === 0) return -Infinity;
  if (x === Infinity) return Infinity;
  f64[0] = x;
  let e = 0;
  if (u32[1] >>> 20 === 0) {
    // subnormal: scale into the normal range first (exact)
    f64[0] = x * 18014398509481984; // 2^54
    e = -54;
  }
  e += (u32[1] >>> 20) - 1023;
  u32[1] = (u32[1] & 0x000fffff) | 0x3ff00000; // mantissa m in [1, 2)
  let m = f64[0];
  if (m > SQRT2) {
    m *= 0.5;
    e += 1;
  }
  // log(m) = 2·atanh(s), s = (m−1)/(m+1), |s| ≤ 0.1716: odd series to s^23 (truncation < 2^-58)
  const f = m - 1;
  const s = f / (2 + f);
  const z = s * s;
  let p = 1 / 23;
  p = p * z + 1 / 21;
  p = p * z + 1 / 19;
  p = p * z + 1 / 17;
  p = p * z + 1 / 15;
  p = p * z + 1 / 13;
  p = p * z + 1 / 11;
  p = p * z + 1 / 9;
  p = p * z + 1 / 7;
  p = p * z + 1 / 5;
  p = p * z + 1 / 3;
  const logm = 2 * s + 2 * s * z * p;
  return e * LN2_HI + (logm + e * LN2_LO);
}

export function tanh(x: number): number {
  if (x !== x) return NaN;
  if (x === 0) return x;
  const a = x < 0 ? -x : x;
  if (a > 22) return x < 0 ? -1 : 1;
  const u = expm1(-2 * a); // in (−1, 0)
  const t = -u / (2 + u);
  return x < 0 ? -t : t;
}

/** sin(r) and cos(r) for |r| ≤ π/4, Taylor to degree 19/18 (truncation < 2^-60). */
function sinReduced(r: number): number {
  const z = r * r;
  let p = -1 / 121645100408832000; // −1/19!
  p = p * z + 1 / 355687428096000;
  p = p * z - 1 / 1307674368000;
  p = p * z + 1 / 6227020800;
  p = p * z - 1 / 39916800;
  p = p * z + 1 / 362880;
  p = p * z - 1 / 5040;
  p = p * z + 1 / 120;
  p = p * z - 1 / 6;
  return r + r * z * p;
}
function cosReduced(r: number): number {
  const z = r * r;
  let p = 1 / 6402373705728000; // 1/18!
  p = p * z - 1 / 20922789888000;
  p = p * z + 1 / 87178291200;
  p = p * z - 1 / 479001600;
  p = p * z + 1 / 3628800;
  p = p * z - 1 / 40320;
  p = p * z + 1 / 720;
  p = p * z - 1 / 24;
  p = p * z + 0.5;
  return 1 - z * p;
}

/** cos(π·p) for p in [0, 1] (all the cosine lr schedule needs). */
export function cosPi(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`cosPi: p must be in [0, 1], got ${p}`);
  if (p <= 0.25) return cosReduced(Math.PI * p);
  if (p <= 0.75) return -sinReduced(Math.PI * (p - 0.5));
  return -cosReduced(Math.PI * (1 - p));
}

/**
 * cos and sin of the angle 2π·j/n, for integers j and n ≥ 1 (a Fourier basis of Z_n needs
 * nothing else). The reduction is exact: j mod n and the nearest quarter turn q are integers, so
 * only the remainder r = π·(4j − q·n)/(2n), |r| ≤ π/4, is rounded (twice) before the series.
 * Absolute error ≤ 4e-16 (tests/math/elementary.test.ts); exactly 0 and ±1 at quarter turns.
 */
export function cosSinTurns(j: number, n: number): [cos: number, sin: number] {
  if (!Number.isSafeInteger(j) || !Number.isSafeInteger(n) || n < 1 || n > 2 ** 48) throw new RangeError(`cosSinTurns: j and n must be integers, 1 ≤ n ≤ 2^48, got ${j}, ${n}`);
  const jm = ((j % n) + n) % n;
  const q = Math.floor((8 * jm + n) / (2 * n)); // the nearest quarter turn to 4·jm/n, 0…4 (exact: integers below 2^53)
  const r = (Math.PI * (4 * jm - q * n)) / (2 * n);
  const c = cosReduced(r);
  const s = sinReduced(r);
  // 0 − x, not −x: a zero comes out +0 on every branch
  if (q === 1) return [0 - s, c];
  if (q === 2) return [0 - c, 0 - s];
  if (q === 3) return [s, 0 - c];
  return [c, s]; // q 0 or 4 (a full turn)
}

/** base^n for integer n ≥ 0 by binary exponentiation (a fixed operation order). */
export function powInt(base: number, n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`powInt: n must be a non-negative integer, got ${n}`);
  let result = 1;
  let b = base;
  let k = n;
  while (k > 0) {
    if (k & 1) result *= b;
    b *= b;
    k = Math.floor(k / 2);
  }
  return result;
}
