import { powInt } from '../math/elementary.ts';
import { allocFloat, type Dtype, type FloatArray, type Kernels } from '../kernels/types.ts';
import { referenceKernels } from '../kernels/reference.ts';

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

/** Zeroed state; `alloc` places it (a kernel set's, so that its optimizer kernel works in place). */
export function createOptimState(kind: OptimKind, dtype: Dtype, n: number, alloc: (dtype: Dtype, n: number) => FloatArray = allocFloat): OptimState {
  const b = optimBuffers(kind);
  return { t: 0, m: alloc(dtype, b.m ? n : 0), v: alloc(dtype, b.v ? n : 0) };
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
export function optimizerStep(o: OptimConfig, lr: number, params: FloatArray, grads: FloatArray, s: OptimState, kernels: Pick<Kernels, 'adamUpdate'> = referenceKernels): void {
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
  const { beta1, beta2, eps } = o;
  const decoupled = o.kind === 'adamw';
  kernels.adamUpdate(params, grads, s.m, s.v, n, {
    beta1, beta2, oneMinusBeta1: 1 - beta1, oneMinusBeta2: 1 - beta2, eps,
    stepSize: lr / (1 - powInt(beta1, s.t)),
    bc2Sqrt: Math.sqrt(1 - powInt(beta2, s.t)),
    l2: decoupled ? 0 : wd,
    decay: 1 - lr * wd,
    decoupled,
  });
}
