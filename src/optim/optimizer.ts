import { powInt } from '../kernels/math.ts';
import { allocFloat, type Dtype, type FloatArray } from '../kernels/types.ts';

export type OptimKind = 'sgd' | 'momentum' | 'adam' | 'adamw';

export interface OptimConfig {
  kind: OptimKind;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  momentum: number;
}

/**
 * Optimizer state mirrors the parameter buffer: `m` is Adam's first moment or the momentum
 * buffer, `v` Adam's second moment. Absent buffers are length 0. `t` counts updates taken.
 */
export interface OptimState {
  t: number;
  m: FloatArray;
  v: FloatArray;
}

export function optimBuffers(kind: OptimKind): { m: boolean; v: boolean } {
  return { m: kind !== 'sgd', v: kind === 'adam' || kind === 'adamw' };
}

export function createOptimState(kind: OptimKind, dtype: Dtype, n: number): OptimState {
  const b = optimBuffers(kind);
  return { t: 0, m: allocFloat(dtype, b.m ? n : 0), v: allocFloat(dtype, b.v ? n : 0) };
}

/**
 * One update of every parameter, elementwise in index order, following torch.optim
 * (foreach=False, maximize=False, nesterov=False, dampening=0, amsgrad=False):
 * - sgd:      d = g + wd·p;                                   p −= lr·d
 * - momentum: d = g + wd·p; buf = d (first step) or μ·buf + d;  p −= lr·buf
 * - adam:     d = g + wd·p; m = β1·m + (1−β1)·d; v = β2·v + (1−β2)·d²;
 *             p −= (lr / (1−β1^t)) · m / (sqrt(v) / sqrt(1−β2^t) + eps)
 * - adamw:    p ·= 1 − lr·wd; then adam with d = g.
 * Each value is computed in float64 and rounded once when stored.
 */
export function optimizerStep(o: OptimConfig, lr: number, params: FloatArray, grads: FloatArray, s: OptimState): void {
  const n = params.length;
  s.t += 1;
  const wd = o.weightDecay;
  if (o.kind === 'sgd') {
    for (let i = 0; i < n; i++) params[i] = params[i] - lr * (grads[i] + wd * params[i]);
    return;
  }
  if (o.kind === 'momentum') {
    const mu = o.momentum;
    const m = s.m;
    if (s.t === 1) for (let i = 0; i < n; i++) m[i] = grads[i] + wd * params[i];
    else for (let i = 0; i < n; i++) m[i] = mu * m[i] + (grads[i] + wd * params[i]);
    for (let i = 0; i < n; i++) params[i] = params[i] - lr * m[i];
    return;
  }
  const { beta1: b1, beta2: b2, eps } = o;
  const bc1 = 1 - powInt(b1, s.t);
  const bc2Sqrt = Math.sqrt(1 - powInt(b2, s.t));
  const stepSize = lr / bc1;
  const m = s.m;
  const v = s.v;
  const decoupled = o.kind === 'adamw';
  const l2 = decoupled ? 0 : wd;
  const decay = 1 - lr * wd;
  for (let i = 0; i < n; i++) {
    let p = params[i];
    if (decoupled) p = params[i] = p * decay;
    const d = grads[i] + l2 * p;
    const mi = (m[i] = b1 * m[i] + (1 - b1) * d);
    const vi = (v[i] = b2 * v[i] + (1 - b2) * d * d);
    params[i] = p - stepSize * (mi / (Math.sqrt(vi) / bc2Sqrt + eps));
  }
}
