import type { Optimizer } from './optimizer.ts';

/**
 * Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"), as lion-pytorch
 * applies it: p ·= 1 − lr·wd; p −= lr·sign(β1·m + (1−β1)·g); m = β2·m + (1−β2)·g. Every weight
 * moves by exactly lr (or not at all) per step, whatever the gradient's scale: only its sign
 * through the momentum counts. One buffer, the momentum m.
 */
export const lion: Optimizer = {
  kind: 'lion',
  buffers: { m: 'm' },
  update(o, lr, params, grads, s) {
    const { beta1: b1, beta2: b2 } = o;
    const c1 = 1 - b1;
    const c2 = 1 - b2;
    const decay = 1 - lr * o.weightDecay;
    const m = s.m;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i];
      const mi = m[i];
      const c = b1 * mi + c1 * g;
      // sign(c): ±1, 0 for ±0, NaN for NaN
      const u = c > 0 ? 1 : c < 0 ? -1 : c === 0 ? 0 : NaN;
      params[i] = params[i] * decay - lr * u;
      m[i] = b2 * mi + c2 * g;
    }
  },
};
