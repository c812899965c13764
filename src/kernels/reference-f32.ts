import { expF32, geluF32, geluGradF32, logF32, tanhF32 } from '../math/elementary-f32.ts';
import { lengthChecks } from './lengths.ts';
import { canonicalNaN, referenceKernels } from './reference.ts';
import { IGNORED_TARGET, type Activation, type FloatArray, type Kernels } from './types.ts';

/**
 * Reference kernels of the f32acc numeric mode: float32 products and float32 accumulation, every
 * operation rounded to float32 (Math.fround). That is exact float32 arithmetic: the product of
 * two float32 is exact in float64, and a float64 sum, difference, quotient or square root of two
 * float32 rounded once to float32 is the correctly rounded float32 result. Each output's sum runs
 * in one fixed sequential order, stated per kernel; WebAssembly's f32x4 lanes (kernels-f32.wat)
 * compute four independent outputs at once in the same order and so give the same bits.
 *
 * Accumulations across an outer loop go to a Float32Array scratch buffer: its stores round each
 * partial sum to float32, as `acc = fround(acc + x)` does. exp, log, tanh and the GELU are
 * math/elementary-f32.ts's. The float64 slots of the Kernels interface (layer norm's mean and
 * rstd, attention's probabilities, the loss's probabilities and losses) hold float32 values.
 * Storage is float32 (config.ts refuses this mode with float64 storage).
 */

const fr = Math.fround;
const LN_EPS = fr(1e-5);

let scratch = new Float32Array(1024);
function scratchOf(n: number): Float32Array {
  if (scratch.length < n) scratch = new Float32Array(Math.max(n, scratch.length * 2));
  scratch.fill(0, 0, n);
  return scratch;
}

/** 1/√hd as this mode computes it: float32 square root, then float32 division. */
export function attentionScaleF32(hd: number): number {
  return fr(1 / fr(Math.sqrt(hd)));
}

/** Dropout's scale 1/(1 − p) in float32: 1 − p rounded to float32, then a float32 division. */
export function dropoutScaleF32(p: number): number {
  return fr(1 / fr(1 - p));
}

/**
 * One query of attention in float32 (reference.ts attendQuery's layout): scores
 * (Σ_i q·k over i ascending)·scale; softmax: max, e = exp(s − max), Σ e over t2 ascending,
 * att = e·(1/Σ); out = Σ_t2 att·v over t2 ascending — every operation rounded to float32. The
 * full pass and decoding (attentionForwardLast) run this same code.
 */
function attendQueryF32(out: FloatArray, o: number, att: Float64Array, a: number, qkv: FloatArray, seq: number, t: number, C: number, hOff: number, hd: number, scale: number): void {
  const C3 = 3 * C;
  const q = (seq + t) * C3 + hOff;
  let max = -Infinity;
  for (let t2 = 0; t2 <= t; t2++) {
    const k = (seq + t2) * C3 + C + hOff;
    let s = 0;
    for (let i = 0; i < hd; i++) s = fr(s + fr(qkv[q + i] * qkv[k + i]));
    s = fr(s * scale);
    att[a + t2] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let t2 = 0; t2 <= t; t2++) {
    const e = expF32(fr(att[a + t2] - max));
    att[a + t2] = e;
    sum = fr(sum + e);
  }
  const inv = fr(1 / sum);
  for (let t2 = 0; t2 <= t; t2++) att[a + t2] = canonicalNaN(fr(att[a + t2] * inv));
  for (let i = 0; i < hd; i++) {
    let acc = 0;
    for (let t2 = 0; t2 <= t; t2++) acc = fr(acc + fr(att[a + t2] * qkv[(seq + t2) * C3 + 2 * C + hOff + i]));
    out[o + i] = canonicalNaN(acc);
  }
}

export const referenceF32Kernels: Kernels = {
  mode: 'reference-f32acc-v1',

  alloc: referenceKernels.alloc,
  allocBytes: referenceKernels.allocBytes,

  // out (B,T,C) = wte[idx[b,t]] + wpe[t]: one float32 addition, as in f64acc
  encoderForward: referenceKernels.encoderForward,

  // dwte[v] = Σ dout[b,t] over positions with idx = v; dwpe[t] = Σ_b dout[b,t]; both in ascending (b, t)
  encoderBackward(dwte, dwpe, dout, idx, B, T, C) {
    lengthChecks.encoderBackward(dwte, dwpe, dout, idx, B, T, C);
    const V = dwte.length / C;
    const acc = scratchOf(V * C + T * C);
    const pOff = V * C;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const o = (b * T + t) * C;
        const ix = idx[b * T + t] * C;
        const p = pOff + t * C;
        for (let c = 0; c < C; c++) {
          acc[ix + c] += dout[o + c];
          acc[p + c] += dout[o + c];
        }
      }
    }
    for (let i = 0; i < V * C; i++) dwte[i] = canonicalNaN(acc[i]);
    for (let i = 0; i < T * C; i++) dwpe[i] = canonicalNaN(acc[pOff + i]);
  },

  // out (N,OC) = inp (N,C) · weight (OC,C)ᵀ + bias (OC); acc = acc + x·w over c ascending, then + bias
  matmulForward(out, inp, weight, wOff, bias, bOff, N, C, OC) {
    lengthChecks.matmulForward(out, inp, weight, wOff, bias, bOff, N, C, OC);
    for (let n = 0; n < N; n++) {
      const x = n * C;
      for (let o = 0; o < OC; o++) {
        const w = wOff + o * C;
        let acc = 0;
        for (let c = 0; c < C; c++) acc = fr(acc + fr(inp[x + c] * weight[w + c]));
        out[n * OC + o] = canonicalNaN(fr(acc + bias[bOff + o]));
      }
    }
  },

  // dinp (N,C) = dout · weight, over o ascending;
  // dweight (OC,C) = Σ_n dout[n,o]·inp[n,c] and dbias (OC) = Σ_n dout[n,o], n ascending
  matmulBackward(dinp, dweight, wOff, dbias, bOff, dout, inp, weight, N, C, OC) {
    lengthChecks.matmulBackward(dinp, dweight, wOff, dbias, bOff, dout, inp, weight, N, C, OC);
    const acc = scratchOf(OC * C + OC + C);
    const bAcc = OC * C;
    const xAcc = OC * C + OC;
    for (let n = 0; n < N; n++) {
      const d = n * OC;
      const x = n * C;
      acc.fill(0, xAcc, xAcc + C);
      for (let o = 0; o < OC; o++) {
        const g = dout[d + o];
        const w = wOff + o * C;
        const a = o * C;
        for (let c = 0; c < C; c++) {
          acc[xAcc + c] += fr(g * weight[w + c]);
          acc[a + c] += fr(g * inp[x + c]);
        }
        acc[bAcc + o] += g;
      }
      for (let c = 0; c < C; c++) dinp[x + c] = canonicalNaN(acc[xAcc + c]);
    }
    for (let i = 0; i < OC * C; i++) dweight[wOff + i] = canonicalNaN(acc[i]);
    for (let o = 0; o < OC; o++) dbias[bOff + o] = canonicalNaN(acc[bAcc + o]);
  },

  // out (N,C) = ((x − mean)·rstd)·w + b; mean = (Σ x)/C, var = (Σ (x − mean)²)/C over c ascending
  // (biased), rstd = 1/√(var + eps)
  layernormForward(out, mean, rstd, inp, weight, wOff, bias, bOff, N, C) {
    lengthChecks.layernormForward(out, mean, rstd, inp, weight, wOff, bias, bOff, N, C);
    for (let n = 0; n < N; n++) {
      const x = n * C;
      let m = 0;
      for (let c = 0; c < C; c++) m = fr(m + inp[x + c]);
      m = fr(m / C);
      let v = 0;
      for (let c = 0; c < C; c++) {
        const d = fr(inp[x + c] - m);
        v = fr(v + fr(d * d));
      }
      v = fr(v / C);
      const s = fr(1 / fr(Math.sqrt(fr(v + LN_EPS))));
      for (let c = 0; c < C; c++) out[x + c] = canonicalNaN(fr(fr(fr(fr(inp[x + c] - m) * s) * weight[wOff + c]) + bias[bOff + c]));
      mean[n] = canonicalNaN(m);
      rstd[n] = canonicalNaN(s);
    }
  },

  // dinp = ((dnorm − mean(dnorm)) − norm·mean(dnorm·norm))·rstd, dnorm = dout·w, norm = (x − mean)·rstd,
  // the means over c ascending; dweight = Σ_n dout·norm, dbias = Σ_n dout, n ascending
  layernormBackward(dinp, dweight, dbias, wOff, bOff, dout, inp, weight, mean, rstd, N, C) {
    lengthChecks.layernormBackward(dinp, dweight, dbias, wOff, bOff, dout, inp, weight, mean, rstd, N, C);
    const acc = scratchOf(2 * C);
    for (let n = 0; n < N; n++) {
      const x = n * C;
      const m = mean[n];
      const s = rstd[n];
      let dnormMean = 0;
      let dnormNormMean = 0;
      for (let c = 0; c < C; c++) {
        const norm = fr(fr(inp[x + c] - m) * s);
        const dnorm = fr(dout[x + c] * weight[wOff + c]);
        dnormMean = fr(dnormMean + dnorm);
        dnormNormMean = fr(dnormNormMean + fr(dnorm * norm));
      }
      dnormMean = fr(dnormMean / C);
      dnormNormMean = fr(dnormNormMean / C);
      for (let c = 0; c < C; c++) {
        const norm = fr(fr(inp[x + c] - m) * s);
        const dnorm = fr(dout[x + c] * weight[wOff + c]);
        acc[c] += fr(dout[x + c] * norm);
        acc[C + c] += dout[x + c];
        dinp[x + c] = canonicalNaN(fr(fr(fr(dnorm - dnormMean) - fr(norm * dnormNormMean)) * s));
      }
    }
    for (let c = 0; c < C; c++) {
      dweight[wOff + c] = canonicalNaN(acc[c]);
      dbias[bOff + c] = canonicalNaN(acc[C + c]);
    }
  },

  // out (N,C) = x·rstd·w, rstd = 1/sqrt(Σx²/C + eps): Σ over c ascending, every operation rounded
  rmsnormForward(out, rstd, inp, weight, wOff, N, C) {
    lengthChecks.rmsnormForward(out, rstd, inp, weight, wOff, N, C);
    for (let n = 0; n < N; n++) {
      const x = n * C;
      let ms = 0;
      for (let c = 0; c < C; c++) ms = fr(ms + fr(inp[x + c] * inp[x + c]));
      ms = fr(ms / C);
      const s = fr(1 / fr(Math.sqrt(fr(ms + LN_EPS))));
      for (let c = 0; c < C; c++) out[x + c] = canonicalNaN(fr(fr(inp[x + c] * s) * weight[wOff + c]));
      rstd[n] = canonicalNaN(s);
    }
  },

  // dinp = rstd·(dnorm − norm·mean(dnorm·norm)), norm = x·rstd, dnorm = dout·w (the mean over c
  // ascending); dweight = Σ_n dout·norm, n ascending
  rmsnormBackward(dinp, dweight, wOff, dout, inp, weight, rstd, N, C) {
    lengthChecks.rmsnormBackward(dinp, dweight, wOff, dout, inp, weight, rstd, N, C);
    const acc = scratchOf(C);
    for (let n = 0; n < N; n++) {
      const x = n * C;
      const s = rstd[n];
      let dnormNormMean = 0;
      for (let c = 0; c < C; c++) dnormNormMean = fr(dnormNormMean + fr(fr(dout[x + c] * weight[wOff + c]) * fr(inp[x + c] * s)));
      dnormNormMean = fr(dnormNormMean / C);
      for (let c = 0; c < C; c++) {
        const norm = fr(inp[x + c] * s);
        acc[c] += fr(dout[x + c] * norm);
        dinp[x + c] = canonicalNaN(fr(fr(fr(dout[x + c] * weight[wOff + c]) - fr(norm * dnormNormMean)) * s));
      }
    }
    for (let c = 0; c < C; c++) dweight[wOff + c] = canonicalNaN(acc[c]);
  },

  // qkv (B,T,3C) as in f64acc; att (B,NH,T,T) the softmax probabilities (causal: t2 ≤ t); per
  // query, attendQueryF32's order
  attentionForward(out, att, qkv, B, T, C, NH) {
    lengthChecks.attentionForward(out, att, qkv, B, T, C, NH);
    const hd = C / NH;
    const scale = attentionScaleF32(hd);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < NH; h++) {
        for (let t = 0; t < T; t++) {
          const a = ((b * NH + h) * T + t) * T;
          attendQueryF32(out, (b * T + t) * C + h * hd, att, a, qkv, b * T, t, C, h * hd, hd, scale);
          for (let t2 = t + 1; t2 < T; t2++) att[a + t2] = 0;
        }
      }
    }
  },

  // attentionForward's position T−1 of one sequence (B = 1): out (C), att (NH,T), that row's bits
  attentionForwardLast(out, att, qkv, T, C, NH) {
    lengthChecks.attentionForwardLast(out, att, qkv, T, C, NH);
    const hd = C / NH;
    const scale = attentionScaleF32(hd);
    for (let h = 0; h < NH; h++) attendQueryF32(out, h * hd, att, h * T, qkv, 0, T - 1, C, h * hd, hd, scale);
  },

  // Per (b, h), gradients accumulate in float32 over t ascending (f64acc's order), then store once.
  attentionBackward(dqkv, dout, qkv, att, B, T, C, NH) {
    lengthChecks.attentionBackward(dqkv, dout, qkv, att, B, T, C, NH);
    const hd = C / NH;
    const scale = attentionScaleF32(hd);
    const C3 = 3 * C;
    const acc = scratchOf(3 * T * hd + 2 * T);
    const dq = 0;
    const dk = T * hd;
    const dv = 2 * T * hd;
    const datt = 3 * T * hd;
    const dpre = datt + T;
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < NH; h++) {
        acc.fill(0, 0, 3 * T * hd);
        for (let t = 0; t < T; t++) {
          const a = ((b * NH + h) * T + t) * T;
          const o = (b * T + t) * C + h * hd;
          // datt[t2] = Σ_i dout·v; dv[t2] += att·dout
          for (let t2 = 0; t2 <= t; t2++) {
            const v = (b * T + t2) * C3 + 2 * C + h * hd;
            let s = 0;
            for (let i = 0; i < hd; i++) {
              s = fr(s + fr(dout[o + i] * qkv[v + i]));
              acc[dv + t2 * hd + i] += fr(att[a + t2] * dout[o + i]);
            }
            acc[datt + t2] = s;
          }
          // softmax backward: dpre[t2] = (att[t2]·(datt[t2] − Σ att·datt))·scale
          let dot = 0;
          for (let t2 = 0; t2 <= t; t2++) dot = fr(dot + fr(att[a + t2] * acc[datt + t2]));
          for (let t2 = 0; t2 <= t; t2++) acc[dpre + t2] = fr(att[a + t2] * fr(acc[datt + t2] - dot)) * scale;
          const q = (b * T + t) * C3 + h * hd;
          for (let t2 = 0; t2 <= t; t2++) {
            const k = (b * T + t2) * C3 + C + h * hd;
            const g = acc[dpre + t2];
            for (let i = 0; i < hd; i++) {
              acc[dq + t * hd + i] += fr(g * qkv[k + i]);
              acc[dk + t2 * hd + i] += fr(g * qkv[q + i]);
            }
          }
        }
        for (let t = 0; t < T; t++) {
          const base = (b * T + t) * C3 + h * hd;
          for (let i = 0; i < hd; i++) {
            dqkv[base + i] = canonicalNaN(acc[dq + t * hd + i]);
            dqkv[base + C + i] = canonicalNaN(acc[dk + t * hd + i]);
            dqkv[base + 2 * C + i] = canonicalNaN(acc[dv + t * hd + i]);
          }
        }
      }
    }
  },

  activationForward(kind, out, inp, n) {
    lengthChecks.activationForward(kind, out, inp, n);
    activationForwardF32(kind, out, inp, n);
  },
  activationBackward(kind, dinp, inp, dout, n) {
    lengthChecks.activationBackward(kind, dinp, inp, dout, n);
    activationBackwardF32(kind, dinp, inp, dout, n);
  },

  // inverted dropout: x · (keep ? 1/(1−p) : 0), the scale in float32 (dropoutScaleF32); a dropped
  // NaN or ±Inf is NaN, as in f64acc
  dropoutForward(out, inp, keep, p, n) {
    lengthChecks.dropoutForward(out, inp, keep, p, n);
    const s = dropoutScaleF32(p);
    for (let i = 0; i < n; i++) out[i] = canonicalNaN(fr(inp[i] * (keep[i] ? s : 0)));
  },
  dropoutBackward(dinp, dout, keep, p, n) {
    lengthChecks.dropoutBackward(dinp, dout, keep, p, n);
    const s = dropoutScaleF32(p);
    for (let i = 0; i < n; i++) dinp[i] = canonicalNaN(fr(dout[i] * (keep[i] ? s : 0)));
  },

  findNonFinite: referenceKernels.findNonFinite,
  // one float32 addition, as in f64acc
  add: referenceKernels.add,

  // losses[n] = log Σ_v e_v − (z_target − max), e_v = exp(z_v − max), Σ over v ascending;
  // probs = e·(1/Σ); returns (Σ_n losses[n], n ascending)/counted. A row whose target is
  // IGNORED_TARGET has loss 0 and is not counted (its probs are kept, as in f64acc).
  crossEntropyForward(losses, probs, logits, targets, N, V) {
    const counted = lengthChecks.crossEntropyForward(losses, probs, logits, targets, N, V);
    let total = 0;
    for (let n = 0; n < N; n++) {
      const z = n * V;
      let max = -Infinity;
      for (let v = 0; v < V; v++) if (logits[z + v] > max) max = logits[z + v];
      let sum = 0;
      for (let v = 0; v < V; v++) {
        const e = expF32(fr(logits[z + v] - max));
        probs[z + v] = e;
        sum = fr(sum + e);
      }
      const inv = fr(1 / sum);
      for (let v = 0; v < V; v++) probs[z + v] = canonicalNaN(fr(probs[z + v] * inv));
      if (targets[n] === IGNORED_TARGET) {
        losses[n] = 0;
        continue;
      }
      const l = crossEntropyLossF32(sum, logits[z + targets[n]], max);
      losses[n] = canonicalNaN(l);
      total = fr(total + l);
    }
    return canonicalNaN(fr(total / counted));
  },

  // dlogits = (probs − onehot(target))/counted, and 0 in a row whose target is ignored
  crossEntropyBackward(dlogits, probs, targets, N, V) {
    const counted = lengthChecks.crossEntropyBackward(dlogits, probs, targets, N, V);
    for (let n = 0; n < N; n++) {
      const z = n * V;
      const tgt = targets[n];
      if (tgt === IGNORED_TARGET) dlogits.fill(0, z, z + V);
      else for (let v = 0; v < V; v++) dlogits[z + v] = canonicalNaN(fr(fr(probs[z + v] - (v === tgt ? 1 : 0)) / counted));
    }
  },

  // per element, in index order, every coefficient rounded to float32 first: p = p·decay (adamw);
  // d = g + l2·p; m = β1·m + (1−β1)·d; v = β2·v + ((1−β2)·d)·d; p = p − stepSize·(m/(√v/bc2Sqrt + eps))
  adamUpdate(params, grads, m, v, n, k) {
    lengthChecks.adamUpdate(params, grads, m, v, n, k);
    const [b1, b2, c1, c2, eps, stepSize, bc2Sqrt, l2, decay] = [k.beta1, k.beta2, k.oneMinusBeta1, k.oneMinusBeta2, k.eps, k.stepSize, k.bc2Sqrt, k.l2, k.decay].map(fr);
    for (let i = 0; i < n; i++) {
      let p = params[i];
      if (k.decoupled) p = fr(p * decay);
      const d = fr(grads[i] + fr(l2 * p));
      const mi = fr(fr(b1 * m[i]) + fr(c1 * d));
      const vi = fr(fr(b2 * v[i]) + fr(fr(c2 * d) * d));
      m[i] = canonicalNaN(mi);
      v[i] = canonicalNaN(vi);
      params[i] = canonicalNaN(fr(p - fr(stepSize * fr(mi / fr(fr(fr(Math.sqrt(vi)) / bc2Sqrt) + eps)))));
    }
  },
};

/** A row's loss, log Σ − (z_target − max), in float32 (the fast set computes it the same way). */
export function crossEntropyLossF32(sum: number, zTarget: number, max: number): number {
  return fr(logF32(sum) - fr(zTarget - max));
}

function activationForwardF32(kind: Activation, out: FloatArray, inp: FloatArray, n: number): void {
  if (kind === 'gelu') {
    // the tanh-GELU as x·σ(2u) (math/elementary-f32.ts geluF32)
    for (let i = 0; i < n; i++) out[i] = canonicalNaN(geluF32(inp[i]));
  } else if (kind === 'relu') {
    referenceKernels.activationForward(kind, out, inp, n);
  } else {
    for (let i = 0; i < n; i++) out[i] = canonicalNaN(tanhF32(inp[i]));
  }
}

function activationBackwardF32(kind: Activation, dinp: FloatArray, inp: FloatArray, dout: FloatArray, n: number): void {
  if (kind === 'gelu') {
    for (let i = 0; i < n; i++) dinp[i] = canonicalNaN(fr(geluGradF32(inp[i]) * dout[i]));
  } else if (kind === 'relu') {
    referenceKernels.activationBackward(kind, dinp, inp, dout, n);
  } else {
    // (1 − t·t)·dout
    for (let i = 0; i < n; i++) {
      const t = tanhF32(inp[i]);
      dinp[i] = canonicalNaN(fr(fr(1 - fr(t * t)) * dout[i]));
    }
  }
}
