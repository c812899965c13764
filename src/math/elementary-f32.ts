/**
 * Float32 transcendentals for the f32acc numeric mode: fixed sequences of float32 + − × ÷ (each
 * rounded with Math.fround), comparisons and exponent bits, so their results are the same bits
 * on every runtime and in the WebAssembly kernels (f32x4 lanes, kernels-f32.wat), which compute
 * them operation for operation. The polynomials are Cephes's single-precision ones (expf, logf,
 * tanhf: S. L. Moshier), cheaper than src/math/elementary.ts's float64 series.
 *
 * Inputs are float32 values. Error against the float64 functions rounded to float32, in float32
 * ulps (tests/math/elementary-f32.test.ts; the same bound over 10^6 random draws per range): expF32
 * ≤ 1 on [−104, 88.7] (subnormal results included), tanhF32 ≤ 1 on [−12, 12], logF32 ≤ 1 from
 * the smallest subnormal to the largest float32 — against float64's error of < 2^−50 relative.
 */

const fr = Math.fround;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export const LOG2E_F = fr(1.4426950408889634);
/** ln 2 in two parts: k·LN2_HI_F is exact in float32 for |k| < 2^15 */
export const LN2_HI_F = 0.693359375;
export const LN2_LO_F = fr(-2.12194440e-4);
/** above: +Inf (the final product overflows from ≈ 88.72 on); below: 0 */
export const EXP_MAX_F = fr(88.8);
export const EXP_MIN_F = -104;
/** e^r ≈ 1 + r + r²·P(r) for |r| ≤ ln2/2 (Cephes expf) */
export const EXP_P_F = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1].map(fr);
/** tanh x ≈ x + x·x²·Q(x²) for |x| < 0.625 (Cephes tanhf) */
export const TANH_Q_F = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1].map(fr);
export const TANH_SERIES_MAX_F = 0.625;
/** above: ±1 (1 − 2/(e^2x + 1) rounds to 1 from ≈ 9.01 on) */
export const TANH_ONE_F = 10;
/** log(1 + f) ≈ f − f²/2 + f³·R(f) for 1 + f in [√½, √2) (Cephes logf) */
export const LOG_R_F = [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1].map(fr);
const SQRT_HALF_F = fr(Math.SQRT1_2);

/** 2^k for integer k in [−126, 127], from its bits. */
function pow2F32(k: number): number {
  u32[0] = (k + 127) << 23;
  return f32[0];
}

/**
 * e^x: x = k·ln2 + r, e^r by the polynomial, then · 2^⌊k/2⌋ (exact) · 2^(k−⌊k/2⌋), whose one
 * rounding gives subnormal results and overflow to Inf without a branch.
 */
export function expF32(x: number): number {
  if (x !== x) return NaN;
  if (x > EXP_MAX_F) return Infinity;
  if (x < EXP_MIN_F) return 0;
  const k = Math.floor(fr(fr(x * LOG2E_F) + 0.5));
  const r = fr(fr(x - fr(k * LN2_HI_F)) - fr(k * LN2_LO_F));
  const z = fr(r * r);
  let p = EXP_P_F[0];
  for (let i = 1; i < EXP_P_F.length; i++) p = fr(fr(p * r) + EXP_P_F[i]);
  const e = fr(fr(fr(p * z) + r) + 1);
  const k1 = k >> 1;
  return fr(fr(e * pow2F32(k1)) * pow2F32(k - k1));
}

/** tanh x: the odd polynomial below 0.625, else 1 − 2/(e^2|x| + 1) with x's sign; ±0 kept. */
export function tanhF32(x: number): number {
  if (x !== x) return NaN;
  if (x === 0) return x;
  const a = x < 0 ? -x : x;
  if (a > TANH_ONE_F) return x < 0 ? -1 : 1;
  if (a < TANH_SERIES_MAX_F) {
    const z = fr(x * x);
    let q = TANH_Q_F[0];
    for (let i = 1; i < TANH_Q_F.length; i++) q = fr(fr(q * z) + TANH_Q_F[i]);
    return fr(fr(fr(q * z) * x) + x);
  }
  const t = fr(1 - fr(2 / fr(expF32(fr(2 * a)) + 1)));
  return x < 0 ? -t : t;
}

/** log x: x = 2^e·m with m in [√½, √2), log m by the polynomial in f = m − 1, + e·ln2 in two parts. */
export function logF32(x: number): number {
  if (x !== x || x < 0) return NaN;
  if (x === 0) return -Infinity;
  if (x === Infinity) return Infinity;
  f32[0] = x;
  let e = 0;
  if (u32[0] >>> 23 === 0) {
    f32[0] = x * 33554432; // subnormal: · 2^25 (exact) into the normal range
    e = -25;
  }
  e += (u32[0] >>> 23) - 126;
  u32[0] = (u32[0] & 0x7fffff) | 0x3f000000; // m in [0.5, 1)
  let m = f32[0];
  if (m < SQRT_HALF_F) {
    e -= 1;
    m = fr(fr(m + m) - 1);
  } else m = fr(m - 1);
  const z = fr(m * m);
  let y = LOG_R_F[0];
  for (let i = 1; i < LOG_R_F.length; i++) y = fr(fr(y * m) + LOG_R_F[i]);
  y = fr(fr(y * m) * z);
  y = fr(y + fr(e * LN2_LO_F));
  y = fr(y + fr(-0.5 * z));
  return fr(fr(m + y) + fr(e * LN2_HI_F));
}

const GELU_K_F = fr(Math.sqrt(2 / Math.PI));
const GELU_C_F = fr(0.044715);
const GELU_C3_F = fr(3 * 0.044715);

/** The tanh-GELU's inner argument u = K·(x + C·x³), as K·(x + ((C·x)·x)·x). */
export function geluInnerF32(x: number): number {
  return fr(GELU_K_F * fr(x + fr(fr(fr(GELU_C_F * x) * x) * x)));
}

/**
 * σ(2u) and 1 − σ(2u) of the tanh-GELU, 0.5·(1 + tanh u) = σ(2u), from one exponential that
 * cannot overflow: with e = e^(−2|u|), r = 1/(1 + e) and a = e·r are σ(2|u|) and 1 − σ(2|u|)
 * (both accurate: no 1 − σ is ever taken), and σ(2u) is r for u ≥ 0, a below.
 */
function sigmoidPartsF32(u: number): [s: number, r: number, a: number] {
  const e = expF32(fr(-2 * Math.abs(u)));
  const r = fr(1 / fr(1 + e));
  const a = fr(e * r);
  return [u >= 0 ? r : a, r, a];
}

/**
 * The tanh-GELU 0.5·x·(1 + tanh(K·(x + C·x³))) evaluated as x·σ(2u): one exponential and one
 * division instead of tanh's branches. NaN at −Inf (x·0) and +Inf at +Inf, as PyTorch's. Within
 * 2 float32 ulps of max(1, |x|) of the exact formula; its derivative within 2^-22 (tests/math).
 */
export function geluF32(x: number): number {
  return fr(x * sigmoidPartsF32(geluInnerF32(x))[0]);
}

/**
 * Its derivative σ(2u) + x·2σ(2u)(1 − σ(2u))·u′, u′ = K·(1 + 3C·x²), as
 * s + (x·(2·(r·a)))·(K·(1 + (3C·x)·x)); NaN at ±Inf, as PyTorch's.
 */
export function geluGradF32(x: number): number {
  const [s, r, a] = sigmoidPartsF32(geluInnerF32(x));
  const du = fr(GELU_K_F * fr(1 + fr(fr(GELU_C3_F * x) * x)));
  return fr(s + fr(fr(x * fr(2 * fr(r * a))) * du));
}
