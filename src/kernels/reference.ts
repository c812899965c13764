import { exp, log, tanh } from '../math/elementary.ts';
import { lengthChecks } from './lengths.ts';
import { allocFloat, IGNORED_TARGET, type Activation, type FloatArray, type Kernels } from './types.ts';

/**
 * Reference kernels: plain loops, one fixed order per reduction, arithmetic in float64 with one
 * rounding to the storage type on each store. Each comment states shapes and reduction order;
 * a faster kernel must reproduce these bits exactly.
 *
 * Accumulations across an outer loop (weight gradients over rows n, say) go to a float64
 * scratch buffer in ascending n, which gives the same bits as a per-element loop over n while
 * letting the inner loop run over contiguous memory.
 */

const LN_EPS = 1e-5;
const RMS_EPS = 1e-5;
const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/**
 * A NaN's sign and payload are not part of its value, and they vary: between engines, between
 * V8's JavaScript and its WebAssembly, even between a function's interpreted and optimized runs.
 * Every kernel therefore stores each NaN as the canonical quiet NaN: where NaN appears is exact,
 * and so are the bits.
 */
export function canonicalNaN(x: number): number {
  return x === x ? x : NaN;
}

let scratch = new Float64Array(1024);
function scratchOf(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2));
  scratch.fill(0, 0, n);
  return scratch;
}

/**
 * One query of attention: position t of the sequence whose rows start at row `seq` of qkv
 * (rows of 3C: q, k, v), head columns hOff…hOff+hd. Scores s[t2] = (Σ_i q·k over i ascending)·scale
 * for t2 = 0…t; softmax: max, e = exp(s − max), Σ e over t2 ascending, att[a + t2] = e·(1/Σ);
 * out[o + i] = Σ_t2 att·v over t2 ascending. The full pass runs it for every (b, h, t), decoding
 * (attentionForwardLast) for one t: the same code, so the same bits.
 */
function attendQuery(out: FloatArray, o: number, att: Float64Array, a: number, qkv: FloatArray, seq: number, t: number, C: number, hOff: number, hd: number, scale: number): void {
  const C3 = 3 * C;
  const q = (seq + t) * C3 + hOff;
  let max = -Infinity;
  for (let t2 = 0; t2 <= t; t2++) {
    const k = (seq + t2) * C3 + C + hOff;
    let s = 0;
    for (let i = 0; i < hd; i++) s += qkv[q + i] * qkv[k + i];
    s *= scale;
    att[a + t2] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let t2 = 0; t2 <= t; t2++) {
    const e = exp(att[a + t2] - max);
    att[a + t2] = e;
    sum += e;
  }
  const inv = 1 / sum;
  for (let t2 = 0; t2 <= t; t2++) att[a + t2] = canonicalNaN(att[a + t2] * inv);
  for (let i = 0; i < hd; i++) {
    let acc = 0;
    for (let t2 = 0; t2 <= t; t2++) acc += att[a + t2] * qkv[(seq + t2) * C3 + 2 * C + hOff + i];
    out[o + i] = canonicalNaN(acc);
  }
}

export const referenceKernels: Kernels = {
  mode: 'reference-f64acc-v1',

  alloc(dtype, n) {
    lengthChecks.alloc(dtype, n);
    return allocFloat(dtype, n);
  },
  allocBytes(n) {
    lengthChecks.allocBytes(n);
    return new Uint8Array(n);
  },

  // out (B,T,C) = wte[idx[b,t]] + wpe[t]
  encoderForward(out, idx, wte, wpe, B, T, C) {
    lengthChecks.encoderForward(out, idx, wte, wpe, B, T, C);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const o = (b * T + t) * C;
        const ix = idx[b * T + t] * C;
        const p = t * C;
        for (let c = 0; c < C; c++) out[o + c] = canonicalNaN(wte[ix + c] + wpe[p + c]);
      }
    }
  },

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

  // out (N,OC) = inp (N,C) · weight (OC,C)ᵀ + bias (OC); sum over c ascending, then + bias
  matmulForward(out, inp, weight, wOff, bias, bOff, N, C, OC) {
    lengthChecks.matmulForward(out, inp, weight, wOff, bias, bOff, N, C, OC);
    for (let n = 0; n < N; n++) {
      const x = n * C;
      for (let o = 0; o < OC; o++) {
        const w = wOff + o * C;
        let acc = 0;
        for (let c = 0; c < C; c++) acc += inp[x + c] * weight[w + c];
        out[n * OC + o] = canonicalNaN(acc + bias[bOff + o]);
      }
    }
  },

  // dinp (N,C) = dout · weight, sum over o ascending;
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
          acc[xAcc + c] += g * weight[w + c];
          acc[a + c] += g * inp[x + c];
        }
        acc[bAcc + o] += g;
      }
      for (let c = 0; c < C; c++) dinp[x + c] = canonicalNaN(acc[xAcc + c]);
    }
    for (let i = 0; i < OC * C; i++) dweight[wOff + i] = canonicalNaN(acc[i]);
    for (let o = 0; o < OC; o++) dbias[bOff + o] = canonicalNaN(acc[bAcc + o]);
  },

  // out (N,C) = (x − mean)·rstd·w + b; mean and variance summed over c ascending (biased variance)
  layernormForward(out, mean, rstd, inp, weight, wOff, bias, bOff, N, C) {
    lengthChecks.layernormForward(out, mean, rstd, inp, weight, wOff, bias, bOff, N, C);
    for (let n = 0; n < N; n++) {
      const x = n * C;
      let m = 0;
      for (let c = 0; c < C; c++) m += inp[x + c];
      m /= C;
      let v = 0;
      for (let c = 0; c < C; c++) {
        const d = inp[x + c] - m;
        v += d * d;
      }
      v /= C;
      const s = 1 / Math.sqrt(v + LN_EPS);
      for (let c = 0; c < C; c++) out[x + c] = canonicalNaN((inp[x + c] - m) * s * weight[wOff + c] + bias[bOff + c]);
      mean[n] = canonicalNaN(m);
      rstd[n] = canonicalNaN(s);
    }
  },

  // dinp = rstd·(dnorm − mean(dnorm) − norm·mean(dnorm·norm)), dnorm = dout·w;
  // dweight = Σ_n dout·norm, dbias = Σ_n dout, n ascending
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
        const norm = (inp[x + c] - m) * s;
        const dnorm = dout[x + c] * weight[wOff + c];
        dnormMean += dnorm;
        dnormNormMean += dnorm * norm;
      }
      dnormMean /= C;
      dnormNormMean /= C;
      for (let c = 0; c < C; c++) {
        const norm = (inp[x + c] - m) * s;
        const dnorm = dout[x + c] * weight[wOff + c];
        acc[c] += dout[x + c] * norm;
        acc[C + c] += dout[x + c];
        dinp[x + c] = canonicalNaN((dnorm - dnormMean - norm * dnormNormMean) * s);
      }
    }
    for (let c = 0; c < C; c++) {
      dweight[wOff + c] = canonicalNaN(acc[c]);
      dbias[bOff + c] = canonicalNaN(acc[C + c]);
    }
  },

  // out (N,C) = x·rstd·w, rstd = 1/sqrt(Σx²/C + eps); Σ over c ascending (as torch.nn.RMSNorm)
  rmsnormForward(out, rstd, inp, weight, wOff, N, C) {
    lengthChecks.rmsnormForward(out, rstd, inp, weight, wOff, N, C);
    for (let n = 0; n < N; n++) {
      const x = n * C;
      let ms = 0;
      for (let c = 0; c < C; c++) ms += inp[x + c] * inp[x + c];
      ms /= C;
      const s = 1 / Math.sqrt(ms + RMS_EPS);
      for (let c = 0; c < C; c++) out[x + c] = canonicalNaN(inp[x + c] * s * weight[wOff + c]);
      rstd[n] = canonicalNaN(s);
    }
  },

  // dinp = rstd·(dnorm − norm·mean(dnorm·norm)), norm = x·rstd, dnorm = dout·w;
  // dweight = Σ_n dout·norm, n ascending
  rmsnormBackward(dinp, dweight, wOff, dout, inp, weight, rstd, N, C) {
    lengthChecks.rmsnormBackward(dinp, dweight, wOff, dout, inp, weight, rstd, N, C);
    const acc = scratchOf(C);
    for (let n = 0; n < N; n++) {
      const x = n * C;
      const s = rstd[n];
      let dnormNormMean = 0;
      for (let c = 0; c < C; c++) dnormNormMean += dout[x + c] * weight[wOff + c] * (inp[x + c] * s);
      dnormNormMean /= C;
      for (let c = 0; c < C; c++) {
        const norm = inp[x + c] * s;
        acc[c] += dout[x + c] * norm;
        dinp[x + c] = canonicalNaN((dout[x + c] * weight[wOff + c] - norm * dnormNormMean) * s);
      }
    }
    for (let c = 0; c < C; c++) dweight[wOff + c] = canonicalNaN(acc[c]);
  },

  // qkv (B,T,3C): q, k, v along the last axis, head h owns columns h·hd … (h+1)·hd−1 of each.
  // att (B,NH,T,T) softmax probabilities (causal: t2 ≤ t), kept in float64 for backward.
  // scores: Σ_i q·k over i ascending, × 1/sqrt(hd); softmax: max, Σ exp over t2 ascending;
  // out (B,T,C) = Σ_t2 att·v over t2 ascending.
  attentionForward(out, att, qkv, B, T, C, NH) {
    lengthChecks.attentionForward(out, att, qkv, B, T, C, NH);
    const hd = C / NH;
    const scale = 1 / Math.sqrt(hd);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < NH; h++) {
        for (let t = 0; t < T; t++) {
          const a = ((b * NH + h) * T + t) * T;
          attendQuery(out, (b * T + t) * C + h * hd, att, a, qkv, b * T, t, C, h * hd, hd, scale);
          for (let t2 = t + 1; t2 < T; t2++) att[a + t2] = 0;
        }
      }
    }
  },

  // attentionForward's position T−1 of one sequence (B = 1), its keys and values qkv's rows 0…T−1:
  // out (C) and att (NH,T) are bit for bit that row of out (T,C) and of each head's att (T,T)
  attentionForwardLast(out, att, qkv, T, C, NH) {
    lengthChecks.attentionForwardLast(out, att, qkv, T, C, NH);
    const hd = C / NH;
    const scale = 1 / Math.sqrt(hd);
    for (let h = 0; h < NH; h++) attendQuery(out, h * hd, att, h * T, qkv, 0, T - 1, C, h * hd, hd, scale);
  },

  // Per (b, h), gradients accumulate in float64 over t ascending, then store once.
  attentionBackward(dqkv, dout, qkv, att, B, T, C, NH) {
    lengthChecks.attentionBackward(dqkv, dout, qkv, att, B, T, C, NH);
    const hd = C / NH;
    const scale = 1 / Math.sqrt(hd);
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
              s += dout[o + i] * qkv[v + i];
              acc[dv + t2 * hd + i] += att[a + t2] * dout[o + i];
            }
            acc[datt + t2] = s;
          }
          // softmax backward: dpre[t2] = att[t2]·(datt[t2] − Σ att·datt)
          let dot = 0;
          for (let t2 = 0; t2 <= t; t2++) dot += att[a + t2] * acc[datt + t2];
          for (let t2 = 0; t2 <= t; t2++) acc[dpre + t2] = att[a + t2] * (acc[datt + t2] - dot) * scale;
          const q = (b * T + t) * C3 + h * hd;
          for (let t2 = 0; t2 <= t; t2++) {
            const k = (b * T + t2) * C3 + C + h * hd;
            const g = acc[dpre + t2];
            for (let i = 0; i < hd; i++) {
              acc[dq + t * hd + i] += g * qkv[k + i];
              acc[dk + t2 * hd + i] += g * qkv[q + i];
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
    activationForward(kind, out, inp, n);
  },
  activationBackward(kind, dinp, inp, dout, n) {
    lengthChecks.activationBackward(kind, dinp, inp, dout, n);
    activationBackward(kind, dinp, inp, dout, n);
  },

  // inverted dropout as torch's x · mask · 1/(1−p): kept values × 1/(1−p), dropped values × 0
  // (±0; a dropped NaN or ±Inf is NaN, so dropout never hides one)
  dropoutForward(out, inp, keep, p, n) {
    lengthChecks.dropoutForward(out, inp, keep, p, n);
    const s = 1 / (1 - p);
    for (let i = 0; i < n; i++) out[i] = canonicalNaN(inp[i] * (keep[i] ? s : 0));
  },
  dropoutBackward(dinp, dout, keep, p, n) {
    lengthChecks.dropoutBackward(dinp, dout, keep, p, n);
    const s = 1 / (1 - p);
    for (let i = 0; i < n; i++) dinp[i] = canonicalNaN(dout[i] * (keep[i] ? s : 0));
  },

  findNonFinite(a, n) {
    lengthChecks.findNonFinite(a, n);
    for (let i = 0; i < n; i++) if (!Number.isFinite(a[i])) return i;
    return -1;
  },

  add(out, a, b, n) {
    lengthChecks.add(out, a, b, n);
    for (let i = 0; i < n; i++) out[i] = canonicalNaN(a[i] + b[i]);
  },

  // losses[n] = log Σ_v exp(z_v − max) − (z_target − max), Σ over v ascending; a row whose
  // target is IGNORED_TARGET (PyTorch's ignore_index) has loss 0 and is not counted. Returns the
  // mean over the counted rows, summed in ascending n. probs (N,V) kept for backward, every row.
  crossEntropyForward(losses, probs, logits, targets, N, V) {
    const counted = lengthChecks.crossEntropyForward(losses, probs, logits, targets, N, V);
    let total = 0;
    for (let n = 0; n < N; n++) {
      const z = n * V;
      let max = -Infinity;
      for (let v = 0; v < V; v++) if (logits[z + v] > max) max = logits[z + v];
      let sum = 0;
      for (let v = 0; v < V; v++) {
        const e = exp(logits[z + v] - max);
        probs[z + v] = e;
        sum += e;
      }
      const inv = 1 / sum;
      for (let v = 0; v < V; v++) probs[z + v] = canonicalNaN(probs[z + v] * inv);
      if (targets[n] === IGNORED_TARGET) {
        losses[n] = 0;
        continue;
      }
      const l = log(sum) - (logits[z + targets[n]] - max);
      losses[n] = canonicalNaN(l);
      total += l;
    }
    return canonicalNaN(total / counted);
  },

  // per element, in index order: p ·= decay (adamw); d = g + l2·p; m = β1·m + (1−β1)·d;
  // v = β2·v + (1−β2)·d·d; p −= stepSize · m / (sqrt(v) / bc2Sqrt + eps). p, m and v are carried
  // in float64 from their computation to their use and rounded once when stored.
  adamUpdate(params, grads, m, v, n, k) {
    lengthChecks.adamUpdate(params, grads, m, v, n, k);
    const { beta1: b1, beta2: b2, oneMinusBeta1: c1, oneMinusBeta2: c2, eps, stepSize, bc2Sqrt, l2, decay, decoupled } = k;
    for (let i = 0; i < n; i++) {
      let p = params[i];
      if (decoupled) p = p * decay;
      const d = grads[i] + l2 * p;
      const mi = b1 * m[i] + c1 * d;
      const vi = b2 * v[i] + c2 * d * d;
      m[i] = canonicalNaN(mi);
      v[i] = canonicalNaN(vi);
      params[i] = canonicalNaN(p - stepSize * (mi / (Math.sqrt(vi) / bc2Sqrt + eps)));
    }
  },

  // dlogits = (probs − onehot(target)) / counted, and 0 in a row whose target is ignored
  crossEntropyBackward(dlogits, probs, targets, N, V) {
    const counted = lengthChecks.crossEntropyBackward(dlogits, probs, targets, N, V);
    for (let n = 0; n < N; n++) {
      const z = n * V;
      const tgt = targets[n];
      if (tgt === IGNORED_TARGET) dlogits.fill(0, z, z + V);
      else for (let v = 0; v < V; v++) dlogits[z + v] = canonicalNaN((probs[z + v] - (v === tgt ? 1 : 0)) / counted);
    }
  },
};

function activationForward(kind: Activation, out: FloatArray, inp: FloatArray, n: number): void {
  if (kind === 'gelu') {
    // tanh approximation, as torch.nn.GELU(approximate='tanh')
    for (let i = 0; i < n; i++) {
      const x = inp[i];
      out[i] = canonicalNaN(0.5 * x * (1 + tanh(GELU_K * (x + GELU_C * x * x * x))));
    }
  } else if (kind === 'relu') {
    // as torch.relu (clamp_min(x, 0)): NaN and −0 pass, so a NaN before a ReLU is never hidden
    for (let i = 0; i < n; i++) out[i] = inp[i] < 0 ? 0 : canonicalNaN(inp[i]);
  } else {
    for (let i = 0; i < n; i++) out[i] = canonicalNaN(tanh(inp[i]));
  }
}

function activationBackward(kind: Activation, dinp: FloatArray, inp: FloatArray, dout: FloatArray, n: number): void {
  if (kind === 'gelu') {
    for (let i = 0; i < n; i++) {
      const x = inp[i];
      const t = tanh(GELU_K * (x + GELU_C * x * x * x));
      const dt = (1 - t * t) * GELU_K * (1 + 3 * GELU_C * x * x);
      dinp[i] = canonicalNaN((0.5 * (1 + t) + 0.5 * x * dt) * dout[i]);
    }
  } else if (kind === 'relu') {
    // as torch's threshold_backward (0 where relu(x) ≤ 0): dout passes where x > 0 or x is NaN
    for (let i = 0; i < n; i++) dinp[i] = inp[i] <= 0 ? 0 : canonicalNaN(dout[i]);
  } else {
    for (let i = 0; i < n; i++) {
      const t = tanh(inp[i]);
      dinp[i] = canonicalNaN((1 - t * t) * dout[i]);
    }
  }
}
