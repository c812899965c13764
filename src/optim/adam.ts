import { powInt } from '../math/elementary.ts';
import type { OptimConfig, Optimizer, OptimState } from './optimizer.ts';
import type { FloatArray, Kernels } from '../kernels/types.ts';

/**
 * torch.optim.Adam / AdamW (foreach=False, amsgrad=False), as the kernel set's adamUpdate:
 * - adam:  d = g + wd·p; m = β1·m + (1−β1)·d; v = β2·v + (1−β2)·d²;
 *          p −= (lr / (1−β1^t)) · m / (sqrt(v) / sqrt(1−β2^t) + eps)
 * - adamw: p ·= 1 − lr·wd; then adam with d = g.
 */
function adamUpdate(decoupled: boolean) {
  return (o: OptimConfig, lr: number, params: FloatArray, grads: FloatArray, s: OptimState, kernels: Pick<Kernels, 'adamUpdate'>): void => {
    const { beta1, beta2, eps, weightDecay: wd } = o;
    kernels.adamUpdate(params, grads, s.m, s.v, params.length, {
      beta1, beta2, oneMinusBeta1: 1 - beta1, oneMinusBeta2: 1 - beta2, eps,
      stepSize: lr / (1 - powInt(beta1, s.t)),
      bc2Sqrt: Math.sqrt(1 - powInt(beta2, s.t)),
      l2: decoupled ? 0 : wd,
      decay: 1 - lr * wd,
      decoupled,
    });
  };
}

export const adam: Optimizer = { kind: 'adam', buffers: { m: 'm', v: 'v' }, update: adamUpdate(false) };
export const adamw: Optimizer = { kind: 'adamw', buffers: { m: 'm', v: 'v' }, update: adamUpdate(true) };
